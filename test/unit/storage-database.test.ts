import { strict as assert } from 'node:assert'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { Level } from 'level'
import { createPurger, openDatabase, openHomeStore, SCHEMA_VERSION } from '../../storage/index.js'
import { tombstoneIndexKey } from '../../storage/dedupe.js'
import type { BatchOp, Database } from '../../storage/index.js'

describe('database', () => {
  let dir: string
  const open: Database[] = []
  beforeEach(async () => { dir = join(await mkdtemp(join(tmpdir(), 'peerpost-db-')), 'db') })
  afterEach(async () => {
    for (const db of open.splice(0)) await db.close()
    await rm(join(dir, '..'), { recursive: true, force: true })
  })
  const openTracked = async (): Promise<Database> => {
    const db = await openDatabase(dir)
    open.push(db)
    return db
  }

  it('records the schema version when it creates a database', async () => {
    const db = await openTracked()
    assert.equal(await db.schemaVersion(), SCHEMA_VERSION)
    assert.equal(await db.sublevels.meta.get('schemaVersion'), String(SCHEMA_VERSION))
  })

  it('refuses a database written by a newer peerpost', async () => {
    await (await openTracked()).close()
    const raw = new Level<string, string>(dir)
    await raw.sublevel('meta').put('schemaVersion', String(SCHEMA_VERSION + 1))
    await raw.close()
    await assert.rejects(openDatabase(dir), { name: 'SchemaVersionError' })
    // The failed open released the lock: a raw open works again.
    const again = new Level(dir)
    await again.open()
    await again.close()
  })

  it('migration 2 builds the thread index for messages stored before it, and skips a damaged summary', async () => {
    const store = await openHomeStore(dir)
    const base = { from: 'Bob', fromPeer: 'p', to: [], cc: [], subject: 's', date: 1, receivedAt: 1, unread: true, folder: 'inbox' as const, size: 1, attachments: [] }
    const root = await store.mailbox.add({ ...base, messageId: '<root@x>', references: [] }, new Uint8Array([1]), 'p\n<root@x>')
    const reply = await store.mailbox.add({ ...base, messageId: '<reply@x>', inReplyTo: '<root@x>', references: ['<root@x>'] }, new Uint8Array([1]), 'p\n<reply@x>')
    const deeper = await store.mailbox.add({ ...base, messageId: '<deeper@x>', inReplyTo: '<reply@x>', references: ['<root@x>', '<reply@x>'] }, new Uint8Array([1]), 'p\n<deeper@x>')
    assert.deepEqual(await store.mailbox.repliesTo('<root@x>', 10), [reply.id, deeper.id].sort())
    // As a version-1 database left it: no index, and one summary that no longer parses.
    const { replies, summaries } = store.db.sublevels.mailbox
    await store.db.commit([
      ...(await replies.keys().all()).map((key): BatchOp => ({ type: 'del', sublevel: replies, key })),
      { type: 'put', sublevel: summaries, key: 'damaged', value: '{not json' },
      { type: 'put', sublevel: store.db.sublevels.meta, key: 'schemaVersion', value: '1' }
    ])
    assert.deepEqual(await store.mailbox.repliesTo('<root@x>', 10), [])
    await store.close()

    const migrated = await openHomeStore(dir)
    try {
      assert.equal(await migrated.db.schemaVersion(), SCHEMA_VERSION)
      assert.deepEqual(await migrated.mailbox.repliesTo('<root@x>', 10), [reply.id, deeper.id].sort())
      assert.deepEqual(await migrated.mailbox.repliesTo('<reply@x>', 10), [deeper.id])
      assert.deepEqual(await migrated.mailbox.repliesTo('<deeper@x>', 10), [])
      assert.ok(root.id !== '')
    } finally {
      await migrated.close()
    }
  })

  it('migration 3 indexes the tombstones written before it, so they can expire', async () => {
    const store = await openHomeStore(dir)
    const base = { from: 'Bob', fromPeer: 'p', to: [], cc: [], subject: 's', date: 1, receivedAt: 1, unread: true, folder: 'trash' as const, size: 1, attachments: [], references: [] }
    const gone = await store.mailbox.add({ ...base, messageId: '<gone@x>' }, new Uint8Array([1]), 'p\n<gone@x>')
    await store.mailbox.add({ ...base, messageId: '<kept@x>' }, new Uint8Array([1]), 'p\n<kept@x>')
    await createPurger({ writer: store.mailbox.writer, now: () => 5_000 }).purge([gone.id])
    // As a version-2 database left it: the tombstone without its index entry.
    const { tombstones } = store.db.sublevels.mailbox
    await store.db.commit([
      ...(await tombstones.keys().all()).map((key): BatchOp => ({ type: 'del', sublevel: tombstones, key })),
      { type: 'put', sublevel: store.db.sublevels.meta, key: 'schemaVersion', value: '2' }
    ])
    await store.close()

    const migrated = await openHomeStore(dir)
    try {
      assert.equal(await migrated.db.schemaVersion(), SCHEMA_VERSION)
      assert.deepEqual(await migrated.db.sublevels.mailbox.tombstones.keys().all(), [tombstoneIndexKey(5_000, 'p\n<gone@x>')])
    } finally {
      await migrated.close()
    }
  })

  it('is marked with the kind of home that opens it first, and refuses the other kind before writing anything', async () => {
    const db = await openDatabase(dir, { kind: 'cache-server' })
    assert.equal(await db.sublevels.meta.get('homeKind'), 'cache-server')
    await db.close()
    await assert.rejects(openDatabase(dir, { kind: 'node' }), (err: Error & { found?: string, wanted?: string }) =>
      err.name === 'HomeKindError' && err.found === 'cache-server' && err.wanted === 'node' && /belongs to a cache server, not a node/.test(err.message))
    // The refused open released the database and changed nothing; the right kind opens it.
    const again = await openTracked()
    assert.equal(await again.sublevels.meta.get('homeKind'), 'cache-server')
    const ok = await openDatabase(join(dir, '..', 'other'), { kind: 'node' })
    assert.equal(await ok.sublevels.meta.get('homeKind'), 'node')
    await ok.close()
  })

  it('refuses a second open of the same home with HomeLockedError', async () => {
    await openTracked()
    await assert.rejects(openDatabase(dir), { name: 'HomeLockedError' })
  })

  it('group-commits: 200 concurrent writers share a few synced batches, all durable', async () => {
    const db = await openTracked()
    const before = db.syncedBatches
    const writes = Array.from({ length: 200 }, async (_, i) => {
      const op: BatchOp = { type: 'put', sublevel: db.sublevels.meta, key: `k${i}`, value: `v${i}` }
      await db.commit([op])
    })
    await Promise.all(writes)
    const batches = db.syncedBatches - before
    assert.ok(batches >= 1 && batches <= 5, `expected a handful of synced batches, got ${batches}`)
    await db.close()
    open.length = 0

    const reopened = await openTracked()
    const values = await reopened.sublevels.meta.getMany(Array.from({ length: 200 }, (_, i) => `k${i}`))
    assert.deepEqual(values, Array.from({ length: 200 }, (_, i) => `v${i}`))
  })

  it('one caller with a bad batch does not fail the others that shared it', async () => {
    const db = await openTracked()
    const good = (i: number): BatchOp => ({ type: 'put', sublevel: db.sublevels.meta, key: `good${i}`, value: 'ok' })
    // A null key is refused by level when the batch is written.
    const bad = { type: 'put', sublevel: db.sublevels.meta, key: null, value: 'x' } as unknown as BatchOp
    const first = db.commit([good(0)])
    const results = await Promise.allSettled([db.commit([good(1)]), db.commit([bad]), db.commit([good(2)])])
    await first
    assert.deepEqual(results.map(r => r.status), ['fulfilled', 'rejected', 'fulfilled'])
    assert.deepEqual(await db.sublevels.meta.getMany(['good0', 'good1', 'good2']), ['ok', 'ok', 'ok'])
  })

  it('refuses commits after close', async () => {
    const db = await openDatabase(dir)
    await db.close()
    await assert.rejects(db.commit([]), { name: 'DatabaseClosedError' })
  })
})
