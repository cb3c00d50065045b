import { ErrorCode } from './peerpost.js'
import type { ErrorReply } from './peerpost.js'

/**
 * The one place that maps a receiver-side error to its wire reply. Permanent codes tell
 * the sender to stop retrying (like SMTP 5xx); INTERNAL is temporary (4xx).
 */
const CODE_BY_ERROR_NAME: Record<string, ErrorCode> = {
  MalformedEnvelopeError: ErrorCode.MALFORMED,
  WrongRecipientError: ErrorCode.WRONG_RECIPIENT,
  DecryptionFailedError: ErrorCode.UNSEALABLE,
  BadSignatureError: ErrorCode.BAD_SIGNATURE,
  CardSignatureError: ErrorCode.BAD_SIGNATURE,
  InvalidCardError: ErrorCode.BAD_SIGNATURE,
  MimeTooLargeError: ErrorCode.BAD_CONTENT,
  MimeHeaderTooLargeError: ErrorCode.BAD_CONTENT,
  MimeTooManyPartsError: ErrorCode.BAD_CONTENT,
  MalformedMimeError: ErrorCode.BAD_CONTENT,
  MissingMessageIdError: ErrorCode.BAD_CONTENT,
  MimeNestingTooDeepError: ErrorCode.BAD_CONTENT,
  MessageRefusedError: ErrorCode.REFUSED,
  EnvelopeExpiredError: ErrorCode.REFUSED,
  StampRequiredError: ErrorCode.STAMP_REQUIRED,
  HoldingDisabledError: ErrorCode.REFUSED,
  QuotaExceededError: ErrorCode.QUOTA_EXCEEDED,
  // A holder's disk under its reserve (storage/disk-reserve.ts): full like a quota.
  DiskReserveError: ErrorCode.QUOTA_EXCEEDED,
  EnvelopeTooLargeError: ErrorCode.TOO_LARGE,
  NameTakenError: ErrorCode.NAME_TAKEN,
  NameQuotaError: ErrorCode.REFUSED,
  NameNotFoundError: ErrorCode.NOT_FOUND,
  InvalidNameError: ErrorCode.MALFORMED,
  RateLimitedError: ErrorCode.RATE_LIMITED,
  CardNotOwnedError: ErrorCode.REFUSED,
  InvalidNoticeError: ErrorCode.MALFORMED,
  InvalidWithdrawRequestError: ErrorCode.MALFORMED,
  MalformedFrameError: ErrorCode.MALFORMED,
  // A LIST cursor from another recipient or made up: permanent, not a server failure.
  InvalidCursorError: ErrorCode.MALFORMED,
  // Temporary like any failure of the receiver's, but no secret: its message goes out.
  ShuttingDownError: ErrorCode.INTERNAL
}

/** INTERNAL errors whose message tells the peer nothing it should not know. */
const PUBLIC_INTERNAL = new Set(['ShuttingDownError'])

// STAMP_REQUIRED is retryable in its own way: the sender mints a stamp on the same
// envelope and tries again at once (node/restamp.ts), not after a backoff.
const RETRYABLE = new Set<ErrorCode>([ErrorCode.INTERNAL, ErrorCode.UNSPECIFIED, ErrorCode.RATE_LIMITED, ErrorCode.STAMP_REQUIRED])

/** A refusal decided by the receiver's policy. */
export class MessageRefusedError extends Error {
  static readonly NAME = 'MessageRefusedError'
  override name = MessageRefusedError.NAME
}

/**
 * The envelope was sealed longer ago than any copy can honestly travel (node/envelope-age.ts):
 * refused for good, so the holder drops it and the sender stops; nothing is stored.
 */
export class EnvelopeExpiredError extends Error {
  static readonly NAME = 'EnvelopeExpiredError'
  override name = EnvelopeExpiredError.NAME
}

/**
 * The envelope lacks the proof of work (stamp, node/crypto/stamp.ts) this receiver asks of
 * it: a recipient of a stranger's (or a former contact's) mail, or a holder that asks it of
 * every deposit. Nothing was stored; the sender mints a stamp and retries.
 */
export class StampRequiredError extends Error {
  static readonly NAME = 'StampRequiredError'
  override name = StampRequiredError.NAME
}

/**
 * The receiver is stopping: it still answers on the connections it has, but takes no new
 * work (on the wire INTERNAL, retryable). Unlike a protocol it stopped serving (which reads
 * as "this peer does not speak it", for good), this tells the caller to ask again once the
 * receiver is back.
 */
export class ShuttingDownError extends Error {
  static readonly NAME = 'ShuttingDownError'
  override name = ShuttingDownError.NAME
}

export function errorReplyFor (err: unknown): ErrorReply {
  const name = err instanceof Error ? err.name : ''
  const code = CODE_BY_ERROR_NAME[name] ?? ErrorCode.INTERNAL
  // Internal failures are not described to a remote peer: they are ours to log.
  const message = code === ErrorCode.INTERNAL && !PUBLIC_INTERNAL.has(name) ? 'the peer could not do that now' : (err as Error).message
  return { code, message, retryable: RETRYABLE.has(code) }
}

export function errorReply (code: ErrorCode, message: string): ErrorReply {
  return { code, message, retryable: RETRYABLE.has(code) }
}

