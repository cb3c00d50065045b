/**
 * Errors of the crypto and identity layer: one class per condition, each with a stable
 * `name` that callers branch on (`node/protocol/deliver-errors.ts` maps them to wire
 * replies). All of them are permanent: retrying the same bytes gives the same answer.
 */

/** The sealed envelope (or the record inside it) does not decode, or a field has the wrong size. */
export class MalformedEnvelopeError extends Error {
  static readonly NAME = 'MalformedEnvelopeError'
  override name = MalformedEnvelopeError.NAME
  constructor (message = 'the envelope is malformed') { super(message) }
}

/** The envelope is addressed to another PeerId. */
export class WrongRecipientError extends Error {
  static readonly NAME = 'WrongRecipientError'
  override name = WrongRecipientError.NAME
  constructor (message = 'the envelope is addressed to another peer') { super(message) }
}

/** The sealed box did not open with our key: tampered, truncated, or sealed to another box key. */
export class DecryptionFailedError extends Error {
  static readonly NAME = 'DecryptionFailedError'
  override name = DecryptionFailedError.NAME
  constructor (message = 'the envelope could not be decrypted: it was altered or sealed to another key') { super(message) }
}

/** The sender's signature over the message does not verify. */
export class BadSignatureError extends Error {
  static readonly NAME = 'BadSignatureError'
  override name = BadSignatureError.NAME
  constructor (message = 'the message signature does not match its sender') { super(message) }
}

/** An identity card is malformed, misses a field, or has a key or string of the wrong size. */
export class InvalidCardError extends Error {
  static readonly NAME = 'InvalidCardError'
  override name = InvalidCardError.NAME
  constructor (message = 'the identity card is invalid') { super(message) }
}

/** An identity card's signature does not verify with the key its PeerId names. */
export class CardSignatureError extends Error {
  static readonly NAME = 'CardSignatureError'
  override name = CardSignatureError.NAME
  constructor (message = 'the identity card is not signed by the identity it names') { super(message) }
}

/** Pasted card text is not a `peerpost1:` card. */
export class MalformedCardTextError extends Error {
  static readonly NAME = 'MalformedCardTextError'
  override name = MalformedCardTextError.NAME
  constructor (message = 'this is not a peerpost identity card (expected text starting with "peerpost1:")', options?: ErrorOptions) { super(message, options) }
}

/** A delivery receipt is not signed by the expected peer or is for another envelope. */
export class BadReceiptError extends Error {
  static readonly NAME = 'BadReceiptError'
  override name = BadReceiptError.NAME
  constructor (message = 'the receipt does not prove the recipient holds this envelope') { super(message) }
}

/** Stored key material is inconsistent (wrong key type, PeerId or box key mismatch). A bug or a damaged keystore. */
export class InvalidKeyMaterialError extends Error {
  static readonly NAME = 'InvalidKeyMaterialError'
  override name = InvalidKeyMaterialError.NAME
  constructor (message = 'the stored keys are damaged or inconsistent') { super(message) }
}

/** A display name that no card could carry (too long, or with control characters): refused before an identity is made with it. */
export class InvalidDisplayNameError extends Error {
  static readonly NAME = 'InvalidDisplayNameError'
  override name = InvalidDisplayNameError.NAME
  constructor (why: string) { super(`that name ${why}: it goes into your card, which carries at most 128 characters on one line`) }
}
