/**
 * backlog: bob was offline while COUNT messages of 4 KiB were parked for him on his home
 * server (a real cache server process); the time from starting his daemon (spawning the
 * process) to all COUNT stored in his inbox, each durably (his `mail:received` events,
 * plus what his inbox already holds when his control socket first answers). No baseline:
 * the target is a fixed bar of 2 s, given as the baseline.
 */
import { rm } from 'node:fs/promises'
import { ControlClient } from '../node/control/client.js'
import { introduce, makeUser } from '../test/helpers/cli.js'
import { serverAddr } from '../test/helpers/offline.js'
import { startBenchCacheServer } from './lib/cache.js'
import { condition, connectUser, onEvents, sendOne, startBenchDaemon, textOfSize } from './lib/peerpost.js'
import { cpuMs, deadline, onInterrupt } from './lib/proc.js'
import { median, round } from './lib/stats.js'
import { row } from './types.js'
import type { BenchContext, Benchmark, ResultRow } from './types.js'
import type { NodeEvent } from '../node/events.js'
import type { User } from '../test/helpers/cli.js'
import type { LineProcess } from './lib/proc.js'

export const BACKLOG_COUNT = 1_000
export const BACKLOG_BYTES = 4_096
export const BACKLOG_TARGET_MS = 2_000
/** `send` calls in flight on alice's control sockets while parking. */
const SEND_CONCURRENCY = 8
const PARK_TIMEOUT_MS = 300_000
const RETRIEVE_TIMEOUT_MS = 120_000
/** A node without heartbeat is offline after this; only matters if bob's goodbye is lost. */
const SERVER_CONFIG = { presence: { timeoutMs: 3_000, sweepIntervalMs: 500 } }

interface BacklogRun {
  /** Spawning bob's daemon to all stored. */
  ms: number
  /** Spawning bob's daemon to its ready line. */
  readyMs: number
  /** Spawning bob's daemon to his first message stored. */
  firstMs: number
  /** CPU time bob's daemon used from its start to all stored (the rest of `ms` was waiting). */
  cpuMs: number
}

/** The inbox ids bob holds now (all pages). */
async function inboxIds (client: ControlClient, into: Set<string>): Promise<void> {
  let cursor: string | undefined
  for (let page = 0; page < 100; page++) {
    const r = await client.call<{ items: Array<{ id: string }>, next?: string }>('list', { folder: 'inbox', limit: 1000, ...(cursor == null ? {} : { cursor }) })
    for (const m of r.items) into.add(m.id)
    cursor = r.next
    if (cursor == null) return
  }
}

async function oneRun (ctx: BenchContext, count: number): Promise<BacklogRun> {
  const cache = await startBenchCacheServer(SERVER_CONFIG)
  const users: User[] = []
  const daemons: LineProcess[] = []
  const clients: ControlClient[] = []
  const unregister = onInterrupt(async () => { for (const u of users) await rm(u.home, { recursive: true, force: true }) })
  try {
    for (const name of ['alice', 'bob']) {
      const u = await makeUser(name, { config: { homeServers: [serverAddr(cache.server)] } })
      users.push(u)
    }
    const [alice, bob] = users as [User, User]
    const aliceDaemon = await startBenchDaemon(alice)
    daemons.push(aliceDaemon)
    let bobDaemon = await startBenchDaemon(bob)
    daemons.push(bobDaemon)
    await introduce(users)
    // bob leaves (his daemon tells the server he is offline on the way out).
    await bobDaemon.stop(30_000)

    // alice sends; her router finds bob offline and parks every message on his server.
    const a = await connectUser(alice, aliceDaemon, 4)
    clients.push(a.events, ...a.control)
    const parked = new Set<string>()
    let failed: string | undefined
    const allParked = condition(() => failed != null || parked.size >= count)
    await onEvents(a.events, (e: NodeEvent) => {
      if (e.type !== 'outbox:recipient') return
      const d = e.data as { id: string, state: string, error?: string }
      if (d.state === 'parked') parked.add(d.id)
      else if (d.state === 'failed' || d.state === 'delivered') failed = `${d.id} ${d.state}: ${d.error ?? ''}`
      allParked.poke()
    })
    const text = textOfSize(BACKLOG_BYTES)
    let next = 0
    await Promise.all(Array.from({ length: SEND_CONCURRENCY }, async (_, w) => {
      const client = a.control[w % a.control.length]!
      while (next < count) { const i = next++; await sendOne(client, text, `backlog ${i}`) }
    }))
    await allParked.wait(PARK_TIMEOUT_MS, `${count} messages parked`)
    if (failed != null) throw new Error(`not parked: ${failed}`)
    const held = await cache.metric('peerpost_parked_envelopes')
    if (held !== count) throw new Error(`the cache server holds ${held} envelopes, expected ${count}`)
    // alice is done: only bob and his server work while we measure.
    for (const c of clients.splice(0)) c.close()
    await aliceDaemon.stop(30_000)
    ctx.log(`backlog: ${count} parked on the cache server; starting bob`)

    // Measured: bob's daemon from spawn to every message stored.
    const stored = new Set<string>()
    const start = performance.now()
    bobDaemon = await startBenchDaemon(bob, ctx.profileDir)
    daemons.push(bobDaemon)
    const readyMs = performance.now() - start
    const b = await connectUser(bob, bobDaemon, 1)
    clients.push(b.events, ...b.control)
    const all = condition(() => stored.size >= count)
    let end = 0
    let first = 0
    await onEvents(b.events, (e: NodeEvent) => {
      if (e.type !== 'mail:received') return
      if (first === 0) first = performance.now()
      stored.add((e.data as { id: string }).id)
      if (stored.size >= count && end === 0) end = performance.now()
      all.poke()
    })
    // Whatever landed before the subscription.
    await inboxIds(b.control[0]!, stored)
    if (stored.size >= count && end === 0) end = performance.now()
    await all.wait(RETRIEVE_TIMEOUT_MS, `bob to store ${count} parked messages`)
    const ms = end - start
    const cpu = await cpuMs(bobDaemon.proc.pid!)
    // Stored before the subscription: the first event came later than the first store.
    const firstMs = first === 0 ? ms : first - start
    // Acks follow the stores; the server is empty once bob has acked everything (not timed).
    await deadline((async () => { while (await cache.metric('peerpost_parked_envelopes') > 0) await new Promise(resolve => setTimeout(resolve, 50)) })(), 30_000, 'the server to hold nothing after bob\'s acks')
    if (stored.size !== count) throw new Error(`bob stored ${stored.size} messages, expected ${count}`)
    return { ms, readyMs, firstMs, cpuMs: cpu }
  } finally {
    for (const c of clients) c.close()
    for (const d of daemons) await d.stop(30_000).catch(() => {})
    await cache.stop()
    for (const u of users) await rm(u.home, { recursive: true, force: true })
    unregister()
  }
}

export const backlog: Benchmark = {
  name: 'backlog',
  description: `bob's daemon starts with ${BACKLOG_COUNT} x 4 KiB parked for him on a cache server; start to all stored`,
  async run (ctx: BenchContext): Promise<ResultRow[]> {
    const count = Math.max(50, Math.round(BACKLOG_COUNT * ctx.scale))
    const runs: BacklogRun[] = []
    for (let r = 0; r < ctx.repeats; r++) {
      const run = await oneRun(ctx, count)
      runs.push(run)
      ctx.log(`backlog ${r + 1}/${ctx.repeats}: ${Math.round(run.ms)} ms to ${count} stored (daemon ready after ${Math.round(run.readyMs)} ms, first stored seen at ${Math.round(run.firstMs)} ms; bob's CPU ${Math.round(run.cpuMs)} ms)`)
    }
    const detail = { count, bytes: BACKLOG_BYTES, ms: runs.map(r => round(r.ms, 0)), readyMs: runs.map(r => round(r.readyMs, 0)), firstMs: runs.map(r => round(r.firstMs, 0)), cpuMs: runs.map(r => round(r.cpuMs, 0)) }
    return [
      row({ benchmark: 'backlog', label: `daemon start to ${count} parked messages stored`, figure: median(runs.map(r => r.ms)), unit: 'ms', baseline: { value: BACKLOG_TARGET_MS, unit: 'ms', name: 'target 2 s' }, target: { op: '<=', value: 1 }, detail }),
      row({ benchmark: 'backlog', label: 'of which: daemon start to ready (process start, open the home, libp2p up)', figure: median(runs.map(r => r.readyMs)), unit: 'ms' }),
      row({ benchmark: 'backlog', label: 'stored per second after the daemon is ready', figure: median(runs.map(r => count / (r.ms - r.readyMs) * 1000)), unit: 'msgs/s' }),
      row({ benchmark: 'backlog', label: 'CPU time of bob\'s daemon from start to all stored', figure: median(runs.map(r => r.cpuMs)), unit: 'ms' })
    ]
  }
}
