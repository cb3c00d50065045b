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
/**
 * Processes the senders are spread over. Their client work (Noise, receipt verification:
 * ~80% of one core in one process) shares the machine with the server, as Postfix's 50
 * smtpd processes share it with smtp-source; two processes let the senders use both cores.
 */
export const DEPOSIT_PROCESSES = 2
const RUN_TIMEOUT_MS = 600_000
/** Time the sender processes get to start their nodes before they all begin. */
const START_DELAY_MS = 10_000
const DEPOSITOR = fileURLToPath(new URL('./lib/depositor.js', import.meta.url))
/** 50 nodes connect from 127.0.0.1 at once: above the per-IP rate a real deployment sees from one address. */
const SERVER_CONFIG = { connections: { inboundConnectionThreshold: 1_000, maxIncomingPendingConnections: 500 } }

/** One repetition on a fresh cache server; ms from the first dial to the last receipt. */
async function peerpostDeposit (count: number, log: (m: string) => void): Promise<number> {
  const cache = await startBenchCacheServer(SERVER_CONFIG)
  try {
    // Each process starts its nodes, then waits for the start time so all senders begin together.
    const startAt = Date.now() + START_DELAY_MS
    const outs = await Promise.all(Array.from({ length: DEPOSIT_PROCESSES }, async (_, p) => {
      const senders = Math.floor(DEPOSIT_SENDERS / DEPOSIT_PROCESSES) + (p < DEPOSIT_SENDERS % DEPOSIT_PROCESSES ? 1 : 0)
      const share = Math.floor(count / DEPOSIT_PROCESSES) + (p < count % DEPOSIT_PROCESSES ? 1 : 0)
      const out = await mustRun(process.execPath, [DEPOSITOR, cache.server.peerId, serverAddr(cache.server), String(senders), String(share), String(DEPOSIT_BYTES), String(startAt)], { timeoutMs: RUN_TIMEOUT_MS })
      return JSON.parse(out) as { start: number, end: number, ok: number, failed: number, retried: number, errors: Record<string, number> }
    }))
    const retried = outs.reduce((n, r) => n + r.retried, 0)
    if (retried > 0) log(`deposit: ${retried} deposits retried after a failed attempt (counted in the time)`)
    const ok = outs.reduce((n, r) => n + r.ok, 0)
    const failed = outs.reduce((n, r) => n + r.failed, 0)
    if (failed > 0 || ok !== count) throw new Error(`${failed} of ${count} deposits failed: ${JSON.stringify(outs.map(r => r.errors))}`)
    const held = await cache.metric('peerpost_parked_envelopes')
    if (held !== count) throw new Error(`the server holds ${held} envelopes after ${count} receipted deposits`)
    // From the first sender's start to the last receipt, on the machine's clock.
    return Math.max(...outs.map(r => r.end)) - Math.min(...outs.map(r => r.start))
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
        const p = await peerpostDeposit(count, ctx.log)
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
