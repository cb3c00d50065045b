/**
 * floors: the best figure each issue-8 target could reach if peerpost did nothing but the
 * work its design requires, on this machine, in this run. Where even that misses a
 * target, the target is out of reach of any implementation of the design here; where it
 * does not, the gap between the real figure and the ceiling is peerpost's own overhead.
 *
 * Required work (bench/lib/floor-probe.ts measures it alone, with the daemon's V8 flags):
 * per message, sealing and opening it and one durable write on each side; per MiB of a
 * large attachment, opening its chunks, the whole file's sha256, the receiver's O_DIRECT
 * writes and the sender's reads. Transport, measured in the same run with the same stack
 * as the daemons: the bare libp2p request/response (CPU of both processes), its round
 * trip on an open stream, and one raw libp2p stream (CPU of both processes).
 *
 * The ceilings are generous on purpose: CPU work is assumed to spread perfectly over every
 * core (the real processes do not: each daemon's JavaScript runs on one thread), and
 * nothing else (MIME, indexes, events, garbage collection) is counted. A second row for
 * delivery and for the attachment spreads the same work only over as many cores as the
 * transport alone keeps busy (its CPU time over its wall time): nearer what two processes
 * can do, and reported without a verdict.
 *
 * Delivery, latency and the attachment also have a measured row besides the sums: the
 * same exchanges with the required work on them in the two processes. bare-peer.ts
 * `required-` modes: the client seals each request to the server's identity, the server
 * opens it and commits it synced (group commit) before answering. bulk-peer.ts
 * `required-`: the raw stream carrying a sealed blob read from a file, chunks asked for 4
 * ahead, opened, hashed and written with O_DIRECT. The sums add each step as it costs
 * alone and warm, spread over every core; these rows are what the same steps cost in two
 * single-threaded processes, which is nearer what the daemons can reach.
 */
import { availableParallelism } from 'node:os'
import { rm } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { tempDir } from '../test/helpers/cli.js'
import { baselineRun } from './attachment.js'
import { BARE_WINDOW, DELIVERY_BYTES, DELIVERY_COUNT } from './delivery.js'
import { bareLatency, bareThroughputRun, requiredLatency, startBareServer, startRequiredServer } from './lib/bare.js'
import { BASELINE_NODE_ARGS, mustRun, onInterrupt } from './lib/proc.js'
import { median, round } from './lib/stats.js'
import { LATENCY_BYTES, LATENCY_SAMPLES } from './latency.js'
import { row } from './types.js'
import type { BenchContext, Benchmark, ResultRow } from './types.js'
import type { ProbeResult } from './lib/floor-probe.js'

const PROBE = fileURLToPath(new URL('./lib/floor-probe.js', import.meta.url))
const MiB = 1024 * 1024
/** The raw stream carries less than the attachment bench's 1 GiB: only its CPU per MiB and rate are used. */
const RAW_STREAM_BYTES = 512 * MiB
const PROBE_TIMEOUT_MS = 600_000

interface Transport { bareRate: number, requiredRate: number, requiredPullRate: number, requiredWorkerPullRate: number, bareCpuMsPerMessage: number, roundTripMs: number, requiredRoundTripMs: number, requiredStoredMs: number, rawRate: number, rawCpuMsPerMiB: number }

async function measureTransport (ctx: BenchContext): Promise<Transport> {
  const count = Math.max(500, Math.round(DELIVERY_COUNT * ctx.scale))
  const rtCount = Math.max(50, Math.round(LATENCY_SAMPLES * ctx.scale))
  const rawBytes = Math.max(64 * MiB, Math.round(RAW_STREAM_BYTES * ctx.scale / MiB) * MiB)
  const rates: number[] = []
  const cpu: number[] = []
  const rts: number[] = []
  const required: number[] = []
  const requiredStored: number[] = []
  const requiredRates: number[] = []
  const requiredPulls: number[] = []
  const requiredWorkerPulls: number[] = []
  const raw: Array<{ rate: number, cpu: number }> = []
  const dir = await tempDir('bench-floors-rt')
  const unregister = onInterrupt(async () => { await rm(dir, { recursive: true, force: true }) })
  const bare = await startBareServer()
  const withWork = await startRequiredServer(dir).catch(async (err: unknown) => { await bare.stop(); throw err })
  try {
    for (let r = 0; r < ctx.repeats; r++) {
      const t = await bareThroughputRun(bare, count, DELIVERY_BYTES, BARE_WINDOW)
      rates.push(count / (t.ms / 1000))
      cpu.push(t.cpuMs / count)
      rts.push(median(await bareLatency(bare, rtCount, LATENCY_BYTES, 'same')))
      const withWorkLatency = await requiredLatency(withWork, rtCount, LATENCY_BYTES)
      required.push(median(withWorkLatency.samples))
      requiredStored.push(median(withWorkLatency.stored))
      const w = await bareThroughputRun(withWork, count, DELIVERY_BYTES, BARE_WINDOW)
      requiredRates.push(count / (w.ms / 1000))
      const s = await baselineRun('libp2p', rawBytes)
      raw.push({ rate: rawBytes / MiB / (s.ms / 1000), cpu: (s.cpuMs.sender + s.cpuMs.receiver) / (rawBytes / MiB) })
      const pull = await baselineRun('required', rawBytes, dir)
      requiredPulls.push(rawBytes / MiB / (pull.ms / 1000))
      const workerPull = await baselineRun('required-worker', rawBytes, dir)
      requiredWorkerPulls.push(rawBytes / MiB / (workerPull.ms / 1000))
      ctx.log(`  floors ${r + 1}/${ctx.repeats}: bare ${Math.round(rates.at(-1)!)} msgs/s at ${round(cpu.at(-1)!, 3)} ms CPU each, ${Math.round(requiredRates.at(-1)!)} with the required work; round trip ${round(rts.at(-1)!, 3)} ms (${round(required.at(-1)!, 3)} with the required work, ${round(requiredStored.at(-1)!, 3)} of it to stored), raw stream ${Math.round(raw.at(-1)!.rate)} MiB/s at ${round(raw.at(-1)!.cpu, 2)} ms/MiB, ${Math.round(requiredPulls.at(-1)!)} with the required work (${Math.round(requiredWorkerPulls.at(-1)!)} with it in a worker thread)`)
    }
  } finally {
    await bare.stop()
    await withWork.stop()
    await rm(dir, { recursive: true, force: true })
    unregister()
  }
  return { bareRate: median(rates), requiredRate: median(requiredRates), requiredPullRate: median(requiredPulls), requiredWorkerPullRate: median(requiredWorkerPulls), bareCpuMsPerMessage: median(cpu), roundTripMs: median(rts), requiredRoundTripMs: median(required), requiredStoredMs: median(requiredStored), rawRate: median(raw.map(x => x.rate)), rawCpuMsPerMiB: median(raw.map(x => x.cpu)) }
}

async function probe (ctx: BenchContext): Promise<ProbeResult> {
  const dir = await tempDir('bench-floors')
  const unregister = onInterrupt(async () => { await rm(dir, { recursive: true, force: true }) })
  try {
    ctx.log('  floors: measuring sealing, opening, synced writes, chunk opening, sha256 and disk I/O alone')
    return JSON.parse(await mustRun(process.execPath, [...BASELINE_NODE_ARGS, PROBE, dir], { timeoutMs: PROBE_TIMEOUT_MS })) as ProbeResult
  } finally {
    await rm(dir, { recursive: true, force: true })
    unregister()
  }
}

export const floors: Benchmark = {
  name: 'floors',
  description: 'the best delivery rate, latency and attachment pull the design\'s required work allows here, against the same targets',
  async run (ctx: BenchContext): Promise<ResultRow[]> {
    const cores = availableParallelism()
    const t = await measureTransport(ctx)
    const p = await probe(ctx)
    // Delivery: transport + seal + open + one durable write on each side, spread over every core.
    const messageCpuMs = t.bareCpuMsPerMessage + (p.sealCpuUs + p.openCpuUs + 2 * p.storeCpuUs) / 1000
    const deliveryCeiling = cores * 1000 / messageCpuMs
    // Latency: seal, the one-way trip (half the round trip; the answer is the smaller leg), open, one synced write.
    const latencyFloor = p.sealMs + t.roundTripMs / 2 + p.openMs + p.syncWriteMs
    // Attachment: the raw stream's CPU + opening, hashing, writing and reading each MiB, spread over every core.
    const attachmentCpuMsPerMiB = t.rawCpuMsPerMiB + p.chunkOpenCpuMsPerMiB + p.sha256CpuMsPerMiB + p.directWriteCpuMsPerMiB + p.readCpuMsPerMiB
    const attachmentCeiling = cores * 1000 / attachmentCpuMsPerMiB
    // The same work at the parallelism the transport alone reaches (its CPU time over its wall
    // time): a realistic ceiling, where the rows above are upper bounds.
    const bareCores = t.bareCpuMsPerMessage * t.bareRate / 1000
    const rawCores = t.rawCpuMsPerMiB * t.rawRate / 1000
    const detail = { cores, bareCores: round(bareCores, 2), rawCores: round(rawCores, 2), transport: roundAll(t), required: roundAll(p), messageCpuMs: round(messageCpuMs, 3), attachmentCpuMsPerMiB: round(attachmentCpuMsPerMiB, 3) }
    return [
      row({ benchmark: 'floors', label: `delivery ceiling: ${cores} cores / (transport ${round(t.bareCpuMsPerMessage, 3)} + seal ${round(p.sealCpuUs / 1000, 3)} + open ${round(p.openCpuUs / 1000, 3)} + 2 durable writes ${round(2 * p.storeCpuUs / 1000, 3)} ms CPU per message)`, figure: round(deliveryCeiling, 0), unit: 'msgs/s', baseline: { value: round(t.bareRate, 0), unit: 'msgs/s', name: 'bare libp2p' }, target: { op: '>=', value: 0.5 }, detail }),
      row({ benchmark: 'floors', label: `the same at the ${round(bareCores, 2)} cores the bare transport keeps busy`, figure: round(bareCores * 1000 / messageCpuMs, 0), unit: 'msgs/s', baseline: { value: round(t.bareRate, 0), unit: 'msgs/s', name: 'bare libp2p' } }),
      row({ benchmark: 'floors', label: 'delivery with the required work in two processes: each message sealed, sent, opened and stored durably by the recipient (group-committed) before its answer, as many in flight as the bare run (no MIME, indexes, outbox or receipts)', figure: round(t.requiredRate, 0), unit: 'msgs/s', baseline: { value: round(t.bareRate, 0), unit: 'msgs/s', name: 'bare libp2p' }, target: { op: '>=', value: 0.5 } }),
      row({ benchmark: 'floors', label: `latency floor: seal ${round(p.sealMs, 3)} + one way ${round(t.roundTripMs / 2, 3)} + open ${round(p.openMs, 3)} + synced write ${round(p.syncWriteMs, 3)} ms`, figure: round(latencyFloor, 3), unit: 'ms', baseline: { value: round(t.roundTripMs, 3), unit: 'ms', name: 'bare round trip' }, target: { op: '<=', value: 3 } }),
      row({ benchmark: 'floors', label: 'latency with the required work in two processes: from the send to stored (sealed, sent, opened, written durably; the server\'s clock, one machine\'s; no MIME, indexes, outbox or control sockets)', figure: round(t.requiredStoredMs, 3), unit: 'ms', baseline: { value: round(t.roundTripMs, 3), unit: 'ms', name: 'bare round trip' }, target: { op: '<=', value: 3 } }),
      row({ benchmark: 'floors', label: 'the same to its answer back (one round trip)', figure: round(t.requiredRoundTripMs, 3), unit: 'ms', baseline: { value: round(t.roundTripMs, 3), unit: 'ms', name: 'bare round trip' } }),
      row({ benchmark: 'floors', label: `attachment ceiling: ${cores} cores / (raw stream ${round(t.rawCpuMsPerMiB, 2)} + chunk open ${round(p.chunkOpenCpuMsPerMiB, 2)} + sha256 ${round(p.sha256CpuMsPerMiB, 2)} + write ${round(p.directWriteCpuMsPerMiB, 2)} + read ${round(p.readCpuMsPerMiB, 2)} ms CPU per MiB)`, figure: round(attachmentCeiling, 0), unit: 'MiB/s', baseline: { value: round(t.rawRate, 0), unit: 'MiB/s', name: 'raw libp2p stream' }, target: { op: '>=', value: 0.8 } }),
      row({ benchmark: 'floors', label: `the same at the ${round(rawCores, 2)} cores the raw stream keeps busy`, figure: round(rawCores * 1000 / attachmentCpuMsPerMiB, 0), unit: 'MiB/s', baseline: { value: round(t.rawRate, 0), unit: 'MiB/s', name: 'raw libp2p stream' } }),
      row({ benchmark: 'floors', label: 'attachment with the required work in two processes: sealed chunks read from a file, asked for 4 ahead, opened, hashed and written with O_DIRECT (no records, progress or framing)', figure: round(t.requiredPullRate, 0), unit: 'MiB/s', baseline: { value: round(t.rawRate, 0), unit: 'MiB/s', name: 'raw libp2p stream' }, target: { op: '>=', value: 0.8 } }),
      row({ benchmark: 'floors', label: 'the same with the opening, hashing and writing in a worker thread (the receiver\'s main thread only receives and hands each chunk over)', figure: round(t.requiredWorkerPullRate, 0), unit: 'MiB/s', baseline: { value: round(t.rawRate, 0), unit: 'MiB/s', name: 'raw libp2p stream' }, target: { op: '>=', value: 0.8 } })
    ]
  }
}

function roundAll<T extends object> (o: T): Record<string, number> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, round(v as number, 4)]))
}
