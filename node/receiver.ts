import { DEFAULT_STAMP_BITS, envelopeStampBits, openEnvelope, sha256 } from './crypto/index.js'
import { messageDedupeKey } from '../storage/dedupe.js'
import { assertEnvelopeFresh } from './envelope-age.js'
import { MessageRefusedError, StampRequiredError } from './protocol/errors.js'
import { parseSummary, peerIdFromAddress } from './mime/index.js'
import { blobSummaryOf } from './attachments.js'
import type { NodeEvents } from './events.js'
import type { VerifiedCard } from './identity/index.js'
import type { Identity } from './identity/index.js'
import type { MessageSummary, ParsedMessage } from './mime/index.js'
import type { ReceiptSubject } from './crypto/index.js'
import type { BlobRef } from './protocol/peerpost.js'
import type { Contacts, Folder, Mailbox, NewMessage } from '../storage/types.js'
import type { Logger } from '@libp2p/interface'

export interface ReceiverComponents {
  identity: Identity
  /**
   * Record durably that the message's large attachments are to be pulled (node/transfers.ts).
   * Called before the receipt is signed, for a duplicate too (idempotent), so a crash
   * between storing and recording cannot lose an attachment.
   */
  registerBlobs?: (refs: BlobRef[], messageId: string, sender: VerifiedCard) => Promise<void>
  mailbox: Mailbox
  contacts: Contacts
  events: NodeEvents
  log: Logger
  now: () => number
}

export interface ReceiverInit {
  maxMimeBytes: number
  /** Proof of work required on mail from strangers, in bits (default DEFAULT_STAMP_BITS; 0 turns it off). */
  strangerStampBits?: number
  /** An envelope sealed longer ago than this is refused (default MAX_ENVELOPE_AGE_MS, node/envelope-age.ts). */
  maxEnvelopeAgeMs?: number
}

export interface Placement {
  folder: Folder
  warning?: string
}

/**
 * How an envelope reached me: handed over by its sender on the deliver stream, who can mint
 * a stamp and retry when asked; or pulled from a holder (cache server, co-recipient), where
 * nobody can be asked for one any more.
 */
export type Arrival = 'direct' | 'holder'

const hex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')

/**
 * The inbox side: opens a sealed envelope addressed to this node, decides its folder,
 * stores it once (durably) and says what its receipt covers. Whatever the envelope holds, it either
 * lands whole or throws a typed error and nothing is stored.
 */
export class Receiver {
  constructor (private readonly components: ReceiverComponents, private readonly init: ReceiverInit) {}

  /** Store one sealed envelope; resolves to what its receipt will say only once the message is durable. */
  async receive (envelopeBytes: Uint8Array, arrival: Arrival = 'direct'): Promise<ReceiptSubject> {
    const { identity, mailbox, events, now } = this.components
    const opened = openEnvelope(envelopeBytes, identity, { maxMimeBytes: this.init.maxMimeBytes })
    // Too old to be an honest copy: refused before anything is read or stored. This is what
    // lets a deleted message's tombstone expire (storage/tombstones.ts) without a late copy
    // bringing the message back.
    assertEnvelopeFresh(opened.timestamp, now(), this.init.maxEnvelopeAgeMs)
    await this.checkStamp(envelopeBytes, opened.sender.peerId, arrival)
    // The summary only: a one-part text message is indexed from its header block (the body
    // is parsed when it is read): less work per message (issue 8).
    const parsed = await parseSummary(opened.mime, { maxBytes: this.init.maxMimeBytes })
    const sender = opened.sender
    // The dedupe key includes the verified sender, so nobody can suppress another
    // sender's mail by reusing its Message-ID (design section 3).
    const dedupeKey = messageDedupeKey(sender.peerId, parsed.messageId, opened.mime)
    // No separate "seen it?" read first: add() checks the dedupe key under its lock and
    // answers a repeat with the stored id (a read less per message, issue 8), and what
    // place() may write for a repeat (a newer card, a changed key) it writes once.
    const placement = await this.place(sender, parsed)
    const message = toNewMessage(parsed, opened.mime.byteLength, sender.peerId, placement, now())
    if (opened.blobRefs.length > 0) message.blobs = opened.blobRefs.map(blobSummaryOf)
    const { id: stored, duplicate, deleted } = await mailbox.add(message, opened.mime, dedupeKey)
    if (deleted === true) {
      // Deleted for good here (a tombstone keeps its dedupe key): the sender gets its receipt
      // and holders their ack, so they stop offering it, but nothing is stored or pulled again.
      this.components.log('%s from %s was deleted here: acknowledged, not stored again', parsed.messageId, sender.peerId)
      return { envelopeId: opened.envelopeId, envelopeSha256: sha256(envelopeBytes) }
    }
    const added = duplicate ? undefined : { id: stored, folder: placement.folder }
    if (opened.blobRefs.length > 0) await this.components.registerBlobs?.(opened.blobRefs, stored, sender)
    if (added != null) {
      this.components.log('stored %s from %s in %s', parsed.messageId, sender.peerId, added.folder)
      events.emit('mail:received', { id: added.id, folder: added.folder, fromPeer: sender.peerId, stamped: opened.stamp.byteLength > 0 })
    }
    return { envelopeId: opened.envelopeId, envelopeSha256: sha256(envelopeBytes) }
  }

  /**
   * Mail from a stranger must carry proof of work (a stamp, node/crypto/stamp.ts) of at
   * least `strangerStampBits`, checked before anything is parsed or stored; pinned
   * contacts are exempt (and are told so on the deliver stream, so they stop minting).
   * Handed over directly without it: StampRequiredError (STAMP_REQUIRED, the sender mints
   * one and retries at once). Pulled from a holder without it: a former contact's mail is
   * taken (it lands in requests; it was sealed stampless because I had told that sender it
   * needed none, and it cannot be asked again), anyone else's is refused for good
   * (MessageRefusedError: the holder is told to drop it), or parking would bypass the stamp.
   */
  private async checkStamp (envelopeBytes: Uint8Array, senderPeerId: string, arrival: Arrival): Promise<void> {
    const required = this.init.strangerStampBits ?? DEFAULT_STAMP_BITS
    if (required === 0) return
    const { contacts } = this.components
    // Contacts first: a cached lookup, where checking the stamp hashes the whole ciphertext.
    if (await contacts.getByPeerId(senderPeerId) != null) return
    const bits = envelopeStampBits(envelopeBytes)
    if (bits >= required) return
    const why = `a message from someone not in the recipient's contacts needs a proof of work of ${required} bits (stamp); this one has ${bits}`
    if (arrival === 'direct') throw new StampRequiredError(why)
    if (await contacts.wasContact(senderPeerId)) return
    throw new MessageRefusedError(why)
  }

  /**
   * Where a message belongs. A contact's mail goes to the inbox; a stranger's to requests;
   * mail that claims a contact's address but is signed by another key, or a contact's
   * card with a different encryption key than the pinned one, to quarantine with a warning.
   */
  async place (sender: VerifiedCard, parsed: Pick<MessageSummary, 'from'>): Promise<Placement> {
    const { contacts, now } = this.components
    const claimed = peerIdFromAddress(parsed.from)
    if (claimed != null && claimed !== sender.peerId) {
      const impersonated = await contacts.getByPeerId(claimed)
      if (impersonated != null) {
        return { folder: 'quarantine', warning: `claims to be from your contact ${impersonated.name} but is signed by another key (${sender.peerId})` }
      }
      return { folder: 'requests', warning: `the From header names ${claimed} but the message is signed by ${sender.peerId}` }
    }
    const contact = await contacts.getByPeerId(sender.peerId)
    if (contact == null) return { folder: 'requests' }
    if (contact.boxPublicKey !== hex(sender.boxPublicKey)) {
      // Kept for `contacts accept-key`; until then sending to this contact is refused.
      if (contact.pendingCard == null || !Buffer.from(contact.pendingCard).equals(sender.encoded)) {
        await contacts.update({ ...contact, pendingCard: sender.encoded, updatedAt: now() })
      }
      return { folder: 'quarantine', warning: `KEY CHANGED: ${contact.name}'s card now has a different encryption key than the one you pinned; compare fingerprints before trusting it` }
    }
    if (sender.created > contact.cardCreated && (!sameList(sender.addrs, contact.addrs) || !sameList(sender.homeServers, contact.homeServers))) {
      // Same keys, newer card that says something new: learn the new addresses and home
      // servers. Only then: the update is a synced write under the contacts store's one
      // lock, awaited before the message is stored.
      await contacts.update({ ...contact, card: sender.encoded, cardCreated: sender.created, addrs: sender.addrs, homeServers: sender.homeServers, updatedAt: now() })
    }
    return { folder: 'inbox' }
  }
}

const sameList = (a: readonly string[], b: readonly string[] | undefined): boolean =>
  b != null && a.length === b.length && a.every((x, i) => x === b[i])

/** The stored summary of a message from its parsed (or, for my own, composed) headers. */
export function toNewMessage (parsed: ParsedMessage | MessageSummary, size: number, fromPeer: string, placement: Placement, receivedAt: number): NewMessage {
  const message: NewMessage = {
    folder: placement.folder,
    messageId: parsed.messageId,
    fromPeer,
    from: parsed.from,
    to: parsed.to,
    cc: parsed.cc,
    subject: parsed.subject,
    date: parsed.date !== 0 ? parsed.date : receivedAt,
    receivedAt,
    unread: true,
    attachments: parsed.attachments.map(a => ({ name: a.name, type: a.type, size: a.size, sha256: a.sha256 })),
    references: parsed.references,
    size
  }
  if (parsed.inReplyTo != null) message.inReplyTo = parsed.inReplyTo
  if (placement.warning != null) message.warning = placement.warning
  return message
}
