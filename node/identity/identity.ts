import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { ed25519Signer } from '../crypto/ed25519.js'
import { BOX_PUBLIC_KEY_BYTES, BOX_SECRET_KEY_BYTES, boxPublicKeyFromSecret, generateBoxKeyPair } from '../crypto/box.js'
import { InvalidDisplayNameError, InvalidKeyMaterialError } from '../crypto/errors.js'
import { equalBytes, own } from '../crypto/hash.js'
import { CONTROL_CHARS, MAX_DISPLAY_NAME_CHARS } from './card.js'
import type { Ed25519Signer } from '../crypto/ed25519.js'
import type { KeyMaterial } from '../../storage/types.js'
import type { PeerId, PrivateKey } from '@libp2p/interface'

/**
 * A loaded identity: the Ed25519 key that is the node's PeerId (and signs), and the
 * X25519 key that mail is sealed to (design section 2). Built once from the keystore and
 * passed to whatever needs it.
 */
export interface Identity {
  peerId: PeerId
  peerIdString: string
  /** What `createLibp2p({ privateKey })` wants. */
  privateKey: PrivateKey
  /** Native Ed25519 signer for the same key. */
  signer: Ed25519Signer
  boxPublicKey: Uint8Array<ArrayBuffer>
  boxSecretKey: Uint8Array<ArrayBuffer>
  displayName?: string
  /** ms since epoch when the identity was made. */
  created: number
}

/**
 * Fresh key material for a new identity: an Ed25519 identity key and an X25519 box key.
 *
 * @example
 * const keys = await generateKeyMaterial({ displayName: 'Alice', now: Date.now() })
 * await keystore.create(keys)
 */
export async function generateKeyMaterial (options: { displayName?: string, now: number }): Promise<KeyMaterial> {
  // A name no card can carry would make every card (and so every message) of this identity fail.
  if (options.displayName != null) checkDisplayName(options.displayName)
  const privateKey = await generateKeyPair('Ed25519')
  const box = generateBoxKeyPair()
  const keys: KeyMaterial = {
    peerId: peerIdFromPrivateKey(privateKey).toString(),
    identityKey: privateKeyToProtobuf(privateKey),
    boxSecretKey: box.secretKey,
    boxPublicKey: box.publicKey,
    created: options.now
  }
  if (options.displayName != null) keys.displayName = options.displayName
  return keys
}

/**
 * The Identity for stored key material. Checks that the pieces belong together (Ed25519
 * key, PeerId derived from it, box public key derived from the box secret) so a damaged
 * keystore fails here with InvalidKeyMaterialError instead of producing unreadable mail.
 */
export function identityFromKeyMaterial (keys: KeyMaterial): Identity {
  let privateKey: PrivateKey
  try {
    privateKey = privateKeyFromProtobuf(keys.identityKey)
  } catch {
    throw new InvalidKeyMaterialError('the stored identity key does not decode as a libp2p private key')
  }
  const signer = ed25519Signer(privateKey)
  const peerId = peerIdFromPrivateKey(privateKey)
  const peerIdString = peerId.toString()
  if (peerIdString !== keys.peerId) {
    throw new InvalidKeyMaterialError(`the stored PeerId ${keys.peerId} does not match the identity key (${peerIdString})`)
  }
  if (keys.boxSecretKey.byteLength !== BOX_SECRET_KEY_BYTES || keys.boxPublicKey.byteLength !== BOX_PUBLIC_KEY_BYTES) {
    throw new InvalidKeyMaterialError('the stored encryption keys have the wrong size')
  }
  const boxSecretKey = own(keys.boxSecretKey)
  if (!equalBytes(boxPublicKeyFromSecret(boxSecretKey), keys.boxPublicKey)) {
    throw new InvalidKeyMaterialError('the stored encryption public key does not match its secret key')
  }
  const identity: Identity = {
    peerId,
    peerIdString,
    privateKey,
    signer,
    boxPublicKey: own(keys.boxPublicKey),
    boxSecretKey,
    created: keys.created
  }
  if (keys.displayName != null) identity.displayName = keys.displayName
  return identity
}

/** The display-name rules of a card (identity/card.ts), checked up front. */
function checkDisplayName (name: string): void {
  if (name.length > MAX_DISPLAY_NAME_CHARS) throw new InvalidDisplayNameError(`is ${name.length} characters long`)
  if (CONTROL_CHARS.test(name)) throw new InvalidDisplayNameError('has control characters (a line break, a tab)')
}
