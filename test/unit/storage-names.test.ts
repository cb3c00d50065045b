import { strict as assert } from 'node:assert'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { createNameStore, openDatabase } from '../../storage/index.js'
import type { Database, NameStore } from '../../storage/index.js'

const T0 = 1_700_000_000_000
const ALICE = '12D3KooWAlice'
const MALLORY = '12D3KooWMallory'
const card = (text: string): Uint8Array => new TextEncoder().encode(text)

describe('name store', () => {
  let dir: string
  let db: Database
  let names: NameStore
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'peerpost-names-'))
    db = await openDatabase(join(dir, 'db'))
    names = createNameStore(db)
  })
  afterEach(async () => {
    await db.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('counts the names registered: read once from the database, then moved by new names only (not a card update)', async () => {
    await names.register({ name: 'alice', peerId: ALICE, card: card('v1'), cardCreated: T0 }, T0)
    names = createNameStore(db)
    assert.equal(await names.count(), 1, 'counted from the database')
    await names.register({ name: 'alice', peerId: ALICE, card: card('v2'), cardCreated: T0 + 1 }, T0 + 1)
    await names.register({ name: 'mallory', peerId: MALLORY, card: card('m'), cardCreated: T0 }, T0)
    await assert.rejects(names.register({ name: 'alice', peerId: MALLORY, card: card('m'), cardCreated: T0 + 2 }, T0 + 2), { name: 'NameTakenError' })
    assert.equal(await names.count(), 2)
  })

  it('registers first come and resolves, durable across reopen', async () => {
    const before = db.syncedBatches
    const record = await names.register({ name: 'alice', peerId: ALICE, card: card('card v1'), cardCreated: T0 }, T0 + 5)
    assert.equal(db.syncedBatches - before, 1)
    assert.deepEqual(record, { name: 'alice', peerId: ALICE, card: card('card v1'), cardCreated: T0, registeredAt: T0 + 5, updatedAt: T0 + 5 })
    assert.deepEqual(await names.resolve('alice'), record)
    assert.equal(await names.resolve('bob'), undefined)

    await db.close()
    db = await openDatabase(join(dir, 'db'))
    names = createNameStore(db)
    const resolved = await names.resolve('alice')
    assert.deepEqual(resolved, record)
    assert.ok(resolved !== undefined && !Buffer.isBuffer(resolved.card))
  })

  it('bounds the names one key may hold; updating a held name and other keys are not affected', async () => {
    names = createNameStore(db, { maxNamesPerKey: 3 })
    for (const n of ['m1', 'm2', 'm3']) await names.register({ name: n, peerId: MALLORY, card: card(n), cardCreated: T0 }, T0)
    // Concurrent attempts cannot race past the bound.
    const results = await Promise.allSettled(['m4', 'm5', 'm6'].map(async n => names.register({ name: n, peerId: MALLORY, card: card(n), cardCreated: T0 }, T0)))
    assert.ok(results.every(r => r.status === 'rejected' && (r.reason as Error).name === 'NameQuotaError'))
    assert.equal(await names.resolve('m4'), undefined)
    assert.equal((await names.register({ name: 'm1', peerId: MALLORY, card: card('m1 v2'), cardCreated: T0 + 1 }, T0 + 1)).cardCreated, T0 + 1)
    assert.equal((await names.register({ name: 'alice', peerId: ALICE, card: card('a'), cardCreated: T0 }, T0)).name, 'alice')
  })

  it('lets the same PeerId replace its card only with a newer one', async () => {
    await names.register({ name: 'alice', peerId: ALICE, card: card('v1'), cardCreated: T0 }, T0)
    const updated = await names.register({ name: 'alice', peerId: ALICE, card: card('v2'), cardCreated: T0 + 100 }, T0 + 200)
    assert.deepEqual(updated, { name: 'alice', peerId: ALICE, card: card('v2'), cardCreated: T0 + 100, registeredAt: T0, updatedAt: T0 + 200 })

    // A replay of the same card, or an older one, keeps (and returns) what is stored.
    const before = db.syncedBatches
    assert.deepEqual(await names.register({ name: 'alice', peerId: ALICE, card: card('v2 again'), cardCreated: T0 + 100 }, T0 + 300), updated)
    assert.deepEqual(await names.register({ name: 'alice', peerId: ALICE, card: card('v1'), cardCreated: T0 }, T0 + 300), updated)
    assert.equal(db.syncedBatches, before)
    assert.deepEqual(await names.resolve('alice'), updated)
  })

  it('refuses a name held by another PeerId, also when both race', async () => {
    await names.register({ name: 'alice', peerId: ALICE, card: card('v1'), cardCreated: T0 }, T0)
    await assert.rejects(names.register({ name: 'alice', peerId: MALLORY, card: card('evil'), cardCreated: T0 + 999 }, T0 + 1), (err: Error & { registeredName?: string }) => {
      assert.equal(err.name, 'NameTakenError')
      assert.equal(err.registeredName, 'alice')
      return true
    })
    assert.equal((await names.resolve('alice'))?.peerId, ALICE)

    const race = await Promise.allSettled([
      names.register({ name: 'carol', peerId: ALICE, card: card('a'), cardCreated: T0 }, T0),
      names.register({ name: 'carol', peerId: MALLORY, card: card('m'), cardCreated: T0 }, T0)
    ])
    assert.deepEqual(race.map(r => r.status), ['fulfilled', 'rejected'])
    assert.equal((await names.resolve('carol'))?.peerId, ALICE)
  })

  it('treats ASCII capitals as the same name', async () => {
    const record = await names.register({ name: 'Alice.Smith', peerId: ALICE, card: card('v1'), cardCreated: T0 }, T0)
    assert.equal(record.name, 'alice.smith')
    assert.deepEqual(await names.resolve('ALICE.smith'), record)
    await assert.rejects(names.register({ name: 'alice.smith', peerId: MALLORY, card: card('m'), cardCreated: T0 }, T0), { name: 'NameTakenError' })
  })

  it('refuses names outside [a-z0-9][a-z0-9._-]{0,63}', async () => {
    const valid = ['a', '0', 'a-b_c.d', 'x'.repeat(64)]
    for (const name of valid) await names.register({ name, peerId: ALICE, card: card(name), cardCreated: T0 }, T0)
    const invalid = ['', '-alice', '.alice', '_a', 'x'.repeat(65), 'al ice', 'al!ce', 'alice@home', 'álice', 'аlice' /* Cyrillic а */, 'a\u0000']
    for (const name of invalid) {
      await assert.rejects(names.register({ name, peerId: ALICE, card: card('c'), cardCreated: T0 }, T0), { name: 'InvalidNameError' }, JSON.stringify(name))
      await assert.rejects(names.resolve(name), { name: 'InvalidNameError' })
    }
    assert.equal((await db.sublevels.names.records.keys().all()).length, valid.length)
    await assert.rejects(names.register({ name: 'bob', peerId: 'not!an id', card: card('c'), cardCreated: T0 }, T0), { name: 'InvalidIdError' })
  })

  it('does not hand a damaged record\'s name to a newcomer', async () => {
    await names.register({ name: 'alice', peerId: ALICE, card: card('v1'), cardCreated: T0 }, T0)
    await db.sublevels.names.records.put('alice', '{damaged')
    assert.equal(await names.resolve('alice'), undefined)
    await assert.rejects(names.register({ name: 'alice', peerId: MALLORY, card: card('m'), cardCreated: T0 }, T0), { name: 'NameTakenError' })
  })
})
