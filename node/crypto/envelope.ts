import { BlobRef, IdentityCard, InnerRecord, SealedEnvelope, SignedContent } from '../protocol/peerpost.js'
import { CARD_DECODE_LIMITS, verifyCard } from '../identity/card.js'
import { peerIdBytesFromString, peerIdStringFromBytes } from '../identity/peer-id.js'
import { EnvelopeTooLargeError } from '../../storage/holding-errors.js'
import { boxOpen, boxSeal, BOX_NONCE_BYTES, BOX_OVERHEAD_BYTES, BOX_PUBLIC_KEY_BYTES } from './box.js'
import { verifyEd25519, withDomain } from './ed25519.js'
import { BoundedCache } from './key-cache.js'
import { BadSignatureError, InvalidCardError, MalformedEnvelopeError, WrongRecipientError } from './errors.js'
import { equalBytes, own, randomBytes, sha256, toHex } from './hash.js'
import { DEFAULT_STAMP_BITS, mintStamp, STAMP_BYTES } from './stamp.js'
import type { VerifiedCard } from '../identity/card.js'
import type { Identity } from '../identity/identity.js'

/** Prefix of every inner envelope signature (design section 3). */
export const ENVELOPE_SIGNING_DOMAIN = new TextEncoder().encode('peerpost/envelope/v1\n')
export const ENVELOPE_ID_BYTES = 16
/** At most this many blob references per message. */
export const MAX_BLOB_REFS = 256
/** At most this many holders listed per blob reference. */
export const MAX_BLOB_LOCATIONS = 16
/**
 * At most this many recipients listed per blob reference (co-recipients serve each other
 * only within it; a sender with more recipients lists none, and each pulls from the sender).
 */
export const MAX_BLOB_RECIPIENTS = 64

const INNER_DECODE_LIMITS = {
  senderCard: CARD_DECODE_LIMITS,
  blobRefs: MAX_BLOB_REFS
}
const BLOB_REF_DECODE_LIMITS = { locations: MAX_BLOB_LOCATIONS, recipients: MAX_BLOB_RECIPIENTS }

/**
 * Sender cards already verified, by sha256 of their encoding: every envelope carries its
 * sender's card, and the same few senders' cards arrive over and over (re-verifying was
 * ~8% of a recipient's CPU). Keyed by the whole card's hash, so any changed byte is a miss
 * and is verified; a verified card is public data; bounded against a flood of strangers.
 */
const verifiedCards = new BoundedCache<VerifiedCard>(256)

function verifySenderCard (card: IdentityCard): VerifiedCard {
  const key = toHex(sha256(IdentityCard.encode(card)))
  let verified = verifiedCards.get(key)
  if (verified === undefined) {
    verified = verifyCard(card)
    verifiedCards.set(key, verified)
  }
  return verified
}

export interface SealInput {
  sender: Identity
  /** The sender's own card (from makeCard), carried inside the seal. */
  senderCard: IdentityCard
  recipient: { peerId: string, boxPublicKey: Uint8Array }
  /** The RFC 5322 message. */
  mime: Uint8Array
  blobRefs?: BlobRef[]
  /** ms since epoch. */
  timestamp: number
  /** 16 bytes; random unless given (e.g. when re-sealing the same message). */
  envelopeId?: Uint8Array
  /** Proof of work to mint on the envelope (stamp.ts); default DEFAULT_STAMP_BITS, 0 for none. */
  stampBits?: number
}

export interface SealedResult {
  envelope: SealedEnvelope
  /** `SealedEnvelope.encode(envelope)`: what goes on the wire and what receipts hash. */
  bytes: Uint8Array<ArrayBuffer>
  envelopeId: Uint8Array<ArrayBuffer>
}

export interface OpenedEnvelope {
  envelopeId: Uint8Array<ArrayBuffer>
  sender: VerifiedCard
  /** ms since epoch, as the sender signed it. */
  timestamp: number
  mime: Uint8Array<ArrayBuffer>
  blobRefs: BlobRef[]
  /** The stamp outside the seal, as it came (empty when the sender minted none); stamp.ts checks what it proves. */
  stamp: Uint8Array
}

export interface OpenLimits {
  /** Reject a message whose MIME is larger than this many bytes. */
  maxMimeBytes?: number
}

/**
 * What the sender signs: binds the message to one recipient, time, MIME and blob refs.
 * The refs go in as encoded (the InnerRecord's bytes, peerpost.proto), so a recipient
 * verifies what the sender wrote, including fields of BlobRef newer than its own code.
 */
function signedContentBytes (recipient: Uint8Array<ArrayBuffer>, timestamp: bigint, mime: Uint8Array, blobRefs: Array<Uint8Array<ArrayBuffer>>, envelopeId: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  return withDomain(ENVELOPE_SIGNING_DOMAIN, SignedContent.encode({ recipient, timestamp, mimeSha256: sha256(mime), blobRefs, envelopeId }))
}

/**
 * Seal one message to one recipient: sign, then box the inner record to the recipient's
 * X25519 key. Only the recipient PeerId, the envelope id and the size are visible outside.
 *
 * @example
 * const { bytes, envelopeId } = sealEnvelope({ sender: me, senderCard: myCard, recipient: { peerId, boxPublicKey }, mime, timestamp: Date.now() })
 */
export function sealEnvelope (input: SealInput): SealedResult {
  const envelopeId = input.envelopeId != null ? own(input.envelopeId) : randomBytes(ENVELOPE_ID_BYTES)
  if (envelopeId.byteLength !== ENVELOPE_ID_BYTES) throw new TypeError(`an envelope id is ${ENVELOPE_ID_BYTES} bytes, got ${envelopeId.byteLength}`)
  if (!Number.isSafeInteger(input.timestamp) || input.timestamp < 0) throw new TypeError('the timestamp must be a non-negative integer of ms')
  const recipient = peerIdBytesFromString(input.recipient.peerId)
  const timestamp = BigInt(input.timestamp)
  const mime = own(input.mime)
  const blobRefs = (input.blobRefs ?? []).map(ref => BlobRef.encode(ref))
  const signature = input.sender.signer.sign(signedContentBytes(recipient, timestamp, mime, blobRefs, envelopeId))
  const inner = InnerRecord.encode({ senderCard: input.senderCard, timestamp, mime, blobRefs, signature })
  const box = boxSeal(inner, input.recipient.boxPublicKey)
  const envelope: SealedEnvelope = { recipient, envelopeId, ...box, stamp: new Uint8Array(0) }
  const bits = input.stampBits ?? DEFAULT_STAMP_BITS
  if (bits > 0) envelope.stamp = mintStamp(envelope, bits)
  return { envelope, bytes: SealedEnvelope.encode(envelope), envelopeId }
}

function decodeOuter (input: Uint8Array | SealedEnvelope): SealedEnvelope {
  if (input instanceof Uint8Array) {
    try {
      // No repeated fields, so no count limits; the transport bounds the frame size.
      return SealedEnvelope.decode(input)
    } catch {
      throw new MalformedEnvelopeError('the envelope does not decode')
    }
  }
  if (input == null || typeof input !== 'object') throw new MalformedEnvelopeError('there is no envelope')
  return input
}

function checkOuter (envelope: SealedEnvelope): void {
  const isBytes = (b: unknown, n?: number): boolean => b instanceof Uint8Array && (n === undefined || b.byteLength === n)
  if (!isBytes(envelope.recipient) || envelope.recipient.byteLength === 0) throw new MalformedEnvelopeError('the envelope names no recipient')
  if (!isBytes(envelope.envelopeId, ENVELOPE_ID_BYTES)) throw new MalformedEnvelopeError(`the envelope id must be ${ENVELOPE_ID_BYTES} bytes`)
  if (!isBytes(envelope.ephemeralPublicKey, BOX_PUBLIC_KEY_BYTES)) throw new MalformedEnvelopeError(`the envelope's ephemeral key must be ${BOX_PUBLIC_KEY_BYTES} bytes`)
  if (!isBytes(envelope.nonce, BOX_NONCE_BYTES)) throw new MalformedEnvelopeError(`the envelope's nonce must be ${BOX_NONCE_BYTES} bytes`)
  if (!isBytes(envelope.ciphertext) || envelope.ciphertext.byteLength < BOX_OVERHEAD_BYTES) throw new MalformedEnvelopeError('the envelope\'s ciphertext is missing or too short')
  if (envelope.stamp != null && !(isBytes(envelope.stamp) && (envelope.stamp.byteLength === 0 || envelope.stamp.byteLength === STAMP_BYTES))) throw new MalformedEnvelopeError(`the envelope's stamp must be ${STAMP_BYTES} bytes`)
}

/**
 * Open an envelope addressed to `me`: decode, check the recipient, decrypt, verify the
 * sender's card and then the sender's signature over this recipient, time, MIME and blob refs.
 *
 * Whatever the input, it returns or throws one of MalformedEnvelopeError,
 * WrongRecipientError, DecryptionFailedError, InvalidCardError, CardSignatureError or
 * BadSignatureError. A MIME over `limits.maxMimeBytes` is MalformedEnvelopeError.
 */
export function openEnvelope (input: Uint8Array | SealedEnvelope, me: Identity, limits: OpenLimits = {}): OpenedEnvelope {
  const envelope = decodeOuter(input)
  checkOuter(envelope)
  const myPeerIdBytes = me.peerId.toMultihash().bytes
  if (!equalBytes(envelope.recipient, myPeerIdBytes)) throw new WrongRecipientError('the envelope is addressed to another peer, not to this identity')
  // The outer id must be the one the sender signed, or a holder could relabel envelopes.
  const envelopeId = own(envelope.envelopeId)

  const maxMimeBytes = limits.maxMimeBytes
  const plaintext = boxOpen(envelope, me.boxSecretKey)

  let inner: InnerRecord
  try {
    inner = InnerRecord.decode(plaintext, { limits: INNER_DECODE_LIMITS })
  } catch {
    throw new MalformedEnvelopeError('the sealed record inside the envelope does not decode')
  }
  if (maxMimeBytes != null && inner.mime.byteLength > maxMimeBytes) {
    throw new MalformedEnvelopeError(`the message is ${inner.mime.byteLength} bytes, over this node's limit of ${maxMimeBytes}`)
  }
  if (inner.timestamp > BigInt(Number.MAX_SAFE_INTEGER)) throw new MalformedEnvelopeError('the envelope\'s timestamp is out of range')
  let blobRefs: BlobRef[]
  try {
    blobRefs = inner.blobRefs.map(bytes => BlobRef.decode(bytes, { limits: BLOB_REF_DECODE_LIMITS }))
  } catch {
    throw new MalformedEnvelopeError('a blob reference inside the envelope does not decode')
  }
  if (inner.senderCard == null) throw new InvalidCardError('the envelope carries no sender card')
  const sender = verifySenderCard(inner.senderCard)

  const signed = signedContentBytes(own(myPeerIdBytes), inner.timestamp, inner.mime, inner.blobRefs, envelopeId)
  if (!verifyEd25519(sender.publicKey, signed, inner.signature)) {
    throw new BadSignatureError(`the message signature does not match its sender ${sender.peerId}`)
  }
  return { envelopeId, sender, timestamp: Number(inner.timestamp), mime: own(inner.mime), blobRefs, stamp: envelope.stamp ?? new Uint8Array(0) }
}

/** What a holder may see of a sealed envelope without opening it. */
export interface InspectedEnvelope {
  /** The recipient's PeerId string (always an Ed25519 PeerId). */
  recipient: string
  envelopeId: Uint8Array<ArrayBuffer>
  size: number
}

/**
 * Check a sealed envelope's outside without opening it, as a holder (cache server,
 * co-recipient) does before keeping it for someone else: it decodes, its fields have their
 * sizes, its recipient is an Ed25519 PeerId, and it is at most `maxBytes`. Throws
 * EnvelopeTooLargeError (storage/holding-errors.ts, the class the parking store throws, so
 * the wire maps both to TOO_LARGE) or MalformedEnvelopeError; never reads the sealed content.
 *
 * @example
 * const { recipient, envelopeId } = inspectEnvelope(bytes, { maxBytes: 40 * 1024 * 1024 })
 */
export function inspectEnvelope (bytes: Uint8Array, limits: { maxBytes: number }): InspectedEnvelope {
  if (!(bytes instanceof Uint8Array)) throw new MalformedEnvelopeError('there is no envelope')
  if (bytes.byteLength > limits.maxBytes) throw new EnvelopeTooLargeError(bytes.byteLength, limits.maxBytes)
  const envelope = decodeOuter(bytes)
  checkOuter(envelope)
  const recipient = peerIdStringFromBytes(envelope.recipient)
  if (recipient === undefined) throw new MalformedEnvelopeError('the envelope\'s recipient is not an Ed25519 PeerId')
  return { recipient, envelopeId: own(envelope.envelopeId), size: bytes.byteLength }
}
