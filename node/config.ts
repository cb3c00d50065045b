import { randomBytes } from 'node:crypto'
import { readFile, rename, writeFile } from 'node:fs/promises'
import { multiaddr } from '@multiformats/multiaddr'
import { z } from 'zod'
import { DEFAULT_STAMP_BITS, MAX_STAMP_BITS } from './crypto/stamp.js'
import { bindable, chooseListen } from './listen-port.js'
import type { Bindable } from './listen-port.js'
import { diskReserveProblem } from '../storage/disk-reserve.js'

/**
 * The node's configuration: one zod schema validates the file, supplies every default and
 * prints the effective config (`peerpost config --print`). Every option is optional.
 */

export const DEFAULT_LISTEN = ['/ip4/0.0.0.0/tcp/0']
/** First retry after this long; each later one doubles, with jitter, up to RETRY_MAX_MS. */
export const DEFAULT_RETRY_BASE_MS = 1_000
export const DEFAULT_RETRY_MAX_MS = 5 * 60_000
/** A recipient still pending after this long is marked failed and the sender is told. */
export const DEFAULT_MESSAGE_LIFETIME_MS = 7 * 24 * 60 * 60_000
export const DEFAULT_DIAL_TIMEOUT_MS = 5_000
export const DEFAULT_DELIVER_TIMEOUT_MS = 30_000
/** One sealed envelope on the wire: the MIME plus sealing overhead. */
export const DEFAULT_MAX_ENVELOPE_BYTES = 40 * 1024 * 1024
export const DEFAULT_MAX_MIME_BYTES = 32 * 1024 * 1024
export const DEFAULT_MAX_PARKED_ATTACHMENT_BYTES = 1024 * 1024
/** How often the daemon heartbeats its presence to each home server. */
export const DEFAULT_HEARTBEAT_MS = 30_000
/** Reconnecting to a home server backs off from this to RECONNECT_MAX_MS, with jitter, forever. */
export const DEFAULT_RECONNECT_BASE_MS = 500
export const DEFAULT_RECONNECT_MAX_MS = 30_000
/** What my node holds for offline co-recipients of mail I received (node/holding.ts). */
export const DEFAULT_HOLDING_MAX_BYTES = 256 * 1024 * 1024
export const DEFAULT_HOLDING_MAX_COUNT = 1_000
/** One depositor may take a quarter of the quota, so one sender cannot fill it for everyone else. */
export const DEFAULT_HOLDING_MAX_BYTES_PER_DEPOSITOR = DEFAULT_HOLDING_MAX_BYTES / 4
export const DEFAULT_HOLDING_MAX_COUNT_PER_DEPOSITOR = DEFAULT_HOLDING_MAX_COUNT / 4
/** A held envelope nobody fetched is deleted after this long (the sender is told if online). */
export const DEFAULT_HOLDING_RETENTION_MS = 7 * 24 * 60 * 60_000
export const DEFAULT_HOLDING_SWEEP_MS = 60_000
/**
 * Free disk a deposit for a co-recipient may not take this node below (storage/disk-reserve.ts),
 * as a cache server keeps its `parking.minFreeDiskBytes`: others' mail must not fill the disk
 * my own mail, and the acks and expiry that free it, need.
 */
export const DEFAULT_HOLDING_MIN_FREE_DISK_BYTES = 1024 * 1024 * 1024
/** How long I keep a large attachment for recipients that have not pulled it yet. */
export const DEFAULT_BLOB_RETENTION_MS = 30 * 24 * 60 * 60_000
/** Chunks a pull keeps requested ahead (node/protocol/blob.ts). */
export const DEFAULT_BLOB_IN_FLIGHT = 4
/** Least time between two `transfer:progress` events of one pull. */
export const DEFAULT_PROGRESS_INTERVAL_MS = 250
/** A stranger's large attachment up to this size is pulled by itself; a larger one waits until accepted. */
export const DEFAULT_MAX_STRANGER_BLOB_BYTES = 25 * 1024 * 1024
/** How often expired blobs are removed from the store. */
export const DEFAULT_BLOB_SWEEP_MS = 60_000
/** Bodies one search call parses at most (node/folder-search.ts says why the number). */
export const DEFAULT_SEARCH_BODY_PARSE_LIMIT = 1_000
/** The port of a cache server named as `name@host` without a port. */
export const DEFAULT_CACHE_SERVER_PORT = 4455

export const PRESENCE_STATUSES = ['available', 'away', 'busy', 'dnd'] as const
export type PresenceStatusName = typeof PRESENCE_STATUSES[number]

/** A home server: a multiaddr that names the server's PeerId (`.../p2p/<PeerId>`). */
export const HomeServerAddr = z.string().refine(value => {
  try { return multiaddr(value).getComponents().some(c => c.name === 'p2p') } catch { return false }
}, { message: 'a home server is a multiaddr ending in /p2p/<server PeerId>' })

/** The highest port a TCP address can name. */
const MAX_PORT = 65_535

/** Why `value` is no multiaddr with a valid port, or undefined when it is one. */
function multiaddrProblem (value: string): string | undefined {
  let components
  try { components = multiaddr(value).getComponents() } catch { return `"${value.slice(0, 200)}" is not a multiaddr: give one like /ip4/0.0.0.0/tcp/4001` }
  const port = components.find(c => c.name === 'tcp')?.value
  if (port != null && !(Number(port) >= 0 && Number(port) <= MAX_PORT)) return `${value} names port ${port}: a port is 0 to ${MAX_PORT}`
  return undefined
}

/**
 * Listen addresses of the node's transports (node/network.ts): TCP, WebSockets over TCP, or
 * a circuit relay. Anything else (UDP, QUIC) would only fail at the daemon's next start.
 */
const LISTENABLE = [['tcp'], ['tcp', 'ws']]
function listenProblem (value: string): string | undefined {
  const problem = multiaddrProblem(value)
  if (problem != null) return problem
  const names = multiaddr(value).getComponents().map(c => c.name)
  if (names.at(-1) === 'p2p-circuit') return undefined
  const transport = names.slice(1)
  if (['ip4', 'ip6', 'dns', 'dns4', 'dns6'].includes(names[0] ?? '') && LISTENABLE.some(t => t.join('/') === transport.join('/'))) return undefined
  return `peerpost cannot listen on ${value}: give a TCP address (/ip4/0.0.0.0/tcp/4001, add /ws for WebSockets) or /p2p-circuit`
}

/** A string the check finds nothing wrong with; the check's words are the message. */
const checkedString = (problem: (value: string) => string | undefined): z.ZodType<string> =>
  z.string().superRefine((value, ctx) => {
    const why = problem(value)
    if (why != null) ctx.addIssue({ code: 'custom', message: why })
  })

/**
 * A time in ms that feeds a timer (setTimeout, setInterval, AbortSignal.timeout): Node fires
 * a timer of more than 2^31-1 ms (24.8 days) after 1 ms instead, so a larger value would
 * turn a heartbeat or a sweep into a busy loop.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1
const timerMs = (): z.ZodNumber => z.number().int().positive().max(MAX_TIMER_MS, { error: `at most ${MAX_TIMER_MS} ms (24.8 days): Node fires a longer timer at once` })

export const NodeConfigSchema = z.object({
  listen: z.array(checkedString(listenProblem)).default(DEFAULT_LISTEN)
    .describe('multiaddrs the daemon listens on (overridden by --listen)'),
  announce: z.array(checkedString(multiaddrProblem)).max(16).default([])
    .describe('multiaddrs to tell peers and put in my card instead of the listen ones (a port forward or a proxy in front of the daemon)'),
  outbox: z.object({
    retryBaseMs: timerMs().default(DEFAULT_RETRY_BASE_MS),
    retryMaxMs: timerMs().default(DEFAULT_RETRY_MAX_MS),
    lifetimeMs: z.number().int().positive().default(DEFAULT_MESSAGE_LIFETIME_MS),
    dialTimeoutMs: timerMs().default(DEFAULT_DIAL_TIMEOUT_MS),
    deliverTimeoutMs: timerMs().default(DEFAULT_DELIVER_TIMEOUT_MS)
  }).prefault({}),
  limits: z.object({
    maxEnvelopeBytes: z.number().int().positive().default(DEFAULT_MAX_ENVELOPE_BYTES),
    maxMimeBytes: z.number().int().positive().default(DEFAULT_MAX_MIME_BYTES)
  }).prefault({}),
  maxParkedAttachmentBytes: z.number().int().positive().default(DEFAULT_MAX_PARKED_ATTACHMENT_BYTES)
    .describe('attachments above this size stay on my node and each recipient pulls them (blobs); smaller ones ride inside the message'),
  blobs: z.object({
    retentionMs: z.number().int().positive().default(DEFAULT_BLOB_RETENTION_MS),
    inFlight: z.number().int().min(1).max(16).default(DEFAULT_BLOB_IN_FLIGHT),
    sweepIntervalMs: timerMs().default(DEFAULT_BLOB_SWEEP_MS),
    /** Least time between two progress events of one pull (0: one per chunk). */
    progressIntervalMs: z.number().int().min(0).max(MAX_TIMER_MS, { error: `at most ${MAX_TIMER_MS} ms (24.8 days)` }).default(DEFAULT_PROGRESS_INTERVAL_MS),
    maxStrangerBytes: z.number().int().nonnegative().default(DEFAULT_MAX_STRANGER_BLOB_BYTES)
      .describe('a large attachment on mail in requests or quarantine (not from a contact) or in the trash is pulled by itself only up to this size; a larger one waits until the message is moved to the inbox or `transfers --retry BLOBID`'),
    serveCoRecipients: z.boolean().default(true)
      .describe('serve a large attachment I pulled whole to the other recipients its sender listed, so they get it while the sender is offline (a running daemon applies a change at once)')
  }).prefault({}),
  homeServers: z.array(HomeServerAddr).max(16).default([])
    .describe('cache servers that hold mail for me while I am offline, relay for me and publish my presence (`peerpost servers add`)'),
  servers: z.object({
    heartbeatMs: timerMs().default(DEFAULT_HEARTBEAT_MS),
    reconnectBaseMs: timerMs().default(DEFAULT_RECONNECT_BASE_MS),
    reconnectMaxMs: timerMs().default(DEFAULT_RECONNECT_MAX_MS)
  }).prefault({}),
  search: z.object({
    bodyParseLimit: z.number().int().min(1).max(100_000).default(DEFAULT_SEARCH_BODY_PARSE_LIMIT)
      .describe('message bodies one search request parses at most before it answers with a cursor to page on (each takes ~0.1-1 ms of the daemon\'s time)')
  }).prefault({}),
  presence: z.object({
    status: z.enum(PRESENCE_STATUSES).default('available')
  }).prefault({}),
  requests: z.object({
    stampBits: z.number().int().min(0).max(MAX_STAMP_BITS).default(DEFAULT_STAMP_BITS)
      .describe('proof of work (bits) a stranger\'s mail must carry; senders mint DEFAULT_STAMP_BITS, so more refuses strangers until senders raise it too; 0 turns it off')
  }).prefault({}),
  holding: z.object({
    enabled: z.boolean().default(true)
      .describe('hold sealed mail for an offline co-recipient of mail I got (`peerpost config set holding.enabled false` turns it off)'),
    maxBytes: z.number().int().nonnegative().default(DEFAULT_HOLDING_MAX_BYTES),
    maxCount: z.number().int().nonnegative().default(DEFAULT_HOLDING_MAX_COUNT),
    maxBytesPerDepositor: z.number().int().nonnegative().default(DEFAULT_HOLDING_MAX_BYTES_PER_DEPOSITOR)
      .describe('bytes one sender may have held here at once (the peer that deposited them)'),
    maxCountPerDepositor: z.number().int().nonnegative().default(DEFAULT_HOLDING_MAX_COUNT_PER_DEPOSITOR)
      .describe('envelopes one sender may have held here at once'),
    retentionMs: z.number().int().positive().default(DEFAULT_HOLDING_RETENTION_MS),
    sweepIntervalMs: timerMs().default(DEFAULT_HOLDING_SWEEP_MS),
    minFreeDiskBytes: z.number().int().nonnegative().default(DEFAULT_HOLDING_MIN_FREE_DISK_BYTES)
      .refine(v => diskReserveProblem(v) == null, { error: iss => diskReserveProblem(iss.input as number) ?? 'invalid' })
      .describe('free disk a deposit for a co-recipient may not take my node below (refused like a full quota: the sender tries another holder); 0 turns the check off')
  }).prefault({})
}).strict()

export type NodeConfig = z.infer<typeof NodeConfigSchema>

export class ConfigError extends Error {
  static readonly NAME = 'ConfigError'
  override name = ConfigError.NAME
}

/** Validate a parsed config object; throws ConfigError naming the first bad field. */
export function parseNodeConfig (input: unknown, source = 'config'): NodeConfig {
  const result = NodeConfigSchema.safeParse(input ?? {})
  if (!result.success) {
    const issue = result.error.issues[0]
    const where = issue?.path.join('.') ?? ''
    throw new ConfigError(`${source}: ${where === '' ? '' : `${where}: `}${issue?.message ?? 'invalid'}`)
  }
  return result.data
}

/**
 * The parsed JSON of a config file, or `missing` when the file does not exist and `missing`
 * is given. A file that cannot be read, or is not JSON, is a ConfigError naming it.
 */
export async function readConfigJson (path: string, missing?: unknown): Promise<unknown> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && missing !== undefined) return missing
    throw new ConfigError(`cannot read ${path}: ${(err as Error).message}`)
  }
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new ConfigError(`${path} is not valid JSON: ${(err as Error).message}`)
  }
}

/** Read a JSON config file; a missing file means all defaults. */
export async function loadNodeConfig (path: string): Promise<NodeConfig> {
  return parseNodeConfig(await readConfigJson(path, {}), path)
}

/** The raw JSON of a config file ({} when it does not exist), for editing without filling in defaults. */
async function readRawConfig (path: string): Promise<Record<string, unknown>> {
  const json = await readConfigJson(path, {})
  if (json == null || typeof json !== 'object' || Array.isArray(json)) throw new ConfigError(`${path} is not a JSON object`)
  return json as Record<string, unknown>
}

/**
 * Change a config file: `edit` gets the file's own JSON (defaults not filled in, so the file
 * stays as short as the person wrote it), the result is validated by the schema and written
 * atomically (temp file + rename). Resolves to the new effective config.
 *
 * @example
 * await updateNodeConfig(paths.config, raw => ({ ...raw, presence: { status: 'away' } }))
 */
export async function updateNodeConfig (path: string, edit: (raw: Record<string, unknown>) => Record<string, unknown>): Promise<NodeConfig> {
  const next = edit(await readRawConfig(path))
  const config = parseNodeConfig(next, path)
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`
  await writeFile(tmp, JSON.stringify(next, null, 2) + '\n', { mode: 0o600 })
  await rename(tmp, path)
  return config
}

/**
 * Save the listen address of a new home (`init`, the UI's first run): TCP `port` when given
 * (0: a new one each start), else DEFAULT_NODE_PORT or a free one picked now (listen-port.ts).
 * Resolves to the saved addresses.
 */
export async function saveListenPort (path: string, port?: number, canBind: Bindable = bindable): Promise<string[]> {
  const listen = port != null ? [`/ip4/0.0.0.0/tcp/${port}`] : await chooseListen(canBind)
  await updateNodeConfig(path, raw => ({ ...raw, listen }))
  return listen
}

/** A key `peerpost config get/set` does not know. */
export class UnknownConfigKeyError extends Error {
  static readonly NAME = 'UnknownConfigKeyError'
  override name = UnknownConfigKeyError.NAME
  constructor (key: string) {
    super(`unknown config key "${key.slice(0, 100)}": see \`peerpost config\` for the keys (dotted, e.g. holding.enabled)`)
  }
}

/** The value at a dotted key of the effective config; throws UnknownConfigKeyError. */
export function configValue (config: NodeConfig, key: string): unknown {
  let value: unknown = config
  for (const part of key.split('.')) {
    if (value == null || typeof value !== 'object' || Array.isArray(value) || !Object.hasOwn(value, part)) throw new UnknownConfigKeyError(key)
    value = (value as Record<string, unknown>)[part]
  }
  return value
}

/**
 * A raw config (the file's JSON) with `value` set at a dotted `key`, which must exist in
 * the effective config (every key does: the schema fills in defaults). The caller writes
 * it through updateNodeConfig, which validates the value.
 *
 * @example
 * await updateNodeConfig(path, raw => withConfigValue(raw, current, 'holding.enabled', false))
 */
export function withConfigValue (raw: Record<string, unknown>, effective: NodeConfig, key: string, value: unknown): Record<string, unknown> {
  // A list key given one text (`config set listen /ip4/0.0.0.0/tcp/4001`) means a list of that one.
  if (Array.isArray(configValue(effective, key)) && typeof value === 'string') value = [value]
  const parts = key.split('.')
  const out: Record<string, unknown> = { ...raw }
  let at = out
  for (const part of parts.slice(0, -1)) {
    const next = at[part]
    at[part] = next != null && typeof next === 'object' && !Array.isArray(next) ? { ...(next as Record<string, unknown>) } : {}
    at = at[part] as Record<string, unknown>
  }
  at[parts[parts.length - 1]!] = value
  checkValueAt(out, key, value)
  return out
}

/** A value `config set` refuses for its key; nothing is written. */
export class InvalidConfigValueError extends Error {
  static readonly NAME = 'InvalidConfigValueError'
  override name = InvalidConfigValueError.NAME
  constructor (readonly key: string, why: string) {
    super(`config set ${key}: ${why} (nothing was changed)`)
  }
}

/**
 * The schema's complaint about the value just set at `key`, as InvalidConfigValueError
 * naming the key and what a good value looks like. A complaint about another key (the file
 * was edited by hand) is left to parseNodeConfig, which names the file.
 */
function checkValueAt (config: Record<string, unknown>, key: string, value: unknown): void {
  const result = NodeConfigSchema.safeParse(config)
  if (result.success) return
  const issue = result.error.issues.find(i => i.path.join('.') === key || i.path.join('.').startsWith(`${key}.`))
  if (issue == null) return
  const shown = JSON.stringify(value)?.slice(0, 200) ?? String(value)
  // The check's own words already quote the value; zod's generic ones ("expected number") do not.
  throw new InvalidConfigValueError(key, issue.code === 'custom' ? issue.message : `${shown} is not valid here: ${issue.message}`)
}

/** A value typed on the command line: JSON when it parses (true, 42, ["a"]), else the text itself. */
export function parseConfigInput (text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}
