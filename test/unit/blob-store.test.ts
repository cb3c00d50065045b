import { strict as assert } from 'node:assert'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, it } from 'node:test'
import {
  BLOB_CIPHER_AES_256_GCM, BLOB_CIPHER_CHACHA20_POLY1305, BLOB_TAG_BYTES, chunkCountFor, createBlobDownloads, DEFAULT_BLOB_CIPHER, createBlobStore, openChunk, openDatabase, sealChunk
} from '../../storage/index.js'
import type { BlobDownloads, BlobRecord, BlobStore, Database } from '../../storage/index.js'

const T0 = 1_700_000_000_000
const HOUR = 3_600_000
const BOB = '12D3KooWBob'
const CAROL = '12D3KooWCarol'
const CHUNK = 64 * 1024

const sha = (b: Uint8Array): Buffer => createHash('sha256').update(b).digest()

/** Bytes as an async stream in odd-sized pieces, so chunk boundaries never line up with input pieces. */
async function * pieces (data: Uint8Array, piece = 10_007): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.byteLength; i += piece) yield data.subarray(i, i + piece)
}

describe('blob store', () => {
  let dir: string
  let db: Database
  let blobs: BlobStore
  let downloads: BlobDownloads
  let clock = T0

  const open = async (): Promise<void> => {
    db = await openDatabase(join(dir, 'db'))
    blobs = createBlobStore(db, { dir: join(dir, 'blobs'), now: () => clock })
    downloads = createBlobDownloads(db, { dir: join(dir, 'blobs'), now: () => clock })
  }
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'peerpost-blob-'))
    clock = T0
    await open()
  })
  afterEach(async () => {
    await db.close()
    await rm(dir, { recursive: true, force: true })
  })

  const refOf = (r: BlobRecord) => ({ blobId: r.blobId, size: r.size, chunkSize: r.chunkSize, sha256: r.sha256, key: r.key, cipher: r.cipher })

  it('streams a file into sealed chunks that open to the original', async () => {
    const data = randomBytes(5 * CHUNK + 123)
    const file = join(dir, 'in.bin')
    await writeFile(file, data)
    const record = await blobs.put(file, { recipients: [BOB, BOB], retentionMs: HOUR, chunkSize: CHUNK })
    assert.equal(record.size, data.byteLength)
    assert.equal(record.chunkCount, 6)
    assert.deepEqual(record.recipients, [BOB])
    assert.deepEqual(Buffer.from(record.sha256), sha(data))
    assert.equal(record.key.byteLength, 32)
    assert.equal(record.expiresAt, T0 + HOUR)
    const blobId = Buffer.from(record.blobId, 'hex')
    const parts: Buffer[] = []
    for (let i = 0; i < record.chunkCount; i++) {
      const sealed = await blobs.readChunk(record.blobId, i)
      assert.equal(sealed.byteLength, Math.min(CHUNK, data.byteLength - i * CHUNK) + BLOB_TAG_BYTES)
      parts.push(openChunk(record.cipher, record.key, blobId, i, sealed))
    }
    assert.deepEqual(Buffer.concat(parts), data)
    // One reader serves many chunks, in any order, as readChunk does.
    const reader = await blobs.openReader(record.blobId)
    for (const i of [5, 0, 3, 3]) assert.deepEqual(openChunk(record.cipher, record.key, blobId, i, await reader.read(i)), parts[i])
    await assert.rejects(reader.read(6), { name: 'ChunkIndexError' })
    await reader.close()
    await assert.rejects(blobs.openReader('00'.repeat(16)), { name: 'BlobNotFoundError' })
    // Stored sealed: the plaintext is nowhere in the file.
    const stored = await readFile(join(dir, 'blobs', 'store', `${record.blobId}.sealed`))
    assert.equal(stored.indexOf(data.subarray(0, 64)), -1)
    assert.deepEqual(await blobs.get(record.blobId), record)
  })

  it('takes a byte stream, and an empty one', async () => {
    const data = randomBytes(3 * CHUNK)
    const record = await blobs.put(pieces(data), { recipients: [BOB], retentionMs: HOUR, chunkSize: CHUNK })
    assert.equal(record.chunkCount, 3)
    assert.deepEqual(Buffer.from(record.sha256), sha(data))
    const empty = await blobs.put(pieces(new Uint8Array(0)), { recipients: [BOB], retentionMs: HOUR, chunkSize: CHUNK })
    assert.equal(empty.size, 0)
    assert.equal(empty.chunkCount, 0)
  })

  it('refuses a chunk index outside the blob and an unknown blob', async () => {
    const record = await blobs.put(pieces(randomBytes(CHUNK)), { recipients: [BOB], retentionMs: HOUR, chunkSize: CHUNK })
    await assert.rejects(blobs.readChunk(record.blobId, 1), { name: 'ChunkIndexError' })
    await assert.rejects(blobs.readChunk('00'.repeat(16), 0), { name: 'BlobNotFoundError' })
    await assert.rejects(blobs.readChunk('../../etc/passwd', 0), { name: 'BlobNotFoundError' })
  })

  for (const cipher of [BLOB_CIPHER_CHACHA20_POLY1305, BLOB_CIPHER_AES_256_GCM]) {
    it(`a chunk sealed (cipher ${cipher}) for one index, blob or cipher does not open as another`, () => {
      const key = randomBytes(32)
      const id = randomBytes(16)
      const plain = randomBytes(100)
      const sealed = Buffer.concat(sealChunk(cipher, key, id, 3, plain))
      assert.deepEqual(openChunk(cipher, key, id, 3, sealed), plain)
      assert.throws(() => openChunk(cipher, key, id, 4, sealed), { name: 'ChunkVerificationError' })
      assert.throws(() => openChunk(cipher, key, randomBytes(16), 3, sealed), { name: 'ChunkVerificationError' })
      assert.throws(() => openChunk(1 - cipher, key, id, 3, sealed), { name: 'ChunkVerificationError' })
      sealed[5] = sealed[5]! ^ 1
      assert.throws(() => openChunk(cipher, key, id, 3, sealed), { name: 'ChunkVerificationError' })
    })
  }

  it('new blobs are sealed with AES-256-GCM; a cipher number nobody knows is UnknownBlobCipherError and writes nothing', async () => {
    const record = await blobs.put(pieces(randomBytes(CHUNK + 5)), { recipients: [BOB], retentionMs: HOUR, chunkSize: CHUNK })
    assert.equal(record.cipher, BLOB_CIPHER_AES_256_GCM)
    assert.equal(DEFAULT_BLOB_CIPHER, BLOB_CIPHER_AES_256_GCM)
    assert.throws(() => openChunk(7, randomBytes(32), randomBytes(16), 0, randomBytes(40)), { name: 'UnknownBlobCipherError', cipher: 7 })
    await assert.rejects(blobs.put(pieces(randomBytes(10)), { recipients: [BOB], retentionMs: HOUR, chunkSize: CHUNK, cipher: 7 }), { name: 'UnknownBlobCipherError' })
    assert.deepEqual(await readdir(join(dir, 'blobs', 'store')), [`${record.blobId}.sealed`])
  })

  it('records who completed, once, and only recipients', async () => {
    const record = await blobs.put(pieces(randomBytes(10)), { recipients: [BOB, CAROL], retentionMs: HOUR, chunkSize: CHUNK })
    await blobs.markCompleted(record.blobId, BOB)
    await blobs.markCompleted(record.blobId, BOB)
    const after = await blobs.markCompleted(record.blobId, '12D3KooWMallory')
    assert.deepEqual(after.completed, [BOB])
    await db.close()
    await open()
    assert.deepEqual((await blobs.get(record.blobId))?.completed, [BOB])
  })

  it('expiry removes the files and the record', async () => {
    const a = await blobs.put(pieces(randomBytes(CHUNK)), { recipients: [BOB], retentionMs: HOUR, chunkSize: CHUNK })
    const b = await blobs.put(pieces(randomBytes(CHUNK)), { recipients: [BOB], retentionMs: 3 * HOUR, chunkSize: CHUNK })
    assert.deepEqual((await blobs.listExpired(T0 + HOUR - 1)).map(r => r.blobId), [])
    assert.deepEqual((await blobs.listExpired(T0 + HOUR)).map(r => r.blobId), [a.blobId])
    assert.deepEqual(await blobs.expire(T0 + 2 * HOUR), [a.blobId])
    assert.equal(await blobs.get(a.blobId), undefined)
    const files = await readdir(join(dir, 'blobs', 'store'))
    assert.deepEqual(files, [`${b.blobId}.sealed`])
    assert.deepEqual(await blobs.expire(T0 + 2 * HOUR), [])
    assert.equal(await blobs.remove(b.blobId), true)
    assert.equal(await blobs.remove(b.blobId), false)
    assert.deepEqual(await readdir(join(dir, 'blobs', 'store')), [])
  })

  it('sweeps files without a record and unfinished puts', async () => {
    const kept = await blobs.put(pieces(randomBytes(100)), { recipients: [BOB], retentionMs: HOUR, chunkSize: CHUNK })
    const store = join(dir, 'blobs', 'store')
    await writeFile(join(store, `${'ab'.repeat(16)}.sealed`), 'orphan')
    await writeFile(join(store, `${'cd'.repeat(16)}.sealed.tmp`), 'half')
    assert.equal(await blobs.removeOrphans(), 2)
    assert.deepEqual(await readdir(store), [`${kept.blobId}.sealed`])
  })

  it('an aborted put leaves nothing behind', async () => {
    const controller = new AbortController()
    async function * slow (): AsyncGenerator<Uint8Array> {
      yield randomBytes(CHUNK)
      controller.abort()
      yield randomBytes(CHUNK)
    }
    await assert.rejects(blobs.put(slow(), { recipients: [BOB], retentionMs: HOUR, chunkSize: CHUNK, signal: controller.signal }), { name: 'AbortError' })
    assert.deepEqual(await readdir(join(dir, 'blobs', 'store')), [])
  })

  describe('downloads', () => {
    const source = randomBytes(4 * CHUNK + 17)
    let record: BlobRecord
    beforeEach(async () => {
      record = await blobs.put(pieces(source), { recipients: [BOB], retentionMs: HOUR, chunkSize: CHUNK })
    })
    const plain = (i: number): Uint8Array => source.subarray(i * CHUNK, (i + 1) * CHUNK)

    it('appends chunks in order, resumes after a restart, and moves the file into place', async () => {
      await db.close()
      await open()
      let download = await downloads.open(refOf(record))
      await download.appendVerifiedChunk(0, plain(0))
      await download.appendVerifiedChunk(1, plain(1))
      await assert.rejects(download.appendVerifiedChunk(3, plain(3)), { name: 'ChunkOutOfOrderError' })
      await assert.rejects(download.appendVerifiedChunk(2, plain(2).subarray(1)), { name: 'ChunkSizeError' })
      await assert.rejects(downloads.open(refOf(record)), { name: 'DownloadBusyError' })
      await download.close()
      // As after a crash that wrote part of chunk 2 but never recorded it.
      await writeFile(join(dir, 'blobs', 'incoming', `${record.blobId}.partial`), randomBytes(100), { flag: 'a' })
      await db.close()
      await open()

      download = await downloads.open(refOf(record))
      assert.equal(download.record.nextChunk, 2)
      assert.equal(download.record.bytesDone, 2 * CHUNK)
      await assert.rejects(download.verify(), { name: 'BlobSizeMismatchError' })
      for (let i = 2; i < chunkCountFor(source.byteLength, CHUNK); i++) await download.appendVerifiedChunk(i, plain(i))
      await assert.rejects(download.appendVerifiedChunk(5, new Uint8Array(1)), { name: 'ExtraChunkError' })
      const done = await download.finish()
      assert.equal(done.state, 'complete')
      assert.deepEqual(await readFile(downloads.receivedPath(record.blobId)), source)
      assert.deepEqual(await readdir(join(dir, 'blobs', 'incoming')), [])
      // Opening a complete download again changes nothing.
      const again = await downloads.open(refOf(record))
      assert.equal(again.record.state, 'complete')
      await again.close()
      assert.deepEqual((await downloads.list()).map(r => r.state), ['complete'])
    })

    it('a whole-file hash mismatch fails the download and deletes the partial data', async () => {
      const lie = { ...refOf(record), sha256: randomBytes(32) }
      const download = await downloads.open(lie)
      for (let i = 0; i < 5; i++) await download.appendVerifiedChunk(i, plain(i))
      await assert.rejects(download.finish(), { name: 'BlobHashMismatchError' })
      const failed = await downloads.get(record.blobId)
      assert.equal(failed?.state, 'failed')
      assert.match(failed?.reason ?? '', /sha256/)
      assert.deepEqual(await readdir(join(dir, 'blobs', 'incoming')), [])
      await assert.rejects(stat(downloads.receivedPath(record.blobId)), { code: 'ENOENT' })
      // Opening it again is a retry from nothing.
      const retry = await downloads.open(refOf(record))
      assert.equal(retry.record.state, 'pending')
      assert.equal(retry.record.nextChunk, 0)
      await retry.close()
    })

    it('fsyncs every few chunks: the durable record never runs ahead of the synced data, and close keeps what was written', async () => {
      const batched = createBlobDownloads(db, { dir: join(dir, 'blobs'), syncEveryBytes: 2 * CHUNK })
      const download = await batched.open(refOf(record))
      await download.appendVerifiedChunk(0, plain(0))
      assert.equal((await batched.get(record.blobId))?.nextChunk, 0, 'one chunk: not synced yet')
      assert.equal(download.record.nextChunk, 1)
      await download.appendVerifiedChunk(1, plain(1))
      assert.equal((await batched.get(record.blobId))?.nextChunk, 2, 'two chunks: synced')
      await download.appendVerifiedChunk(2, plain(2))
      assert.equal((await batched.get(record.blobId))?.nextChunk, 2)
      await download.close()
      assert.equal((await batched.get(record.blobId))?.nextChunk, 3, 'a clean close syncs')
      const resumed = await batched.open(refOf(record))
      for (let i = 3; i < 5; i++) await resumed.appendVerifiedChunk(i, plain(i))
      assert.equal((await resumed.finish()).state, 'complete')
      assert.deepEqual(await readFile(batched.receivedPath(record.blobId)), source)
    })

    it('chunks of a size no block divides are synced and resumed whole, with O_DIRECT or through the page cache', async () => {
      const odd = 12_289 // 3 blocks + 1 byte: every chunk boundary and sync point is unaligned
      const data = randomBytes(7 * odd + 4095)
      const put = await blobs.put(pieces(data), { recipients: [BOB], retentionMs: HOUR, chunkSize: odd })
      const chunk = (i: number): Uint8Array => data.subarray(i * odd, (i + 1) * odd)
      const partial = join(dir, 'blobs', 'incoming', `${put.blobId}.partial`)
      for (const directIo of [true, false]) {
        const refused: string[] = []
        const init = { dir: join(dir, 'blobs'), syncEveryBytes: 2 * odd, directIo, onDirectIoRefused: (path: string) => { refused.push(path) } }
        let writer = createBlobDownloads(db, init)
        let download = await writer.open(refOf(put))
        for (let i = 0; i < 3; i++) await download.appendVerifiedChunk(i, chunk(i))
        // Chunks 0-1 are synced and recorded; chunk 2 is not yet.
        assert.equal((await writer.get(put.blobId))?.nextChunk, 2)
        assert.deepEqual((await readFile(partial)).subarray(0, 2 * odd), data.subarray(0, 2 * odd))
        await download.close()
        // A clean close synced chunk 2: a new writer (as in a restarted daemon) resumes at chunk 3, from the unaligned byte 3 * odd.
        writer = createBlobDownloads(db, init)
        download = await writer.open(refOf(put))
        assert.equal(download.record.nextChunk, 3)
        for (let i = 3; i < put.chunkCount; i++) await download.appendVerifiedChunk(i, chunk(i))
        assert.equal((await download.finish()).state, 'complete')
        assert.deepEqual(await readFile(writer.receivedPath(put.blobId)), data, `directIo ${String(directIo)}`)
        assert.deepEqual(refused, [], 'the test disk takes O_DIRECT or it is off')
        await writer.remove(put.blobId)
      }
    })

    it('register records a download with where it comes from, idempotently; the information survives a failure and a retry', async () => {
      const info = { messageId: 'm1', name: 'film.mkv', type: 'video/x-matroska', from: 'alice', locations: [{ peerId: 'alice', addrs: [] }], homeServers: [] }
      const registered = await downloads.register(refOf(record), info)
      assert.equal(registered.state, 'pending')
      assert.deepEqual(registered.info, info)
      assert.deepEqual((await downloads.register(refOf(record), info)).info, info)
      const download = await downloads.open(refOf(record))
      await download.appendVerifiedChunk(0, plain(0))
      await download.fail('alice served bad data')
      const failed = await downloads.get(record.blobId)
      assert.equal(failed?.state, 'failed')
      assert.deepEqual(failed?.info, info)
      const retry = await downloads.open(refOf(record))
      assert.deepEqual(retry.record.info, info)
      await retry.close()
      await assert.rejects(downloads.register({ ...refOf(record), key: randomBytes(3) }, info), { name: 'InvalidBlobRefError' })
    })

    it('refuses an impossible ref', async () => {
      await assert.rejects(downloads.open({ ...refOf(record), key: randomBytes(16) }), { name: 'InvalidBlobRefError' })
      await assert.rejects(downloads.open({ ...refOf(record), chunkSize: 10 }), { name: 'InvalidBlobRefError' })
      await assert.rejects(downloads.open({ ...refOf(record), blobId: '../x' }), { name: 'InvalidBlobRefError' })
      await assert.rejects(downloads.open({ ...refOf(record), size: -1 }), { name: 'InvalidBlobRefError' })
    })
  })
})
