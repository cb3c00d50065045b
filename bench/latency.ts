/**
 * latency: one 4 KiB message at a time from alice to bob, whose daemons are connected
 * already; from the `send` call on alice's control socket to bob's `mail:received` event
 * (stored durably), and to alice's `delivered` event (receipt verified). Baseline in the
 * same run: a bare libp2p round trip of the same bytes on an open connection, on one
 * open stream (the target) and on a new stream per request (for information).
 */
import { bareLatency, startBareServer } from './lib/bare.js'
import { onEvents, sendOne, startPair, textOfSize } from './lib/peerpost.js'
import { deadline } from './lib/proc.js'
import { median, percentile, round } from './lib/stats.js'
import { row } from './types.js'
import type { BenchContext, Benchmark, ResultRow } from './types.js'
import type { NodeEvent } from '../node/events.js'

export const LATENCY_SAMPLES = 200
export const LATENCY_BYTES = 4_096
const ONE_MESSAGE_TIMEOUT_MS = 30_000

interface Samples { queued: number[], stored: number[], receipted: number[] }

async function peerpostLatency (ctx: BenchContext, count: number, size: number): Promise<Samples> {
  const pair = await startPair({ profileDir: ctx.profileDir, controls: 1 })
  try {
    const text = textOfSize(size)
    let received = 0
    // When each event arrived: bob usually stores a message before alice's send call has
    // answered (delivery starts while her outbox write syncs), so the time is taken when the
    // event comes, not when the loop gets to look for it after the call returns.
    const storedAt: number[] = []
    const delivered = new Map<string, number>()
    let onChange: (() => void) | undefined
    await onEvents(pair.bob.events, (e: NodeEvent) => { if (e.type === 'mail:received') { received++; storedAt.push(performance.now()); onChange?.() } })
    await onEvents(pair.alice.events, (e: NodeEvent) => {
      if (e.type === 'outbox:recipient' && (e.data as { state: string }).state === 'delivered') { delivered.set((e.data as { id: string }).id, performance.now()); onChange?.() }
    })
    const until = async (check: () => boolean, what: string): Promise<void> => {
      if (check()) return
      await deadline(new Promise<void>(resolve => { onChange = () => { if (check()) resolve() } }), ONE_MESSAGE_TIMEOUT_MS, what)
      onChange = undefined
    }
    const client = pair.alice.control[0]!
    // Warm-up: the first message dials bob; the samples are on the open connection.
    const warm = await sendOne(client, text, 'warm-up')
    await until(() => delivered.has(warm) && received >= 1, 'the warm-up message')

    const samples: Samples = { queued: [], stored: [], receipted: [] }
    for (let i = 0; i < count; i++) {
      const want = received + 1
      const start = performance.now()
      const id = await sendOne(client, text, `latency ${i}`)
      samples.queued.push(performance.now() - start)
      await until(() => received >= want, `message ${i} stored`)
      samples.stored.push(storedAt[want - 1]! - start)
      await until(() => delivered.has(id), `message ${i} receipted`)
      samples.receipted.push(delivered.get(id)! - start)
    }
    return samples
  } finally {
    await pair.close()
  }
}

export const latency: Benchmark = {
  name: 'latency',
  description: `${LATENCY_SAMPLES} sequential 4 KiB messages to an online, connected recipient, send to stored; vs a bare libp2p round trip`,
  async run (ctx: BenchContext): Promise<ResultRow[]> {
    const count = Math.max(20, Math.round(LATENCY_SAMPLES * ctx.scale))
    const runs: Array<Samples & { same: number[], fresh: number[] }> = []
    const bare = await startBareServer()
    try {
      for (let r = 0; r < ctx.repeats; r++) {
        const p = await peerpostLatency(ctx, count, LATENCY_BYTES)
        const same = await bareLatency(bare, count, LATENCY_BYTES, 'same')
        const fresh = await bareLatency(bare, count, LATENCY_BYTES, 'fresh')
        runs.push({ ...p, same, fresh })
        ctx.log(`latency ${r + 1}/${ctx.repeats}: peerpost p50 ${round(percentile(p.stored, 50))} ms stored, ${round(percentile(p.receipted, 50))} ms receipted; bare p50 ${round(percentile(same, 50), 3)} ms (open stream), ${round(percentile(fresh, 50), 3)} ms (new stream)`)
      }
    } finally {
      await bare.stop()
    }
    const m = (pick: (x: typeof runs[number]) => number[], p: number): number => median(runs.map(x => percentile(pick(x), p)))
    const detail = {
      count,
      bytes: LATENCY_BYTES,
      queuedP50: runs.map(x => round(percentile(x.queued, 50), 3)),
      storedP50: runs.map(x => round(percentile(x.stored, 50), 3)),
      storedP99: runs.map(x => round(percentile(x.stored, 99), 3)),
      receiptedP50: runs.map(x => round(percentile(x.receipted, 50), 3)),
      bareSameStreamP50: runs.map(x => round(percentile(x.same, 50), 3)),
      bareSameStreamP99: runs.map(x => round(percentile(x.same, 99), 3)),
      bareNewStreamP50: runs.map(x => round(percentile(x.fresh, 50), 3))
    }
    return [
      row({ benchmark: 'latency', label: 'p50 send to stored vs bare round trip (open stream)', figure: m(x => x.stored, 50), unit: 'ms', baseline: { value: m(x => x.same, 50), unit: 'ms', name: 'bare libp2p p50' }, target: { op: '<=', value: 3 }, detail }),
      row({ benchmark: 'latency', label: 'p99 send to stored vs bare round trip p99 (open stream)', figure: m(x => x.stored, 99), unit: 'ms', baseline: { value: m(x => x.same, 99), unit: 'ms', name: 'bare libp2p p99' } }),
      row({ benchmark: 'latency', label: 'p50 send to stored vs bare round trip on a new stream', figure: m(x => x.stored, 50), unit: 'ms', baseline: { value: m(x => x.fresh, 50), unit: 'ms', name: 'bare libp2p p50, new stream' } }),
      row({ benchmark: 'latency', label: 'p50 send call answered (composed, sealed, queued durably on alice)', figure: m(x => x.queued, 50), unit: 'ms' }),
      row({ benchmark: 'latency', label: 'p50 send to receipt verified (alice)', figure: m(x => x.receipted, 50), unit: 'ms' })
    ]
  }
}
