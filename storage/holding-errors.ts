/**
 * Errors of the stores a holder keeps for others (parked envelopes, notices, names). Each
 * has a stable `name`: node/protocol/errors.ts maps them to wire replies by that name, so
 * never rename one. None is retryable at this holder by waiting a moment: a full quota or
 * a taken name is permanent here, and the sender should try another location.
 */

/** The bound a deposit or notice ran into. */
export type QuotaName =
  | 'recipient-bytes'
  | 'recipient-count'
  | 'depositor-bytes'
  | 'depositor-count'
  | 'total-bytes'
  | 'total-count'
  | 'notices-per-recipient'
  | 'notices-per-poster'

const QUOTA_TEXT: Record<QuotaName, string> = {
  'recipient-bytes': 'bytes held for this recipient',
  'recipient-count': 'envelopes held for this recipient',
  'depositor-bytes': 'bytes deposited by this sender',
  'depositor-count': 'envelopes deposited by this sender',
  'total-bytes': 'total bytes held',
  'total-count': 'total envelopes held',
  'notices-per-recipient': 'notices held for this recipient',
  'notices-per-poster': 'notices posted by this sender'
}

/** Storing this would take the holder over one of its quotas; nothing was stored. */
export class QuotaExceededError extends Error {
  override readonly name = 'QuotaExceededError'
  constructor (readonly quota: QuotaName, readonly limit: number) {
    super(`quota ${quota} is full (at most ${limit} ${QUOTA_TEXT[quota]}): nothing was stored; the sender should try another location`)
  }
}

/** An envelope (or notice) larger than this holder accepts; nothing was stored. */
export class EnvelopeTooLargeError extends Error {
  override readonly name = 'EnvelopeTooLargeError'
  constructor (readonly size: number, readonly maxBytes: number, readonly kind: 'envelope' | 'notice' = 'envelope') {
    super(`the ${kind} is ${size} bytes but this holder accepts at most ${maxBytes}: nothing was stored; the sender should try another location`)
  }
}

/** The name is registered to another PeerId (first come, first served). */
export class NameTakenError extends Error {
  override readonly name = 'NameTakenError'
  constructor (readonly registeredName: string) {
    super(`the name "${registeredName}" is registered to another identity: pick another name`)
  }
}

/** This key already holds as many names as the directory allows one key. */
export class NameQuotaError extends Error {
  override readonly name = 'NameQuotaError'
  constructor (readonly limit: number) {
    super(`this identity already holds ${limit} names here, the most one identity may register`)
  }
}

/** A name outside the allowed syntax. */
export class InvalidNameError extends Error {
  override readonly name = 'InvalidNameError'
  constructor (readonly invalidName: string) {
    super(`"${invalidName.slice(0, 80)}" is not a valid name: names are 1-64 characters a-z, 0-9, '.', '_' or '-', starting with a letter or digit`)
  }
}

/** No name registered under that name (thrown by callers; NameStore.resolve returns undefined). */
export class NameNotFoundError extends Error {
  override readonly name = 'NameNotFoundError'
  constructor (readonly missingName: string) {
    super(`no identity is registered under the name "${missingName}": check the spelling, or ask for their PeerId`)
  }
}
