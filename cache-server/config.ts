import { multiaddr } from '@multiformats/multiaddr'
import { z } from 'zod'
import { MAX_STAMP_BITS } from '../node/crypto/stamp.js'
import { ConfigError, readConfigJson } from '../node/config.js'
import { diskReserveProblem, MIN_FREE_DISK_FLOOR_BYTES } from '../storage/disk-reserve.js'
import type { NoticeLimits, ParkingLimits } from '../storage/holding-types.js'

/**
 * The cache server's configuration: one zod schema validates the file, supplies every
 * default (the named constants below) and prints the effective config
 * (`peerpost cache-server --print-config`). Every option is optional; times are in ms,
 * sizes in bytes.
 */

export { ConfigError }

const KiB = 1024
const MiB = 1024 * KiB
const GiB = 1024 * MiB
const SECOND = 1_000
const MINUTE = 60 * SECOND
const DAY = 24 * 60 * MINUTE

/** The well-known cache server port (open it in the firewall). */
export const DEFAULT_CACHE_PORT = 4455
export const DEFAULT_CACHE_LISTEN = [`/ip4/0.0.0.0/tcp/${DEFAULT_CACHE_PORT}`]

/** One sealed envelope: the node's own default bound, so what a node may send, a server keeps. */
export const DEFAULT_MAX_ENVELOPE_BYTES = 40 * MiB
export const DEFAULT_RETENTION_MS = 30 * DAY
export const DEFAULT_PER_RECIPIENT = { maxBytes: 1 * GiB, maxCount: 10_000 }
export const DEFAULT_PER_DEPOSITOR = { maxBytes: 1 * GiB, maxCount: 10_000 }
/** Whole-server bound: size it to the disk. */
export const DEFAULT_TOTAL = { maxBytes: 20 * GiB, maxCount: 2_000_000 }
/**
 * Free disk a deposit may not take the server below (storage/disk-reserve.ts): room
 * for the database's compactions and for the acks and expiry deletes that free space.
 */
export const DEFAULT_MIN_FREE_DISK_BYTES = 1 * GiB
/** The least reserve that is not 0 (storage/disk-reserve.ts says why). */
export { MIN_FREE_DISK_FLOOR_BYTES }
export const DEFAULT_EXPIRY_SWEEP_INTERVAL_MS = MINUTE
/** Envelopes one expiry pass removes before it yields to other work (it repeats until none are left). */
export const DEFAULT_EXPIRY_BATCH = 100

export const DEFAULT_NOTICES_PER_RECIPIENT = 1_000
export const DEFAULT_NOTICES_PER_POSTER = 1_000
export const DEFAULT_MAX_NOTICE_BYTES = 16 * KiB
export const DEFAULT_NOTICE_RETENTION_MS = 30 * DAY

/** Without a heartbeat for this long a node is offline. */
export const DEFAULT_PRESENCE_TIMEOUT_MS = 90 * SECOND
export const DEFAULT_PRESENCE_SWEEP_INTERVAL_MS = 5 * SECOND
/** A presence stream that sends nothing (no heartbeat, no query) for this long is closed. */
export const DEFAULT_PRESENCE_IDLE_TIMEOUT_MS = 30 * MINUTE
export const DEFAULT_PRESENCE_MAX_ENTRIES = 100_000

export const DEFAULT_RELAY_MAX_RESERVATIONS = 1_000
/** Per relayed connection. The library default (128 KiB) would cut any real message. */
export const DEFAULT_RELAY_DATA_LIMIT_BYTES = 1 * GiB
export const DEFAULT_RELAY_DURATION_LIMIT_MS = 10 * MINUTE
export const DEFAULT_RELAY_RESERVATION_TTL_MS = 2 * 60 * MINUTE

export const DEFAULT_MAX_CONNECTIONS = 2_000
/** New inbound connections per second per IP; the library default of 5 refuses nodes behind one NAT and multi-node tests. */
export const DEFAULT_INBOUND_CONNECTION_THRESHOLD = 100
export const DEFAULT_MAX_INCOMING_PENDING_CONNECTIONS = 200
/**
 * Streams a peer may open on a new connection before the muxer is wired up. The yamux
 * default of 10 resets the whole connection of a node that opens park, fetch, presence and
 * notice streams (plus identify) at once as it connects: measured, 4 clients x 10 park streams.
 */
export const DEFAULT_MAX_EARLY_STREAMS = 64

/**
 * The cache servers' DHT (cache-server/dht.ts): off unless enabled. A node's presence record
 * is re-put at most this often while nothing in it changes, is stale after this age, and
 * puts and lookups are bounded in rate, count and time.
 */
export const DEFAULT_DHT_REPUBLISH_MS = 60 * SECOND
export const DEFAULT_DHT_RECORD_MAX_AGE_MS = 3 * MINUTE
export const DEFAULT_DHT_MAX_PUTS_PER_SECOND = 20
export const DEFAULT_DHT_MAX_PENDING_PUTS = 10_000
export const DEFAULT_DHT_PUT_TIMEOUT_MS = 10 * SECOND
export const DEFAULT_DHT_LOOKUP_TIMEOUT_MS = 3 * SECOND
export const DEFAULT_DHT_MAX_CONCURRENT_LOOKUPS = 16
export const DEFAULT_DHT_LOOKUP_CACHE_MS = 5 * SECOND
/** Records (and provider records) this server stores for others; the oldest go first. */
export const DEFAULT_DHT_MAX_STORED_RECORDS = 50_000

/** Metrics and health over HTTP; loopback only unless you mean otherwise. `off` disables. */
export const DEFAULT_METRICS_ADDRESS = '127.0.0.1:9464'

const count = z.number().int().positive()
const bytes = z.number().int().positive()
const ms = z.number().int().positive()
const quota = (d: { maxBytes: number, maxCount: number }) => z.object({
  maxBytes: bytes.default(d.maxBytes),
  maxCount: count.default(d.maxCount)
}).strict().prefault({})

/** A peer cache server to bootstrap the DHT from: a multiaddr ending in `/p2p/<PeerId>`. */
const peerAddr = z.string().regex(/^\/.+\/p2p\/[1-9A-HJ-NP-Za-km-z]{40,60}$/, { message: 'expected a multiaddr ending in /p2p/<PeerId> (another cache server\'s ready line)' })

/**
 * A multiaddr checked when the config is read: a typo then stops the server with a
 * ConfigError naming the field (exit 2) before it makes a home or an identity, not with
 * libp2p's bare parser message (exit 1) once it has. A listen address must be one this
 * server's transports take: TCP, or WebSockets over TCP.
 */
const multiaddrField = (role: 'listen' | 'announce') => z.string().superRefine((value, ctx) => {
  let names: string[]
  try {
    names = multiaddr(value).getComponents().map(c => c.name)
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not a multiaddr (${(err as Error).message}): expected e.g. /ip4/0.0.0.0/tcp/${DEFAULT_CACHE_PORT}` })
    return
  }
  if (role === 'listen' && !names.includes('tcp')) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)}: a cache server listens on TCP (or WebSockets over TCP: .../tcp/PORT/ws) only` })
})

/** `host:port`, `[v6]:port`, or `off`. */
const metricsAddress = z.string().refine(v => v === 'off' || parseHostPort(v) !== undefined, { message: 'expected host:port (e.g. 127.0.0.1:9464) or "off"' })

export const CacheConfigSchema = z.object({
  listen: z.array(multiaddrField('listen')).min(1).default(DEFAULT_CACHE_LISTEN)
    .describe('multiaddrs to listen on (overridden by --listen)'),
  announce: z.array(multiaddrField('announce')).default([])
    .describe('public multiaddrs to advertise instead of the listen ones (overridden by --announce)'),
  parking: z.object({
    maxEnvelopeBytes: bytes.default(DEFAULT_MAX_ENVELOPE_BYTES),
    retentionMs: ms.default(DEFAULT_RETENTION_MS),
    perRecipient: quota(DEFAULT_PER_RECIPIENT),
    perDepositor: quota(DEFAULT_PER_DEPOSITOR),
    total: quota(DEFAULT_TOTAL),
    minFreeDiskBytes: z.number().int().min(0).default(DEFAULT_MIN_FREE_DISK_BYTES)
      .describe('deposits are refused (as a full quota is) while less disk than this is free under the database; 0 turns the check off'),
    expirySweepIntervalMs: ms.default(DEFAULT_EXPIRY_SWEEP_INTERVAL_MS),
    expiryBatch: count.default(DEFAULT_EXPIRY_BATCH),
    stampBits: z.number().int().min(0).max(MAX_STAMP_BITS).default(0)
      .describe('proof of work (bits) every deposit must carry; 0 (the default) does not ask; senders mint DEFAULT_STAMP_BITS')
  }).strict().prefault({}),
  notices: z.object({
    maxPerRecipient: count.default(DEFAULT_NOTICES_PER_RECIPIENT),
    maxPerPoster: count.default(DEFAULT_NOTICES_PER_POSTER),
    maxNoticeBytes: bytes.default(DEFAULT_MAX_NOTICE_BYTES),
    retentionMs: ms.default(DEFAULT_NOTICE_RETENTION_MS)
  }).strict().prefault({}),
  presence: z.object({
    timeoutMs: ms.default(DEFAULT_PRESENCE_TIMEOUT_MS),
    sweepIntervalMs: ms.default(DEFAULT_PRESENCE_SWEEP_INTERVAL_MS),
    idleTimeoutMs: ms.default(DEFAULT_PRESENCE_IDLE_TIMEOUT_MS),
    maxEntries: count.default(DEFAULT_PRESENCE_MAX_ENTRIES)
  }).strict().prefault({}),
  relay: z.object({
    enabled: z.boolean().default(true),
    maxReservations: count.default(DEFAULT_RELAY_MAX_RESERVATIONS),
    dataLimitBytes: bytes.default(DEFAULT_RELAY_DATA_LIMIT_BYTES),
    durationLimitMs: ms.default(DEFAULT_RELAY_DURATION_LIMIT_MS),
    reservationTtlMs: ms.default(DEFAULT_RELAY_RESERVATION_TTL_MS)
  }).strict().prefault({}),
  connections: z.object({
    maxConnections: count.default(DEFAULT_MAX_CONNECTIONS),
    inboundConnectionThreshold: count.default(DEFAULT_INBOUND_CONNECTION_THRESHOLD),
    maxIncomingPendingConnections: count.default(DEFAULT_MAX_INCOMING_PENDING_CONNECTIONS),
    maxEarlyStreams: count.default(DEFAULT_MAX_EARLY_STREAMS)
  }).strict().prefault({}),
  dht: z.object({
    enabled: z.boolean().default(false)
      .describe('run the Kademlia DHT among cache servers: presence of nodes homed on other servers'),
    bootstrap: z.array(peerAddr).max(64).default([])
      .describe('other cache servers to join the DHT through (kept connected); more are learned from them'),
    republishMs: ms.default(DEFAULT_DHT_REPUBLISH_MS),
    recordMaxAgeMs: ms.default(DEFAULT_DHT_RECORD_MAX_AGE_MS),
    maxPutsPerSecond: count.default(DEFAULT_DHT_MAX_PUTS_PER_SECOND),
    maxPendingPuts: count.default(DEFAULT_DHT_MAX_PENDING_PUTS),
    putTimeoutMs: ms.default(DEFAULT_DHT_PUT_TIMEOUT_MS),
    lookupTimeoutMs: ms.default(DEFAULT_DHT_LOOKUP_TIMEOUT_MS),
    maxConcurrentLookups: count.default(DEFAULT_DHT_MAX_CONCURRENT_LOOKUPS),
    lookupCacheMs: ms.default(DEFAULT_DHT_LOOKUP_CACHE_MS),
    maxStoredRecords: count.default(DEFAULT_DHT_MAX_STORED_RECORDS)
  }).strict().prefault({}),
  metrics: z.object({
    address: metricsAddress.default(DEFAULT_METRICS_ADDRESS)
  }).strict().prefault({})
}).strict()

export type CacheConfig = z.infer<typeof CacheConfigSchema>

/** Validate a parsed config object; throws ConfigError naming the first bad field. */
export function parseCacheConfig (input: unknown, source = 'config'): CacheConfig {
  const result = CacheConfigSchema.safeParse(input ?? {})
  if (!result.success) {
    const issue = result.error.issues[0]
    const where = issue?.path.join('.') ?? ''
    throw new ConfigError(`${source}: ${where === '' ? '' : `${where}: `}${issue?.message ?? 'invalid'}`)
  }
  const config = result.data
  const { parking } = config
  for (const [name, q] of [['perRecipient', parking.perRecipient], ['perDepositor', parking.perDepositor], ['total', parking.total]] as const) {
    if (q.maxBytes < parking.maxEnvelopeBytes) throw new ConfigError(`${source}: parking.${name}.maxBytes (${q.maxBytes}) is below parking.maxEnvelopeBytes (${parking.maxEnvelopeBytes}): no envelope of the largest size could ever be parked`)
  }
  const reserveProblem = diskReserveProblem(parking.minFreeDiskBytes)
  if (reserveProblem != null) throw new ConfigError(`${source}: parking.minFreeDiskBytes (${parking.minFreeDiskBytes}) ${reserveProblem}`)
  const { dht } = config
  if (dht.recordMaxAgeMs <= dht.republishMs) throw new ConfigError(`${source}: dht.recordMaxAgeMs (${dht.recordMaxAgeMs}) must exceed dht.republishMs (${dht.republishMs}): records would go stale between re-puts`)
  return config
}

/**
 * Read a JSON config file. A missing file is an error when the operator named it
 * (`required`), and all defaults otherwise (the home's own `cache.json`).
 */
export async function loadCacheConfig (path: string, options: { required: boolean }): Promise<CacheConfig> {
  return parseCacheConfig(await readConfigJson(path, options.required ? undefined : {}), path)
}

export function parkingLimits (config: CacheConfig): ParkingLimits {
  const p = config.parking
  return { maxEnvelopeBytes: p.maxEnvelopeBytes, retentionMs: p.retentionMs, perRecipient: { ...p.perRecipient }, perDepositor: { ...p.perDepositor }, total: { ...p.total } }
}

export function noticeLimits (config: CacheConfig): NoticeLimits {
  return { ...config.notices }
}

/** `host:port` or `[v6]:port` split, or undefined. Port 0 asks the OS for a free one (tests). */
export function parseHostPort (value: string): { host: string, port: number } | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value)
  if (m == null) return undefined
  const port = Number(m[3])
  if (port > 65535) return undefined
  return { host: m[1] ?? m[2] ?? '', port }
}
