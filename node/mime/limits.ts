/**
 * Bounds on what the MIME layer reads. A message comes from a peer we may not trust, so
 * every dimension that costs memory or CPU has a cap that is checked before or while parsing.
 */

/** Largest whole message, in bytes. */
export const DEFAULT_MAX_BYTES = 32 * 1024 * 1024
/** Largest header block of the message or of any one part, in bytes. */
export const DEFAULT_MAX_HEADER_BYTES = 256 * 1024
/** Most MIME entities (containers, bodies and attachments) in one message. */
export const DEFAULT_MAX_PARTS = 500
/** Deepest nesting of multiparts and embedded messages. */
export const DEFAULT_MAX_NESTING = 30

export interface MimeLimits {
  /** Largest whole message, in bytes. Default {@link DEFAULT_MAX_BYTES}. */
  maxBytes: number
  /** Largest header block, in bytes. Default {@link DEFAULT_MAX_HEADER_BYTES}. */
  maxHeaderBytes: number
  /** Most MIME parts. Default {@link DEFAULT_MAX_PARTS}. */
  maxParts: number
  /** Deepest nesting. Default {@link DEFAULT_MAX_NESTING}. */
  maxNesting: number
}

/**
 * Fills in the defaults for the limits not given.
 *
 * @example resolveLimits({ maxBytes: 1024 * 1024 }).maxParts === 500
 */
export function resolveLimits (limits: Partial<MimeLimits> = {}): MimeLimits {
  const resolved: MimeLimits = {
    maxBytes: limits.maxBytes ?? DEFAULT_MAX_BYTES,
    maxHeaderBytes: limits.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES,
    maxParts: limits.maxParts ?? DEFAULT_MAX_PARTS,
    maxNesting: limits.maxNesting ?? DEFAULT_MAX_NESTING
  }
  for (const [key, value] of Object.entries(resolved)) {
    // A zero, negative or fractional limit is a caller bug, not a property of the message.
    if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`MIME limit ${key} must be a positive integer, got ${String(value)}`)
  }
  return resolved
}
