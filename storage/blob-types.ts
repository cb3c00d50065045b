/**
 * Contracts of the blob store (large attachments this node holds for its recipients) and
 * of blob downloads (large attachments this node pulls). Implementations: blob-store.ts,
 * blob-download.ts; errors: blob-errors.ts.
 */
import type { BatchOp } from './database.js'

/** Where a blob's bytes come from: a file path, or any byte stream (a Node Readable is one). */
export type BlobSource = string | AsyncIterable<Uint8Array>

export interface BlobPutOptions {
  /** PeerIds allowed to pull the blob. */
  recipients: string[]
  /** How long the blob is kept when not every recipient has pulled it. */
  retentionMs: number
  /** Plaintext bytes per chunk; default DEFAULT_CHUNK_SIZE (1 MiB). */
  chunkSize?: number
  signal?: AbortSignal
  /** Told the plaintext bytes of each chunk written. */
  onChunk?: (bytes: number) => void
  /** The AEAD as a BlobRef cipher number; default DEFAULT_BLOB_CIPHER (tests make old-format blobs with 0). */
  cipher?: number
}

/** A blob this node holds: what a BlobRef carries, plus who may pull it and who has. */
export interface BlobRecord {
  /** 32 hex digits (16 random bytes). */
  blobId: string
  /** Plaintext bytes. */
  size: number
  chunkSize: number
  chunkCount: number
  /** sha256 of the plaintext, 32 bytes. */
  sha256: Uint8Array
  /** The key the chunks are sealed under, 32 random bytes. */
  key: Uint8Array
  /** The AEAD, as the BlobRef's cipher number (blob-crypto.ts; a record without one is 0, ChaCha20-Poly1305). */
  cipher: number
  /** PeerIds allowed to pull it. */
  recipients: string[]
  /** Recipients that said they hold the whole blob, verified. */
  completed: string[]
  createdAt: number
  expiresAt: number
}

/** Large attachments this node holds for its recipients, sealed, in `<blobs>/store/`. */
export interface BlobStore {
  /** The folder under which blob files live (`<home>/blobs`). */
  readonly dir: string
  /**
   * Stream `source` into a new blob: cut into chunks, each sealed, written and fsynced,
   * then the record committed durably. Memory stays flat whatever the size.
   */
  put(source: BlobSource, options: BlobPutOptions): Promise<BlobRecord>
  get(blobId: string): Promise<BlobRecord | undefined>
  /** Chunk `index` as stored: ciphertext followed by its tag. Throws BlobNotFoundError, ChunkIndexError. */
  readChunk(blobId: string, index: number): Promise<Uint8Array>
  /**
   * readChunk for many chunks of one blob through one open file (a holder serving a pull
   * reads a chunk per request: an open and a close each cost about as much as the read).
   * Throws BlobNotFoundError; the reader's `read` throws ChunkIndexError, BlobDataMissingError.
   */
  openReader(blobId: string): Promise<ChunkReader>
  /** Record that `peerId` holds the whole blob; a peer that is not a recipient changes nothing. Throws BlobNotFoundError. */
  markCompleted(blobId: string, peerId: string): Promise<BlobRecord>
  /** Blobs whose retention ended at or before `now`, soonest first. */
  listExpired(now: number, limit?: number): Promise<BlobRecord[]>
  /** Remove every blob whose retention ended at or before `now`; returns their ids. */
  expire(now: number): Promise<string[]>
  /** Remove a blob's record and file; false when there was none. */
  remove(blobId: string): Promise<boolean>
  /**
   * Delete blob files that have no record (a crash between writing the file and
   * committing its record) and unfinished temporary files. Call it at startup, before puts.
   */
  removeOrphans(): Promise<number>
}

export type DownloadState = 'pending' | 'complete' | 'failed'

/** A holder of a blob and where to dial it (addresses may be empty: look it up). */
export interface BlobLocation {
  peerId: string
  addrs: string[]
}

/**
 * Why a download exists: the message that referred to the blob and where to find a
 * holder. Kept with the download record so a restart knows what to pull and from whom.
 */
export interface DownloadInfo {
  /** Local id of the message in the mailbox. */
  messageId: string
  /** The attachment's file name and media type, as the sender gave them. */
  name: string
  type: string
  /** PeerId of the verified sender. */
  from: string
  /** Holders named by the blob reference, with addresses when known. */
  locations: BlobLocation[]
  /** The sender's home servers (from its card): where to ask whether a holder is online. */
  homeServers: string[]
  /** The person accepted it (a stranger's large attachment, `transfers --retry`): pulled whatever its size. Kept by register. */
  accepted?: boolean
  /**
   * The other recipients the sender listed for the blob (BlobRef.recipients, without me):
   * once they pulled it they may serve it to me, and once I have it I serve it to them.
   * Absent in records from before, and for refs listing none.
   */
  coRecipients?: string[]
  /** Holders that served chunks into the partial file as it is now (bad data then casts doubt on them all). Kept by register unless given. */
  sources?: string[]
  /** Holders that served this blob bad data: not asked again until `transfers --retry`. Kept by register unless given. */
  badHolders?: string[]
  /**
   * Listed holders (the sender) not yet told that I have the blob, because another holder
   * served it: told when next reachable, so the sender can drop its copy. Kept by register unless given.
   */
  owedDone?: string[]
}

/** What a receiver needs from a BlobRef to pull and check a blob. */
export interface BlobDownloadRef {
  /** 16 bytes, or their 32 hex digits. */
  blobId: Uint8Array | string
  size: number
  chunkSize: number
  sha256: Uint8Array
  key: Uint8Array
  /** The BlobRef's cipher number as received (absent: 0, ChaCha20-Poly1305). Kept even when unknown, so the download can say why it failed. */
  cipher?: number
}

/** A blob being pulled, pulled, or given up on. */
export interface DownloadRecord {
  blobId: string
  ref: { size: number, chunkSize: number, chunkCount: number, sha256: Uint8Array, key: Uint8Array, cipher: number }
  /** The first chunk not yet verified and written (as stored: not yet fsynced). */
  nextChunk: number
  bytesDone: number
  state: DownloadState
  /** Why it failed (state 'failed'). */
  reason?: string
  /** What message it belongs to and where to pull it from (absent for bare downloads). */
  info?: DownloadInfo
  updatedAt: number
}

/** Downloads of large attachments into `<blobs>/incoming/` and, once whole and verified, `<blobs>/received/`. */
export interface BlobDownloads {
  readonly dir: string
  /**
   * Start or resume the download of `ref`. A pending download continues from its last
   * verified chunk; a failed one starts again from nothing (opening is the caller's
   * retry); a complete one is returned as it is. Throws DownloadBusyError when the same
   * blob is already open in this process, InvalidBlobRefError for an impossible ref.
   */
  open(ref: BlobDownloadRef): Promise<BlobDownload>
  /**
   * Record durably that `ref` is to be pulled, for the message `info` names, without
   * opening anything: a new pending download, or the existing one with `info` attached.
   * Idempotent (a redelivered message registers again). Throws InvalidBlobRefError.
   */
  register(ref: BlobDownloadRef, info: DownloadInfo): Promise<DownloadRecord>
  get(blobId: string): Promise<DownloadRecord | undefined>
  list(): Promise<DownloadRecord[]>
  /** Where a complete download's file is. */
  receivedPath(blobId: string): string
  /** Forget a download: its record, partial and received files. */
  remove(blobId: string): Promise<void>
  /**
   * What forgets the downloads of message `messageId` (local id) among `blobIds`, for a
   * caller to put in its own batch (a purge deletes a message and its downloads in one): the
   * batch operations, and the files to delete once that batch is durable (a crash in between
   * leaves files no record names, which removeOrphans deletes). A download registered for
   * another message is left alone. Throws DownloadBusyError for one open in this process
   * (stop its pull first).
   */
  removalOf(blobIds: readonly string[], messageId: string): Promise<{ ops: BatchOp[], files: string[] }>
  /**
   * Delete partial and received files that no download record names (left by a crash after
   * a purge's batch, before its files went). Call it at startup, before any pull starts.
   */
  removeOrphans(): Promise<number>
}

/** Reads chunks of one blob as stored (ciphertext followed by its tag); close it when done. */
export interface ChunkReader {
  read(index: number): Promise<Uint8Array>
  close(): Promise<void>
}

/** One open download. Chunks go in strictly in order; close it when done with it. */
export interface BlobDownload {
  readonly blobId: string
  readonly record: DownloadRecord
  /**
   * Write chunk `index` (already authenticated by the caller; one buffer or its pieces in
   * order) and advance `record`. The plaintext is copied before this resolves (the caller
   * may drop it) and written in the background, with O_DIRECT where the file system takes
   * it; a failed write rejects this or a later call. Every few MiB (and at the last chunk)
   * the writes are waited for, the file fsynced and then the record saved, so the durable
   * `nextChunk` never runs ahead of durable data. The whole-file sha256 is kept as the chunks
   * come (running-hash.ts). Throws ChunkOutOfOrderError, ChunkSizeError.
   */
  appendVerifiedChunk(index: number, plaintext: Uint8Array | readonly Uint8Array[]): Promise<void>
  /** Rejects with BlobSizeMismatchError or BlobHashMismatchError unless every chunk is in and the sha256 matches; changes nothing. */
  verify(): Promise<void>
  /** verify(), then move the file into place and mark the download complete. Throws (after failing the download) on a mismatch. */
  finish(): Promise<DownloadRecord>
  /** Delete the partial data and mark the download failed with `reason`. */
  fail(reason: string): Promise<DownloadRecord>
  /** Sync what was written, then release the file, keeping the partial data for a resume. Idempotent. */
  close(): Promise<void>
}
