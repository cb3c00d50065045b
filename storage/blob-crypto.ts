import { createCipheriv, createDecipheriv } from 'node:crypto'
import type { DecipherChaCha20Poly1305, DecipherGCM, KeyObject } from 'node:crypto'
import { ChunkVerificationError, InvalidBlobRefError, UnknownBlobCipherError } from './blob-errors.js'
import type { Uint8ArrayList } from 'uint8arraylist'

/**
 * Sealing of blob chunks with a native AEAD from node:crypto, so the cipher never caps a
 * transfer (tweetnacl's secretbox: 75 MB/s here).
 *
 * New blobs use AES-256-GCM; blobs made before (and any BlobRef without a `cipher`) use
 * ChaCha20-Poly1305. This departs from design.md section 3, which names ChaCha20-Poly1305:
 * with AES-NI, GCM opens a chunk at 0.18 ms/MiB here against 0.46 for ChaCha20-Poly1305
 * (3,180 against 1,750 MB/s in libp2p-notes), and opening chunks is on the receiver's main
 * thread, which limits a pull (docs/benchmarks.md, "What limits the attachment pull").
 *
 * Nonces: each blob has its own random 256-bit key, and chunk i is sealed under the nonce
 * made from i, so no nonce is ever used twice under one key. That is the one condition
 * GCM's security rests on (a repeated nonce would leak the authentication key); its other
 * limits (2^32 invocations per key with 96-bit nonces, 64 GiB per invocation) are far above
 * a blob's 2^32 chunks of at most 4 MiB each. The blob id is the associated data, so a chunk
 * cannot pass as a chunk of another blob even if a key were ever shared.
 */

/** BlobRef.cipher 0 (absent on the wire): every blob made before the field existed. */
export const BLOB_CIPHER_CHACHA20_POLY1305 = 0
/** BlobRef.cipher 1: what new blobs use. */
export const BLOB_CIPHER_AES_256_GCM = 1
/** The cipher a new blob is sealed with. */
export const DEFAULT_BLOB_CIPHER = BLOB_CIPHER_AES_256_GCM
/** node:crypto's name of each cipher number a BlobRef may carry. */
const CIPHER_NAMES: ReadonlyMap<number, 'chacha20-poly1305' | 'aes-256-gcm'> = new Map([
  [BLOB_CIPHER_CHACHA20_POLY1305, 'chacha20-poly1305'],
  [BLOB_CIPHER_AES_256_GCM, 'aes-256-gcm']
])
export const BLOB_KEY_BYTES = 32
export const BLOB_NONCE_BYTES = 12
/** Authentication tag appended to every sealed chunk (Poly1305 or GCM's, both 16 bytes). */
export const BLOB_TAG_BYTES = 16
export const BLOB_ID_BYTES = 16
export const BLOB_SHA256_BYTES = 32
export const DEFAULT_CHUNK_SIZE = 1024 * 1024
/** Smallest chunk size accepted: below this the per-chunk overhead dominates. */
export const MIN_CHUNK_SIZE = 4 * 1024
/** Largest chunk size accepted: a receiver holds a few chunks in memory at once. */
export const MAX_CHUNK_SIZE = 4 * 1024 * 1024
/** Chunk indexes travel as uint32. */
export const MAX_CHUNK_COUNT = 0xffffffff

/** node:crypto's name for BlobRef cipher number `cipher`; throws UnknownBlobCipherError for a number this version does not know. */
export function blobCipherName (cipher: number): 'chacha20-poly1305' | 'aes-256-gcm' {
  const name = CIPHER_NAMES.get(cipher)
  if (name === undefined) throw new UnknownBlobCipherError(cipher)
  return name
}

/** The nonce of chunk `index`: 4 zero bytes, then the index as a big-endian uint64. */
export function chunkNonce (index: number): Buffer {
  const nonce = Buffer.alloc(BLOB_NONCE_BYTES)
  nonce.writeBigUInt64BE(BigInt(index), BLOB_NONCE_BYTES - 8)
  return nonce
}

/**
 * Plaintext bytes sealed per cipher update(): each update returns a fresh buffer, and at
 * 64 KiB those come from malloc's heap and are reused once released (buffer-release.ts),
 * where 1 MiB ones are mmap'd and fault in fresh pages every time.
 */
export const SEAL_PIECE_BYTES = 64 * 1024

/**
 * Seal one chunk with BlobRef cipher number `cipher`: the ciphertext in pieces of
 * SEAL_PIECE_BYTES, then the tag, ready for writev (and for releaseBuffers after it).
 */
export function sealChunk (cipherId: number, key: Uint8Array, blobId: Uint8Array, index: number, plaintext: Uint8Array): Buffer[] {
  const options = { authTagLength: BLOB_TAG_BYTES }
  // One call per literal name: node's typings give the AEAD methods only to those overloads.
  const cipher = blobCipherName(cipherId) === 'aes-256-gcm'
    ? createCipheriv('aes-256-gcm', key, chunkNonce(index), options)
    : createCipheriv('chacha20-poly1305', key, chunkNonce(index), options)
  cipher.setAAD(blobId, { plaintextLength: plaintext.byteLength })
  const out: Buffer[] = []
  for (let at = 0; at < plaintext.byteLength; at += SEAL_PIECE_BYTES) out.push(cipher.update(plaintext.subarray(at, at + SEAL_PIECE_BYTES)))
  cipher.final()
  out.push(cipher.getAuthTag())
  return out
}

/** A decipher for chunk `index` whose body is `bodyLength` bytes, checking `tag` at final(). */
function chunkDecipher (cipher: number, key: Uint8Array | KeyObject, blobId: Uint8Array, index: number, bodyLength: number, tag: Uint8Array): DecipherChaCha20Poly1305 | DecipherGCM {
  const options = { authTagLength: BLOB_TAG_BYTES }
  const decipher = blobCipherName(cipher) === 'aes-256-gcm'
    ? createDecipheriv('aes-256-gcm', key, chunkNonce(index), options)
    : createDecipheriv('chacha20-poly1305', key, chunkNonce(index), options)
  decipher.setAAD(blobId, { plaintextLength: bodyLength })
  decipher.setAuthTag(tag)
  return decipher
}

/** Open one sealed chunk (ciphertext || tag) sealed with BlobRef cipher number `cipher`; throws UnknownBlobCipherError, or ChunkVerificationError if it does not authenticate. */
export function openChunk (cipher: number, key: Uint8Array | KeyObject, blobId: Uint8Array, index: number, sealed: Uint8Array): Buffer {
  if (sealed.byteLength < BLOB_TAG_BYTES) throw new ChunkVerificationError(index)
  const bodyLength = sealed.byteLength - BLOB_TAG_BYTES
  const decipher = chunkDecipher(cipher, key, blobId, index, bodyLength, sealed.subarray(bodyLength))
  try {
    const body = bodyLength === 0 ? Buffer.alloc(0) : decipher.update(sealed.subarray(0, bodyLength))
    decipher.final()
    return body
  } catch (err) {
    throw new ChunkVerificationError(index, { cause: err })
  }
}

/**
 * openChunk for a sealed chunk still in the pieces it arrived in (Noise frames of up to
 * 64 KiB): each piece is opened as it is, so the receiver never copies the chunk into one
 * buffer first (a 1 MiB allocation and copy per chunk). Returns the plaintext in pieces,
 * for writev; throws ChunkVerificationError if it does not authenticate. Pass the key as a
 * KeyObject (createSecretKey) when opening many chunks: a raw key is imported on every call.
 */
export function openChunkParts (cipher: number, key: Uint8Array | KeyObject, blobId: Uint8Array, index: number, sealed: Uint8ArrayList): Buffer[] {
  if (sealed.byteLength < BLOB_TAG_BYTES) throw new ChunkVerificationError(index)
  const bodyLength = sealed.byteLength - BLOB_TAG_BYTES
  const decipher = chunkDecipher(cipher, key, blobId, index, bodyLength, sealed.subarray(bodyLength))
  try {
    const out: Buffer[] = []
    for (const part of sealed.sublist(0, bodyLength)) {
      if (part.byteLength > 0) out.push(decipher.update(part))
    }
    decipher.final()
    return out
  } catch (err) {
    throw new ChunkVerificationError(index, { cause: err })
  }
}

/** How many chunks a blob of `size` bytes has (0 for an empty blob). */
export function chunkCountFor (size: number, chunkSize: number): number {
  return Math.ceil(size / chunkSize)
}

/** Plaintext bytes in chunk `index`: chunkSize, except the last, which holds the rest. */
export function plainChunkSize (size: number, chunkSize: number, index: number): number {
  return Math.min(chunkSize, size - index * chunkSize)
}

/** Check the geometry every blob must have; throws InvalidBlobRefError. */
export function assertBlobGeometry (size: number, chunkSize: number): void {
  if (!Number.isSafeInteger(chunkSize) || chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) {
    throw new InvalidBlobRefError(`chunk size ${chunkSize} is outside ${MIN_CHUNK_SIZE}..${MAX_CHUNK_SIZE} bytes`)
  }
  if (!Number.isSafeInteger(size) || size < 0) throw new InvalidBlobRefError(`size ${size} is not a byte count`)
  if (chunkCountFor(size, chunkSize) > MAX_CHUNK_COUNT) throw new InvalidBlobRefError(`size ${size} needs more than ${MAX_CHUNK_COUNT} chunks`)
}
