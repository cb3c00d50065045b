/**
 * presence: NODES nodes (the daemon's libp2p stack, each its own identity, spread over a
 * few processes) connected to one cache server, each heartbeating on its presence stream.
 * Figure: the server process's resident memory with them minus before them, per node,
 * once every node is online and heartbeats have gone round twice more. No baseline: the
 * target is a fixed bar of 50 KiB per node, given as the baseline.
 */
import { fileURLToPath } from 'node:url'
import { serverAddr } from '../test/helpers/offline.js'
import { startBenchCacheServer } from './lib/cache.js'
import { deadline, spawnWithReadyLine } from './lib/proc.js'
import { median, round } from './lib/stats.js'
import { row } from './types.js'
import type { BenchContext, Benchmark, ResultRow } from './types.js'
import type { BenchCacheServer } from './lib/cache.js'
import type { LineProcess } from './lib/proc.js'

export const PRESENCE_NODES = 1_000
/** Client processes the nodes are spread over. */
export const PRESENCE_PROCESSES = 4
export const PRESENCE_TARGET_BYTES = 50 * 1024
/** Faster than a daemon's default (30 s), so the server does more presence work per minute than it would. */
const HEARTBEAT_MS = 5_000
/** Heartbeat rounds after all are online before the memory samples, and samples (one per round). */
const SETTLE_ROUNDS = 2
const SAMPLES = 3
const CONNECT_TIMEOUT_MS = 300_000
const SWARM = fileURLToPath(new URL('./lib/presence-swarm.js', import.meta.url))
/** 1,000 nodes from 127.0.0.1 in a few seconds: above the per-IP rate one address sees in real use. */
const SERVER_CONFIG = { connections: { inboundConnectionThreshold: 100_000, maxIncomingPendingConnections: 500 } }
const DHT_CONFIG = { dht: { enabled: true } }

/** Resolve once `check` holds on the server's metrics (polled: there is no event to wait on), bounded. */
async function until (cache: BenchCacheServer, check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  await deadline((async () => { while (!(await check())) await new Promise(resolve => setTimeout(resolve, 200)) })(), ms, what)
}

interface PresenceRun { perNodeBytes: number, beforeBytes: number, afterBytes: number, maxPerNodeBytes: number }

/**
 * One run on a fresh server (with `config` on top of SERVER_CONFIG). `connectOnly`: the nodes only hold a connection (no presence
 * stream): what the libp2p stack alone costs the server per node, for comparison.
 */
async function oneRun (ctx: BenchContext, nodes: number, connectOnly = false, config: Record<string, unknown> = {}): Promise<PresenceRun> {
  const cache = await startBenchCacheServer({ ...SERVER_CONFIG, ...config })
  const swarms: LineProcess[] = []
  try {
    // Before: the server up and answering, no nodes.
    await cache.metric('peerpost_connected_peers')
    const beforeBytes = await cache.rss()
    const per = Math.ceil(nodes / PRESENCE_PROCESSES)
    const started = await Promise.all(Array.from({ length: PRESENCE_PROCESSES }, async (_, p) => {
      const n = Math.min(per, nodes - p * per)
      if (n <= 0) return undefined
      return spawnWithReadyLine(process.execPath, [SWARM, cache.server.peerId, serverAddr(cache.server), String(n), String(HEARTBEAT_MS), ...(connectOnly ? ['connect-only'] : [])], { readyMs: CONNECT_TIMEOUT_MS })
    }))
    for (const s of started) if (s != null) swarms.push(s)
    const online = connectOnly ? 'peerpost_connected_peers' : 'peerpost_presence_online'
    // Bare connections may be pruned by the server (nothing tags them): the connect-only
    // figure divides by the connections actually held, and needs at least 90% of them.
    const needed = connectOnly ? Math.ceil(nodes * 0.9) : nodes
    await until(cache, async () => await cache.metric(online) >= needed, 60_000, `${needed} nodes ${connectOnly ? 'connected' : 'online'}`)
    ctx.log(`presence: ${nodes} nodes ${connectOnly ? 'connected (no presence)' : 'online'}, ${await cache.metric('peerpost_connected_peers')} connected peers`)
    // Without heartbeats, a "round" is a heartbeat interval of wall time.
    const beats = async (): Promise<number> => connectOnly ? Math.floor(performance.now() / HEARTBEAT_MS) * nodes : cache.metric('peerpost_heartbeats_total')
    let mark = await beats()
    for (let r = 0; r < SETTLE_ROUNDS; r++) {
      const want = mark + nodes
      await until(cache, async () => await beats() >= want, HEARTBEAT_MS * 10, 'a round of heartbeats')
      mark = want
    }
    const samples: number[] = []
    for (let s = 0; s < SAMPLES; s++) {
      const want = mark + nodes
      await until(cache, async () => await beats() >= want, HEARTBEAT_MS * 10, 'a round of heartbeats')
      mark = want
      samples.push(await cache.rss())
    }
    const still = await cache.metric(online)
    if (still < needed) throw new Error(`only ${still} of ${nodes} nodes ${connectOnly ? 'connected' : 'online'} at the end`)
    const held = connectOnly ? still : nodes
    const afterBytes = median(samples)
    return { beforeBytes, afterBytes, perNodeBytes: (afterBytes - beforeBytes) / held, maxPerNodeBytes: (Math.max(...samples) - beforeBytes) / held }
  } finally {
    await Promise.all(swarms.map(async s => { await s.stop(30_000).catch(() => {}) }))
    await cache.stop()
  }
}

export const presence: Benchmark = {
  name: 'presence',
  description: `${PRESENCE_NODES} nodes connected to one cache server, heartbeating; server memory per node`,
  async run (ctx: BenchContext): Promise<ResultRow[]> {
    const nodes = Math.max(50, Math.round(PRESENCE_NODES * ctx.scale))
    const runs: PresenceRun[] = []
    for (let r = 0; r < ctx.repeats; r++) {
      const run = await oneRun(ctx, nodes)
      runs.push(run)
      ctx.log(`presence ${r + 1}/${ctx.repeats}: ${round(run.perNodeBytes / 1024, 1)} KiB per node (server RSS ${round(run.beforeBytes / 2 ** 20, 1)} -> ${round(run.afterBytes / 2 ** 20, 1)} MiB)`)
    }
    const bare = await oneRun(ctx, nodes, true)
    ctx.log(`presence: connections only ${round(bare.perNodeBytes / 1024, 1)} KiB per node (server RSS ${round(bare.beforeBytes / 2 ** 20, 1)} -> ${round(bare.afterBytes / 2 ** 20, 1)} MiB)`)
    // The cache servers' DHT (off by default) keeps a pending put per heartbeating node; no
    // other server here, so the puts find no peer: what a node costs, not the DHT's traffic.
    const dht = await oneRun(ctx, nodes, false, DHT_CONFIG)
    ctx.log(`presence: with the DHT on ${round(dht.perNodeBytes / 1024, 1)} KiB per node (server RSS ${round(dht.beforeBytes / 2 ** 20, 1)} -> ${round(dht.afterBytes / 2 ** 20, 1)} MiB)`)
    const kib = (b: number): number => round(b / 1024, 1)
    const detail = {
      nodes,
      heartbeatMs: HEARTBEAT_MS,
      perNodeKiB: runs.map(r => kib(r.perNodeBytes)),
      maxPerNodeKiB: runs.map(r => kib(r.maxPerNodeBytes)),
      serverRssBeforeMiB: runs.map(r => round(r.beforeBytes / 2 ** 20, 1)),
      serverRssAfterMiB: runs.map(r => round(r.afterBytes / 2 ** 20, 1)),
      connectOnlyPerNodeKiB: kib(bare.perNodeBytes),
      dhtPerNodeKiB: kib(dht.perNodeBytes)
    }
    return [
      row({ benchmark: 'presence', label: `cache server memory per connected, heartbeating node (RSS delta / ${nodes})`, figure: median(runs.map(r => r.perNodeBytes)) / 1024, unit: 'KiB', baseline: { value: PRESENCE_TARGET_BYTES / 1024, unit: 'KiB', name: 'target 50 KiB' }, target: { op: '<=', value: 1 }, detail }),
      row({ benchmark: 'presence', label: `of which the connection alone: nodes that only connect (same stack, no presence stream), one run`, figure: bare.perNodeBytes / 1024, unit: 'KiB' }),
      row({ benchmark: 'presence', label: 'with the cache servers\' DHT on (dht.enabled, no other server to put to), one run', figure: dht.perNodeBytes / 1024, unit: 'KiB', baseline: { value: PRESENCE_TARGET_BYTES / 1024, unit: 'KiB', name: 'target 50 KiB' }, target: { op: '<=', value: 1 } })
    ]
  }
}
