import { RecordCorruptError } from './errors.js'

/**
 * Called when a stored record cannot be decoded. The record is skipped (listings go on),
 * so this is where a daemon logs it; storage itself never logs.
 */
export type CorruptHandler = (key: string, err: Error) => void

/** Decode a JSON record, or report it via `onCorrupt` and return undefined. */
export function decodeRecord<T> (key: string, text: string, isValid: (value: unknown) => value is T, onCorrupt: CorruptHandler | undefined): T | undefined {
  try {
    return decodeRecordOrThrow(key, text, isValid)
  } catch (err) {
    if (!(err instanceof RecordCorruptError)) throw err
    onCorrupt?.(key, err)
    return undefined
  }
}

/** Decode a JSON record; throws RecordCorruptError when it does not parse or has the wrong shape. */
export function decodeRecordOrThrow<T> (key: string, text: string, isValid: (value: unknown) => value is T): T {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new RecordCorruptError(key, { cause: err })
  }
  if (!isValid(value)) throw new RecordCorruptError(key, { cause: new Error('record has the wrong shape') })
  return value
}

/** A plain object (not null, not an array): the first check of every record guard. */
export function isObject (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Bytes as a plain Uint8Array. classic-level hands back Buffers even for the 'view'
 * encoding; callers were promised Uint8Array, and Buffer differs in toString and equality.
 * This is a view over the same memory, not a copy.
 */
export function plainBytes (data: Uint8Array | undefined): Uint8Array | undefined {
  return data === undefined ? undefined : new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
}
