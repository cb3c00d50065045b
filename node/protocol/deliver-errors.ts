import { DeliverErrorCode } from './peerpost.js'
import type { DeliverError } from './peerpost.js'

/**
 * The one place that maps a receiver-side error to its wire reply. Permanent codes tell
 * the sender to stop retrying (like SMTP 5xx); INTERNAL is temporary (4xx).
 */
const CODE_BY_ERROR_NAME: Record<string, DeliverErrorCode> = {
  MalformedEnvelopeError: DeliverErrorCode.MALFORMED,
  WrongRecipientError: DeliverErrorCode.WRONG_RECIPIENT,
  DecryptionFailedError: DeliverErrorCode.UNSEALABLE,
  BadSignatureError: DeliverErrorCode.BAD_SIGNATURE,
  CardSignatureError: DeliverErrorCode.BAD_SIGNATURE,
  InvalidCardError: DeliverErrorCode.BAD_SIGNATURE,
  MimeTooLargeError: DeliverErrorCode.BAD_CONTENT,
  MimeHeaderTooLargeError: DeliverErrorCode.BAD_CONTENT,
  MimeTooManyPartsError: DeliverErrorCode.BAD_CONTENT,
  MalformedMimeError: DeliverErrorCode.BAD_CONTENT,
  MissingMessageIdError: DeliverErrorCode.BAD_CONTENT,
  MessageRefusedError: DeliverErrorCode.REFUSED
}

const RETRYABLE = new Set<DeliverErrorCode>([DeliverErrorCode.INTERNAL, DeliverErrorCode.UNSPECIFIED])

/** A refusal decided by the receiver's policy. */
export class MessageRefusedError extends Error {
  static readonly NAME = 'MessageRefusedError'
  override name = MessageRefusedError.NAME
}

export function deliverErrorFor (err: unknown): DeliverError {
  const name = err instanceof Error ? err.name : ''
  const code = CODE_BY_ERROR_NAME[name] ?? DeliverErrorCode.INTERNAL
  // Internal failures are not described to a remote peer: they are ours to log.
  const message = code === DeliverErrorCode.INTERNAL ? 'the recipient could not store the message now' : (err as Error).message
  return { code, message, retryable: RETRYABLE.has(code) }
}

export function deliverError (code: DeliverErrorCode, message: string): DeliverError {
  return { code, message, retryable: RETRYABLE.has(code) }
}

