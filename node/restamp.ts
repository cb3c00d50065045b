import { DEFAULT_STAMP_BITS, envelopeStampBits, restampEnvelope } from './crypto/index.js'
import { PeerRefusedError } from './errors.js'
import { ErrorCode } from './protocol/peerpost.js'

/**
 * Stamps where they are needed (node/crypto/stamp.ts). A sender seals without a stamp to a
 * recipient that said I am its contact (ContactRecord.stampExempt) and with one to everyone
 * else. When a recipient (I am no longer its contact) or a holder (it asks every deposit)
 * answers STAMP_REQUIRED, the outbox mints a stamp on the stored envelope and tries again at
 * once: the stamp sits outside the seal, so the envelope is the same message, id and receipt
 * target, only its bytes change.
 */

/** The refusal that asks for a stamp on the same envelope. */
export function isStampRequired (err: unknown): boolean {
  return err instanceof PeerRefusedError && err.code === ErrorCode.STAMP_REQUIRED
}

/**
 * The envelope with a stamp of DEFAULT_STAMP_BITS, or undefined when it already carries
 * that much: this node mints no more than that, so a peer asking more refuses it whatever
 * we do (a permanent refusal for a recipient; for a holder, park elsewhere).
 */
export function withStamp (bytes: Uint8Array): Uint8Array | undefined {
  if (envelopeStampBits(bytes) >= DEFAULT_STAMP_BITS) return undefined
  return restampEnvelope(bytes, DEFAULT_STAMP_BITS)
}
