import { fileURLToPath } from 'node:url'
import { BASELINE_NODE_ARGS, cpuMs, mustRun, spawnWithReadyLine } from './proc.js'
import type { LineProcess } from './proc.js'

const PEER = fileURLToPath(new URL('./bare-peer.js', import.meta.url))

/** A bare libp2p responder in its own process. */
export interface BareServer { addr: string, pid: number, stop(): Promise<void> }

/**
 * A responder that opens each request as an envelope sealed to it and stores it durably
 * before answering (bare-peer.ts `required-server`). The throughput and latency clients
 * below, given one, seal each request to it: the same exchange with the work the design
 * requires on it.
 */
export interface RequiredServer extends BareServer { peerId: string, boxPublicKey: string }

export async function startRequiredServer (dir: string): Promise<RequiredServer> {
  const proc: LineProcess = await spawnWithReadyLine(process.execPath, [...BASELINE_NODE_ARGS, PEER, 'required-server', dir])
  const { addr, peerId, boxPublicKey } = JSON.parse(proc.first) as { addr: string, peerId: string, boxPublicKey: string }
  return { addr, peerId, boxPublicKey, pid: proc.proc.pid ?? 0, stop: async () => { await proc.stop() } }
}

function clientArgs (server: BareServer | RequiredServer, mode: 'throughput' | 'latency', args: string[]): string[] {
  return 'peerId' in server
    ? [...BASELINE_NODE_ARGS, PEER, `required-${mode}`, ...args, server.peerId, server.boxPublicKey]
    : [...BASELINE_NODE_ARGS, PEER, mode, ...args]
}

export async function startBareServer (): Promise<BareServer> {
  const proc: LineProcess = await spawnWithReadyLine(process.execPath, [...BASELINE_NODE_ARGS, PEER, 'server'])
  const { addr } = JSON.parse(proc.first) as { addr: string }
  return { addr, pid: proc.proc.pid ?? 0, stop: async () => { await proc.stop() } }
}

/** `count` requests of `size` bytes on one stream, `window` in flight; the time from first write to last answer. */
export async function bareThroughput (server: BareServer, count: number, size: number, window: number): Promise<number> {
  return (await bareThroughputRun(server, count, size, window)).ms
}

/** bareThroughput, with the CPU time both processes used (the client's during the run, the server's across it), in ms. */
export async function bareThroughputRun (server: BareServer | RequiredServer, count: number, size: number, window: number): Promise<{ ms: number, cpuMs: number }> {
  const serverBefore = await cpuMs(server.pid)
  const out = await mustRun(process.execPath, clientArgs(server, 'throughput', [server.addr, String(count), String(size), String(window)]), { timeoutMs: 300_000 })
  const client = JSON.parse(out) as { ms: number, cpuMs: number }
  return { ms: client.ms, cpuMs: client.cpuMs + await cpuMs(server.pid) - serverBefore }
}

/** `count` sequential round trips on an open connection: on one open stream (`same`) or a new stream each (`fresh`). */
export async function bareLatency (server: BareServer | RequiredServer, count: number, size: number, stream: 'same' | 'fresh'): Promise<number[]> {
  return (await latencyRun(server, count, size, stream)).samples
}

/**
 * bareLatency against a RequiredServer, also with the time from each send to the server's
 * write being synced (by the server's clock, which is this machine's): the one way the
 * latency target counts, where a round trip also counts the answer's way back.
 */
export async function requiredLatency (server: RequiredServer, count: number, size: number): Promise<{ samples: number[], stored: number[] }> {
  const run = await latencyRun(server, count, size, 'same')
  if (run.stored?.length !== run.samples.length) throw new Error('the required-latency client gave no stored times')
  // Stored must fall inside its own round trip; if not, the two processes' clocks disagree.
  const outside = run.stored.filter((ms, i) => ms <= 0 || ms > run.samples[i]!).length
  if (outside > 0) throw new Error(`${outside} of ${run.samples.length} stored times fall outside their round trip: the processes' clocks disagree`)
  return { samples: run.samples, stored: run.stored }
}

async function latencyRun (server: BareServer | RequiredServer, count: number, size: number, stream: 'same' | 'fresh'): Promise<{ samples: number[], stored?: number[] }> {
  const out = await mustRun(process.execPath, clientArgs(server, 'latency', [server.addr, String(count), String(size), stream]), { timeoutMs: 300_000 })
  return JSON.parse(out) as { samples: number[], stored?: number[] }
}

