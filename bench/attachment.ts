/**
 * attachment: bob pulls a 1 GiB attachment from alice (two real daemons: alice streams the
 * file into her blob store when she sends, bob pulls it chunk by chunk, verifies and writes
 * it to disk), against the same bytes on one raw libp2p stream (the daemon's stack, no
 * sealing, no disk) and on raw TCP (node:net), in the same run, interleaved. The pull is
 * timed on bob's own clock, from his `transfer:state pulling` event to `complete`; the
 * sending (alice's put) is not in it. Peak RSS of every side comes from /proc (VmHWM) or
 * the process's own maxRSS.
 */
import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { randomFile } from '../test/helpers/attachments.js'
import { tempDir } from '../test/helpers/cli.js'
import { condition, onEvents, startPair } from './lib/peerpost.js'
import { BASELINE_NODE_ARGS, cpuMs, deadline, mainThreadCpuMs, mustRun, onInterrupt, spawnWithReadyLine } from './lib/proc.js'
import { median, round } from './lib/stats.js'
import { row } from './types.js'
import type { BenchContext, Benchmark, ResultRow } from './types.js'
import type { NodeEvent } from '../node/events.js'

const MiB = 1024 * 1024
export const ATTACHMENT_BYTES = 1024 * MiB
/** Pull throughput as a share of one raw libp2p stream carrying the same bytes. */
export const ATTACHMENT_TARGET = 0.8
/** Issue 8: peak RSS of each side of the pull at most this. */
export const PEAK_RSS_TARGET_MIB = 200
const SEND_TIMEOUT_MS = 600_000
const PULL_TIMEOUT_MS = 900_000
const BULK_PEER = fileURLToPath(new URL('./lib/bulk-peer.js', import.meta.url))

/** One transfer: wall time, CPU time of both sides during it (the machine's load moves it much less than wall time), peak RSS. */
export interface Side { ms: number, cpuMs: { sender: number, receiver: number, receiverMainThread?: number }, peakRssMiB: { sender: number, receiver: number } }

async function vmHwmMiB (pid: number | undefined): Promise<number> {
  const status = await readFile(`/proc/${pid ?? 0}/status`, 'utf8')
  return Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN) / 1024
}

/** One peerpost run: fresh daemons, alice sends the file, bob pulls it. */
async function peerpostRun (ctx: BenchContext, file: string, size: number): Promise<Side> {
  const pair = await startPair({ profileDir: ctx.profileDir, controls: 1 })
  try {
    let pullingAt: number | undefined
    let completeAt: number | undefined
    let failed: string | undefined
    const pids = { sender: pair.alice.daemon.proc.pid ?? 0, receiver: pair.bob.daemon.proc.pid ?? 0 }
    const cpu = { start: { sender: 0, receiver: 0, receiverMainThread: 0 }, end: { sender: 0, receiver: 0, receiverMainThread: 0 } }
    // Bob's main thread on its own too: it is what limits the pull (docs/benchmarks.md), and
    // work moved to other threads shows there, not in the process's total.
    const cpuNow = async (): Promise<typeof cpu.start> => ({ sender: await cpuMs(pids.sender), receiver: await cpuMs(pids.receiver), receiverMainThread: await mainThreadCpuMs(pids.receiver) })
    let startCpu: Promise<void> | undefined
    const done = condition(() => completeAt != null || failed != null)
    await onEvents(pair.bob.events, (e: NodeEvent) => {
      if (e.type !== 'transfer:state') return
      const data = e.data as NodeEventData
      if (data.state === 'pulling' && pullingAt == null) {
        pullingAt = e.at
        startCpu = cpuNow().then(c => { cpu.start = c })
      }
      if (data.state === 'complete') completeAt = e.at
      if (data.state === 'failed') failed = data.reason ?? 'failed'
      done.poke()
    })
    const sendStart = performance.now()
    await deadline(pair.alice.control[0]!.call('send', { request: { to: ['bob'], subject: 'bench attachment', text: 'attached', attachmentPaths: [file] } }), SEND_TIMEOUT_MS, 'alice to send')
    // Her peak so far is the store phase's (the pull has barely begun): tells which phase sets her peak.
    ctx.log(`  attachment: alice stored and sent ${size / MiB} MiB in ${Math.round(performance.now() - sendStart)} ms (her peak RSS so far ${Math.round(await vmHwmMiB(pids.sender))} MiB)`)
    await done.wait(PULL_TIMEOUT_MS, 'bob to pull the attachment')
    if (failed != null) throw new Error(`the pull failed: ${failed}`)
    cpu.end = await cpuNow()
    await startCpu
    const ms = completeAt! - (pullingAt ?? completeAt!)
    return {
      ms,
      cpuMs: { sender: cpu.end.sender - cpu.start.sender, receiver: cpu.end.receiver - cpu.start.receiver, receiverMainThread: cpu.end.receiverMainThread - cpu.start.receiverMainThread },
      peakRssMiB: { sender: await vmHwmMiB(pids.sender), receiver: await vmHwmMiB(pids.receiver) }
    }
  } finally {
    await pair.close()
  }
}

interface NodeEventData { state: string, reason?: string }

/**
 * One baseline run: a bulk-peer server process and a client process that reads everything.
 * `required` (bench/floors.ts) is the libp2p stream with the design's work on it: sealed
 * chunks read from a file, opened, hashed and written with O_DIRECT; its files go in `dir`.
 * `required-worker` does the same with the opening, hashing and writing in a worker thread.
 */
export async function baselineRun (kind: 'libp2p' | 'tcp' | 'required' | 'required-worker', size: number, dir = ''): Promise<Side> {
  const required = kind === 'required' || kind === 'required-worker'
  const server = await spawnWithReadyLine(process.execPath, [...BASELINE_NODE_ARGS, BULK_PEER, `${required ? 'required' : kind}-server`, String(size), ...(required ? [dir] : [])])
  try {
    const ready = JSON.parse(server.first) as { addr?: string, port?: number, key?: string, blobId?: string }
    const target = kind === 'tcp' ? [String(ready.port), String(size)] : [String(ready.addr), String(size)]
    if (required) target.push(dir, String(ready.key), String(ready.blobId))
    const serverCpu = await cpuMs(server.proc.pid ?? 0)
    const out = JSON.parse(await mustRun(process.execPath, [...BASELINE_NODE_ARGS, BULK_PEER, `${kind}-client`, ...target], { timeoutMs: PULL_TIMEOUT_MS })) as { ms: number, cpuMs: number, peakRssMiB: number }
    return { ms: out.ms, cpuMs: { sender: await cpuMs(server.proc.pid ?? 0) - serverCpu, receiver: out.cpuMs }, peakRssMiB: { sender: await vmHwmMiB(server.proc.pid), receiver: out.peakRssMiB } }
  } finally {
    await server.stop()
  }
}

const mibps = (size: number, ms: number): number => size / MiB / (ms / 1000)

export const attachment: Benchmark = {
  name: 'attachment',
  description: 'bob pulls a 1 GiB attachment from alice, vs a raw libp2p stream and raw TCP carrying the same bytes; peak RSS of both sides',
  async run (ctx: BenchContext): Promise<ResultRow[]> {
    const size = Math.max(64 * MiB, Math.round(ATTACHMENT_BYTES * ctx.scale / MiB) * MiB)
    const dir = await tempDir('bench-attachment')
    const unregister = onInterrupt(async () => { await rm(dir, { recursive: true, force: true }) })
    const runs: { peerpost: Side[], libp2p: Side[], tcp: Side[] } = { peerpost: [], libp2p: [], tcp: [] }
    try {
      const file = join(dir, 'attachment.bin')
      await randomFile(file, size)
      for (let r = 0; r < ctx.repeats; r++) {
        // Interleaved, so load drifting on the machine hits all three alike.
        runs.peerpost.push(await peerpostRun(ctx, file, size))
        runs.libp2p.push(await baselineRun('libp2p', size))
        runs.tcp.push(await baselineRun('tcp', size))
        const last = (k: keyof typeof runs): string => `${Math.round(mibps(size, runs[k].at(-1)!.ms))} MiB/s`
        ctx.log(`  attachment ${r + 1}/${ctx.repeats}: peerpost pull ${last('peerpost')}, raw libp2p ${last('libp2p')}, raw TCP ${last('tcp')}`)
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
      unregister()
    }
    const rate = (k: keyof typeof runs): number => round(median(runs[k].map(s => mibps(size, s.ms))), 1)
    const peak = (k: keyof typeof runs, side: 'sender' | 'receiver'): number => Math.round(Math.max(...runs[k].map(s => s.peakRssMiB[side])))
    // CPU ms per MiB moved, both sides together: what the work costs, whatever the load.
    const cpuPerMiB = (k: keyof typeof runs): number => round(median(runs[k].map(s => (s.cpuMs.sender + s.cpuMs.receiver) / (size / MiB))), 2)
    const detail = (k: keyof typeof runs): Record<string, unknown> => ({
      bytes: size,
      mibPerSecond: runs[k].map(s => round(mibps(size, s.ms), 1)),
      cpuMs: runs[k].map(s => ({ sender: Math.round(s.cpuMs.sender), receiver: Math.round(s.cpuMs.receiver), ...(s.cpuMs.receiverMainThread === undefined ? {} : { receiverMainThread: Math.round(s.cpuMs.receiverMainThread) }) })),
      peakRssMiB: runs[k].map(s => ({ sender: Math.round(s.peakRssMiB.sender), receiver: Math.round(s.peakRssMiB.receiver) }))
    })
    const label = `${size / MiB} MiB pull`
    return [
      row({ benchmark: 'attachment', label: `${label} vs raw libp2p stream`, figure: rate('peerpost'), unit: 'MiB/s', baseline: { value: rate('libp2p'), unit: 'MiB/s', name: 'raw libp2p stream' }, target: { op: '>=', value: ATTACHMENT_TARGET }, detail: { peerpost: detail('peerpost'), libp2p: detail('libp2p') } }),
      row({ benchmark: 'attachment', label: 'CPU per MiB pulled, both sides', figure: cpuPerMiB('peerpost'), unit: 'ms/MiB', baseline: { value: cpuPerMiB('libp2p'), unit: 'ms/MiB', name: 'raw libp2p stream' } }),
      row({ benchmark: 'attachment', label: `${label} vs raw TCP`, figure: rate('peerpost'), unit: 'MiB/s', baseline: { value: rate('tcp'), unit: 'MiB/s', name: 'raw TCP (node:net)' }, detail: { tcp: detail('tcp') } }),
      row({ benchmark: 'attachment', label: 'peak RSS, sender daemon (alice)', figure: peak('peerpost', 'sender'), unit: 'MiB', baseline: { value: peak('libp2p', 'sender'), unit: 'MiB', name: 'raw libp2p server' } }),
      row({ benchmark: 'attachment', label: 'peak RSS, receiver daemon (bob)', figure: peak('peerpost', 'receiver'), unit: 'MiB', baseline: { value: peak('libp2p', 'receiver'), unit: 'MiB', name: 'raw libp2p client' } }),
      row({ benchmark: 'attachment', label: 'peak RSS of either daemon, highest over the repeats, vs the 200 MiB target', figure: Math.max(peak('peerpost', 'sender'), peak('peerpost', 'receiver')), unit: 'MiB', baseline: { value: PEAK_RSS_TARGET_MIB, unit: 'MiB', name: `target ${PEAK_RSS_TARGET_MIB} MiB` }, target: { op: '<=', value: 1 } })
    ]
  }
}
