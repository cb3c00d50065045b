import { constants } from 'node:fs'
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { assertBlobGeometry, BLOB_CIPHER_CHACHA20_POLY1305, BLOB_ID_BYTES, BLOB_KEY_BYTES, BLOB_SHA256_BYTES, chunkCountFor, plainChunkSize } from './blob-crypto.js'
import { BlobHashMismatchError, BlobSizeMismatchError, ChunkOutOfOrderError, ChunkSizeError, DownloadBusyError, DownloadClosedError, ExtraChunkError, InvalidBlobRefError } from './blob-errors.js'
import { isBlobId, syncDir } from './blob-store.js'
import { openFileAppender } from './file-appender.js'
import { openRunningHash } from './running-hash.js'
import { decodeRecord, decodeRecordOrThrow, isObject } from './records.js'
import type { BlobDownload, BlobDownloadRef, BlobDownloads, DownloadInfo, DownloadRecord } from './blob-types.js'
import type { BatchOp, Database } from './database.js'
import type { CorruptHandler } from './records.js'
import type { FileAppender } from './file-appender.js'
import type { RunningHash } from './running-hash.js'
import { hex, unhex } from './hex.js'

/**
 * Pulled blobs on disk: `<blobs>/incoming/<blobId>.partial` while chunks arrive (appended in
 * order, chunk i at offset i * chunkSize, with O_DIRECT where the file system takes it: see
 * file-appender.ts), then `<blobs>/received/<blobId>` once the whole file's sha256 matched. The record's `nextChunk` only moves after the chunk is fsynced,
 * so after a crash the download resumes from the last verified chunk; bytes written past
 * it but not recorded are cut off and fetched again.
 */
const INCOMING_DIR = 'incoming'
const RECEIVED_DIR = 'received'
const PARTIAL_SUFFIX = '.partial'
const FILE_MODE = 0o600

/**
 * Plaintext bytes written between two fsyncs of a download (file, then record). One fsync
 * per 1 MiB chunk made the pull wait on the disk for each chunk; a crash now costs at most
 * this much data pulled again (plus the chunks in flight).
 */
export const DEFAULT_SYNC_EVERY_BYTES = 8 * 1024 * 1024

export interface BlobDownloadsInit {
  /** `<home>/blobs`. */
  dir: string
  /** Bytes between two fsyncs (default DEFAULT_SYNC_EVERY_BYTES; the chunk size or less syncs every chunk). */
  syncEveryBytes?: number
  now?: () => number
  onCorrupt?: CorruptHandler
  /** Write partial files with O_DIRECT where the file system takes it (default true). */
  directIo?: boolean
  /** Told once per partial file whose file system refused O_DIRECT (it is then written through the page cache). */
  onDirectIoRefused?(path: string, err: Error): void
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b)

/** As stored: bytes as hex; records made before BlobRefs named their cipher have none (ChaCha20-Poly1305). */
interface StoredDownload extends Omit<DownloadRecord, 'ref'> {
  ref: { size: number, chunkSize: number, chunkCount: number, sha256: string, key: string, cipher?: number }
}

function isStoredDownload (value: unknown): value is StoredDownload {
  if (!isObject(value) || !isObject(value.ref)) return false
  const ref = value.ref
  return typeof value.blobId === 'string' && typeof value.nextChunk === 'number' && typeof value.bytesDone === 'number' &&
    (value.state === 'pending' || value.state === 'complete' || value.state === 'failed') &&
    typeof ref.size === 'number' && typeof ref.chunkSize === 'number' && typeof ref.chunkCount === 'number' &&
    typeof ref.sha256 === 'string' && typeof ref.key === 'string' && (ref.cipher === undefined || typeof ref.cipher === 'number')
}

const encodeDownload = (r: DownloadRecord): string => JSON.stringify({ ...r, ref: { ...r.ref, sha256: hex(r.ref.sha256), key: hex(r.ref.key) } })
function parseDownload (r: StoredDownload): DownloadRecord {
  return { ...r, ref: { ...r.ref, sha256: unhex(r.ref.sha256), key: unhex(r.ref.key), cipher: r.ref.cipher ?? BLOB_CIPHER_CHACHA20_POLY1305 } }
}

/** Check a ref and give its blob id as hex; throws InvalidBlobRefError. */
function checkRef (ref: BlobDownloadRef): string {
  const blobId = typeof ref.blobId === 'string' ? ref.blobId : ref.blobId.byteLength === BLOB_ID_BYTES ? hex(ref.blobId) : ''
  if (!isBlobId(blobId)) throw new InvalidBlobRefError(`a blob id is ${BLOB_ID_BYTES} bytes (32 lower-case hex digits)`)
  if (ref.key.byteLength !== BLOB_KEY_BYTES) throw new InvalidBlobRefError(`a blob key is ${BLOB_KEY_BYTES} bytes, not ${ref.key.byteLength}`)
  if (ref.sha256.byteLength !== BLOB_SHA256_BYTES) throw new InvalidBlobRefError(`a blob sha256 is ${BLOB_SHA256_BYTES} bytes, not ${ref.sha256.byteLength}`)
  assertBlobGeometry(ref.size, ref.chunkSize)
  return blobId
}

/** The record's ref as a new download of `ref` starts it (an unknown cipher is kept: pulling it fails with the reason). */
const recordRefOf = (ref: BlobDownloadRef): DownloadRecord['ref'] => ({
  size: ref.size,
  chunkSize: ref.chunkSize,
  chunkCount: chunkCountFor(ref.size, ref.chunkSize),
  sha256: new Uint8Array(ref.sha256),
  key: new Uint8Array(ref.key),
  cipher: ref.cipher ?? BLOB_CIPHER_CHACHA20_POLY1305
})

const sameRef = (r: DownloadRecord['ref'], ref: BlobDownloadRef): boolean =>
  r.size === ref.size && r.chunkSize === ref.chunkSize && sameBytes(r.sha256, ref.sha256) && sameBytes(r.key, ref.key) &&
  r.cipher === (ref.cipher ?? BLOB_CIPHER_CHACHA20_POLY1305)

async function exists (path: string): Promise<boolean> {
  return await stat(path).then(() => true, () => false)
}


/**
 * Downloads of large attachments over `db` and `init.dir`.
 *
 * @example
 * const downloads = createBlobDownloads(db, { dir: join(home, 'blobs') })
 * const download = await downloads.open(ref)
 * await pullBlob(libp2p, holder, download)   // node/protocol/blob.ts
 */
export function createBlobDownloads (db: Database, init: BlobDownloadsInit): BlobDownloads {
  const subs = db.sublevels.blobs
  const now = init.now ?? Date.now
  const syncEveryBytes = init.syncEveryBytes ?? DEFAULT_SYNC_EVERY_BYTES
  const incomingDir = join(init.dir, INCOMING_DIR)
  const receivedDir = join(init.dir, RECEIVED_DIR)
  const partialPath = (blobId: string): string => join(incomingDir, blobId + PARTIAL_SUFFIX)
  const receivedPath = (blobId: string): string => join(receivedDir, blobId)
  const recordKey = (blobId: string): string => `blobs/download/${blobId}`
  /** Blobs open in this process: one writer per partial file. */
  const busy = new Set<string>()

  async function get (blobId: string): Promise<DownloadRecord | undefined> {
    if (!isBlobId(blobId)) return undefined
    const text = await subs.downloads.get(blobId)
    return text === undefined ? undefined : parseDownload(decodeRecordOrThrow(recordKey(blobId), text, isStoredDownload))
  }

  const save = async (record: DownloadRecord): Promise<void> => {
    await db.commit([{ type: 'put', sublevel: subs.downloads, key: record.blobId, value: encodeDownload(record) }])
  }

  /** Bring the record and the files into a state a download can continue from. */
  async function prepare (blobId: string, ref: BlobDownloadRef): Promise<{ record: DownloadRecord, file?: FileAppender, hash?: RunningHash }> {
    const blank = (): DownloadRecord => ({
      blobId,
      ref: recordRefOf(ref),
      nextChunk: 0,
      bytesDone: 0,
      state: 'pending',
      updatedAt: now()
    })
    let record = await get(blobId)
    // Blob ids are random: another ref under the same id means one of them is wrong.
    // The caller's is the one it asks for now, so start over with it.
    if (record !== undefined && !sameRef(record.ref, ref)) record = undefined
    // Where the blob comes from survives a restart from nothing (a failed or lost download).
    const info = record?.info
    const fresh = (): DownloadRecord => info === undefined ? blank() : { ...blank(), info }

    if (record?.state === 'complete' && await exists(receivedPath(blobId))) return { record }
    const partial = partialPath(blobId)
    if (record?.state === 'pending' && record.nextChunk === record.ref.chunkCount && !await exists(partial) && await exists(receivedPath(blobId))) {
      // A crash between moving the file into place and recording it: check it and record it.
      const hash = await openRunningHash(receivedPath(blobId), record.ref.size)
      if (sameBytes(await hash.digest(), record.ref.sha256)) {
        record = { ...record, state: 'complete', updatedAt: now() }
        await save(record)
        return { record }
      }
      await rm(receivedPath(blobId), { force: true })
    }

    await mkdir(incomingDir, { recursive: true, mode: 0o700 })
    if (record?.state !== 'pending') record = fresh()
    // Read-write, created if missing, never truncated here: O_APPEND ('a+') would ignore the write positions.
    const handle = await open(partial, constants.O_RDWR | constants.O_CREAT, FILE_MODE)
    try {
      const { size } = await handle.stat()
      if (size < record.bytesDone) {
        // The file lost data the record says was durable (a disk that lied about fsync): start over.
        record = fresh()
      }
      await handle.truncate(record.bytesDone)
      await handle.datasync()
    } finally {
      await handle.close()
    }
    await save(record)
    const file = await openFileAppender(partial, { position: record.bytesDone, mode: FILE_MODE, directIo: init.directIo, onDirectIoRefused: init.onDirectIoRefused })
    // The running hash starts with what the file already holds (a resume's verified chunks).
    const hash = await openRunningHash(partial, record.bytesDone).catch(async (err: unknown) => { await file.close(); throw err })
    return { record, file, hash }
  }

  return {
    dir: init.dir,
    get,
    receivedPath,

    async register (ref, info) {
      const blobId = checkRef(ref)
      const record = await get(blobId)
      // A pull under way writes the record itself; a redelivered message changes nothing it needs.
      if (busy.has(blobId) && record?.info !== undefined && sameRef(record.ref, ref)) return record
      // An acceptance stays: a message delivered again does not take it back; nor does it
      // forget which holders served the partial file or lied.
      const before = record !== undefined && sameRef(record.ref, ref) ? record.info : undefined
      const kept: DownloadInfo = { ...info }
      if (before?.accepted === true) kept.accepted = true
      if (info.sources === undefined && before?.sources !== undefined) kept.sources = before.sources
      if (info.badHolders === undefined && before?.badHolders !== undefined) kept.badHolders = before.badHolders
      if (info.owedDone === undefined && before?.owedDone !== undefined) kept.owedDone = before.owedDone
      const next: DownloadRecord = record !== undefined && sameRef(record.ref, ref)
        ? { ...record, info: kept }
        : {
            blobId,
            ref: recordRefOf(ref),
            nextChunk: 0,
            bytesDone: 0,
            state: 'pending',
            info,
            updatedAt: now()
          }
      await save(next)
      return next
    },

    async list () {
      const out: DownloadRecord[] = []
      for await (const [key, text] of subs.downloads.iterator()) {
        const stored = decodeRecord(recordKey(key), text, isStoredDownload, init.onCorrupt)
        if (stored !== undefined) out.push(parseDownload(stored))
      }
      return out
    },

    async remove (blobId) {
      if (!isBlobId(blobId)) return
      if (busy.has(blobId)) throw new DownloadBusyError(blobId)
      await db.commit([{ type: 'del', sublevel: subs.downloads, key: blobId }])
      await rm(partialPath(blobId), { force: true })
      await rm(receivedPath(blobId), { force: true })
    },

    async removalOf (blobIds, messageId) {
      const ops: BatchOp[] = []
      const files: string[] = []
      for (const blobId of new Set(blobIds)) {
        const record = await get(blobId).catch(() => undefined)
        if (record?.info?.messageId !== messageId) continue
        if (busy.has(blobId)) throw new DownloadBusyError(blobId)
        ops.push({ type: 'del', sublevel: subs.downloads, key: blobId })
        files.push(partialPath(blobId), receivedPath(blobId))
      }
      return { ops, files }
    },

    async removeOrphans () {
      let removed = 0
      for (const [dir, suffix] of [[incomingDir, PARTIAL_SUFFIX], [receivedDir, '']] as const) {
        let names: string[]
        try {
          names = await readdir(dir)
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue
          throw err
        }
        for (const name of names) {
          if (!name.endsWith(suffix)) continue
          const blobId = name.slice(0, name.length - suffix.length)
          // Only files named like ours; one open in this process is never touched.
          if (!isBlobId(blobId) || busy.has(blobId) || await subs.downloads.get(blobId) !== undefined) continue
          await rm(join(dir, name), { force: true })
          removed++
        }
      }
      return removed
    },

    async open (ref) {
      const blobId = checkRef(ref)
      if (busy.has(blobId)) throw new DownloadBusyError(blobId)
      busy.add(blobId)
      let prepared
      try {
        prepared = await prepare(blobId, ref)
      } catch (err) {
        busy.delete(blobId)
        throw err
      }
      let { record, file } = prepared
      const { hash } = prepared
      let open = file !== undefined

      const release = async (): Promise<void> => {
        if (!open) return
        open = false
        busy.delete(blobId)
        // Waits for the writes still queued: the file is closed (or deleted) after them, never under them.
        await file?.close()
        file = undefined
        await hash?.close()
      }
      const assertWritable = (): FileAppender => {
        if (!open || file === undefined || record.state !== 'pending') throw new DownloadClosedError(blobId)
        return file
      }
      // A complete download needs no file; it is released at once.
      if (!open) busy.delete(blobId)
      let unsynced = 0
      const sync = async (appender: FileAppender): Promise<void> => {
        await appender.sync()
        await save(record)
        unsynced = 0
      }

      const download: BlobDownload = {
        blobId,
        get record () { return record },

        async appendVerifiedChunk (index, plaintext) {
          const appender = assertWritable()
          const { size, chunkSize, chunkCount } = record.ref
          if (index >= chunkCount) throw new ExtraChunkError(`chunk ${index} is beyond the blob's ${chunkCount} chunks`)
          if (index !== record.nextChunk) throw new ChunkOutOfOrderError(record.nextChunk, index)
          const expected = plainChunkSize(size, chunkSize, index)
          const parts = plaintext instanceof Uint8Array ? [plaintext] : plaintext
          const byteLength = parts.reduce((n, part) => n + part.byteLength, 0)
          if (byteLength !== expected) throw new ChunkSizeError(index, expected, byteLength)
          // Chunks come in order, so chunk i lands at i * chunkSize. The appender copies the
          // plaintext and writes it in the background; sync() below waits for it.
          await appender.append(parts)
          await hash!.update(parts)
          record = { ...record, nextChunk: index + 1, bytesDone: record.bytesDone + byteLength, updatedAt: now() }
          unsynced += byteLength
          // The durable nextChunk moves only after the data before it is fsynced; between two
          // syncs a crash loses the chunks since the last one, which are pulled again.
          if (unsynced >= syncEveryBytes || record.nextChunk === chunkCount) await sync(appender)
        },

        async verify () {
          const { size, chunkCount, sha256 } = record.ref
          if (record.state === 'complete') return
          if (record.nextChunk !== chunkCount || record.bytesDone !== size) {
            throw new BlobSizeMismatchError(`blob ${blobId} has ${record.bytesDone} of its ${size} bytes`)
          }
          if (hash === undefined || !open) throw new DownloadClosedError(blobId)
          if (!sameBytes(await hash.digest(), sha256)) throw new BlobHashMismatchError(blobId)
        },

        async finish () {
          if (record.state === 'complete') return record
          assertWritable()
          try {
            await download.verify()
          } catch (err) {
            await download.fail((err as Error).message)
            throw err
          }
          if (unsynced > 0 && file !== undefined) await sync(file)
          await release()
          await mkdir(receivedDir, { recursive: true, mode: 0o700 })
          await rename(partialPath(blobId), receivedPath(blobId))
          await syncDir(receivedDir)
          await syncDir(incomingDir)
          record = { ...record, state: 'complete', updatedAt: now() }
          await save(record)
          return record
        },

        async fail (reason) {
          assertWritable()
          await release()
          await rm(partialPath(blobId), { force: true })
          record = { ...record, state: 'failed', reason, nextChunk: 0, bytesDone: 0, updatedAt: now() }
          await save(record)
          return record
        },

        async close () {
          // A pull that stops (lost connection, abort) keeps everything it wrote: only a
          // crash loses the chunks since the last sync.
          if (open && unsynced > 0 && file !== undefined && record.state === 'pending') await sync(file).catch(() => {})
          await release()
        }
      }
      return download
    }
  }
}
