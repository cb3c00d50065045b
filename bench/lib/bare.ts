import { fileURLToPath } from 'node:url'
import { BASELINE_NODE_ARGS, mustRun, spawnWithReadyLine } from './proc.js'
import type { LineProcess } from './proc.js'

const PEER = fileURLToPath(new URL('./bare-peer.js', import.meta.url))

/** A bare libp2p responder in its own process. */
export interface BareServer { addr: string, stop(): Promise<void> }

export async function startBareServer (): Promise<BareServer> {
  const proc: LineProcess = await spawnWithReadyLine(process.execPath, [...BASELINE_NODE_ARGS, PEER, 'server'])
  const { addr } = JSON.parse(proc.first) as { addr: string }
  return { addr, stop: async () => { await proc.stop() } }
}

/** `count` requests of `size` bytes on one stream, `window` in flight; the time from first write to last answer. */
export async function bareThroughput (server: BareServer, count: number, size: number, window: number): Promise<number> {
  const out = await mustRun(process.execPath, [...BASELINE_NODE_ARGS, PEER, 'throughput', server.addr, String(count), String(size), String(window)], { timeoutMs: 300_000 })
  return (JSON.parse(out) as { ms: number }).ms
}

/** `count` sequential round trips on an open connection: on one open stream (`same`) or a new stream each (`fresh`). */
export async function bareLatency (server: BareServer, count: number, size: number, stream: 'same' | 'fresh'): Promise<number[]> {
  const out = await mustRun(process.execPath, [...BASELINE_NODE_ARGS, PEER, 'latency', server.addr, String(count), String(size), stream], { timeoutMs: 300_000 })
  return (JSON.parse(out) as { samples: number[] }).samples
}
