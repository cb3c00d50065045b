import { strict as assert } from 'node:assert'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { createPurger, createTombstoneExpiry, messageDedupeKey, openHomeStore } from '../../storage/index.js'
import { tombstoneIndexKey, tombstoneValue } from '../../storage/dedupe.js'
import type { HomeStore, Purger, TombstoneExpiry } from '../../storage/index.js'
import { fixtureMessage, fixtureRaw, FIXTURE_SENDER } from '../helpers/stored-messages.js'

const HOUR = 60 * 60_000
const LIFETIME = 10 * HOUR
const T0 = 1_800_000_000_000
const dedupe = (n: number): string => messageDedupeKey(FIXTURE_SENDER, `<m${n}@example>`, fixtureRaw(n))

/**
 * Tombstone expiry (storage/tombstones.ts) with an injected clock: a tombstone blocks a
 * re-delivery until its lifetime is over, then one bounded, synced pass removes it.
 */
describe('dedupe tombstones expire', () => {
  let dir: string
  let store: HomeStore
  let clock: number
  let purger: Purger
  let expiry: TombstoneExpiry
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'peerpost-tombstones-'))
    store = await openHomeStore(join(dir, 'db'))
    clock = T0
    purger = createPurger({ writer: store.mailbox.writer, now: () => clock })
    expiry = createTombstoneExpiry({ db: store.db, locks: store.mailbox.writer.locks, now: () => clock }, { lifetimeMs: LIFETIME, batch: 2 })
  })
  afterEach(async () => {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })

  /** Store message n in the trash and delete it for good at the clock's time. */
  async function deleted (n: number): Promise<void> {
    const { id } = await store.mailbox.add(fixtureMessage(n, { folder: 'trash' }), fixtureRaw(n), dedupe(n))
    await purger.purge([id], { folder: 'trash' })
  }
  const indexKeys = async (): Promise<string[]> => await store.db.sublevels.mailbox.tombstones.keys().all()

  it('keeps a fresh tombstone, which still refuses the message, and removes it once its lifetime is over', async () => {
    await deleted(1)
    assert.deepEqual(await indexKeys(), [tombstoneIndexKey(T0, dedupe(1))], 'the purge indexed its tombstone')

    clock = T0 + LIFETIME
    assert.deepEqual(await expiry.pass(), { removed: 0, more: false }, 'not older than the lifetime yet')
    assert.deepEqual(await store.mailbox.add(fixtureMessage(1), fixtureRaw(1), dedupe(1)), { id: '', duplicate: true, deleted: true }, 'the re-delivery is a duplicate, not stored')
    assert.deepEqual((await store.mailbox.list('inbox')).items, [])

    clock = T0 + LIFETIME + 1
    const batches = store.db.syncedBatches
    assert.deepEqual(await expiry.pass(), { removed: 1, more: false })
    assert.equal(store.db.syncedBatches, batches + 1, 'one synced batch')
    assert.equal(store.db.sublevels.mailbox.dedupe.getSync(dedupe(1)), undefined)
    assert.deepEqual(await indexKeys(), [])
    // The storage layer no longer knows the key; that a copy this old is refused is the receiver's part (receiver-deleted.test.ts).
    assert.equal((await store.mailbox.add(fixtureMessage(1), fixtureRaw(1), dedupe(1))).duplicate, false)
  })

  it('removes at most a batch per pass, oldest first, one synced batch each, and leaves the young ones', async () => {
    for (let n = 1; n <= 5; n++) {
      clock = T0 + n * HOUR
      await deleted(n)
    }
    clock = T0 + 4 * HOUR + LIFETIME + 1 // messages 1-4 expired, 5 not
    const batches = store.db.syncedBatches
    assert.deepEqual(await expiry.pass(), { removed: 2, more: true })
    assert.equal(store.mailbox.writer.db.sublevels.mailbox.dedupe.getSync(dedupe(1)), undefined, 'the oldest went first')
    assert.ok(store.db.sublevels.mailbox.dedupe.getSync(dedupe(3)) !== undefined)
    assert.deepEqual(await expiry.pass(), { removed: 2, more: true })
    assert.deepEqual(await expiry.pass(), { removed: 0, more: false })
    assert.equal(store.db.syncedBatches, batches + 2, 'an empty pass writes nothing')
    for (const n of [1, 2, 3, 4]) assert.equal(store.db.sublevels.mailbox.dedupe.getSync(dedupe(n)), undefined)
    assert.equal(store.db.sublevels.mailbox.dedupe.getSync(dedupe(5)), tombstoneValue(T0 + 5 * HOUR))
    assert.deepEqual(await indexKeys(), [tombstoneIndexKey(T0 + 5 * HOUR, dedupe(5))])
  })

  it('drops an index entry that no longer names its key\'s tombstone, and keeps what the key holds', async () => {
    const { id } = await store.mailbox.add(fixtureMessage(7), fixtureRaw(7), dedupe(7))
    const { tombstones } = store.db.sublevels.mailbox
    await tombstones.put(tombstoneIndexKey(T0 - 2 * LIFETIME, dedupe(7)), '')
    assert.deepEqual(await expiry.pass(), { removed: 0, more: false })
    assert.equal(store.db.sublevels.mailbox.dedupe.getSync(dedupe(7)), id, 'a stored message keeps its dedupe entry')
    assert.deepEqual(await indexKeys(), [])
  })

  it('refuses a lifetime that is not a positive whole number of ms', () => {
    for (const lifetimeMs of [0, -1, 1.5, Number.NaN]) {
      assert.throws(() => createTombstoneExpiry({ db: store.db, locks: store.mailbox.writer.locks, now: () => clock }, { lifetimeMs }), RangeError)
    }
  })
})
