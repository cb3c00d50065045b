import { readFile } from 'node:fs/promises'
import { z } from 'zod'

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

export const NodeConfigSchema = z.object({
  listen: z.array(z.string()).default(DEFAULT_LISTEN)
    .describe('multiaddrs the daemon listens on (overridden by --listen)'),
  outbox: z.object({
    retryBaseMs: z.number().int().positive().default(DEFAULT_RETRY_BASE_MS),
    retryMaxMs: z.number().int().positive().default(DEFAULT_RETRY_MAX_MS),
    lifetimeMs: z.number().int().positive().default(DEFAULT_MESSAGE_LIFETIME_MS),
    dialTimeoutMs: z.number().int().positive().default(DEFAULT_DIAL_TIMEOUT_MS),
    deliverTimeoutMs: z.number().int().positive().default(DEFAULT_DELIVER_TIMEOUT_MS)
  }).prefault({}),
  limits: z.object({
    maxEnvelopeBytes: z.number().int().positive().default(DEFAULT_MAX_ENVELOPE_BYTES),
    maxMimeBytes: z.number().int().positive().default(DEFAULT_MAX_MIME_BYTES)
  }).prefault({}),
  maxParkedAttachmentBytes: z.number().int().positive().default(DEFAULT_MAX_PARKED_ATTACHMENT_BYTES)
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

/** Read a JSON config file; a missing file means all defaults. */
export async function loadNodeConfig (path: string): Promise<NodeConfig> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return parseNodeConfig({}, path)
    throw new ConfigError(`cannot read ${path}: ${(err as Error).message}`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    throw new ConfigError(`${path} is not valid JSON: ${(err as Error).message}`)
  }
  return parseNodeConfig(json, path)
}
