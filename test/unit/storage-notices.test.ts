import { strict as assert } from 'node:assert'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { createNoticeStore, openDatabase } from '../../storage/index.js'
import type { Database, NoticeLimits, NoticeStore, StoredNotice } from '../../storage/index.js'

const T0 = 1_700_000_000_000
const HOUR = 3_600_000
const BOB = '12D3KooWBob'
const CAROL = '12D3KooWCarol'
const ALICE = '12D3KooWAlice'
const DAVE = '12D3KooWDave'

const LIMITS: NoticeLimits = { maxPerRecipient: 5, maxPerPoster: 8, maxNoticeBytes: 200, retentionMs: 10 * HOUR }

const noticeId = (n: number): string => n.toString(16).padStart(32, '0')
function notice (n: number, recipient = BOB, poster = ALICE, created = T0 + n, expiresAt = created + 100 * HOUR): StoredNotice {
  return { noticeId: noticeId(n), recipient, poster, bytes: new TextEncoder().encode(`notice ${n}`), created, expiresAt }
}

describe('notice store', () => {
  let dir: string
  let db: Database
  let notices: NoticeStore
  const open = async (limits = LIMITS): Promise<void> => {
    db = await openDatabase(join(dir, 'db'))
    notices = createNoticeStore(db, limits)
  }
  const reopen = async (): Promise<void> => {
    await db.close()
    await open()
  }
  const stored = async (): Promise<number> => (await db.sublevels.notices.records.keys().all()).length

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'peerpost-notices-'))
    await open()
  })
  afterEach(async () => {
    await db.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('counts what it holds: read once from the database, then moved by adds, acks and expiry (a duplicate counts once)', async () => {
    await notices.add(notice(1))
    await notices.add(notice(2))
    await reopen()
    assert.equal(await notices.count(), 2, 'counted from the database')
    await notices.add(notice(3, CAROL))
    await notices.add(notice(3, CAROL))
    assert.equal(await notices.count(), 3)
    assert.equal(await notices.ack(BOB, [noticeId(1), noticeId(9)]), 1)
    assert.equal(await notices.count(), 2)
    await notices.expire(T0 + 1_000 * HOUR)
    assert.equal(await notices.count(), 0)
    assert.equal(await notices.count(), await stored())
  })

  it('adds, lists oldest first for the recipient only, acks', async () => {
    const before = db.syncedBatches
    assert.deepEqual(await notices.add(notice(2)), { duplicate: false })
    assert.equal(db.syncedBatches - before, 1)
    await notices.add(notice(1))
    await notices.add(notice(3, CAROL))

    const bobs = await notices.listFor(BOB)
    // The holder keeps a notice no longer than its retention, whatever the poster asked.
    assert.deepEqual(bobs, [1, 2].map(n => ({ ...notice(n), expiresAt: T0 + n + 10 * HOUR })))
    assert.ok(!Buffer.isBuffer(bobs[0]?.bytes))
    assert.deepEqual((await notices.listFor(CAROL)).map(n => n.noticeId), [noticeId(3)])
    assert.deepEqual(await notices.listFor(DAVE), [])

    // Not Carol's to ack; unknown and malformed ids change nothing.
    assert.equal(await notices.ack(CAROL, [noticeId(1), noticeId(2), 'x!y']), 0)
    assert.equal(await notices.ack(BOB, [noticeId(1), noticeId(1), noticeId(9)]), 1)
    assert.equal(await notices.ack(BOB, [noticeId(1)]), 0)
    assert.deepEqual((await notices.listFor(BOB)).map(n => n.noticeId), [noticeId(2)])

    await reopen()
    assert.deepEqual((await notices.listFor(BOB)).map(n => n.noticeId), [noticeId(2)])
    assert.deepEqual((await notices.listFor(CAROL)).map(n => n.noticeId), [noticeId(3)])
  })

  it('stores the same notice once, sequential or concurrent', async () => {
    await notices.add(notice(1))
    assert.deepEqual(await notices.add(notice(1)), { duplicate: true })
    const both = await Promise.all([notices.add(notice(2)), notices.add(notice(2))])
    assert.deepEqual(both.map(r => r.duplicate).sort(), [false, true])
    assert.equal((await notices.listFor(BOB)).length, 2)
    assert.equal(await stored(), 2)
  })

  it('bounds notices per recipient, even under concurrent adds', async () => {
    const results = await Promise.allSettled(Array.from({ length: 12 }, async (_, n) => await notices.add(notice(n, BOB, n % 2 === 0 ? ALICE : DAVE))))
    const refused = results.filter(r => r.status === 'rejected')
    assert.equal(refused.length, 12 - LIMITS.maxPerRecipient)
    for (const r of refused) {
      assert.equal(r.reason.name, 'QuotaExceededError')
      assert.equal(r.reason.quota, 'notices-per-recipient')
      assert.match(r.reason.message, /try another location/)
    }
    assert.equal((await notices.listFor(BOB)).length, LIMITS.maxPerRecipient)
    assert.equal(await stored(), LIMITS.maxPerRecipient)
    // Acking makes room again.
    assert.equal(await notices.ack(BOB, [(await notices.listFor(BOB))[0]?.noticeId ?? '']), 1)
    await notices.add(notice(50))
    await assert.rejects(notices.add(notice(51)), { name: 'QuotaExceededError', quota: 'notices-per-recipient' })
  })

  it('bounds notices per poster', async () => {
    const recipients = [BOB, CAROL, DAVE, '12D3KooWErin']
    for (let n = 0; n < LIMITS.maxPerPoster; n++) await notices.add(notice(n, recipients[n % 4], ALICE))
    await assert.rejects(notices.add(notice(99, '12D3KooWErin', ALICE)), { name: 'QuotaExceededError', quota: 'notices-per-poster' })
    assert.equal(await stored(), LIMITS.maxPerPoster)
    await notices.add(notice(99, '12D3KooWErin', CAROL))
  })

  it('refuses an oversized notice and malformed ids without writing', async () => {
    await assert.rejects(notices.add({ ...notice(1), bytes: new Uint8Array(201) }), { name: 'EnvelopeTooLargeError', kind: 'notice' })
    await assert.rejects(notices.add({ ...notice(1), recipient: 'bob!x' }), { name: 'InvalidIdError' })
    assert.equal(await stored(), 0)
  })

  it('expires only what is due, returns it, and frees the quota', async () => {
    await notices.add(notice(1, BOB, ALICE, T0, T0 + HOUR))
    await notices.add(notice(2, CAROL, ALICE, T0, T0 + 2 * HOUR))
    await notices.add(notice(3, BOB, DAVE, T0, T0 + 20 * HOUR))
    assert.deepEqual(await notices.expire(T0 + HOUR - 1), [])
    const due = await notices.expire(T0 + 2 * HOUR)
    assert.deepEqual(due.map(n => [n.noticeId, n.recipient, n.poster]), [[noticeId(1), BOB, ALICE], [noticeId(2), CAROL, ALICE]])
    assert.deepEqual(due[0]?.bytes, notice(1).bytes)
    assert.deepEqual((await notices.listFor(BOB)).map(n => n.noticeId), [noticeId(3)])
    // Notice 3 asked for 20 hours, the holder keeps it 10.
    assert.deepEqual((await notices.expire(T0 + 10 * HOUR, 5)).map(n => n.noticeId), [noticeId(3)])
    assert.equal(await stored(), 0)
    const counts = await db.sublevels.notices.counts.iterator().all()
    assert.deepEqual(counts, [], 'counters of empty recipients and posters are removed')
  })
})
