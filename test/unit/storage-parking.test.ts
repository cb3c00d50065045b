import { strict as assert } from 'node:assert'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { createParkingStore, DEFAULT_PARKING_LIMITS, FETCHED_MARK_MS, openDatabase } from '../../storage/index.js'
import type { BatchOp, Database, ParkingLimits, ParkingStore } from '../../storage/index.js'

const T0 = 1_700_000_000_000
const HOUR = 3_600_000
const BOB = '12D3KooWBob'
const CAROL = '12D3KooWCarol'
const ALICE = '12D3KooWAlice'
const DAVE = '12D3KooWDave'

const envId = (n: number): string => n.toString(16).padStart(32, '0')
const sealed = (n: number, size = 100): Uint8Array => new Uint8Array(size).fill(n % 251)

const LIMITS: ParkingLimits = {
  maxEnvelopeBytes: 1000,
  perRecipient: { maxBytes: 10_000, maxCount: 100 },
  perDepositor: { maxBytes: 10_000, maxCount: 100 },
  total: { maxBytes: 100_000, maxCount: 1000 },
  retentionMs: 24 * HOUR
}

describe('parking store', () => {
  let dir: string
  let db: Database
  let parking: ParkingStore

  const open = async (limits: ParkingLimits = LIMITS, wrap?: (db: Database) => Database): Promise<void> => {
    db = await openDatabase(join(dir, 'db'))
    parking = await createParkingStore(wrap === undefined ? db : wrap(db), limits)
  }
  const reopen = async (limits: ParkingLimits = LIMITS): Promise<void> => {
    await db.close()
    await open(limits)
  }
  const deposit = async (n: number, recipient = BOB, depositor = ALICE, size = 100, now = T0 + n): ReturnType<ParkingStore['deposit']> =>
    await parking.deposit({ envelopeId: envId(n), recipient, depositor, bytes: sealed(n, size), now })
  const assertConsistent = async (): Promise<void> => {
    const audit = await parking.audit()
    assert.deepEqual(audit.problems, [])
    assert.equal(audit.consistent, true)
    assert.deepEqual(audit.counted, audit.counters)
    assert.deepEqual(parking.usage(), audit.counted)
  }
  /** Everything stored under the parking sublevels, to show a refused write changed nothing. */
  const snapshot = async (): Promise<string> => {
    const subs = db.sublevels.parking
    const parts = await Promise.all([subs.records, subs.byRecipient, subs.byExpiry, subs.usage].map(async s => await s.iterator().all()))
    return JSON.stringify([parts, await subs.envelopes.keys().all()])
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'peerpost-parking-'))
    await open()
  })
  afterEach(async () => {
    await db.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('deposits, lists, fetches and acks, in one synced batch each', async () => {
    const before = db.syncedBatches
    const { envelope, duplicate } = await deposit(1, BOB, ALICE, 123)
    assert.equal(db.syncedBatches - before, 1)
    assert.equal(duplicate, false)
    assert.deepEqual(envelope, { envelopeId: envId(1), recipient: BOB, depositor: ALICE, size: 123, depositedAt: T0 + 1, expiresAt: T0 + 1 + 24 * HOUR })
    await deposit(2, BOB, CAROL, 50)

    assert.deepEqual((await parking.list(BOB)).items, [envelope, { ...envelope, envelopeId: envId(2), depositor: CAROL, size: 50, depositedAt: T0 + 2, expiresAt: T0 + 2 + 24 * HOUR }])
    const bytes = await parking.get(BOB, envId(1))
    assert.ok(bytes instanceof Uint8Array && !Buffer.isBuffer(bytes))
    assert.deepEqual(bytes, sealed(1, 123))
    assert.deepEqual(parking.usage(), { count: 2, bytes: 173 })
    assert.deepEqual(await parking.usageOf('recipient', BOB), { count: 2, bytes: 173 })
    assert.deepEqual(await parking.usageOf('depositor', ALICE), { count: 1, bytes: 123 })

    assert.equal(await parking.ack(BOB, [envId(1), envId(1)]), 1)
    assert.equal(await parking.get(BOB, envId(1)), undefined)
    assert.deepEqual((await parking.list(BOB)).items.map(e => e.envelopeId), [envId(2)])
    assert.deepEqual(await parking.usageOf('depositor', ALICE), { count: 0, bytes: 0 })
    // Acked again (a replayed ack): nothing left to delete.
    assert.equal(await parking.ack(BOB, [envId(1)]), 0)
    assert.deepEqual(parking.usage(), { count: 1, bytes: 50 })
    await assertConsistent()

    await reopen()
    assert.deepEqual(parking.usage(), { count: 1, bytes: 50 })
    assert.deepEqual(await parking.get(BOB, envId(2)), sealed(2, 50))
    await assertConsistent()
  })

  it('lists each recipient with something held once, up to a limit, and forgets one emptied by acks', async () => {
    assert.deepEqual(await parking.recipients(), [])
    await deposit(1, CAROL)
    await deposit(2, BOB)
    await deposit(3, BOB)
    await deposit(4, DAVE)
    assert.deepEqual(await parking.recipients(), [BOB, CAROL, DAVE])
    assert.deepEqual(await parking.recipients(2), [BOB, CAROL])
    await parking.ack(BOB, [envId(2), envId(3)])
    assert.deepEqual(await parking.recipients(), [CAROL, DAVE])
  })

  it('reads limits on every deposit, so a holder can change its quota while it runs', async () => {
    let maxCount = 1
    const live: ParkingLimits = { ...LIMITS, get total () { return { maxBytes: 100_000, maxCount } } }
    await reopen(live)
    await deposit(1)
    await assert.rejects(deposit(2), { name: 'QuotaExceededError', quota: 'total-count' })
    maxCount = 2
    await deposit(2)
    await assertConsistent()
  })

  it('shows, gives and deletes nothing to anyone but the recipient', async () => {
    await deposit(1, BOB)
    const before = await snapshot()
    assert.deepEqual(await parking.list(CAROL), { items: [] })
    assert.equal(await parking.get(CAROL, envId(1)), undefined)
    assert.equal(await parking.get(ALICE, envId(1)), undefined, 'not even the depositor')
    assert.equal(await parking.ack(CAROL, [envId(1)]), 0)
    assert.equal(await parking.ack(ALICE, [envId(1)]), 0)
    // Ids that could escape their key are refused quietly, not matched across recipients.
    assert.equal(await parking.get(`${BOB}!x`, envId(1)), undefined)
    assert.equal(await parking.ack(BOB, [`${envId(1)}!`, '']), 0)
    assert.deepEqual(await parking.list('12D3KooWBo'), { items: [] })
    assert.equal(await snapshot(), before)
    await assertConsistent()
  })

  it('stores a duplicate deposit once, sequential or concurrent', async () => {
    const first = await deposit(1)
    const again = await parking.deposit({ envelopeId: envId(1), recipient: BOB, depositor: CAROL, bytes: sealed(9, 300), now: T0 + 99 })
    assert.deepEqual(again, { envelope: first.envelope, duplicate: true })

    const both = await Promise.all([deposit(2), deposit(2)])
    assert.deepEqual(both.map(r => r.duplicate).sort(), [false, true])
    assert.deepEqual(both[0]?.envelope, both[1]?.envelope)
    assert.deepEqual(parking.usage(), { count: 2, bytes: 200 })
    assert.deepEqual(await parking.usageOf('depositor', CAROL), { count: 0, bytes: 0 })
    // The same id for another recipient is another envelope.
    assert.equal((await deposit(1, CAROL)).duplicate, false)
    await assertConsistent()
  })

  it('refuses invalid ids and times without writing', async () => {
    await assert.rejects(parking.deposit({ envelopeId: 'a!b', recipient: BOB, depositor: ALICE, bytes: sealed(1), now: T0 }), { name: 'InvalidIdError' })
    await assert.rejects(parking.deposit({ envelopeId: envId(1), recipient: '', depositor: ALICE, bytes: sealed(1), now: T0 }), { name: 'InvalidIdError' })
    await assert.rejects(parking.deposit({ envelopeId: envId(1), recipient: BOB, depositor: ALICE, bytes: sealed(1), now: Number.NaN }), RangeError)
    assert.deepEqual(parking.usage(), { count: 0, bytes: 0 })
  })

  it('refuses an envelope over maxEnvelopeBytes and stores nothing', async () => {
    await deposit(1, BOB, ALICE, 1000)
    const before = await snapshot()
    await assert.rejects(deposit(2, BOB, ALICE, 1001), (err: Error & { size?: number, maxBytes?: number }) => {
      assert.equal(err.name, 'EnvelopeTooLargeError')
      assert.equal(err.size, 1001)
      assert.equal(err.maxBytes, 1000)
      return true
    })
    assert.equal(await snapshot(), before)
    assert.equal(await parking.get(BOB, envId(2)), undefined)
  })

  const quotaCases: Array<{ quota: string, limits: Partial<ParkingLimits>, fill: () => Promise<void>, over: () => Promise<unknown> }> = [
    {
      quota: 'recipient-count',
      limits: { perRecipient: { maxBytes: 10_000, maxCount: 3 } },
      fill: async () => { for (let n = 0; n < 3; n++) await deposit(n, BOB, [ALICE, CAROL, DAVE][n]) },
      over: async () => await deposit(10, BOB, DAVE)
    },
    {
      quota: 'recipient-bytes',
      limits: { perRecipient: { maxBytes: 250, maxCount: 100 } },
      fill: async () => { await deposit(0, BOB, ALICE, 100); await deposit(1, BOB, CAROL, 100) },
      over: async () => await deposit(10, BOB, DAVE, 51)
    },
    {
      quota: 'depositor-count',
      limits: { perDepositor: { maxBytes: 10_000, maxCount: 2 } },
      fill: async () => { await deposit(0, BOB); await deposit(1, CAROL) },
      over: async () => await deposit(10, DAVE)
    },
    {
      quota: 'depositor-bytes',
      limits: { perDepositor: { maxBytes: 300, maxCount: 100 } },
      fill: async () => { await deposit(0, BOB, ALICE, 200) },
      over: async () => await deposit(10, CAROL, ALICE, 101)
    },
    {
      quota: 'total-count',
      limits: { total: { maxBytes: 100_000, maxCount: 2 } },
      fill: async () => { await deposit(0, BOB, ALICE); await deposit(1, CAROL, CAROL) },
      over: async () => await deposit(10, DAVE, DAVE)
    },
    {
      quota: 'total-bytes',
      limits: { total: { maxBytes: 500, maxCount: 100 } },
      fill: async () => { await deposit(0, BOB, ALICE, 250); await deposit(1, CAROL, CAROL, 250) },
      over: async () => await deposit(10, DAVE, DAVE, 1)
    }
  ]
  for (const c of quotaCases) {
    it(`refuses a deposit over the ${c.quota} quota and stores nothing`, async () => {
      await reopen({ ...LIMITS, ...c.limits })
      await c.fill()
      const before = await snapshot()
      const usage = parking.usage()
      await assert.rejects(c.over(), (err: Error & { quota?: string }) => {
        assert.equal(err.name, 'QuotaExceededError')
        assert.equal(err.quota, c.quota)
        assert.match(err.message, new RegExp(c.quota))
        assert.match(err.message, /try another location/)
        return true
      })
      assert.equal(await snapshot(), before)
      assert.deepEqual(parking.usage(), usage)
      await assertConsistent()
      // A duplicate of something already held is still answered when the quota is full.
      assert.equal((await deposit(0, BOB, ALICE, 100)).duplicate, true)
    })
  }

  it('1,000 concurrent deposits under tight quotas: exact counters, no overshoot, consistent after reopen', async () => {
    const limits: ParkingLimits = {
      maxEnvelopeBytes: 1000,
      perRecipient: { maxBytes: 20_000, maxCount: 80 },
      perDepositor: { maxBytes: 30_000, maxCount: 150 },
      total: { maxBytes: 1_000_000, maxCount: 600 },
      retentionMs: 24 * HOUR
    }
    await reopen(limits)
    const recipients = Array.from({ length: 10 }, (_, i) => `12D3KooWRecipient${i}`)
    const depositors = Array.from({ length: 5 }, (_, i) => `12D3KooWDepositor${i}`)
    const inputs = Array.from({ length: 1000 }, (_, n) => ({
      envelopeId: envId(n),
      recipient: recipients[n % 10] ?? '',
      depositor: depositors[Math.floor(n / 10) % 5] ?? '',
      bytes: randomBytes(100 + (n * 37) % 400),
      now: T0 + (n % 50)
    }))
    const before = db.syncedBatches
    const results = await Promise.allSettled(inputs.map(async input => await parking.deposit(input)))
    assert.ok(db.syncedBatches - before < 200, `deposits should share synced batches, took ${db.syncedBatches - before}`)

    const accepted = inputs.filter((_, i) => results[i]?.status === 'fulfilled')
    const rejected = inputs.filter((_, i) => results[i]?.status === 'rejected')
    assert.ok(accepted.length > 0 && rejected.length > 0, `${accepted.length} accepted`)
    const quotas = new Set<string>()
    for (const r of results) {
      if (r.status === 'rejected') {
        assert.equal(r.reason.name, 'QuotaExceededError')
        quotas.add(r.reason.quota)
      } else {
        assert.equal(r.value.duplicate, false)
      }
    }
    assert.ok(quotas.size >= 2, `several quotas were hit: ${[...quotas].join(', ')}`)

    const check = async (): Promise<void> => {
      for (const input of accepted) assert.deepEqual(await parking.get(input.recipient, input.envelopeId), new Uint8Array(input.bytes))
      for (const input of rejected) assert.equal(await parking.get(input.recipient, input.envelopeId), undefined)
      const sum = (list: typeof inputs): { count: number, bytes: number } => ({ count: list.length, bytes: list.reduce((s, i) => s + i.bytes.byteLength, 0) })
      assert.deepEqual(parking.usage(), sum(accepted))
      assert.ok(parking.usage().count <= limits.total.maxCount)
      for (const r of recipients) {
        const usage = await parking.usageOf('recipient', r)
        assert.deepEqual(usage, sum(accepted.filter(i => i.recipient === r)))
        assert.ok(usage.count <= limits.perRecipient.maxCount && usage.bytes <= limits.perRecipient.maxBytes, `${r} over quota: ${JSON.stringify(usage)}`)
      }
      for (const d of depositors) {
        const usage = await parking.usageOf('depositor', d)
        assert.deepEqual(usage, sum(accepted.filter(i => i.depositor === d)))
        assert.ok(usage.count <= limits.perDepositor.maxCount && usage.bytes <= limits.perDepositor.maxBytes, `${d} over quota: ${JSON.stringify(usage)}`)
      }
      await assertConsistent()
    }
    await check()
    await reopen(limits)
    await check()
  })

  it('keeps counters exact when one deposit of a shared batch fails to write', async () => {
    const failing = envId(3)
    await db.close()
    // A database whose commit fails whenever a batch holds envelope 3's record.
    await open(LIMITS, real => ({
      location: real.location,
      sublevels: real.sublevels,
      get syncedBatches () { return real.syncedBatches },
      schemaVersion: async () => await real.schemaVersion(),
      close: async () => { await real.close() },
      async commit (ops: BatchOp[]) {
        if (ops.some(op => op.type === 'put' && op.sublevel === real.sublevels.parking.records && op.key === `${BOB}!${failing}`)) throw new Error('disk full')
        await real.commit(ops)
      }
    }))
    const results = await Promise.allSettled(Array.from({ length: 8 }, async (_, n) => await deposit(n)))
    assert.deepEqual(results.map(r => r.status), ['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled'])
    assert.equal(await parking.get(BOB, failing), undefined)
    assert.deepEqual(parking.usage(), { count: 7, bytes: 700 })
    await assertConsistent()
    // The failed one's reservation was released: the quota has room for it again.
    assert.deepEqual(await parking.usageOf('recipient', BOB), { count: 7, bytes: 700 })
  })

  it('expires only what is due, oldest first, returns it with its depositor and fixes counters', async () => {
    await reopen({ ...LIMITS, retentionMs: HOUR })
    await deposit(1, BOB, ALICE, 100, T0)
    await deposit(2, CAROL, DAVE, 200, T0 + 10)
    await deposit(3, BOB, CAROL, 300, T0 + 2 * HOUR)

    assert.deepEqual(await parking.expire(T0 + HOUR - 1), [])
    const first = await parking.expire(T0 + HOUR + 10, 1)
    assert.deepEqual(first.map(e => [e.envelopeId, e.depositor]), [[envId(1), ALICE]])
    const second = await parking.expire(T0 + HOUR + 10)
    assert.deepEqual(second.map(e => [e.envelopeId, e.recipient, e.depositor, e.size]), [[envId(2), CAROL, DAVE, 200]])
    assert.deepEqual(await parking.expire(T0 + HOUR + 10), [])

    assert.deepEqual(parking.usage(), { count: 1, bytes: 300 })
    assert.deepEqual(await parking.usageOf('depositor', ALICE), { count: 0, bytes: 0 })
    assert.deepEqual(await parking.usageOf('recipient', CAROL), { count: 0, bytes: 0 })
    assert.deepEqual((await parking.list(BOB)).items.map(e => e.envelopeId), [envId(3)])
    assert.equal(await parking.get(BOB, envId(1)), undefined)
    // An ack after expiry finds nothing, and concurrent expiries count each envelope once.
    assert.equal(await parking.ack(BOB, [envId(1)]), 0)
    const both = await Promise.all([parking.expire(T0 + 4 * HOUR), parking.expire(T0 + 4 * HOUR)])
    assert.equal(both.flat().length, 1)
    assert.deepEqual(parking.usage(), { count: 0, bytes: 0 })
    await assertConsistent()
  })

  it('pages a recipient\'s envelopes oldest first by cursor', async () => {
    for (let n = 0; n < 25; n++) await deposit(n, n % 2 === 0 ? BOB : CAROL, ALICE, 10, T0 + 1000 - n)
    const seen: string[] = []
    let cursor: string | undefined
    let pages = 0
    do {
      const page = await parking.list(BOB, { limit: 5, cursor })
      assert.ok(page.items.length <= 5)
      seen.push(...page.items.map(e => e.envelopeId))
      cursor = page.next
      pages++
    } while (cursor !== undefined)
    assert.equal(pages, 3)
    const bobs = Array.from({ length: 13 }, (_, i) => 24 - 2 * i)
    assert.deepEqual(seen, bobs.map(envId))
    const carolCursor = (await parking.list(CAROL, { limit: 1 })).next
    await assert.rejects(parking.list(BOB, { cursor: carolCursor }), { name: 'InvalidCursorError' })
  })

  it('finds a damaged counter, and recounts it when loading', async () => {
    await deposit(1, BOB, ALICE, 100)
    await deposit(2, BOB, CAROL, 50)
    await db.close()
    db = await openDatabase(join(dir, 'db'))
    await db.sublevels.parking.usage.put(`recipient!${BOB}`, '{broken')
    await db.sublevels.parking.usage.put(`depositor!${ALICE}`, JSON.stringify({ count: 5, bytes: 5 }))
    const corrupt: string[] = []
    parking = await createParkingStore(db, LIMITS, { onCorrupt: key => corrupt.push(key) })
    const audit = await parking.audit()
    assert.equal(audit.consistent, false)
    assert.ok(audit.problems.some(p => p.includes(`depositor!${ALICE}`)), audit.problems.join('\n'))
    assert.ok(audit.problems.some(p => p.includes(`recipient!${BOB}`)), audit.problems.join('\n'))
    assert.deepEqual(await parking.usageOf('recipient', BOB), { count: 2, bytes: 150 })
    assert.ok(corrupt.includes(`parking/usage/recipient!${BOB}`))
  })

  it('withdraws the depositor\'s envelope with its indexes and counters, in one synced batch', async () => {
    const { envelope } = await deposit(1, BOB, ALICE, 120)
    await deposit(2, BOB, ALICE, 30)
    await deposit(3, BOB, DAVE, 10)
    const before = db.syncedBatches
    assert.deepEqual(await parking.withdraw(ALICE, BOB, envId(1)), envelope)
    assert.equal(db.syncedBatches - before, 1)
    assert.equal(await parking.get(BOB, envId(1)), undefined)
    assert.deepEqual((await parking.list(BOB)).items.map(e => e.envelopeId), [envId(2), envId(3)])
    assert.deepEqual(parking.usage(), { count: 2, bytes: 40 })
    assert.deepEqual(await parking.usageOf('depositor', ALICE), { count: 1, bytes: 30 })
    assert.deepEqual(await parking.usageOf('recipient', BOB), { count: 2, bytes: 40 })
    // Nothing expires later for it: its expiry index entry went with it.
    assert.deepEqual((await parking.expire(T0 + 48 * HOUR)).map(e => e.envelopeId), [envId(2), envId(3)])
    await assertConsistent()
  })

  it('withdraws nothing for anyone but the depositor, for another recipient, twice, or for bad ids: the answer of an unknown envelope', async () => {
    await deposit(1, BOB, ALICE)
    const stored = await snapshot()
    assert.equal(await parking.withdraw(DAVE, BOB, envId(1)), undefined, 'another peer')
    assert.equal(await parking.withdraw(BOB, BOB, envId(1)), undefined, 'the recipient (it acks instead)')
    assert.equal(await parking.withdraw(ALICE, DAVE, envId(1)), undefined, 'the right id for another recipient')
    assert.equal(await parking.withdraw(ALICE, BOB, envId(2)), undefined, 'an unknown id')
    for (const bad of ['', 'a!b', `${BOB}!x`]) {
      assert.equal(await parking.withdraw(bad, BOB, envId(1)), undefined)
      assert.equal(await parking.withdraw(ALICE, bad, envId(1)), undefined)
      assert.equal(await parking.withdraw(ALICE, BOB, bad), undefined)
    }
    assert.equal(await snapshot(), stored)
    assert.ok(await parking.withdraw(ALICE, BOB, envId(1)))
    assert.equal(await parking.withdraw(ALICE, BOB, envId(1)), undefined, 'already withdrawn')
    await assertConsistent()
  })

  it('counts an envelope once when a withdraw, an ack and an expiry race for it', async () => {
    await deposit(1, BOB, ALICE, 100)
    await deposit(2, BOB, ALICE, 50)
    const [withdrawn, acked, expired] = await Promise.all([
      parking.withdraw(ALICE, BOB, envId(1)),
      parking.ack(BOB, [envId(1)]),
      parking.expire(T0 + 48 * HOUR)
    ])
    assert.equal((withdrawn != null ? 1 : 0) + acked + expired.filter(e => e.envelopeId === envId(1)).length, 1)
    assert.deepEqual(parking.usage(), { count: 0, bytes: 0 })
    await assertConsistent()
  })

  it('remembers what a recipient fetched, for its depositor only, until FETCHED_MARK_MS has passed', async () => {
    let clock = T0 + 5
    await db.close()
    db = await openDatabase(join(dir, 'db'))
    parking = await createParkingStore(db, LIMITS, { now: () => clock })
    await deposit(1, BOB, ALICE)
    await deposit(2, BOB, CAROL)
    await deposit(3, BOB, ALICE)
    assert.equal(await parking.fetchedAt(ALICE, BOB, envId(1)), undefined, 'held, not fetched')
    assert.equal(await parking.ack(BOB, [envId(1), envId(2)]), 2)
    assert.equal(await parking.fetchedAt(ALICE, BOB, envId(1)), T0 + 5)
    assert.equal(await parking.fetchedAt(CAROL, BOB, envId(2)), T0 + 5)
    // Anyone but the depositor, another recipient, an id never fetched, bad ids: nothing.
    assert.equal(await parking.fetchedAt(CAROL, BOB, envId(1)), undefined)
    assert.equal(await parking.fetchedAt(ALICE, CAROL, envId(1)), undefined)
    assert.equal(await parking.fetchedAt(ALICE, BOB, envId(3)), undefined)
    assert.equal(await parking.fetchedAt('a!b', BOB, envId(1)), undefined)
    // A withdraw, an expiry: no mark. The same envelope deposited again and fetched again: one mark.
    assert.ok(await parking.withdraw(ALICE, BOB, envId(3)))
    assert.equal(await parking.fetchedAt(ALICE, BOB, envId(3)), undefined)
    await deposit(1, BOB, ALICE, 100, T0 + 10)
    clock = T0 + HOUR
    assert.equal(await parking.ack(BOB, [envId(1)]), 1)
    assert.equal(await parking.fetchedAt(ALICE, BOB, envId(1)), T0 + HOUR)
    await assertConsistent()
    assert.deepEqual(await db.sublevels.parking.usage.get('fetched').then(t => JSON.parse(t ?? '{}')), { count: 2, bytes: 0 })

    // Forgotten by the expiry sweep once its time is up (the replaced mark's old time is no longer its own).
    await parking.expire(T0 + 5 + FETCHED_MARK_MS)
    assert.equal(await parking.fetchedAt(CAROL, BOB, envId(2)), undefined)
    assert.equal(await parking.fetchedAt(ALICE, BOB, envId(1)), T0 + HOUR)
    await parking.expire(T0 + HOUR + FETCHED_MARK_MS)
    assert.equal(await parking.fetchedAt(ALICE, BOB, envId(1)), undefined)
    assert.equal(await db.sublevels.parking.usage.get('fetched'), undefined)
    assert.deepEqual(await db.sublevels.parking.fetchedByExpiry.keys().all(), [])
    await assertConsistent()
  })

  it('keeps at most total.maxCount fetched marks: past that an ack deletes as before and leaves none', async () => {
    await db.close()
    db = await openDatabase(join(dir, 'db'))
    const limits = { ...LIMITS, total: { maxBytes: 100_000, maxCount: 2 } }
    parking = await createParkingStore(db, limits, { now: () => T0 })
    for (const n of [1, 2]) await deposit(n)
    assert.equal(await parking.ack(BOB, [envId(1), envId(2)]), 2)
    await deposit(3)
    assert.equal(await parking.ack(BOB, [envId(3)]), 1)
    assert.deepEqual(parking.usage(), { count: 0, bytes: 0 })
    assert.deepEqual([await parking.fetchedAt(ALICE, BOB, envId(1)), await parking.fetchedAt(ALICE, BOB, envId(2)), await parking.fetchedAt(ALICE, BOB, envId(3))], [T0, T0, undefined])
    await assertConsistent()
    // Concurrent acks (one call's ids are removed at once) do not overshoot the bound either.
    await db.close()
    await rm(join(dir, 'db'), { recursive: true, force: true })
    db = await openDatabase(join(dir, 'db'))
    parking = await createParkingStore(db, { ...limits, total: { maxBytes: 100_000, maxCount: 5 } }, { now: () => T0 })
    for (const round of [0, 1]) {
      const ids = [0, 1, 2, 3].map(i => 10 * round + i)
      for (const n of ids) await deposit(n)
      assert.equal(await parking.ack(BOB, ids.map(envId)), 4)
    }
    assert.equal((await db.sublevels.parking.fetched.keys().all()).length, 5, 'four, then one of the four acked at once')
    await assertConsistent()

    // The counter, damaged, is found by the audit and recounted from the marks when next used:
    // still at the bound, so the next ack leaves no mark.
    await db.sublevels.parking.usage.put('fetched', 'not json')
    await reopen(limits)
    assert.ok((await parking.audit()).problems.includes('counter fetched does not decode'))
    await deposit(4)
    assert.equal(await parking.ack(BOB, [envId(4)]), 1)
    assert.equal(await parking.fetchedAt(ALICE, BOB, envId(4)), undefined)
  })

  it('has usable defaults', () => {
    assert.ok(DEFAULT_PARKING_LIMITS.maxEnvelopeBytes <= DEFAULT_PARKING_LIMITS.perRecipient.maxBytes)
    assert.ok(DEFAULT_PARKING_LIMITS.retentionMs > 0)
  })
})
