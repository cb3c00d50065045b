import { createHash, randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { readFile, rm } from 'node:fs/promises'
import { once } from 'node:events'
import { startCacheServer } from './cache-server.js'
import { cleanup, introduce, makeUser, runJson, tempDir } from './cli.js'
import { FAST_SERVER, startNode, useServers } from './offline.js'
import type { CacheServerProcess } from './cache-server.js'
import type { User } from './cli.js'

export const MiB = 1024 * 1024
export const KiB = 1024

/** Write `size` random bytes to `path` a MiB at a time (a 300 MiB file never sits in the test's memory); resolves to its sha256. */
export async function randomFile (path: string, size: number): Promise<string> {
  const hash = createHash('sha256')
  const out = createWriteStream(path)
  for (let done = 0; done < size; done += MiB) {
    const piece = randomBytes(Math.min(MiB, size - done))
    hash.update(piece)
    if (!out.write(piece)) await once(out, 'drain')
  }
  out.end()
  await once(out, 'finish')
  return hash.digest('hex')
}

export async function sha256File (path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const piece of createReadStream(path)) hash.update(piece as Buffer)
  return hash.digest('hex')
}

/** Peak resident memory of a live process, in MiB (Linux: VmHWM in /proc/PID/status). */
export async function peakRssMiB (pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const kb = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN)
  return kb / 1024
}

/** `transfers --json`: the user's downloads. */
export async function downloads (user: User): Promise<any[]> {
  return (await runJson(user.home, ['transfers'])).downloads
}

/** The first message in the user's inbox with this Message-ID, read with `read --json`. */
export async function readByMessageId (user: User, messageId: string): Promise<any | undefined> {
  const inbox = await runJson<any[]>(user.home, ['list', '--limit', '1000'])
  const m = inbox.find(x => x.messageId === messageId)
  return m == null ? undefined : await runJson(user.home, ['read', m.id])
}

/** alice and bob, both online and each other's contacts, with (optionally) one cache server as home server of both; `stop` cleans everything. */
export interface Pair {
  alice: User
  bob: User
  server?: CacheServerProcess
  /** A temp folder for the files sent and saved. */
  files: string
  stop(): Promise<void>
}

export async function startPair (config: unknown, options: { server?: boolean } = {}): Promise<Pair> {
  const files = await tempDir('files')
  const server = options.server === true ? await startCacheServer(await tempDir('cache'), { config: FAST_SERVER }) : undefined
  const alice = await makeUser('alice', { config })
  const bob = await makeUser('bob', { config })
  if (server != null) {
    await useServers(alice, [server])
    await useServers(bob, [server])
  }
  await startNode(alice)
  await startNode(bob)
  await introduce([alice, bob])
  return {
    alice,
    bob,
    server,
    files,
    stop: async () => {
      await cleanup([alice, bob])
      await server?.kill()
      if (server != null) await rm(server.home, { recursive: true, force: true })
      await rm(files, { recursive: true, force: true })
    }
  }
}
