import { createSecretKey } from 'node:crypto'
import { asCrypto, defaultCrypto, nodeCrypto } from '@chainsafe/libp2p-noise/crypto'
import type { ICryptoInterface } from '@chainsafe/libp2p-noise'
import type { KeyObject } from 'node:crypto'

/**
 * Noise's own crypto (`defaultCrypto` of @chainsafe/libp2p-noise), with each session key
 * imported into node:crypto once instead of on every frame.
 *
 * Why: the package hands node:crypto the raw 32-byte key for every ChaCha20-Poly1305 frame
 * (up to 64 KiB each), and node:crypto then builds a key from it, going through brand checks
 * that throw and catch for raw bytes: 10.2-11.2 us per frame against 1.4-1.5 us with a
 * KeyObject (libp2p-notes / docs/benchmarks.md), ~0.15 ms per MiB on each side of every
 * connection. Everything else, including which implementation takes a frame (the package's
 * WASM code below 1,200 bytes, where it is faster, node:crypto above), is the package's own.
 */

/** Frames shorter than this go to the package's WASM code, as its `defaultCrypto` does. */
const SMALL_FRAME_BYTES = 1200

/** Session keys by the key array the package keeps for the session, with a copy of its bytes. */
const sessionKeys = new WeakMap<Uint8Array, { bytes: Buffer, key: KeyObject }>()

function sessionKey (k: Uint8Array): KeyObject {
  const cached = sessionKeys.get(k)
  // The bytes are compared too: a key array changed in place must not keep its old key.
  if (cached !== undefined && cached.bytes.equals(k)) return cached.key
  const bytes = Buffer.from(k)
  const key = createSecretKey(bytes)
  sessionKeys.set(k, { bytes, key })
  return key
}

// node:crypto takes a KeyObject wherever it takes key bytes; the package's types only say bytes.
const asKeyBytes = (key: KeyObject): Uint8Array => key as unknown as Uint8Array

export const noiseCrypto: ICryptoInterface = {
  ...defaultCrypto,
  chaCha20Poly1305Encrypt (plaintext, nonce, ad, k) {
    if (plaintext.byteLength < SMALL_FRAME_BYTES) return asCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, k)
    return nodeCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, asKeyBytes(sessionKey(k)))
  },
  chaCha20Poly1305Decrypt (ciphertext, nonce, ad, k, dst) {
    if (ciphertext.byteLength < SMALL_FRAME_BYTES) return asCrypto.chaCha20Poly1305Decrypt(ciphertext, nonce, ad, k, dst)
    return nodeCrypto.chaCha20Poly1305Decrypt(ciphertext, nonce, ad, asKeyBytes(sessionKey(k)), dst)
  }
}
