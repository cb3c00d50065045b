import { sealEnvelope } from './crypto/index.js'
import { blobRefOf } from './attachments.js'
import { PeerRefusedError } from './errors.js'
import { ErrorCode } from './protocol/peerpost.js'
import type { SealedResult } from './crypto/index.js'
import type { NodeEvents } from './events.js'
import type { Identity } from './identity/index.js'
import type { BlobRef, IdentityCard } from './protocol/peerpost.js'
import type { BlobStore } from '../storage/blob-types.js'
import type { Mailbox, Outbox, OutboxEntry } from '../storage/types.js'

/**
 * Queued mail follows a contact's accepted key change. Envelopes are sealed when a message
 * is queued; when a contact's card changes its encryption key, the outbox holds that
 * contact's pending envelopes (outbox-engine.ts) until `contacts accept-key`, which seals
 * each of them again, from the Sent copy, to the new key and replaces the stored one in the
 * same way a minted stamp does (Outbox.replaceEnvelope, node/restamp.ts). Envelopes already
 * delivered or parked are left as they are.
 */

/** How a held recipient's lastError starts: no attempt is made while it says so. */
export const HELD_PREFIX = 'held: '

/** What a held recipient's state says while its key change waits (outbox-engine.ts). */
export function keyChangeWaitText (name: string): string {
  return `${HELD_PREFIX}${name}'s key changed, run peerpost contacts accept-key ${name}`
}

/** Whether a pending recipient is held for a key change (no attempts until accept-key). */
export function isHeldForKeyChange (r: { state: string, lastError?: string }): boolean {
  return r.state === 'pending' && r.lastError?.startsWith(HELD_PREFIX) === true
}

/** The recipient's own node could not open the envelope (UNSEALABLE): it holds another key than the one I sealed to. */
export function isUnsealable (err: unknown): boolean {
  return err instanceof PeerRefusedError && err.code === ErrorCode.UNSEALABLE
}

/** What a recipient's state says after it could not open its envelope. */
export function keyUnknownText (name: string, err: Error): string {
  return `${name} could not open it, their key may have changed; it goes once their new card arrives and you run peerpost contacts accept-key ${name} (${err.message})`
}

/** A recipient as sealing needs it; `stampExempt`: it said I am its contact, so no stamp (restamp.ts). */
export interface SealRecipient { peerId: string, boxPublicKey: Uint8Array, stampExempt: boolean }

/** One recipient's sealed envelope of a message: what `send` does per recipient and a re-seal does again. */
export function sealMessageFor (sender: Identity, senderCard: IdentityCard, recipient: SealRecipient, mime: Uint8Array, blobRefs: BlobRef[], timestamp: number): SealedResult {
  // A stamp only for recipients not known to have me as a contact: minting it was ~18% of a
  // sender's CPU per message.
  return sealEnvelope({ sender, senderCard, recipient: { peerId: recipient.peerId, boxPublicKey: recipient.boxPublicKey }, mime, blobRefs, timestamp, ...(recipient.stampExempt ? { stampBits: 0 } : {}) })
}

export interface ResealComponents {
  identity: Identity
  /** My current card, carried inside the seal. */
  card: () => IdentityCard
  outbox: Outbox
  mailbox: Pick<Mailbox, 'get' | 'getRaw'>
  /** Where the message's large attachments are (their keys go into the envelope again). */
  blobs?: Pick<BlobStore, 'get'>
  events: NodeEvents
  now: () => number
}

export interface ResealResult {
  /** Outbox ids whose envelope for the contact now uses the new key. */
  resealed: string[]
  /** Outbox ids that could not be sealed again (their Sent copy is gone): marked failed. */
  failed: string[]
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')

/**
 * Seal every pending envelope for `recipient` again to its (new) box key, each under a new
 * envelope id, replacing the stored one durably and making it due now. A new id rather than
 * the old one: a holder that stored the old bytes (its receipt lost) keeps them under the old
 * id, so the new bytes are never mistaken for them; the receiver dedupes by sender and
 * Message-ID, which do not change. Idempotent: run again (after a crash) it seals again.
 */
export async function resealPending (c: ResealComponents, recipient: SealRecipient): Promise<ResealResult> {
  const result: ResealResult = { resealed: [], failed: [] }
  const senderCard = c.card()
  for (const entry of await c.outbox.pending()) {
    if (!entry.recipients.some(r => r.peerId === recipient.peerId && r.state === 'pending')) continue
    const mime = await c.mailbox.getRaw(entry.id)
    if (mime == null) {
      // Nothing to seal from: sending the old envelope would reach nobody who can open it.
      const lastError = 'could not be sealed to the contact\'s new key: its Sent copy is missing'
      // Only while still pending (not cancelled meanwhile).
      const updated = await c.outbox.updateRecipient(entry.id, recipient.peerId, { state: 'failed', lastError }, { onlyIfPending: true })
      if (updated.recipients.find(r => r.peerId === recipient.peerId)?.state !== 'failed') continue
      c.events.emit('outbox:recipient', { id: entry.id, peerId: recipient.peerId, state: 'failed', error: lastError })
      result.failed.push(entry.id)
      continue
    }
    // The original time: the message is the same, only its seal is new.
    const sealed = sealMessageFor(c.identity, senderCard, recipient, mime, await blobRefsOf(c, entry), entry.createdAt)
    const envelopeId = hex(sealed.envelopeId)
    // Only while still pending: an engine round that started before the change was seen may
    // have delivered or parked the old envelope meanwhile, and that is history.
    const after = await c.outbox.replaceEnvelope(entry.id, recipient.peerId, sealed.bytes, { envelopeId, nextAttemptAt: c.now(), lastError: undefined }, { onlyIfPending: true })
    if (after.recipients.find(r => r.peerId === recipient.peerId)?.envelopeId !== envelopeId) continue
    c.events.emit('outbox:recipient', { id: entry.id, peerId: recipient.peerId, state: 'pending' })
    result.resealed.push(entry.id)
  }
  return result
}

/**
 * The blob references the message's envelopes carry, rebuilt from the Sent copy (names,
 * types) and the blob store (keys). A blob no longer held (its retention ended) is left out:
 * its reference could only lead to nothing.
 */
async function blobRefsOf (c: ResealComponents, entry: OutboxEntry): Promise<BlobRef[]> {
  if ((entry.blobIds?.length ?? 0) === 0) return []
  if (c.blobs == null) throw new TypeError('resealPending: a blob store is needed to seal again a message with large attachments')
  const sent = await c.mailbox.get(entry.id)
  const refs: BlobRef[] = []
  for (const b of sent?.blobs ?? []) {
    const record = await c.blobs.get(b.blobId)
    if (record != null) refs.push(blobRefOf(record, b, c.identity.peerIdString))
  }
  return refs
}
