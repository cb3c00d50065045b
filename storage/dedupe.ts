import { createHash } from 'node:crypto'
import { sortableTime } from './keys.js'
import type { BatchOp, Sublevels } from './database.js'

/**
 * The mailbox's dedupe key and its tombstone (design section 3: a message's identity is
 * its sender's PeerId and its Message-ID, so nobody can suppress another sender's mail by
 * reusing its Message-ID). One place computes the key, for the receiver that stores a
 * message and for the purge that deletes it, so both always name the same entry.
 */

/**
 * `${fromPeer}\n${messageId}`; a message without a Message-ID is keyed by the sha256 of its
 * MIME instead (the same bytes sent again are the same message).
 *
 * @example
 * messageDedupeKey(sender.peerId, '<a@b>', mime)   // '12D3KooW…\n<a@b>'
 */
export function messageDedupeKey (fromPeer: string, messageId: string, mime: Uint8Array): string {
  return `${fromPeer}\n${messageId !== '' ? messageId : createHash('sha256').update(mime).digest('hex')}`
}

/**
 * A dedupe entry's value is the stored message's local id, or, once the message was deleted
 * for good, a tombstone: this mark then the time of deletion. Ids never contain it
 * (keys.ts: letters, digits, '-', '_'), so one read tells the two apart. The tombstone
 * makes a re-delivery of a deleted message (a sender's retry, a second holder) a duplicate:
 * acknowledged, never stored again. Each tombstone also has an entry in the tombstone index,
 * oldest first, so their expiry (tombstones.ts) reads only the ones that expired.
 */
const TOMBSTONE_MARK = '~'

export function tombstoneValue (deletedAt: number): string {
  return `${TOMBSTONE_MARK}${wholeMs(deletedAt)}`
}

export function isTombstone (value: string | undefined): boolean {
  return value !== undefined && value.startsWith(TOMBSTONE_MARK)
}

/** When a tombstone was made (ms); undefined for a message's id, or a tombstone whose time does not parse. */
export function tombstoneTime (value: string | undefined): number | undefined {
  if (!isTombstone(value)) return undefined
  const at = Number(value?.slice(TOMBSTONE_MARK.length))
  return Number.isSafeInteger(at) && at >= 0 ? at : undefined
}

/** `${sortableTime(deletedAt)}!${dedupeKey}`: the tombstone index's key, soonest made first. */
export function tombstoneIndexKey (deletedAt: number, dedupeKey: string): string {
  return `${sortableTime(wholeMs(deletedAt))}!${dedupeKey}`
}

/** The dedupe key a tombstone index key names (everything after the fixed-width time and '!'). */
export function dedupeKeyOfIndexKey (indexKey: string): string {
  return indexKey.slice(indexKey.indexOf('!') + 1)
}

/** The writes that make `dedupeKey` a tombstone made at `deletedAt`: the entry and its index entry, for one batch. */
export function tombstoneOps (subs: Pick<Sublevels['mailbox'], 'dedupe' | 'tombstones'>, dedupeKey: string, deletedAt: number): BatchOp[] {
  return [
    { type: 'put', sublevel: subs.dedupe, key: dedupeKey, value: tombstoneValue(deletedAt) },
    { type: 'put', sublevel: subs.tombstones, key: tombstoneIndexKey(deletedAt, dedupeKey), value: '' }
  ]
}

const wholeMs = (ms: number): number => Math.max(0, Math.floor(ms))
