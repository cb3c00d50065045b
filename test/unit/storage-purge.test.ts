import { strict as assert } from 'node:assert'
import { createHash, randomBytes } from 'node:crypto'
import { access, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { createBlobDownloads, createPurger, DEFAULT_CHUNK_SIZE, MAX_PURGE_IDS, messageDedupeKey, openHomeStore, PURGE_BATCH } from '../../storage/index.js'
import type { BlobDownloadRef, BlobDownloads, HomeStore, NewMessage, Purger } from '../../storage/index.js'
import { fixtureMessage, fixtureRaw, FIXTURE_SENDER } from '../helpers/stored-messages.js'

const BOB = FIXTURE_SENDER
const message = (n: number, overrides: Partial<NewMessage> = {}): NewMessage => fixtureMessage(n, { folder: 'trash', ...overrides })
const raw = fixtureRaw
const dedupe = (n: number): string => messageDedupeKey(BOB, `<m${n}@example>`, raw(n))
const exists = async (path: string): Promise<boolean> => await access(path).then(() => true, () => false)

/** A small blob ref whose bytes are `data` (one chunk). */
function blobRef (data: Uint8Array): BlobDownloadRef {
  return { blobId: randomBytes(16).toString('hex'), size: data.byteLength, chunkSize: DEFAULT_CHUNK_SIZE, sha256: new Uint8Array(createHash('sha256').update(data).digest()), key: randomBytes(32) }
}

describe('deleting messages for good (purge)', () => {
  let dir: string
  let store: HomeStore
  let downloads: BlobDownloads
  let purger: Purger
  let purged: string[][]
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'peerpost-purge-'))
    store = await openHomeStore(join(dir, 'db'))
    downloads = createBlobDownloads(store.db, { dir: join(dir, 'blobs'), directIo: false })
    purged = []
    purger = createPurger({ writer: store.mailbox.writer, downloads, onPurged: ids => { purged.push(ids) } })
  })
  afterEach(async () => {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })

  /** Pull `data` as a complete download for message `messageId`: resolves to its received file. */
  async function pulled (ref: BlobDownloadRef, data: Uint8Array, messageId: string): Promise<string> {
    await downloads.register(ref, { messageId, name: 'film.bin', type: 'application/octet-stream', from: BOB, locations: [{ peerId: BOB, addrs: [] }], homeServers: [] })
    const download = await downloads.open(ref)
    await download.appendVerifiedChunk(0, data)
    await download.finish()
    return downloads.receivedPath(String(ref.blobId))
  }

  it('removes the message from every index, counter and cache, and keeps a tombstone that refuses it again', async () => {
    const { id } = await store.mailbox.add(message(1), raw(1), dedupe(1))
    const reply = await store.mailbox.add(message(2, { inReplyTo: '<m0@example>', references: ['<m0@example>'] }), raw(2), dedupe(2))
    const kept = await store.mailbox.add(message(3, { folder: 'inbox', inReplyTo: '<m0@example>' }), raw(3), dedupe(3))
    await store.mailbox.putSearchTexts([{ id, text: 'hello 1' }, { id: reply.id, text: 'hello 2' }])

    const deleted = await purger.purge([id, reply.id, id], { folder: 'trash' })
    assert.deepEqual(deleted.map(m => m.id).sort(), [id, reply.id].sort())
    assert.deepEqual(purged, [deleted.map(m => m.id)])
    for (const gone of [id, reply.id]) {
      assert.equal(await store.mailbox.get(gone), undefined)
      assert.equal(await store.mailbox.getRaw(gone), undefined)
    }
    assert.deepEqual((await store.mailbox.list('trash')).items, [])
    assert.deepEqual(await store.mailbox.counts('trash'), { total: 0, unread: 0 })
    assert.deepEqual(await store.mailbox.repliesTo('<m0@example>', 10), [kept.id])
    assert.deepEqual(await store.mailbox.searchTexts([id, reply.id]), [undefined, undefined])
    assert.equal(await store.mailbox.hasDedupeKey(dedupe(1)), undefined)
    // The message delivered again: acknowledged as a duplicate, nothing stored.
    const again = await store.mailbox.add(message(1, { folder: 'inbox' }), raw(1), dedupe(1))
    assert.deepEqual(again, { id: '', duplicate: true, deleted: true })
    assert.deepEqual(await store.mailbox.counts('inbox'), { total: 1, unread: 1 })
    assert.equal((await store.mailbox.list('inbox')).items.length, 1)
    // A search that parsed it before it went does not write its text back.
    await store.mailbox.putSearchTexts([{ id, text: 'late' }])
    assert.deepEqual(await store.mailbox.searchTexts([id]), [undefined])
  })

  it('refuses an unknown id, a message outside the trash, a bad id and too many ids, deleting nothing', async () => {
    const inTrash = await store.mailbox.add(message(1), raw(1), dedupe(1))
    const inInbox = await store.mailbox.add(message(2, { folder: 'inbox' }), raw(2), dedupe(2))
    await assert.rejects(purger.purge([inTrash.id, inInbox.id], { folder: 'trash' }), { name: 'NotInTrashError', message: new RegExp(`message ${inInbox.id} is in inbox, not in trash`) })
    await assert.rejects(purger.purge([inTrash.id, 'ffffffffffffffffffff'], { folder: 'trash' }), { name: 'MessageNotFoundError' })
    await assert.rejects(purger.purge([inTrash.id, '../x'], { folder: 'trash' }), { name: 'InvalidIdError' })
    await assert.rejects(purger.purge(Array.from({ length: MAX_PURGE_IDS + 1 }, (_v, i) => `id${i}`)), { name: 'TooManyMessagesError' })
    assert.notEqual(await store.mailbox.get(inTrash.id), undefined)
    assert.notEqual(await store.mailbox.get(inInbox.id), undefined)
    assert.deepEqual(await store.mailbox.counts('trash'), { total: 1, unread: 1 })
    assert.deepEqual(purged, [])
  })

  it('forgets the downloads of its large attachments and deletes their files after the batch, not another message\'s', async () => {
    const mine = randomBytes(100)
    const others = randomBytes(50)
    const mineRef = blobRef(mine)
    const othersRef = blobRef(others)
    const { id } = await store.mailbox.add(message(1, { blobs: [{ blobId: String(mineRef.blobId), name: 'film.bin', type: 'application/octet-stream', size: 100, sha256: '' }, { blobId: String(othersRef.blobId), name: 'x', type: 'x', size: 50, sha256: '' }] }), raw(1), dedupe(1))
    const file = await pulled(mineRef, mine, id)
    // A blob this message names whose download another message registered: that one's, kept.
    const otherFile = await pulled(othersRef, others, 'someoneelse')
    assert.equal(await exists(file), true)
    await purger.purge([id], { folder: 'trash' })
    assert.equal(await downloads.get(String(mineRef.blobId)), undefined)
    assert.equal(await exists(file), false)
    assert.notEqual(await downloads.get(String(othersRef.blobId)), undefined)
    assert.equal(await exists(otherFile), true)
  })

  it('will not forget a download that is open (its pull must stop first): nothing is deleted', async () => {
    const data = randomBytes(100)
    const ref = blobRef(data)
    const { id } = await store.mailbox.add(message(1, { blobs: [{ blobId: String(ref.blobId), name: 'f', type: 't', size: 100, sha256: '' }] }), raw(1), dedupe(1))
    await downloads.register(ref, { messageId: id, name: 'f', type: 't', from: BOB, locations: [{ peerId: BOB, addrs: [] }], homeServers: [] })
    const open = await downloads.open(ref)
    await assert.rejects(purger.purge([id], { folder: 'trash' }), { name: 'DownloadBusyError' })
    assert.notEqual(await store.mailbox.get(id), undefined)
    // What a purger told to stop pulls first does: the pull ends, then the purge goes through.
    const stopping = createPurger({ writer: store.mailbox.writer, downloads, beforeCommit: async () => { await open.close() } })
    assert.equal((await stopping.purge([id], { folder: 'trash' })).length, 1)
    assert.equal(await downloads.get(String(ref.blobId)), undefined)
  })

  it('empties a folder of many messages, batch by batch, and leaves the others', async () => {
    const n = PURGE_BATCH * 2 + 7
    for (let i = 0; i < n; i++) await store.mailbox.add(message(i, { unread: i % 2 === 0 }), raw(i), dedupe(i))
    await store.mailbox.add(message(9999, { folder: 'inbox' }), raw(9999), dedupe(9999))
    assert.equal(await purger.emptyFolder('trash'), n)
    assert.deepEqual(await store.mailbox.counts('trash'), { total: 0, unread: 0 })
    assert.deepEqual((await store.mailbox.list('trash')).items, [])
    assert.equal(purged.length, 3)
    assert.equal((await store.mailbox.list('inbox')).items.length, 1)
    assert.equal(await purger.emptyFolder('trash'), 0)
    assert.deepEqual((await store.mailbox.add(message(5), raw(5), dedupe(5))).deleted, true)
  })

  it('keys a message without a Message-ID by its bytes, so the same bytes again are refused', async () => {
    const key = messageDedupeKey(BOB, '', raw(7))
    const { id } = await store.mailbox.add(message(7, { messageId: '' }), raw(7), key)
    await purger.purge([id], { folder: 'trash' })
    assert.equal((await store.mailbox.add(message(7, { messageId: '' }), raw(7), key)).deleted, true)
    // Other bytes without a Message-ID are another message.
    assert.equal((await store.mailbox.add(message(8, { messageId: '' }), raw(8), messageDedupeKey(BOB, '', raw(8)))).duplicate, false)
  })

  it('sweeps files a crash left between the batch and their deletion, and keeps recorded ones', async () => {
    const data = randomBytes(100)
    const ref = blobRef(data)
    const file = await pulled(ref, data, 'm1')
    const orphan = join(dir, 'blobs', 'received', randomBytes(16).toString('hex'))
    const partialOrphan = join(dir, 'blobs', 'incoming', `${randomBytes(16).toString('hex')}.partial`)
    await mkdir(join(dir, 'blobs', 'incoming'), { recursive: true })
    await writeFile(orphan, 'x')
    await writeFile(partialOrphan, 'x')
    const foreign = join(dir, 'blobs', 'received', 'notes.txt')
    await writeFile(foreign, 'not ours')
    assert.equal(await downloads.removeOrphans(), 2)
    assert.equal(await exists(orphan), false)
    assert.equal(await exists(partialOrphan), false)
    assert.equal(await exists(file), true)
    assert.equal(await exists(foreign), true)
  })
})
