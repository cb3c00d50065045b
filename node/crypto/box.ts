import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync } from 'node:crypto'
import nacl from 'tweetnacl'
import { BoundedCache } from './key-cache.js'
import { randomBytes, toHex } from './hash.js'
import { DecryptionFailedError, InvalidCardError } from './errors.js'
import type { KeyObject } from 'node:crypto'

/*
 * NaCl `box` (X25519 + XSalsa20-Poly1305), byte-identical to `nacl.box`, with the slow
 * part done natively. nacl.box = secretbox(m, n, crypto_box_beforenm(pk, sk)) and
 * beforenm = HSalsa20(X25519(sk, pk), 16 zero bytes, sigma). OpenSSL does X25519 ~17x
 * faster than tweetnacl but has no XSalsa20, so: DH natively, HSalsa20 and secretbox in
 * tweetnacl (cheap for mail-sized messages).
 */

export const BOX_PUBLIC_KEY_BYTES = 32
export const BOX_SECRET_KEY_BYTES = 32
export const BOX_NONCE_BYTES = 24
/** Poly1305 tag prepended by secretbox. */
export const BOX_OVERHEAD_BYTES = 16

const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex')
// "expand 32-byte k", the Salsa20 constant NaCl's beforenm uses.
const SIGMA = new Uint8Array(Buffer.from('expand 32-byte k', 'latin1'))
const ZERO16 = new Uint8Array(16)

// tweetnacl ships `lowlevel` but its typings do not declare it.
interface NaclLowLevel {
  crypto_core_hsalsa20(out: Uint8Array, inp: Uint8Array, k: Uint8Array, c: Uint8Array): number
}
const lowlevel = (nacl as unknown as { lowlevel: NaclLowLevel }).lowlevel

/** The three public parts of a sealed box. */
export interface BoxParts {
  ephemeralPublicKey: Uint8Array
  nonce: Uint8Array
  ciphertext: Uint8Array
}

export interface BoxKeyPair {
  publicKey: Uint8Array<ArrayBuffer>
  secretKey: Uint8Array<ArrayBuffer>
}

function lastBytes (der: Buffer, n: number): Uint8Array<ArrayBuffer> {
  return new Uint8Array(der.subarray(der.length - n))
}

/** A fresh X25519 key pair (native). The secret is the raw 32 bytes NaCl also uses. */
export function generateBoxKeyPair (): BoxKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('x25519')
  return {
    publicKey: rawPublicKey(publicKey),
    secretKey: lastBytes(privateKey.export({ format: 'der', type: 'pkcs8' }), BOX_SECRET_KEY_BYTES)
  }
}

/** The X25519 public key of a raw secret key (native); NaCl's `box.keyPair.fromSecretKey`. */
export function boxPublicKeyFromSecret (secretKey: Uint8Array): Uint8Array<ArrayBuffer> {
  return rawPublicKey(createPublicKey(boxPrivateKeyObject(secretKey)))
}

function boxPrivateKeyObject (secretKey: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, secretKey]), format: 'der', type: 'pkcs8' })
}

// Raw X25519 keys go in and out of node:crypto as JWK: its `x` is the raw key in base64url,
// read and written without OpenSSL's DER encoder (exporting an ephemeral public key as SPKI
// DER took 17.7 of the 38.9 us of generating and exporting it; as JWK 0.2 us).
function boxPublicKeyObject (publicKey: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString('base64url') }, format: 'jwk' })
}

function rawPublicKey (key: KeyObject): Uint8Array<ArrayBuffer> {
  const x = key.export({ format: 'jwk' }).x
  if (x === undefined) throw new TypeError('not an X25519 public key')
  return new Uint8Array(Buffer.from(x, 'base64url'))
}

// Recipients' box keys repeat (one per contact); ephemeral keys never do, so only
// the sealing side caches. Public values only, bounded: safe to share per module.
const recipientKeys = new BoundedCache<KeyObject>(256)

function cachedRecipientKey (publicKey: Uint8Array): KeyObject {
  const id = toHex(publicKey)
  let key = recipientKeys.get(id)
  if (key === undefined) {
    key = boxPublicKeyObject(publicKey)
    recipientKeys.set(id, key)
  }
  return key
}

// Our own static secret, as a native key: building the KeyObject (DER wrap + parse) on
// every opened envelope cost ~6% of a recipient's CPU. Keyed by the secret's array object
// (an identity keeps one for its lifetime), weakly, so nothing outlives the identity and no
// secret bytes are copied into a key of the map.
const ownSecretKeys = new WeakMap<Uint8Array, KeyObject>()

function cachedOwnSecretKey (secretKey: Uint8Array): KeyObject {
  let key = ownSecretKeys.get(secretKey)
  if (key === undefined) {
    key = boxPrivateKeyObject(secretKey)
    ownSecretKeys.set(secretKey, key)
  }
  return key
}

/** NaCl's crypto_box_beforenm from an X25519 shared secret. */
function boxKeyFromShared (shared: Uint8Array): Uint8Array<ArrayBuffer> {
  const key = new Uint8Array(32)
  lowlevel.crypto_core_hsalsa20(key, ZERO16, shared, SIGMA)
  return key
}

/**
 * NaCl's `crypto_box_beforenm(theirPublic, mySecret)` (= `nacl.box.before`) with the DH
 * done natively. Exposed so tests can prove byte equality with tweetnacl.
 * Throws (TypeError for wrong sizes, an OpenSSL error for a low-order public key).
 */
export function boxBeforeNm (theirPublicKey: Uint8Array, mySecretKey: Uint8Array): Uint8Array<ArrayBuffer> {
  if (theirPublicKey.byteLength !== BOX_PUBLIC_KEY_BYTES || mySecretKey.byteLength !== BOX_SECRET_KEY_BYTES) throw new TypeError('X25519 keys are 32 bytes')
  const shared = diffieHellman({ privateKey: boxPrivateKeyObject(mySecretKey), publicKey: boxPublicKeyObject(theirPublicKey) })
  const key = boxKeyFromShared(shared)
  shared.fill(0)
  return key
}

/**
 * Seal `plaintext` to a recipient's X25519 key with a fresh ephemeral key and a random
 * nonce. Output opens with `nacl.box.open(ciphertext, nonce, ephemeralPublicKey, recipientSecret)`.
 * Throws InvalidCardError when the recipient key has the wrong size or is a degenerate point.
 */
export function boxSeal (plaintext: Uint8Array, recipientBoxPublicKey: Uint8Array): { ephemeralPublicKey: Uint8Array<ArrayBuffer>, nonce: Uint8Array<ArrayBuffer>, ciphertext: Uint8Array<ArrayBuffer> } {
  if (recipientBoxPublicKey.byteLength !== BOX_PUBLIC_KEY_BYTES) {
    throw new InvalidCardError(`the recipient's encryption key is ${recipientBoxPublicKey.byteLength} bytes, expected ${BOX_PUBLIC_KEY_BYTES}`)
  }
  const ephemeral = generateKeyPairSync('x25519')
  let shared: Buffer
  try {
    shared = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: cachedRecipientKey(recipientBoxPublicKey) })
  } catch {
    // OpenSSL refuses low-order points (all-zero shared secret): such a key cannot be sealed to.
    throw new InvalidCardError("the recipient's encryption key is not a usable X25519 key")
  }
  const key = boxKeyFromShared(shared)
  shared.fill(0)
  const nonce = randomBytes(BOX_NONCE_BYTES)
  const ciphertext = nacl.secretbox(plaintext, nonce, key) as Uint8Array<ArrayBuffer>
  key.fill(0)
  return {
    ephemeralPublicKey: rawPublicKey(ephemeral.publicKey),
    nonce,
    ciphertext
  }
}

/**
 * Open a sealed box with our X25519 secret key. Throws DecryptionFailedError for any
 * failure: wrong sizes, a degenerate ephemeral key, or a ciphertext that does not authenticate.
 */
export function boxOpen (parts: BoxParts, recipientBoxSecretKey: Uint8Array): Uint8Array<ArrayBuffer> {
  const { ephemeralPublicKey, nonce, ciphertext } = parts
  if (ephemeralPublicKey.byteLength !== BOX_PUBLIC_KEY_BYTES || nonce.byteLength !== BOX_NONCE_BYTES || ciphertext.byteLength < BOX_OVERHEAD_BYTES) {
    throw new DecryptionFailedError('the sealed box has a key, nonce or ciphertext of the wrong size')
  }
  if (recipientBoxSecretKey.byteLength !== BOX_SECRET_KEY_BYTES) {
    throw new DecryptionFailedError('our encryption key has the wrong size')
  }
  let shared: Buffer
  try {
    shared = diffieHellman({ privateKey: cachedOwnSecretKey(recipientBoxSecretKey), publicKey: boxPublicKeyObject(ephemeralPublicKey) })
  } catch {
    throw new DecryptionFailedError('the envelope\'s ephemeral key is not a usable X25519 key')
  }
  const key = boxKeyFromShared(shared)
  shared.fill(0)
  const plaintext = nacl.secretbox.open(ciphertext, nonce, key)
  key.fill(0)
  if (plaintext === null) throw new DecryptionFailedError()
  return plaintext as Uint8Array<ArrayBuffer>
}
