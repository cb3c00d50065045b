import { createHash } from 'node:crypto'

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
 * acknowledged, never stored again.
 */
const TOMBSTONE_MARK = '~'

export function tombstoneValue (deletedAt: number): string {
  return `${TOMBSTONE_MARK}${Math.max(0, Math.floor(deletedAt))}`
}

export function isTombstone (value: string | undefined): boolean {
  return value !== undefined && value.startsWith(TOMBSTONE_MARK)
}
