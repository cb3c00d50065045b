import { open } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { BLOB_ID_BYTES, plainChunkSize, sealChunk } from './blob-crypto.js'
import { BlobDataMissingError, BlobNotFoundError, ChunkIndexError } from './blob-errors.js'
import { releaseBuffers } from './buffer-release.js'
import type { BlobDownloads, BlobRecord, BlobStore, ChunkReader, DownloadRecord } from './blob-types.js'
import { unhex } from './hex.js'

/**
 * Every blob this node can serve on `/peerpost/blob/1.0.0`: those it sent (its blob store)
 * and those it received whole and verified, to the other recipients the sender listed
 * (design section 5: "blobs are pulled from the sender or any holder").
 *
 * A received blob is kept as plaintext (`<blobs>/received/<blobId>`), so its chunks are
 * sealed again when served, under the ref's key with the nonce of the chunk's index and the
 * blob id as associated data: the AEAD is deterministic for those inputs, so the bytes are
 * exactly the sender's sealed chunks, and the puller checks them as it would the sender's
 * (each chunk's tag, then the whole file's sha256 that the sender signed).
 */

/** The parts of a BlobStore the holder side of the blob protocol reads. */
export type ServableBlobs = Pick<BlobStore, 'get' | 'openReader' | 'markCompleted'>

export interface HeldBlobsInit {
  /** Whether received blobs are served to co-recipients now (config `blobs.serveCoRecipients`, read at every request). */
  serveReceived: () => boolean
  /**
   * Whether this received blob may be served (read at every request). The daemon serves only
   * attachments of mail the person has accepted: a stranger's file is not passed on, so
   * nobody can make my node serve their files to others by writing to me. Default: all.
   */
  mayServe?: (download: DownloadRecord) => Promise<boolean>
}

/** A received blob has no end of retention: it is the person's own attachment. */
const NEVER = Number.MAX_SAFE_INTEGER


/** The record a complete download serves as: its recipients are the co-recipients the signed ref listed. */
function recordOfDownload (d: DownloadRecord): BlobRecord | undefined {
  const recipients = d.info?.coRecipients
  if (d.state !== 'complete' || !Array.isArray(recipients) || recipients.length === 0) return undefined
  return {
    blobId: d.blobId,
    size: d.ref.size,
    chunkSize: d.ref.chunkSize,
    chunkCount: d.ref.chunkCount,
    sha256: d.ref.sha256,
    key: d.ref.key,
    cipher: d.ref.cipher,
    recipients: recipients.filter((r): r is string => typeof r === 'string'),
    // Nothing is recorded of who has it: this node keeps its copy whoever pulls it.
    completed: [],
    createdAt: d.updatedAt,
    expiresAt: NEVER
  }
}

/** Chunks of a received (plaintext) blob, sealed as the sender sealed them. */
async function openSealingReader (path: string, record: BlobRecord): Promise<ChunkReader> {
  let handle: FileHandle
  try {
    handle = await open(path, 'r')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new BlobNotFoundError(record.blobId)
    throw err
  }
  const blobIdBytes = unhex(record.blobId)
  return {
    async read (index) {
      if (!Number.isSafeInteger(index) || index < 0 || index >= record.chunkCount) throw new ChunkIndexError(record.blobId, index, record.chunkCount)
      const length = plainChunkSize(record.size, record.chunkSize, index)
      // A buffer per read (reads may overlap: the holder reads one chunk ahead), freed at once.
      const plain = Buffer.allocUnsafe(length)
      try {
        const { bytesRead } = await handle.read(plain, 0, length, index * record.chunkSize)
        if (bytesRead !== length) throw new BlobDataMissingError(record.blobId, index)
        const sealed = sealChunk(record.cipher, record.key, blobIdBytes, index, plain)
        const out = Buffer.concat(sealed)
        releaseBuffers(sealed)
        return new Uint8Array(out.buffer, out.byteOffset, out.byteLength)
      } finally {
        releaseBuffers([plain])
      }
    },
    async close () { await handle.close() }
  }
}

/**
 * The blobs of `store` first, then the complete downloads of `downloads` that list
 * co-recipients. A blob in neither is BlobNotFoundError (the protocol answers NOT_FOUND).
 *
 * @example
 * await serveBlobs(libp2p, createHeldBlobs(blobs, downloads, { serveReceived: () => config.blobs.serveCoRecipients }), { log })
 */
export function createHeldBlobs (store: BlobStore, downloads: BlobDownloads, init: HeldBlobsInit): ServableBlobs {
  const received = async (blobId: string): Promise<BlobRecord | undefined> => {
    if (!init.serveReceived() || blobId.length !== BLOB_ID_BYTES * 2) return undefined
    const download = await downloads.get(blobId)
    const record = download === undefined ? undefined : recordOfDownload(download)
    if (record === undefined || (init.mayServe !== undefined && !await init.mayServe(download!))) return undefined
    return record
  }
  return {
    async get (blobId) {
      return await store.get(blobId) ?? await received(blobId)
    },
    async openReader (blobId) {
      if (await store.get(blobId) !== undefined) return await store.openReader(blobId)
      const record = await received(blobId)
      if (record === undefined) throw new BlobNotFoundError(blobId)
      return await openSealingReader(downloads.receivedPath(blobId), record)
    },
    async markCompleted (blobId, peerId) {
      if (await store.get(blobId) !== undefined) return await store.markCompleted(blobId, peerId)
      const record = await received(blobId)
      if (record === undefined) throw new BlobNotFoundError(blobId)
      return record
    }
  }
}
