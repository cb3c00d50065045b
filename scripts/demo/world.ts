/**
 * The demo's world: one temporary directory holding a cache server's home and the homes of
 * alice, bob and carol, their real processes on 127.0.0.1, and the one place that stops
 * them all (at the end, on error and on Ctrl-C).
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startCacheServer } from '../../test/helpers/cache-server.js'
import { freePort, makeUser, runJson, waitUntil } from '../../test/helpers/cli.js'
import { FAST_NODE, FAST_SERVER, startNode, useServers } from '../../test/helpers/offline.js'
import type { CacheServerProcess } from '../../test/helpers/cache-server.js'
import type { User } from '../../test/helpers/cli.js'

export const NAMES = ['alice', 'bob', 'carol'] as const
export type Name = typeof NAMES[number]

/**
 * What this build's daemon offers, read from its own effective config (`config --print`):
 * the features still being wired in add their config sections when they land.
 */
export interface Features {
  /** Large attachments stay on the sender and recipients pull them (`blobs`). */
  blobs: boolean
  /** A co-recipient holds mail for an offline recipient (`holding`). */
  holding: boolean
}

export class DemoDirNotEmptyError extends Error {
  static readonly NAME = 'DemoDirNotEmptyError'
  override name = DemoDirNotEmptyError.NAME
  constructor (dir: string) {
    super(`${dir} is not empty (a kept earlier run?): remove it (rm -rf ${dir}) or give another --dir`)
  }
}

export class World {
  readonly users = new Map<Name, User>()
  server?: CacheServerProcess
  private serverPort = 0
  private serverHome = ''
  features: Features = { blobs: false, holding: false }

  private constructor (readonly root: string) {}

  /**
   * A new temporary directory, or `root` when it is new or empty. A directory with
   * anything in it is refused (a kept earlier run, or someone's files): the demo removes its
   * directory at the end, and must never remove what it did not make.
   */
  static async create (root?: string): Promise<World> {
    if (root == null) return new World(await mkdtemp(join(tmpdir(), 'peerpost-demo-')))
    const existing = await readdir(root).catch((err: NodeJS.ErrnoException) => { if (err.code === 'ENOENT') return []; throw err })
    if (existing.length > 0) throw new DemoDirNotEmptyError(root)
    await mkdir(root, { recursive: true })
    return new World(root)
  }

  user (name: Name): User {
    const u = this.users.get(name)
    if (u == null) throw new Error(`no user ${name}`)
    return u
  }

  /** Name of a PeerId (a user, or "the cache server"). */
  nameOf (peerId: string): string {
    if (peerId === this.server?.peerId) return 'the cache server'
    for (const [name, u] of this.users) if (u.peerId === peerId) return name
    return `${peerId.slice(0, 10)}…`
  }

  async startServer (): Promise<CacheServerProcess> {
    if (this.serverPort === 0) {
      this.serverPort = await freePort()
      this.serverHome = join(this.root, 'cache-server')
    }
    this.server = await startCacheServer(this.serverHome, { port: this.serverPort, config: FAST_SERVER })
    return this.server
  }

  async stopServer (): Promise<void> {
    await this.server?.stop()
  }

  /** Homes and identities for everyone; each uses the cache server as home server. */
  async makeUsers (): Promise<void> {
    const probeHome = join(this.root, NAMES[0])
    const first = await makeUser(NAMES[0], { home: probeHome })
    const effective = await runJson<Record<string, unknown>>(first.home, ['config', '--print'])
    this.features = { blobs: 'blobs' in effective, holding: 'holding' in effective }
    const config = nodeConfig(this.features)
    // Each user is a few processes in a row (init, servers add); the three go side by side.
    const users = await Promise.all(NAMES.map(async name => {
      const home = join(this.root, name)
      const user = name === NAMES[0] ? first : await makeUser(name, { home })
      await writeFile(join(home, 'config.json'), JSON.stringify(config))
      if (this.server != null) await useServers(user, [this.server])
      return user
    }))
    NAMES.forEach((name, i) => { this.users.set(name, users[i]!) })
  }

  /**
   * Everyone pins everyone: cards are read while the daemons run (so they carry addresses)
   * and added through each daemon, side by side (each step is a short `peerpost` process).
   */
  async introduce (): Promise<void> {
    const users = [...this.users.values()]
    const cards = await Promise.all(users.map(async u => (await runJson<{ card: string }>(u.home, ['card'])).card))
    await Promise.all(users.flatMap(u => users.map(async (other, i) => {
      if (other !== u) await runJson(u.home, ['contacts', 'add', cards[i]!, '--as', other.name])
    })))
  }

  async online (name: Name): Promise<void> {
    await startNode(this.user(name))
  }

  async offline (name: Name): Promise<void> {
    await this.user(name).daemon?.stop()
    this.user(name).daemon = undefined
  }

  isOnline (name: Name): boolean {
    const d = this.user(name).daemon
    return d != null && d.proc.exitCode == null && d.proc.signalCode == null
  }

  /** Wait, driven by `name`'s daemon events, until `check` holds. */
  async until<T> (name: Name, check: () => Promise<T | undefined | false>, ms: number, what: string): Promise<T> {
    return waitUntil(this.user(name).home, check, ms, what)
  }

  /** Last resort when the demo process exits without shutdown (a crash, a closed pipe): SIGKILL what still runs. */
  killAllNow (): void {
    const procs = [...[...this.users.values()].map(u => u.daemon?.proc), this.server?.proc]
    for (const p of procs) {
      if (p != null && p.exitCode == null && p.signalCode == null) { try { p.kill('SIGKILL') } catch { /* already gone */ } }
    }
  }

  /** Stop every process (politely, then by force) and, unless `keep`, remove the directory. */
  async shutdown (keep: boolean): Promise<void> {
    for (const u of this.users.values()) {
      await u.daemon?.stop().catch(async () => { await u.daemon?.kill().catch(() => {}) })
    }
    await this.server?.stop().catch(async () => { await this.server?.kill().catch(() => {}) })
    if (!keep) await rm(this.root, { recursive: true, force: true })
  }
}

/**
 * Node config for the demo: the tests' quick heartbeats and retries (so a returning peer is
 * noticed in a fraction of a second, not the default 30 s), and frequent transfer progress
 * when this build pulls large attachments.
 */
function nodeConfig (features: Features): Record<string, unknown> {
  const config: Record<string, unknown> = { ...FAST_NODE }
  if (features.blobs) config.blobs = { progressIntervalMs: 50 }
  return config
}
