/**
 * deposit: SENDERS concurrent senders (distinct libp2p nodes in one process) deposit COUNT
 * envelopes of 4 KiB into one cache server, each receipted only after the server's synced
 * write; from the first dial to the last receipt. Baseline in the same run: Postfix
 * accepting the same count and size from SENDERS SMTP sessions (`smtp-source` until it
 * exits: every message answered 250, i.e. queued with fsync), not waiting for delivery.
 */
import { fileURLToPath } from 'node:url'
import { serverAddr } from '../test/helpers/offline.js'
import { startBenchCacheServer } from './lib/cache.js'
import { startPostfix } from './lib/postfix.js'
import { mustRun } from './lib/proc.js'
import { median, round } from './lib/stats.js'
import { row } from './types.js'
import type { BenchContext, Benchmark, ResultRow } from './types.js'

export const DEPOSIT_COUNT = 5_000
export const DEPOSIT_BYTES = 4_096
export const DEPOSIT_SENDERS = 50
const RUN_TIMEOUT_MS = 600_000
const DEPOSITOR = fileURLToPath(new URL('./lib/depositor.js', import.meta.url))
/** 50 nodes connect from 127.0.0.1 at once: above the per-IP rate a real deployment sees from one address. */
const SERVER_CONFIG = { connections: { inboundConnectionThreshold: 1_000, maxIncomingPendingConnections: 500 } }

/** One repetition on a fresh cache server; ms from the first dial to the last receipt. */
async function peerpostDeposit (count: number): Promise<number> {
  const cache = await startBenchCacheServer(SERVER_CONFIG)
  try {
    const out = await mustRun(process.execPath, [DEPOSITOR, cache.server.peerId, serverAddr(cache.server), String(DEPOSIT_SENDERS), String(count), String(DEPOSIT_BYTES)], { timeoutMs: RUN_TIMEOUT_MS })
    const r = JSON.parse(out) as { ms: number, ok: number, failed: number, errors: Record<string, number> }
    if (r.failed > 0 || r.ok !== count) throw new Error(`${r.failed} of ${count} deposits failed: ${JSON.stringify(r.errors)}`)
    const held = await cache.metric('peerpost_parked_envelopes')
    if (held !== count) throw new Error(`the server holds ${held} envelopes after ${count} receipted deposits`)
    return r.ms
  } finally {
    await cache.stop()
  }
}

export const deposit: Benchmark = {
  name: 'deposit',
  description: `${DEPOSIT_SENDERS} concurrent senders deposit ${DEPOSIT_COUNT} x 4 KiB into one cache server, synced before receipt; vs Postfix accepting from ${DEPOSIT_SENDERS} sessions`,
  async run (ctx: BenchContext): Promise<ResultRow[]> {
    const count = Math.max(DEPOSIT_SENDERS * 2, Math.round(DEPOSIT_COUNT * ctx.scale))
    const peerpostMs: number[] = []
    const postfixMs: number[] = []
    const postfix = await startPostfix(ctx.log)
    try {
      for (let r = 0; r < ctx.repeats; r++) {
        const p = await peerpostDeposit(count)
        peerpostMs.push(p)
        ctx.log(`deposit ${r + 1}/${ctx.repeats}: cache server ${round(count / p * 1000, 1)} msgs/s`)
        const pf = await postfix.accept(count, DEPOSIT_BYTES, DEPOSIT_SENDERS, RUN_TIMEOUT_MS)
        postfixMs.push(pf)
        ctx.log(`deposit ${r + 1}/${ctx.repeats}: postfix accepted ${round(count / pf * 1000, 1)} msgs/s`)
      }
    } finally {
      await postfix.stop()
    }
    const rate = (ms: number): number => count / ms * 1000
    const detail = {
      count,
      bytes: DEPOSIT_BYTES,
      senders: DEPOSIT_SENDERS,
      peerpostMsgsPerSec: peerpostMs.map(ms => round(rate(ms), 1)),
      postfixAcceptedMsgsPerSec: postfixMs.map(ms => round(rate(ms), 1))
    }
    return [
      row({ benchmark: 'deposit', label: `cache server deposits/s (${DEPOSIT_SENDERS} senders, receipt after sync) vs Postfix accepted/s (${DEPOSIT_SENDERS} sessions)`, figure: median(peerpostMs.map(rate)), unit: 'msgs/s', baseline: { value: median(postfixMs.map(rate)), unit: 'msgs/s', name: 'Postfix accepted' }, target: { op: '>=', value: 2 }, detail })
    ]
  }
}
