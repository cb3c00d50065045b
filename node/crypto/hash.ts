import { createHash } from 'node:crypto'

/**
 * Byte helpers shared by the crypto layer.
 *
 * The generated protobuf types want `Uint8Array<ArrayBuffer>`, and Node hands back
 * Buffers that may be views into a shared 8 KiB pool; `own` gives every value we put on
 * the wire its own buffer so nobody downstream reads a neighbour's bytes via `.buffer`.
 */

/** SHA-256 of `bytes` (native). */
export function sha256 (bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(createHash('sha256').update(bytes).digest())
}

/** Lower-case hex of `bytes`. */
export function toHex (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

/** Bytes from hex; throws TypeError on odd length or non-hex characters. */
export function fromHex (hex: string): Uint8Array<ArrayBuffer> {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new TypeError('not a hex string')
  return new Uint8Array(Buffer.from(hex, 'hex'))
}

/** Constant-content comparison of two byte arrays (not constant time: use for public values). */
export function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) {
    if (a[i] !== b[i]) return false
  }
  return true
}

/** `bytes` itself when it owns a plain ArrayBuffer exactly, otherwise a copy that does. */
export function own (bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  if (bytes.buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) {
    return bytes as Uint8Array<ArrayBuffer>
  }
  return new Uint8Array(bytes)
}

/** `n` cryptographically random bytes in their own buffer. */
export function randomBytes (n: number): Uint8Array<ArrayBuffer> {
  return crypto.getRandomValues(new Uint8Array(n))
}
