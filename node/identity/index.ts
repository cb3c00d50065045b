/** Identities (Ed25519 + X25519 keys) and the signed identity cards that publish them. */
export { generateKeyMaterial, identityFromKeyMaterial } from './identity.js'
export type { Identity } from './identity.js'
export {
  makeCard, verifyCard, verifyCardBytes, decodeCard, cardToText, cardFromText,
  CARD_SIGNING_DOMAIN, CARD_TEXT_PREFIX, CARD_DECODE_LIMITS, MAX_CARD_BYTES, MAX_DISPLAY_NAME_CHARS, CONTROL_CHARS,
  MAX_CARD_ADDRS, MAX_CARD_HOME_SERVERS, MAX_CARD_ADDR_CHARS
} from './card.js'
export type { VerifiedCard } from './card.js'
export { ed25519KeyFromPeerIdBytes, peerIdBytesFromString, peerIdStringFromBytes, peerIdStringFromEd25519Key } from './peer-id.js'
