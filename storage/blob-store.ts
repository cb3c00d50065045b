import { createHash, randomBytes } from 'node:crypto'
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { assertBlobGeometry, BLOB_CIPHER_CHACHA20_POLY1305, BLOB_ID_BYTES, BLOB_KEY_BYTES, BLOB_TAG_BYTES, blobCipherName, DEFAULT_BLOB_CIPHER, DEFAULT_CHUNK_SIZE, MAX_CHUNK_COUNT, plainChunkSize, sealChunk } from './blob-crypto.js'
import { BlobDataMissingError, BlobNotFoundError, BlobTooLargeError, ChunkIndexError, InvalidBlobRefError } from './blob-errors.js'
import { releaseBuffers } from './buffer-release.js'
import { createKeyedLock } from './keyed-lock.js'
import { SEPARATOR, sortableTime } from './keys.js'
import { decodeRecordOrThrow, isObject } from './records.js'
import type { BlobPutOptions, BlobRecord, BlobSource, BlobStore } from './blob-types.js'
import type { Database } from './database.js'
import { hex, unhex } from './hex.js'

/**
 * Layout: one file per blob, `<blobs>/store/<blobId>.sealed`, holding the sealed chunks as
 * fixed-size records (chunk i at offset i * (chunkSize + 16); only the last is shorter).
 * One file rather than a file per chunk because serving chunk i is then a single
 * positioned read, a put costs one fsync and one rename instead of a thousand for 1 GiB,
 * removal is one unlink, and nothing can leave a blob with some chunk files missing.
 */
const STORE_DIR = 'store'
const SEALED_SUFFIX = '.sealed'
const TEMP_SUFFIX = '.tmp'
const FILE_MODE = 0o600
/** Largest blob a put accepts (chunk indexes are uint32; 64 GiB is far beyond any mail). */
export const MAX_BLOB_BYTES = 64 * 1024 * 1024 * 1024
const BLOB_ID_PATTERN = /^[0-9a-f]{32}$/
/** Decoded records kept for serving. */
const RECORD_CACHE_SIZE = 64
/** Expired blobs removed per listExpired page. */
export const DEFAULT_EXPIRE_LIMIT = 1000

export interface BlobStoreInit {
  /** `<home>/blobs`. */
  dir: string
  /** Clock for createdAt/expiresAt; default Date.now. */
  now?: () => number
}


/** The record as stored: bytes as hex; records made before blobs named their cipher have none. */
type StoredBlobRecord = Omit<BlobRecord, 'sha256' | 'key' | 'cipher'> & { sha256: string, key: string, cipher?: number }

function isStoredRecord (value: unknown): value is StoredBlobRecord {
  return isObject(value) && typeof value.blobId === 'string' && typeof value.size === 'number' &&
    typeof value.chunkSize === 'number' && typeof value.chunkCount === 'number' &&
    typeof value.sha256 === 'string' && typeof value.key === 'string' &&
    (value.cipher === undefined || typeof value.cipher === 'number') &&
    Array.isArray(value.recipients) && Array.isArray(value.completed) &&
    typeof value.createdAt === 'number' && typeof value.expiresAt === 'number'
}

const encodeRecord = (r: BlobRecord): string => JSON.stringify({ ...r, sha256: hex(r.sha256), key: hex(r.key) })
const decodeBlobRecord = (key: string, text: string): BlobRecord => {
  const r = decodeRecordOrThrow(key, text, isStoredRecord)
  return { ...r, sha256: unhex(r.sha256), key: unhex(r.key), cipher: r.cipher ?? BLOB_CIPHER_CHACHA20_POLY1305 }
}
const expiryKey = (r: BlobRecord): string => sortableTime(r.expiresAt) + SEPARATOR + r.blobId

/** A blob id from the wire or a caller: 32 lower-case hex digits, never a path. */
export function isBlobId (id: string): boolean {
  return BLOB_ID_PATTERN.test(id)
}

/** fsync a directory so a rename or unlink in it survives a crash. */
export async function syncDir (dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try { await handle.sync() } finally { await handle.close() }
}

/**
 * The bytes of `source` as an async iterable. A path is read in `chunkSize` pieces into
 * one reused buffer (each piece is valid until the next is asked for): a stream would
 * allocate a fresh buffer per read, garbage that piles up when storing a large file.
 */
function bytesOf (source: BlobSource, chunkSize: number): AsyncIterable<Uint8Array> {
  return typeof source === 'string' ? readReusing(source, chunkSize) : source
}

async function * readReusing (path: string, chunkSize: number): AsyncGenerator<Uint8Array> {
  const handle = await open(path, 'r')
  try {
    const piece = Buffer.allocUnsafe(chunkSize)
    while (true) {
      const { bytesRead } = await handle.read(piece, 0, chunkSize, null)
      if (bytesRead === 0) return
      yield piece.subarray(0, bytesRead)
    }
  } finally {
    await handle.close()
  }
}

/**
 * The blob store over `db` and `init.dir`.
 *
 * @example
 * const blobs = createBlobStore(db, { dir: join(home, 'blobs') })
 * const record = await blobs.put('/path/to/video.mp4', { recipients: [bob], retentionMs: 30 * DAY })
 */
export function createBlobStore (db: Database, init: BlobStoreInit): BlobStore {
  const subs = db.sublevels.blobs
  const storeDir = join(init.dir, STORE_DIR)
  const now = init.now ?? Date.now
  const locks = createKeyedLock()
  // Serving reads the record for every chunk: keep the recent ones decoded. Every write of a
  // record goes through this store (one process owns a home), which keeps the cache right.
  const cache = new Map<string, BlobRecord>()
  const remember = (record: BlobRecord): void => {
    cache.delete(record.blobId)
    cache.set(record.blobId, record)
    if (cache.size > RECORD_CACHE_SIZE) cache.delete(cache.keys().next().value!)
  }
  const fileOf = (blobId: string): string => join(storeDir, blobId + SEALED_SUFFIX)
  const recordKey = (blobId: string): string => `blobs/record/${blobId}`

  async function get (blobId: string): Promise<BlobRecord | undefined> {
    if (!isBlobId(blobId)) return undefined
    const cached = cache.get(blobId)
    if (cached !== undefined) return cached
    const text = await subs.records.get(blobId)
    if (text === undefined) return undefined
    const record = decodeBlobRecord(recordKey(blobId), text)
    remember(record)
    return record
  }

  async function mustGet (blobId: string): Promise<BlobRecord> {
    const record = await get(blobId)
    if (record === undefined) throw new BlobNotFoundError(blobId)
    return record
  }

  async function remove (blobId: string): Promise<boolean> {
    return await locks.run(blobId, async () => {
      const record = await get(blobId)
      if (record === undefined) return false
      // Record first, file second: a crash in between leaves an orphan file that
      // removeOrphans sweeps, never a record whose file is gone.
      cache.delete(blobId)
      await db.commit([
        { type: 'del', sublevel: subs.records, key: blobId },
        { type: 'del', sublevel: subs.byExpiry, key: expiryKey(record) }
      ])
      await rm(fileOf(blobId), { force: true })
      return true
    })
  }

  async function listExpired (at: number, limit = DEFAULT_EXPIRE_LIMIT): Promise<BlobRecord[]> {
    // Keys are `${sortableTime(expiresAt)}!${id}`: everything below the next millisecond's prefix expired at or before `at`.
    const keys = await subs.byExpiry.keys({ lt: sortableTime(at + 1), limit }).all()
    const records: BlobRecord[] = []
    for (const key of keys) {
      const record = await get(key.slice(key.indexOf(SEPARATOR) + 1))
      if (record !== undefined) records.push(record)
    }
    return records
  }

  return {
    dir: init.dir,
    get,
    remove,
    listExpired,

    async put (source, options: BlobPutOptions) {
      const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE
      assertBlobGeometry(0, chunkSize)
      if (!Number.isFinite(options.retentionMs) || options.retentionMs <= 0) throw new InvalidBlobRefError(`retention ${options.retentionMs} ms is not a positive duration`)
      const limit = Math.min(MAX_BLOB_BYTES, chunkSize * MAX_CHUNK_COUNT)
      const blobIdBytes = randomBytes(BLOB_ID_BYTES)
      const blobId = hex(blobIdBytes)
      const key = randomBytes(BLOB_KEY_BYTES)
      const cipher = options.cipher ?? DEFAULT_BLOB_CIPHER
      blobCipherName(cipher) // throws UnknownBlobCipherError before anything is written
      await mkdir(storeDir, { recursive: true, mode: 0o700 })
      const final = fileOf(blobId)
      const temp = final + TEMP_SUFFIX

      // One reusable chunk buffer: input pieces are copied in and each full chunk is sealed
      // and written before more is read, so memory stays at a chunk or two whatever the size.
      const hash = createHash('sha256')
      const buffer = Buffer.allocUnsafe(chunkSize)
      let fill = 0
      let index = 0
      let size = 0
      const handle = await open(temp, 'w', FILE_MODE)
      try {
        const flush = async (): Promise<void> => {
          const plain = buffer.subarray(0, fill)
          hash.update(plain)
          const sealed = sealChunk(cipher, key, blobIdBytes, index, plain)
          await handle.writev(sealed)
          releaseBuffers(sealed)
          options.onChunk?.(plain.byteLength)
          index++
          fill = 0
        }
        for await (const piece of bytesOf(source, chunkSize)) {
          options.signal?.throwIfAborted()
          size += piece.byteLength
          if (size > limit) throw new BlobTooLargeError(limit)
          let offset = 0
          while (offset < piece.byteLength) {
            const n = Math.min(chunkSize - fill, piece.byteLength - offset)
            buffer.set(piece.subarray(offset, offset + n), fill)
            fill += n
            offset += n
            if (fill === chunkSize) await flush()
          }
        }
        if (fill > 0) await flush()
        await handle.datasync()
      } catch (err) {
        await handle.close()
        await rm(temp, { force: true })
        throw err
      }
      await handle.close()
      await rename(temp, final)
      await syncDir(storeDir)

      const createdAt = now()
      const record: BlobRecord = {
        blobId,
        size,
        chunkSize,
        chunkCount: index,
        sha256: new Uint8Array(hash.digest()),
        key: new Uint8Array(key),
        cipher,
        recipients: [...new Set(options.recipients)],
        completed: [],
        createdAt,
        expiresAt: createdAt + options.retentionMs
      }
      await db.commit([
        { type: 'put', sublevel: subs.records, key: blobId, value: encodeRecord(record) },
        { type: 'put', sublevel: subs.byExpiry, key: expiryKey(record), value: '' }
      ])
      return record
    },

    async readChunk (blobId, index) {
      const reader = await this.openReader(blobId)
      try {
        return await reader.read(index)
      } finally {
        await reader.close()
      }
    },

    async openReader (blobId) {
      const record = await mustGet(blobId)
      let handle: FileHandle
      try {
        handle = await open(fileOf(blobId), 'r')
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new BlobDataMissingError(blobId, 0)
        throw err
      }
      return {
        async read (index) {
          if (!Number.isSafeInteger(index) || index < 0 || index >= record.chunkCount) throw new ChunkIndexError(blobId, index, record.chunkCount)
          const length = plainChunkSize(record.size, record.chunkSize, index) + BLOB_TAG_BYTES
          const out = Buffer.allocUnsafe(length)
          const { bytesRead } = await handle.read(out, 0, length, index * (record.chunkSize + BLOB_TAG_BYTES))
          if (bytesRead !== length) throw new BlobDataMissingError(blobId, index)
          return new Uint8Array(out.buffer, out.byteOffset, out.byteLength)
        },
        async close () { await handle.close() }
      }
    },

    async markCompleted (blobId, peerId) {
      return await locks.run(blobId, async () => {
        const record = await mustGet(blobId)
        if (!record.recipients.includes(peerId) || record.completed.includes(peerId)) return record
        const updated: BlobRecord = { ...record, completed: [...record.completed, peerId] }
        cache.delete(blobId)
        await db.commit([{ type: 'put', sublevel: subs.records, key: blobId, value: encodeRecord(updated) }])
        remember(updated)
        return updated
      })
    },

    async expire (at) {
      const removed: string[] = []
      while (true) {
        const keys = await subs.byExpiry.keys({ lt: sortableTime(at + 1), limit: DEFAULT_EXPIRE_LIMIT }).all()
        if (keys.length === 0) return removed
        for (const key of keys) {
          const blobId = key.slice(key.indexOf(SEPARATOR) + 1)
          if (await remove(blobId)) removed.push(blobId)
          // An index entry whose record is gone would come back on every page: drop it.
          else await db.commit([{ type: 'del', sublevel: subs.byExpiry, key }])
        }
      }
    },

    async removeOrphans () {
      let names: string[]
      try {
        names = await readdir(storeDir)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0
        throw err
      }
      let removed = 0
      for (const name of names) {
        const blobId = name.endsWith(SEALED_SUFFIX) ? name.slice(0, -SEALED_SUFFIX.length) : undefined
        const orphan = name.endsWith(TEMP_SUFFIX) || (blobId !== undefined && isBlobId(blobId) && await subs.records.get(blobId) === undefined)
        if (!orphan) continue
        await rm(join(storeDir, name), { force: true })
        removed++
      }
      if (removed > 0) await syncDir(storeDir)
      return removed
    }
  }
}
