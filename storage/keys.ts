import { randomBytes } from 'node:crypto'
import { InvalidCursorError, InvalidIdError } from './errors.js'

/**
 * Key-building helpers shared by the stores. Keys are utf8 strings; `!` separates parts
 * (it sorts before every id character, so `a!…` ranges never catch `ab!…`).
 */

export const SEPARATOR = '!'
/** The character right after SEPARATOR: `prefix + '!'` .. `prefix + '"'` spans one prefix. */
const AFTER_SEPARATOR = '"'

/**
 * The thread index's key: the Message-ID a message refers to, NUL, the message's local id.
 * NUL, not SEPARATOR: a Message-ID may contain `!`, never NUL (header text), so the range
 * of one Message-ID never catches another that starts with it.
 */
export function replyKey (referencedMessageId: string, id: string): string {
  return `${referencedMessageId}\0${id}`
}

/** The range of replyKey entries for one referenced Message-ID. */
export function replyRange (referencedMessageId: string): { gte: string, lt: string } {
  return { gte: `${referencedMessageId}\0`, lt: `${referencedMessageId}\x01` }
}

/** At most this many Message-IDs of one message are indexed (References can be long; the nearest ones matter). */
export const MAX_INDEXED_REFERENCES = 100

/** The Message-IDs a message refers to, for the thread index: In-Reply-To and the last References, distinct. */
export function referencedIds (m: { inReplyTo?: string, references: readonly string[] }): string[] {
  const ids = new Set<string>()
  if (m.inReplyTo != null && m.inReplyTo !== '') ids.add(m.inReplyTo)
  for (const r of m.references.slice(-MAX_INDEXED_REFERENCES)) if (r !== '') ids.add(r)
  return [...ids].slice(0, MAX_INDEXED_REFERENCES)
}

/** 12 hex digits of ms cover dates up to the year 10889. */
const TIME_HEX_DIGITS = 12
const MAX_TIME = 0xffffffffffff

const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/

/** ms time as fixed-width hex: sorts ascending with time. */
export function sortableTime (ms: number): string {
  return clampTime(ms).toString(16).padStart(TIME_HEX_DIGITS, '0')
}

/** ms time as fixed-width hex that sorts *descending* with time, so newest-first is a forward read. */
export function invertedTime (ms: number): string {
  return (MAX_TIME - clampTime(ms)).toString(16).padStart(TIME_HEX_DIGITS, '0')
}

function clampTime (ms: number): number {
  if (!Number.isFinite(ms) || ms < 0) return 0
  return Math.min(Math.floor(ms), MAX_TIME)
}

/**
 * A new local id: 12 hex digits of ms time then 8 random hex digits, so ids sort by
 * creation time and two made in the same millisecond still differ.
 */
export function newId (nowMs: number): string {
  return sortableTime(nowMs) + randomBytes(4).toString('hex')
}

/** Ids become parts of keys: refuse anything that could contain the separator. */
export function assertId (id: string): void {
  if (!ID_PATTERN.test(id)) throw new InvalidIdError(id)
}

/** Range options covering every key that starts with `prefix!`. */
export function prefixRange (prefix: string): { gte: string, lt: string } {
  return { gte: prefix + SEPARATOR, lt: prefix + AFTER_SEPARATOR }
}

/** An opaque cursor for the page after `lastKey`. */
export function encodeCursor (lastKey: string): string {
  return Buffer.from(lastKey, 'utf8').toString('base64url')
}

/** The key a cursor stands for; it must fall in `range` or the cursor belongs elsewhere. */
export function decodeCursor (cursor: string, range: { gte: string, lt: string }): string {
  const key = Buffer.from(cursor, 'base64url').toString('utf8')
  if (key < range.gte || key >= range.lt) throw new InvalidCursorError()
  return key
}

export const DEFAULT_PAGE_SIZE = 50
export const MAX_PAGE_SIZE = 1000

/** The page size asked for, bounded to 1..MAX_PAGE_SIZE. */
export function pageSize (limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return DEFAULT_PAGE_SIZE
  return Math.min(Math.max(Math.floor(limit), 1), MAX_PAGE_SIZE)
}
