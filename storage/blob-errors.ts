/**
 * Errors of the blob store and of blob downloads: one class per condition with a stable
 * `name`. The ones a lying or broken holder causes (a chunk that does not verify, the wrong
 * size, extra or out-of-order chunks, the wrong whole-file hash) are permanent for that
 * transfer: the partial data is thrown away. BlobTransferInterruptedError is temporary:
 * the download stays pending and resumes from its last verified chunk.
 */

/** No blob with that id here (or not for you: a holder answers both the same way). */
export class BlobNotFoundError extends Error {
  static readonly NAME = 'BlobNotFoundError'
  override readonly name = BlobNotFoundError.NAME
  readonly retryable = false
  constructor (readonly blobId: string) {
    super(`no blob ${blobId} here: it expired, was removed, or is not shared with you`)
  }
}

/** A blob reference or store option that cannot describe a blob (key length, chunk size, size bounds). */
export class InvalidBlobRefError extends Error {
  static readonly NAME = 'InvalidBlobRefError'
  override readonly name = InvalidBlobRefError.NAME
  readonly retryable = false
}

/** The attachment is larger than a blob may be. */
export class BlobTooLargeError extends Error {
  static readonly NAME = 'BlobTooLargeError'
  override readonly name = BlobTooLargeError.NAME
  readonly retryable = false
  constructor (readonly limit: number) {
    super(`the attachment is larger than ${limit} bytes, the most a blob may hold`)
  }
}

/**
 * A BlobRef names a cipher this version does not know (a newer sender's). Only that
 * attachment fails, with this reason; the message it came with is kept, and nothing is
 * pulled (the chunks could not be opened).
 */
export class UnknownBlobCipherError extends Error {
  static readonly NAME = 'UnknownBlobCipherError'
  override readonly name = UnknownBlobCipherError.NAME
  readonly retryable = false
  constructor (readonly cipher: number) {
    super(`the attachment is sealed with cipher number ${cipher}, which this version of peerpost does not know: it cannot be opened (a newer version may open it)`)
  }
}

/** A chunk index outside the blob. */
export class ChunkIndexError extends Error {
  static readonly NAME = 'ChunkIndexError'
  override readonly name = ChunkIndexError.NAME
  readonly retryable = false
  constructor (readonly blobId: string, readonly index: number, readonly chunkCount: number) {
    super(`blob ${blobId} has ${chunkCount} chunks: there is no chunk ${index}`)
  }
}

/** The held blob's file is shorter than its record says: the holder's disk lost data. */
export class BlobDataMissingError extends Error {
  static readonly NAME = 'BlobDataMissingError'
  override readonly name = BlobDataMissingError.NAME
  readonly retryable = false
  constructor (readonly blobId: string, readonly index: number) {
    super(`the file of blob ${blobId} ends before chunk ${index}: the blob must be sent again`)
  }
}

/** A chunk failed authentication: it was altered, or sealed under another key or index. */
export class ChunkVerificationError extends Error {
  static readonly NAME = 'ChunkVerificationError'
  override readonly name = ChunkVerificationError.NAME
  readonly retryable = false
  constructor (readonly index: number, options?: ErrorOptions) {
    super(`chunk ${index} failed authentication: the holder served altered data`, options)
  }
}

/** A chunk of the wrong length (more or fewer bytes than the blob reference implies). */
export class ChunkSizeError extends Error {
  static readonly NAME = 'ChunkSizeError'
  override readonly name = ChunkSizeError.NAME
  readonly retryable = false
  constructor (readonly index: number, readonly expected: number, readonly actual: number) {
    super(`chunk ${index} has ${actual} bytes where ${expected} were due: the holder served the wrong size`)
  }
}

/** A chunk other than the next one asked for. */
export class ChunkOutOfOrderError extends Error {
  static readonly NAME = 'ChunkOutOfOrderError'
  override readonly name = ChunkOutOfOrderError.NAME
  readonly retryable = false
  constructor (readonly expected: number, readonly actual: number) {
    super(`chunk ${actual} arrived where chunk ${expected} was due: the holder broke the order`)
  }
}

/** A chunk beyond the blob's declared chunk count, or more data than was asked for. */
export class ExtraChunkError extends Error {
  static readonly NAME = 'ExtraChunkError'
  override readonly name = ExtraChunkError.NAME
  readonly retryable = false
}

/** The data adds up to another size than the blob reference declares. */
export class BlobSizeMismatchError extends Error {
  static readonly NAME = 'BlobSizeMismatchError'
  override readonly name = BlobSizeMismatchError.NAME
  readonly retryable = false
}

/** Every chunk verified but the whole file's sha256 is not the one in the blob reference. */
export class BlobHashMismatchError extends Error {
  static readonly NAME = 'BlobHashMismatchError'
  override readonly name = BlobHashMismatchError.NAME
  readonly retryable = false
  constructor (readonly blobId: string) {
    super(`the received blob ${blobId} does not have the sha256 its sender declared`)
  }
}

/** The transfer stopped before the end (connection lost, holder stopped): resume later. */
export class BlobTransferInterruptedError extends Error {
  static readonly NAME = 'BlobTransferInterruptedError'
  override readonly name = BlobTransferInterruptedError.NAME
  readonly retryable = true
}

/** Another pull of the same blob is running in this process. */
export class DownloadBusyError extends Error {
  static readonly NAME = 'DownloadBusyError'
  override readonly name = DownloadBusyError.NAME
  readonly retryable = true
  constructor (readonly blobId: string) {
    super(`blob ${blobId} is already being pulled`)
  }
}

/** A download used after finish, fail or close. */
export class DownloadClosedError extends Error {
  static readonly NAME = 'DownloadClosedError'
  override readonly name = DownloadClosedError.NAME
  readonly retryable = false
  constructor (readonly blobId: string) {
    super(`the download of blob ${blobId} is closed: this is a bug in the caller`)
  }
}

/**
 * Names of the errors that mean the holder served bad data: the partial file is deleted
 * and the download marked failed. Anything else leaves the download pending for a resume.
 */
export const BAD_BLOB_DATA_ERRORS: ReadonlySet<string> = new Set([
  ChunkVerificationError.NAME,
  ChunkSizeError.NAME,
  ChunkOutOfOrderError.NAME,
  ExtraChunkError.NAME,
  BlobSizeMismatchError.NAME,
  BlobHashMismatchError.NAME
])
