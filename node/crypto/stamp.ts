import { createHash, hash } from 'node:crypto'
import { SealedEnvelope } from '../protocol/peerpost.js'

/**
 * Hashcash-style proof of work on a sealed envelope: the stamp is a nonce such that
 * sha256(domain, recipient, envelope id, sha256(ciphertext), nonce) starts with N zero
 * bits. It binds the work to this one envelope (its content included), sits outside the
 * seal so a cache server can check it too, and costs the sender about 2^N hashes while a
 * check costs one. A recipient requires it on mail from strangers (contacts are exempt);
 * a cache server may require it on every deposit, since it cannot tell who is a contact.
 */

export const STAMP_DOMAIN = new TextEncoder().encode('peerpost/stamp/v1\n')
/**
 * What a sender mints and a recipient requires by default: 2^10 hashes, about 3 ms here.
 * Cheap for one message, a cost for a million; raise it (both sides) if spam comes.
 */
export const DEFAULT_STAMP_BITS = 10
/** Most bits anyone may ask for: minting 2^24 hashes already takes about a minute. */
export const MAX_STAMP_BITS = 24
export const STAMP_BYTES = 8

type Stamped = Pick<SealedEnvelope, 'recipient' | 'envelopeId' | 'ciphertext'>

/**
 * The bytes hashed before the nonce, followed by room for it: sha256(prefix || nonce) is
 * the stamp's hash. Minting hashes this one buffer with the nonce written in place (a
 * one-shot hash per try is ~4x faster than copying an incremental hash state).
 */
function prefixWithNonce (envelope: Stamped): Buffer {
  const parts: Uint8Array[] = []
  for (const part of [STAMP_DOMAIN, envelope.recipient, envelope.envelopeId, createHash('sha256').update(envelope.ciphertext).digest()]) {
    // Length-prefixed, so no two field splits hash alike.
    parts.push(Uint8Array.of(part.byteLength >>> 8, part.byteLength & 0xff), part)
  }
  parts.push(new Uint8Array(STAMP_BYTES))
  return Buffer.concat(parts)
}

function leadingZeroBits (digest: Uint8Array): number {
  let bits = 0
  for (const byte of digest) {
    if (byte === 0) { bits += 8; continue }
    return bits + Math.clz32(byte) - 24
  }
  return bits
}

/** The work a stamp proves, in bits (0 for a missing or malformed stamp). */
export function stampBits (envelope: Stamped & { stamp?: Uint8Array }): number {
  if (envelope.stamp == null || envelope.stamp.byteLength !== STAMP_BYTES) return 0
  const buf = prefixWithNonce(envelope)
  buf.set(envelope.stamp, buf.byteLength - STAMP_BYTES)
  return leadingZeroBits(hash('sha256', buf, 'buffer'))
}

/**
 * Find a stamp of at least `bits` for this envelope. Bounded: gives up (RangeError) after
 * 2^(bits+8) tries, which a correct search passes only with negligible probability.
 *
 * @example envelope.stamp = mintStamp(envelope, DEFAULT_STAMP_BITS)
 */
export function mintStamp (envelope: Stamped, bits: number): Uint8Array<ArrayBuffer> {
  if (!Number.isInteger(bits) || bits < 0 || bits > MAX_STAMP_BITS) throw new RangeError(`stamp bits must be 0..${MAX_STAMP_BITS}, got ${bits}`)
  const buf = prefixWithNonce(envelope)
  const at = buf.byteLength - STAMP_BYTES
  const tries = 2 ** (bits + 8)
  for (let i = 0; i < tries; i++) {
    // The nonce's first two bytes stay zero; the counter fills the last six.
    buf.writeUIntBE(i, at + 2, 6)
    if (leadingZeroBits(hash('sha256', buf, 'buffer')) >= bits) return new Uint8Array(buf.subarray(at))
  }
  throw new RangeError(`no stamp of ${bits} bits found in ${tries} tries`)
}

/** The work the stamp of an encoded envelope proves, in bits (0 when it has none or does not decode). */
export function envelopeStampBits (bytes: Uint8Array): number {
  try {
    return stampBits(SealedEnvelope.decode(bytes))
  } catch {
    return 0
  }
}

/**
 * The same envelope with a stamp of `bits` minted on it, re-encoded. The stamp sits outside
 * the seal, so nothing else changes: same id, same ciphertext, same signature inside. Used
 * when a recipient or holder answers STAMP_REQUIRED to an envelope sealed without one.
 * Bytes that do not decode throw the codec's error (the caller's record is damaged).
 *
 * @example const stamped = restampEnvelope(bytes, DEFAULT_STAMP_BITS)
 */
export function restampEnvelope (bytes: Uint8Array, bits: number): Uint8Array<ArrayBuffer> {
  const envelope = SealedEnvelope.decode(bytes)
  envelope.stamp = mintStamp(envelope, bits)
  return SealedEnvelope.encode(envelope)
}
