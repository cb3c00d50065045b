import { rm } from 'node:fs/promises'
import { ControlClient } from '../../node/control/client.js'
import { BIN, introduce, makeUser } from '../../test/helpers/cli.js'
import { deadline, onInterrupt, spawnWithReadyLine } from './proc.js'
import type { LineProcess } from './proc.js'
import type { NodeEvent } from '../../node/events.js'
import type { User } from '../../test/helpers/cli.js'

export interface BenchUser {
  user: User
  daemon: LineProcess
  /** A control connection subscribed to the daemon's events. */
  events: ControlClient
  /** Control connections for requests (several, so enqueueing is not serialised on one socket). */
  control: ControlClient[]
}

export interface Pair {
  alice: BenchUser
  bob: BenchUser
  close(): Promise<void>
}

/**
 * Start `peerpost daemon` for a user on 127.0.0.1 (its reserved port). With `profileDir`
 * the daemon runs under `--cpu-prof` and writes its profile there when it stops.
 */
export async function startBenchDaemon (user: User, profileDir?: string): Promise<LineProcess> {
  const nodeArgs = profileDir == null ? [] : ['--cpu-prof', '--cpu-prof-dir', profileDir, '--cpu-prof-name', `${user.name}-${Date.now()}.cpuprofile`]
  return spawnWithReadyLine(process.execPath, [...nodeArgs, BIN, '--home', user.home, '--json', 'daemon', '--listen', `/ip4/127.0.0.1/tcp/${user.port}`], { readyMs: 30_000 })
}

export async function connectUser (user: User, daemon: LineProcess, controls: number): Promise<BenchUser> {
  const events = await ControlClient.connect(user.home)
  const control: ControlClient[] = []
  for (let i = 0; i < controls; i++) control.push(await ControlClient.connect(user.home))
  return { user, daemon, events, control }
}

/**
 * alice and bob, each with a fresh home and a running daemon, contacts of each other.
 * Everything they hold lives in temp dirs removed by `close()`.
 */
export async function startPair (options: { profileDir?: string, controls?: number } = {}): Promise<Pair> {
  const users = [await makeUser('alice'), await makeUser('bob')]
  const daemons: LineProcess[] = []
  // Registered before the daemons, so on an interruption it runs after they are killed.
  const unregister = onInterrupt(async () => { for (const u of users) await rm(u.home, { recursive: true, force: true }) })
  try {
    for (const u of users) daemons.push(await startBenchDaemon(u, options.profileDir))
    await introduce(users)
    const alice = await connectUser(users[0]!, daemons[0]!, options.controls ?? 4)
    const bob = await connectUser(users[1]!, daemons[1]!, 1)
    return {
      alice,
      bob,
      close: async () => {
        for (const b of [alice, bob]) { b.events.close(); for (const c of b.control) c.close() }
        // SIGTERM so that a --cpu-prof daemon writes its profile on the way out.
        for (const d of daemons) await d.stop(30_000)
        for (const u of users) await rm(u.home, { recursive: true, force: true })
        unregister()
      }
    }
  } catch (err) {
    for (const d of daemons) await d.stop(5_000).catch(() => {})
    for (const u of users) await rm(u.home, { recursive: true, force: true })
    unregister()
    throw err
  }
}

/** Subscribe to a daemon's events; the subscription lives as long as the client. */
export async function onEvents (client: ControlClient, listener: (event: NodeEvent) => void): Promise<void> {
  await client.subscribe(listener)
}

/** About `bytes` of plain ASCII text in 72-character lines (so MIME needs no re-encoding). */
export function textOfSize (bytes: number): string {
  const line = 'The quick brown fox jumps over the lazy dog; peerpost bench payload text.'.slice(0, 71) + '\n'
  let s = ''
  while (s.length + line.length <= bytes) s += line
  return s + 'x'.repeat(bytes - s.length)
}

/**
 * Send one message from alice to bob through a control connection; resolves with the
 * outbox id once it is queued durably (not yet delivered).
 */
export async function sendOne (client: ControlClient, text: string, subject: string): Promise<string> {
  const r = await client.call<{ id: string }>('send', { request: { to: ['bob'], subject, text } })
  return r.id
}

/**
 * A condition re-checked on every `poke()` (call it from event listeners); `wait(ms)`
 * resolves once it holds, or rejects after `ms` counted from the call to `wait`.
 */
export function condition (check: () => boolean): { wait: (ms: number, what: string) => Promise<void>, poke: () => void } {
  let resolve: (() => void) | undefined
  const holds = new Promise<void>(r => { resolve = r })
  const poke = (): void => { if (check()) resolve?.() }
  return { wait: async (ms, what) => { poke(); await deadline(holds, ms, what) }, poke }
}
