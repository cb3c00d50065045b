import { strict as assert } from 'node:assert'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { defaultLogger } from '@libp2p/logger'
import { DEFAULT_RETENTION_MS as CACHE_SERVER_RETENTION_MS } from '../../cache-server/config.js'
import { DEFAULT_HOLDING_RETENTION_MS, DEFAULT_MESSAGE_LIFETIME_MS } from '../../node/config.js'
import { MAX_ENVELOPE_AGE_MS, TOMBSTONE_CLOCK_MARGIN_MS, TOMBSTONE_LIFETIME_MS } from '../../node/envelope-age.js'
import { TombstoneSweep } from '../../node/tombstone-sweep.js'
import { createPurger, createTombstoneExpiry, FORMER_CONTACT_MS, messageDedupeKey, openHomeStore } from '../../storage/index.js'
import type { HomeStore } from '../../storage/index.js'
import { fixtureMessage, fixtureRaw, FIXTURE_SENDER } from '../helpers/stored-messages.js'

describe('how long a copy can arrive', () => {
  it('outlasts the longest a sender retries plus the longest a holder keeps what it parked last, with the defaults', () => {
    const longestHolder = Math.max(CACHE_SERVER_RETENTION_MS, DEFAULT_HOLDING_RETENTION_MS)
    assert.ok(MAX_ENVELOPE_AGE_MS >= DEFAULT_MESSAGE_LIFETIME_MS + longestHolder,
      `an envelope is refused after ${MAX_ENVELOPE_AGE_MS} ms but a default sender and holder can take ${DEFAULT_MESSAGE_LIFETIME_MS + longestHolder} ms to bring it`)
    assert.equal(TOMBSTONE_LIFETIME_MS, MAX_ENVELOPE_AGE_MS + TOMBSTONE_CLOCK_MARGIN_MS)
  })

  it('is as long as a removed contact\'s stampless mail is still taken from a holder', () => {
    // Shorter, and a copy sealed stampless while the sender was a contact, parked for the
    // cache server's 30 days after the sender's 7, would be refused as a stranger's.
    assert.equal(FORMER_CONTACT_MS, MAX_ENVELOPE_AGE_MS)
  })
})

describe('the daemon\'s tombstone sweep', () => {
  const T0 = 1_800_000_000_000
  let dir: string
  let store: HomeStore
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'peerpost-tombstone-sweep-'))
    store = await openHomeStore(join(dir, 'db'))
    const purger = createPurger({ writer: store.mailbox.writer, now: () => T0 })
    for (let n = 1; n <= 5; n++) {
      const { id } = await store.mailbox.add(fixtureMessage(n, { folder: 'trash' }), fixtureRaw(n), messageDedupeKey(FIXTURE_SENDER, `<m${n}@example>`, fixtureRaw(n)))
      await purger.purge([id])
    }
  })
  afterEach(async () => {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })
  /** One tombstone per pass, all five expired. */
  const expiry = (): ReturnType<typeof createTombstoneExpiry> => createTombstoneExpiry({ db: store.db, locks: store.mailbox.writer.locks, now: () => T0 + 2 }, { lifetimeMs: 1, batch: 1 })
  const log = defaultLogger().forComponent('test:tombstones')
  const left = async (): Promise<number> => (await store.db.sublevels.mailbox.tombstones.keys().all()).length

  it('runs passes until none is full', async () => {
    assert.equal(await new TombstoneSweep({ expiry: expiry(), log }).run(), 5)
    assert.equal(await left(), 0)
  })

  it('makes at most maxPasses passes in a run; the next run goes on', async () => {
    const sweep = new TombstoneSweep({ expiry: expiry(), log }, { maxPasses: 3 })
    assert.equal(await sweep.run(), 3)
    assert.equal(await left(), 2)
    assert.equal(await sweep.run(), 2)
  })

  it('starts no pass once its time budget is spent', async () => {
    let t = 0
    const elapsed = (): number => { t += 100; return t }
    assert.equal(await new TombstoneSweep({ expiry: expiry(), log, elapsed }, { budgetMs: 250 }).run(), 2)
    assert.equal(await left(), 3)
  })

  it('runs once at start and stops cleanly', async () => {
    const sweep = new TombstoneSweep({ expiry: expiry(), log }, { intervalMs: 60_000 })
    sweep.start()
    const deadline = Date.now() + 10_000
    while (await left() > 0 && Date.now() < deadline) await new Promise(resolve => setImmediate(resolve))
    await sweep.stop()
    assert.equal(await left(), 0)
  })
})
