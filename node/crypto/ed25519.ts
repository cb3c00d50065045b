import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto'
import { BoundedCache } from './key-cache.js'
import { equalBytes, toHex } from './hash.js'
import { InvalidKeyMaterialError } from './errors.js'
import type { KeyObject } from 'node:crypto'
import type { PrivateKey } from '@libp2p/interface'

/*
 * Ed25519 on node:crypto. Signatures are the same bytes whichever library makes them
 * (RFC 8032 is deterministic), but OpenSSL signs ~100x and verifies ~100x faster than
 * pure JS (libp2p-notes.md, "Cryptography on the hot path").
 *
 * Raw keys become KeyObjects through fixed DER prefixes (PKCS#8 / SPKI for OID 1.3.101.112):
 * no base64 round trip, and the public half is derived by OpenSSL from the seed, which
 * lets us check it against the public key libp2p stored.
 */

const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')

/** Ed25519 public keys and signatures have fixed sizes. */
export const ED25519_PUBLIC_KEY_BYTES = 32
export const ED25519_SIGNATURE_BYTES = 64

/** Signs with one identity's Ed25519 key. The secret never leaves the closure. */
export interface Ed25519Signer {
  /** Raw 32-byte public key. */
  readonly publicKey: Uint8Array<ArrayBuffer>
  /** 64-byte Ed25519 signature over `data`. */
  sign(data: Uint8Array): Uint8Array<ArrayBuffer>
}

/** Raw 32-byte public key of a native Ed25519 key (public or private). */
function rawPublicKey (key: KeyObject): Uint8Array<ArrayBuffer> {
  const spki = (key.type === 'private' ? createPublicKey(key) : key).export({ format: 'der', type: 'spki' })
  return new Uint8Array(spki.subarray(spki.length - ED25519_PUBLIC_KEY_BYTES))
}

/**
 * A native signer from a 32-byte Ed25519 seed.
 *
 * @example
 * const signer = ed25519SignerFromSeed(seed)
 * const sig = signer.sign(bytes) // 64 bytes
 */
export function ed25519SignerFromSeed (seed: Uint8Array): Ed25519Signer {
  if (seed.byteLength !== 32) throw new InvalidKeyMaterialError(`an Ed25519 seed is 32 bytes, got ${seed.byteLength}`)
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' })
  const publicKey = rawPublicKey(key)
  return {
    publicKey,
    sign: (data) => new Uint8Array(sign(null, data, key))
  }
}

/**
 * A native signer from a libp2p Ed25519 private key (`key.raw` is seed || public key).
 * Throws InvalidKeyMaterialError for other key types or a seed that does not match its public half.
 */
export function ed25519Signer (privateKey: PrivateKey): Ed25519Signer {
  if (privateKey.type !== 'Ed25519') throw new InvalidKeyMaterialError(`the identity key must be Ed25519, not ${privateKey.type}`)
  const raw = privateKey.raw
  if (raw.byteLength !== 64) throw new InvalidKeyMaterialError(`an Ed25519 private key is 64 bytes, got ${raw.byteLength}`)
  const signer = ed25519SignerFromSeed(raw.subarray(0, 32))
  if (!equalBytes(signer.publicKey, raw.subarray(32)) || !equalBytes(signer.publicKey, privateKey.publicKey.raw)) {
    throw new InvalidKeyMaterialError('the Ed25519 private key does not match its public key')
  }
  return signer
}

// Module-level on purpose: it only holds public KeyObjects (see BoundedCache), and every
// verifier in the process benefits from the same warm entries.
const publicKeys = new BoundedCache<KeyObject>(1024)

function publicKeyObject (raw: Uint8Array): KeyObject {
  const id = toHex(raw)
  let key = publicKeys.get(id)
  if (key === undefined) {
    key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' })
    publicKeys.set(id, key)
  }
  return key
}

/**
 * Verify an Ed25519 signature natively. Never throws: a key or signature of the wrong
 * size, a key that is not a curve point, or anything else wrong gives `false`.
 */
export function verifyEd25519 (publicKeyRaw: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    if (!(publicKeyRaw instanceof Uint8Array) || !(data instanceof Uint8Array) || !(signature instanceof Uint8Array)) return false
    if (publicKeyRaw.byteLength !== ED25519_PUBLIC_KEY_BYTES || signature.byteLength !== ED25519_SIGNATURE_BYTES) return false
    return verify(null, data, publicKeyObject(publicKeyRaw), signature)
  } catch {
    // OpenSSL rejects some malformed keys/signatures by throwing; for a verifier that is "no".
    return false
  }
}

/** Concatenate a signing domain and a message: what every peerpost signature covers. */
export function withDomain (domain: Uint8Array, message: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(domain.byteLength + message.byteLength)
  out.set(domain, 0)
  out.set(message, domain.byteLength)
  return out
}
