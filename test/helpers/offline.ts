import { rm } from 'node:fs/promises'
import { BUILT, cleanup, introduce, makeUser, runJson, tempDir } from './cli.js'
import { startCacheServer } from './cache-server.js'
import { spawnReady } from './ready-process.js'
import type { DaemonProcess, User } from './cli.js'
import type { CacheServerProcess } from './cache-server.js'

/** Node config for tests: heartbeats, reconnects and retries in a fraction of a second. */
export const FAST_NODE = {
  servers: { heartbeatMs: 300, reconnectBaseMs: 200, reconnectMaxMs: 1_000 },
  outbox: { retryBaseMs: 300, retryMaxMs: 2_000, dialTimeoutMs: 2_000 }
}

/** Cache server config for tests: a node without heartbeat is offline after 1.5 s. */
export const FAST_SERVER = { presence: { timeoutMs: 1_500, sweepIntervalMs: 200 } }

/** What a node needs of a cache server, a process or one started in the test's own (cache-server/server.ts). */
export type ServerAddrs = Pick<CacheServerProcess, 'peerId' | 'addrs'>

/** The server's address as a node configures it: `/ip4/127.0.0.1/tcp/PORT/p2p/PEERID`. */
export function serverAddr (server: ServerAddrs): string {
  const tcp = server.addrs.find(a => a.includes('/tcp/') && a.includes('127.0.0.1')) ?? server.addrs[0]!
  return tcp.includes('/p2p/') ? tcp : `${tcp}/p2p/${server.peerId}`
}

/** `peerpost servers add` (no daemon needed). */
export async function useServers (user: User, servers: ServerAddrs[]): Promise<void> {
  for (const s of servers) await runJson(user.home, ['servers', 'add', serverAddr(s)], user.command)
}

/**
 * Start `peerpost daemon` (the user's `command`, default the built one) listening on
 * `listen` (default: the user's reserved port on 127.0.0.1; `['/p2p-circuit']` for a node
 * reachable only through its server's relay).
 */
export async function startNode (user: User, options: { listen?: string[], timeoutMs?: number } = {}): Promise<DaemonProcess> {
  const listen = options.listen ?? [`/ip4/127.0.0.1/tcp/${user.port}`]
  const command = user.command ?? BUILT
  const p = await spawnReady<{ peerId: string, addrs: string[] }>(command.file, [...command.args, '--home', user.home, '--json', 'daemon', ...listen.flatMap(l => ['--listen', l])], { what: `daemon of ${user.name}`, timeoutMs: options.timeoutMs })
  const daemon: DaemonProcess = { ...p.info, proc: p.proc, stderr: p.stderr, stop: p.stop, kill: p.kill }
  user.daemon = daemon
  return daemon
}

/** The status of one recipient of one outbox entry, as `status --json` reports it. */
export async function recipientState (user: User, entryId: string, address: string): Promise<any> {
  const status = await runJson(user.home, ['status'])
  return status.outbox.find((e: any) => e.id === entryId)?.recipients.find((r: any) => r.address === address)
}

/** How many copies of a message (by Message-ID) sit in a user's inbox. */
export async function inboxCopies (user: User, messageId: string): Promise<number> {
  const inbox = await runJson<any[]>(user.home, ['list', '--limit', '1000'])
  return inbox.filter(m => m.messageId === messageId).length
}

/**
 * Users with fresh homes (FAST_NODE unless `configs` names one), using `servers` as home
 * servers, online and each other's contacts.
 *
 * @example const [alice, bob, carol] = await onlineContacts(['alice', 'bob', 'carol'])
 */
export async function onlineContacts (names: string[], options: { configs?: Record<string, unknown>, servers?: ServerAddrs[] } = {}): Promise<User[]> {
  const users: User[] = []
  try {
    for (const name of names) users.push(await makeUser(name, { config: options.configs?.[name] ?? FAST_NODE }))
    for (const user of users) {
      await useServers(user, options.servers ?? [])
      await startNode(user)
    }
    await introduce(users)
    return users
  } catch (err) {
    // The caller never gets these users: stop the daemons started so far and remove the homes here.
    await cleanup(users)
    throw err
  }
}

/**
 * A cache server (FAST_SERVER plus `server`) and alice and bob, both using it as their home
 * server, online and each other's contacts. `stop` kills and removes all three.
 */
export async function pairOnServer (options: { server?: Record<string, any>, alice?: unknown, bob?: unknown } = {}): Promise<{ server: CacheServerProcess, alice: User, bob: User, stop: () => Promise<void> }> {
  const server = await startCacheServer(await tempDir('cache'), { config: { ...FAST_SERVER, ...options.server } })
  let users: User[]
  try {
    users = await onlineContacts(['alice', 'bob'], { configs: { alice: options.alice, bob: options.bob }, servers: [server] })
  } catch (err) {
    await server.kill()
    await rm(server.home, { recursive: true, force: true })
    throw err
  }
  const [alice, bob] = users as [User, User]
  return {
    server,
    alice,
    bob,
    stop: async () => {
      await cleanup([alice, bob])
      await server.kill()
      await rm(server.home, { recursive: true, force: true })
    }
  }
}
