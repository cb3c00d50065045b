import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey, peerIdFromString } from '@libp2p/peer-id'
import { equalBytes } from '../crypto/hash.js'

/*
 * PeerId bytes on the wire. A peerpost identity is always Ed25519, whose PeerId is the
 * identity multihash of the protobuf-encoded public key:
 *   0x00 (identity) 0x24 (36 bytes) | 0x08 0x01 (KeyType Ed25519) 0x12 0x20 (32 bytes) | key
 * Parsing that fixed layout directly accepts exactly the canonical encoding and nothing
 * else, without pulling multiformats in as a direct dependency.
 */

const ED25519_PEER_ID_PREFIX = new Uint8Array([0x00, 0x24, 0x08, 0x01, 0x12, 0x20])
export const ED25519_PEER_ID_BYTES = ED25519_PEER_ID_PREFIX.byteLength + 32

/**
 * The raw 32-byte Ed25519 public key named by canonical Ed25519 PeerId bytes, or
 * `undefined` for anything else (another key type, a hash-based id, junk).
 */
export function ed25519KeyFromPeerIdBytes (bytes: Uint8Array): Uint8Array<ArrayBuffer> | undefined {
  if (!(bytes instanceof Uint8Array) || bytes.byteLength !== ED25519_PEER_ID_BYTES) return undefined
  if (!equalBytes(bytes.subarray(0, ED25519_PEER_ID_PREFIX.byteLength), ED25519_PEER_ID_PREFIX)) return undefined
  return new Uint8Array(bytes.subarray(ED25519_PEER_ID_PREFIX.byteLength))
}

/** PeerId bytes (multihash) of a PeerId string such as `12D3KooW...`. Throws on a malformed string. */
export function peerIdBytesFromString (peerId: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(peerIdFromString(peerId).toMultihash().bytes)
}

/** The PeerId string of a raw Ed25519 public key. */
export function peerIdStringFromEd25519Key (publicKeyRaw: Uint8Array): string {
  const key = publicKeyFromRaw(publicKeyRaw)
  if (key.type !== 'Ed25519') throw new TypeError('not an Ed25519 public key')
  return peerIdFromPublicKey(key).toString()
}

/** The PeerId string of Ed25519 PeerId bytes, or undefined for anything else (untrusted input). */
export function peerIdStringFromBytes (bytes: Uint8Array): string | undefined {
  const key = ed25519KeyFromPeerIdBytes(bytes)
  return key == null ? undefined : peerIdStringFromEd25519Key(key)
}
