import { execFile } from 'node:child_process'
import { deadline, spawnReady } from './ready-process.js'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ControlClient } from '../../node/control/client.js'
import type { NodeEvent } from '../../node/events.js'
import type { ChildProcess } from 'node:child_process'

/** The built `peerpost` command, run with the same Node as the tests. */
export const BIN = fileURLToPath(new URL('../../cli/main.js', import.meta.url))

/**
 * How to start `peerpost`: by default the built one with the tests' Node; the package test
 * points it at a copy installed from the packed tarball (its bin run through its shebang).
 */
export interface CommandLine { file: string, args: string[], env?: NodeJS.ProcessEnv }
export const BUILT: CommandLine = { file: process.execPath, args: [BIN] }

export interface RunResult { code: number, stdout: string, stderr: string }

/** Run `peerpost --home HOME ...args` and collect its output (never throws on exit code). */
export async function run (home: string, args: string[], options: { timeoutMs?: number, env?: NodeJS.ProcessEnv, command?: CommandLine } = {}): Promise<RunResult> {
  const command = options.command ?? BUILT
  return await new Promise(resolve => {
    execFile(command.file, [...command.args, '--home', home, ...args], { timeout: options.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, ...command.env, ...options.env } }, (err, stdout, stderr) => {
      const code = err == null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1
      resolve({ code, stdout, stderr })
    })
  })
}

/** Run a command with --json that must succeed; returns its parsed output. */
export async function runJson<T = any> (home: string, args: string[], command?: CommandLine): Promise<T> {
  const r = await run(home, ['--json', ...args], { command })
  if (r.code !== 0) throw new Error(`peerpost ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`)
  return JSON.parse(r.stdout) as T
}

/** The lowest port of the kernel's ephemeral range (outgoing connections and port-0 listeners); Linux's default elsewhere. */
async function lowestEphemeralPort (): Promise<number> {
  try {
    const low = Number((await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')).trim().split(/\s+/)[0])
    if (Number.isSafeInteger(low)) return low
  } catch { /* no /proc (not Linux): Linux's default below */ }
  return 32768
}

/** Whether `port` on 127.0.0.1 can be listened on now. */
async function bindable (port: number): Promise<boolean> {
  return await new Promise(resolve => {
    const server = createServer()
    server.once('error', () => { resolve(false) })
    server.listen(port, '127.0.0.1', () => { server.close(() => { resolve(true) }) })
  })
}

/** Tries at a random free port below the ephemeral range before falling back to one the kernel picks. */
const FREE_PORT_TRIES = 50
const LOWEST_TEST_PORT = 10_000

/**
 * A TCP port on 127.0.0.1 that was free a moment ago, for a daemon or server that must come
 * back on the same address. Picked below the kernel's ephemeral range: a port from that
 * range (what listening on port 0 gives) can be taken, while its daemon is down, by any
 * outgoing connection of the loaded machine (another test's dial takes a random ephemeral
 * port), and the restart then fails with "port in use". Below the range only another
 * explicit listener can take it.
 */
export async function freePort (): Promise<number> {
  const low = await lowestEphemeralPort()
  for (let i = 0; i < FREE_PORT_TRIES && low > LOWEST_TEST_PORT; i++) {
    const port = LOWEST_TEST_PORT + Math.floor(Math.random() * (low - LOWEST_TEST_PORT))
    if (await bindable(port)) return port
  }
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address != null ? address.port : 0
      server.close(() => { resolve(port) })
    })
  })
}

export async function tempDir (prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `peerpost-${prefix}-`))
}

export { deadline }

export interface DaemonProcess {
  peerId: string
  addrs: string[]
  proc: ChildProcess
  /** What it wrote on stderr so far (its log, with DEBUG set). */
  stderr(): string
  /** SIGTERM and wait for a clean exit. */
  stop(): Promise<number | null>
  /** SIGKILL (crash) and wait until the process is gone. */
  kill(): Promise<void>
}

/** Start `peerpost daemon` for a home on 127.0.0.1 and wait (with a deadline) until it says it is ready. */
export async function startDaemon (home: string, options: { port?: number, timeoutMs?: number, command?: CommandLine } = {}): Promise<DaemonProcess> {
  const listen = `/ip4/127.0.0.1/tcp/${options.port ?? 0}`
  const command = options.command ?? BUILT
  const p = await spawnReady<{ peerId: string, addrs: string[] }>(command.file, [...command.args, '--home', home, '--json', 'daemon', '--listen', listen], { what: `daemon of ${home}`, timeoutMs: options.timeoutMs, env: command.env })
  return { ...p.info, proc: p.proc, stderr: p.stderr, stop: p.stop, kill: p.kill }
}

export interface User {
  name: string
  home: string
  peerId: string
  daemon?: DaemonProcess
  port: number
  /** The `peerpost` this user runs (default: the built one). */
  command?: CommandLine
}

/** A user with a fresh home (a new temp dir unless `home` names one) and identity, and a port reserved for their daemon. */
export async function makeUser (name: string, options: { config?: unknown, command?: CommandLine, home?: string } = {}): Promise<User> {
  const home = options.home ?? await tempDir(name)
  // --port 0: the daemon gets its address from --listen (startDaemon), so init need not try
  // the default port on every interface for each of the suite's users.
  const r = await runJson<{ peerId: string }>(home, ['init', '--name', name, '--port', '0'], options.command)
  if (options.config != null) {
    const { writeFile } = await import('node:fs/promises')
    await writeFile(join(home, 'config.json'), JSON.stringify(options.config))
  }
  return { name, home, peerId: r.peerId, port: await freePort(), command: options.command }
}

export async function online (user: User): Promise<DaemonProcess> {
  user.daemon = await startDaemon(user.home, { port: user.port, command: user.command })
  return user.daemon
}

/** Make each user a contact of every other one (cards exchanged while their daemons run, so they carry addresses). */
export async function introduce (users: User[]): Promise<void> {
  const cards = new Map<string, string>()
  for (const u of users) {
    const card = await runJson<{ card: string }>(u.home, ['card'], u.command)
    cards.set(u.name, card.card)
  }
  for (const u of users) {
    for (const other of users) {
      if (other === u) continue
      await runJson(u.home, ['contacts', 'add', cards.get(other.name)!, '--as', other.name], u.command)
    }
  }
}

/** The card of a user whose daemon is not running yet, with the address their daemon will take. */
export function cardAddrs (user: User): string[] {
  return [`/ip4/127.0.0.1/tcp/${user.port}/p2p/${user.peerId}`]
}

/**
 * Wait until `check` holds, re-checking on every event from the home's daemon (and once at
 * the start); fails after `ms`. No fixed sleeps: progress is driven by the daemon's events.
 */
export async function waitUntil<T> (home: string, check: () => Promise<T | undefined | false>, ms: number, what: string): Promise<T> {
  const client = await ControlClient.connect(home)
  try {
    return await deadline(new Promise<T>((resolve, reject) => {
      let checking = false
      let again = false
      const attempt = (): void => {
        if (checking) { again = true; return }
        checking = true
        check().then(v => {
          checking = false
          if (v !== undefined && v !== false) resolve(v)
          else if (again) { again = false; attempt() }
        }, reject)
      }
      client.subscribe((_e: NodeEvent) => { attempt() }).then(attempt, reject)
    }), ms, what)
  } finally {
    client.close()
  }
}

/**
 * Listen, from now on, for the daemon's `outbox:recipient` event saying a recipient of entry
 * `id` turned `state`; `event` resolves with that recipient's PeerId. Call `close` when done.
 */
export async function recipientEvent (home: string, id: string, state: string): Promise<{ event: Promise<string>, close: () => void }> {
  const client = await ControlClient.connect(home)
  const seen = Promise.withResolvers<string>()
  await client.subscribe((e: NodeEvent) => {
    const d = e.data as { id?: string, peerId?: string, state?: string }
    if (e.type === 'outbox:recipient' && d.id === id && d.state === state) seen.resolve(d.peerId ?? '')
  })
  return { event: seen.promise, close: () => { client.close() } }
}

/**
 * Kill the users' daemons and remove their homes. Users not made yet (a `before` that failed
 * before assigning them) are skipped, so an `after` can always call it.
 */
export async function cleanup (users: ReadonlyArray<User | undefined>): Promise<void> {
  for (const u of users) await u?.daemon?.kill().catch(() => {})
  for (const u of users) if (u != null) await rm(u.home, { recursive: true, force: true })
}
