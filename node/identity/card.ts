import { IdentityCard } from '../protocol/peerpost.js'
import { ED25519_SIGNATURE_BYTES, verifyEd25519, withDomain } from '../crypto/ed25519.js'
import { BOX_PUBLIC_KEY_BYTES } from '../crypto/box.js'
import { CardSignatureError, InvalidCardError, MalformedCardTextError } from '../crypto/errors.js'
import { own } from '../crypto/hash.js'
import { ed25519KeyFromPeerIdBytes, peerIdStringFromEd25519Key } from './peer-id.js'
import type { Identity } from './identity.js'

/** Prefix of every card signature, so a card signature can never pass for another kind. */
export const CARD_SIGNING_DOMAIN = new TextEncoder().encode('peerpost/card/v1\n')
/** Prefix of a card in text form; the version lets the text format change later. */
export const CARD_TEXT_PREFIX = 'peerpost1:'

/** Bounds on a card. Cards travel in every envelope and directory answer, so they stay small. */
export const MAX_CARD_BYTES = 4096
export const MAX_DISPLAY_NAME_CHARS = 128
export const MAX_CARD_ADDRS = 16
export const MAX_CARD_HOME_SERVERS = 16
export const MAX_CARD_ADDR_CHARS = 256

/** Decode limits for an IdentityCard (also used for the sender card inside an envelope). */
export const CARD_DECODE_LIMITS = { homeServers: MAX_CARD_HOME_SERVERS, addrs: MAX_CARD_ADDRS }

/** A card whose signature and fields have been checked, with its values in plain types. */
export interface VerifiedCard {
  card: IdentityCard
  /** Canonical encoding of `card` (what contacts store and directories serve). */
  encoded: Uint8Array<ArrayBuffer>
  peerId: string
  /** Raw 32-byte Ed25519 public key (the identity). */
  publicKey: Uint8Array<ArrayBuffer>
  /** Raw 32-byte X25519 key to seal mail to. */
  boxPublicKey: Uint8Array<ArrayBuffer>
  displayName?: string
  addrs: string[]
  homeServers: string[]
  /** ms since epoch; a newer card from the same key supersedes an older one. */
  created: number
}

// Control characters in names or addresses could rewrite a terminal line or hide text.
// eslint-disable-next-line no-control-regex
export const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/

function checkString (value: unknown, what: string, maxChars: number): string {
  if (typeof value !== 'string') throw new InvalidCardError(`the card's ${what} is not text`)
  if (value.length > maxChars) throw new InvalidCardError(`the card's ${what} is ${value.length} characters, over the limit of ${maxChars}`)
  if (CONTROL_CHARS.test(value)) throw new InvalidCardError(`the card's ${what} contains control characters`)
  return value
}

function checkList (values: unknown, what: string, maxCount: number): string[] {
  if (!Array.isArray(values)) throw new InvalidCardError(`the card's ${what} are not a list`)
  if (values.length > maxCount) throw new InvalidCardError(`the card lists ${values.length} ${what}, over the limit of ${maxCount}`)
  return values.map(v => {
    const s = checkString(v, what, MAX_CARD_ADDR_CHARS)
    if (s === '') throw new InvalidCardError(`the card has an empty entry in its ${what}`)
    return s
  })
}

function checkCreated (value: unknown): number {
  if (typeof value !== 'bigint' || value <= 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new InvalidCardError('the card has no valid creation time')
  }
  return Number(value)
}

/** The bytes a card signature covers: the domain, then the card with its signature empty. */
function cardSigningBytes (card: IdentityCard): Uint8Array<ArrayBuffer> {
  return withDomain(CARD_SIGNING_DOMAIN, IdentityCard.encode({ ...card, signature: new Uint8Array(0) }))
}

/**
 * Make and sign this identity's card.
 *
 * @example
 * const card = makeCard(identity, { addrs: node.getMultiaddrs().map(String), now: Date.now() })
 * const text = cardToText(card) // "peerpost1:..."
 *
 * Throws InvalidCardError when the result would break a card bound (too many addresses,
 * a too-long name), since every other node would reject such a card.
 */
export function makeCard (identity: Identity, options: { addrs?: string[], homeServers?: string[], now: number }): IdentityCard {
  const card: IdentityCard = {
    peerId: own(identity.peerId.toMultihash().bytes),
    boxPublicKey: own(identity.boxPublicKey),
    displayName: identity.displayName ?? '',
    homeServers: [...(options.homeServers ?? [])],
    created: BigInt(options.now),
    addrs: [...(options.addrs ?? [])],
    signature: new Uint8Array(0)
  }
  card.signature = identity.signer.sign(cardSigningBytes(card))
  // Check our own output with the same rules a receiver applies.
  verifyCard(card)
  return card
}

/**
 * Check a card: Ed25519 PeerId, 32-byte box key, bounded strings and size, then the
 * signature by the key the PeerId names. Throws InvalidCardError or CardSignatureError.
 */
export function verifyCard (card: IdentityCard): VerifiedCard {
  if (card == null || typeof card !== 'object') throw new InvalidCardError('there is no identity card')
  const publicKey = card.peerId instanceof Uint8Array ? ed25519KeyFromPeerIdBytes(card.peerId) : undefined
  if (publicKey === undefined) throw new InvalidCardError('the card\'s PeerId is missing or is not an Ed25519 PeerId')
  if (!(card.boxPublicKey instanceof Uint8Array) || card.boxPublicKey.byteLength !== BOX_PUBLIC_KEY_BYTES) {
    throw new InvalidCardError(`the card's encryption key must be ${BOX_PUBLIC_KEY_BYTES} bytes`)
  }
  if (!(card.signature instanceof Uint8Array) || card.signature.byteLength !== ED25519_SIGNATURE_BYTES) {
    throw new InvalidCardError('the card is not signed')
  }
  const displayName = checkString(card.displayName ?? '', 'display name', MAX_DISPLAY_NAME_CHARS)
  const addrs = checkList(card.addrs, 'addresses', MAX_CARD_ADDRS)
  const homeServers = checkList(card.homeServers, 'home servers', MAX_CARD_HOME_SERVERS)
  const created = checkCreated(card.created)
  const encoded = IdentityCard.encode(card)
  if (encoded.byteLength > MAX_CARD_BYTES) throw new InvalidCardError(`the card is ${encoded.byteLength} bytes, over the limit of ${MAX_CARD_BYTES}`)
  if (!verifyEd25519(publicKey, cardSigningBytes(card), card.signature)) throw new CardSignatureError()

  let peerId: string
  try {
    peerId = peerIdStringFromEd25519Key(publicKey)
  } catch {
    // Canonical PeerId bytes always hold a 32-byte key, so this is a key libp2p rejects.
    throw new InvalidCardError('the card\'s PeerId does not hold a valid Ed25519 key')
  }
  const verified: VerifiedCard = {
    card,
    encoded,
    peerId,
    publicKey,
    boxPublicKey: own(card.boxPublicKey),
    addrs,
    homeServers,
    created
  }
  if (displayName !== '') verified.displayName = displayName
  return verified
}

/** Decode card bytes (bounded). Throws InvalidCardError; does not check the signature. */
export function decodeCard (bytes: Uint8Array): IdentityCard {
  if (!(bytes instanceof Uint8Array)) throw new InvalidCardError('the card is not bytes')
  if (bytes.byteLength > MAX_CARD_BYTES) throw new InvalidCardError(`the card is ${bytes.byteLength} bytes, over the limit of ${MAX_CARD_BYTES}`)
  try {
    return IdentityCard.decode(bytes, { limits: CARD_DECODE_LIMITS })
  } catch {
    throw new InvalidCardError('the card bytes do not decode')
  }
}

/** Decode and verify card bytes. */
export function verifyCardBytes (bytes: Uint8Array): VerifiedCard {
  return verifyCard(decodeCard(bytes))
}

/** One pasteable line: `peerpost1:` + base64url (no padding) of the card's encoding. */
export function cardToText (card: IdentityCard): string {
  return CARD_TEXT_PREFIX + Buffer.from(IdentityCard.encode(card)).toString('base64url')
}

// Text can be at most the base64url of a maximal card plus the prefix; paste noise
// (spaces, line breaks) is allowed on top but bounded so a huge paste fails fast.
const MAX_CARD_TEXT_CHARS = 64 * 1024
const DAMAGED_CARD_TEXT = 'the card text is damaged or cut short: copy the whole line `peerpost card` printed (it starts with peerpost1:)'

/**
 * Read a card from text as a user pastes it: surrounding and inner whitespace (line
 * breaks from mail clients or terminals) is ignored. Throws MalformedCardTextError when
 * it is not card text, then InvalidCardError / CardSignatureError from verification.
 */
export function cardFromText (text: string): VerifiedCard {
  if (typeof text !== 'string' || text.length > MAX_CARD_TEXT_CHARS) throw new MalformedCardTextError()
  const compact = text.replace(/\s+/g, '')
  if (compact.slice(0, CARD_TEXT_PREFIX.length).toLowerCase() !== CARD_TEXT_PREFIX) throw new MalformedCardTextError()
  const body = compact.slice(CARD_TEXT_PREFIX.length)
  // Buffer's base64 decoder skips characters it does not know; be strict instead, so a
  // typo is reported as such rather than turning into a different card.
  if (body === '' || !/^[A-Za-z0-9_-]+$/.test(body) || body.length % 4 === 1) {
    throw new MalformedCardTextError(DAMAGED_CARD_TEXT)
  }
  try {
    return verifyCardBytes(new Uint8Array(Buffer.from(body, 'base64url')))
  } catch (err) {
    // Text that looks like a card but is not one whole (cut while copying, a character
    // changed): say so in a person's words; the cause keeps which check failed.
    const name = (err as Error).name
    if (name === InvalidCardError.NAME || name === CardSignatureError.NAME) throw new MalformedCardTextError(DAMAGED_CARD_TEXT, { cause: err })
    throw err
  }
}
