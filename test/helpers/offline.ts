import { spawn } from 'node:child_process'
import { BIN, deadline, runJson } from './cli.js'
import type { DaemonProcess, User } from './cli.js'
import type { CacheServerProcess } from './cache-server.js'

/** Node config for tests: heartbeats, reconnects and retries in a fraction of a second. */
export const FAST_NODE = {
  servers: { heartbeatMs: 300, reconnectBaseMs: 200, reconnectMaxMs: 1_000 },
  outbox: { retryBaseMs: 300, retryMaxMs: 2_000, dialTimeoutMs: 2_000 }
}

/** Cache server config for tests: a node without heartbeat is offline after 1.5 s. */
export const FAST_SERVER = { presence: { timeoutMs: 1_500, sweepIntervalMs: 200 } }

/** The server's address as a node configures it: `/ip4/127.0.0.1/tcp/PORT/p2p/PEERID`. */
export function serverAddr (server: CacheServerProcess): string {
  const tcp = server.addrs.find(a => a.includes('/tcp/') && a.includes('127.0.0.1')) ?? server.addrs[0]!
  return tcp.includes('/p2p/') ? tcp : `${tcp}/p2p/${server.peerId}`
}

/** `peerpost servers add` (no daemon needed). */
export async function useServers (user: User, servers: CacheServerProcess[]): Promise<void> {
  for (const s of servers) await runJson(user.home, ['servers', 'add', serverAddr(s)])
}

/**
 * Start `peerpost daemon` listening on `listen` (default: the user's reserved port on
 * 127.0.0.1; `['/p2p-circuit']` for a node reachable only through its server's relay).
 */
export async function startNode (user: User, options: { listen?: string[], timeoutMs?: number } = {}): Promise<DaemonProcess> {
  const listen = options.listen ?? [`/ip4/127.0.0.1/tcp/${user.port}`]
  const proc = spawn(process.execPath, [BIN, '--home', user.home, '--json', 'daemon', ...listen.flatMap(l => ['--listen', l])], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  proc.stderr?.on('data', (d: Buffer) => { stderr += d.toString() })
  const exited = new Promise<number | null>(resolve => { proc.once('exit', code => { resolve(code) }) })
  const ready = new Promise<{ peerId: string, addrs: string[] }>((resolve, reject) => {
    let buf = ''
    proc.stdout?.on('data', (d: Buffer) => {
      buf += d.toString()
      const nl = buf.indexOf('\n')
      if (nl !== -1) {
        try { resolve(JSON.parse(buf.slice(0, nl))) } catch (err) { reject(err) }
      }
    })
    void exited.then(code => { reject(new Error(`daemon exited (${code}) before ready: ${stderr.trim()}`)) })
  })
  const info = await deadline(ready, options.timeoutMs ?? 20_000, `daemon of ${user.name}`)
  const gone = (): boolean => proc.exitCode != null || proc.signalCode != null
  const daemon: DaemonProcess = {
    ...info,
    proc,
    stop: async () => {
      if (gone()) return proc.exitCode
      proc.kill('SIGTERM')
      return deadline(exited, 15_000, 'daemon to stop')
    },
    kill: async () => {
      if (gone()) return
      proc.kill('SIGKILL')
      await deadline(exited, 10_000, 'daemon to die')
    }
  }
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
