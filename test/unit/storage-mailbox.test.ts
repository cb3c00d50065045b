import { strict as assert } from 'node:assert'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { openHomeStore } from '../../storage/index.js'
import type { HomeStore, MessageSummary } from '../../storage/index.js'
import { fixtureMessage, fixtureRaw, FIXTURE_SENDER } from '../helpers/stored-messages.js'

const message = fixtureMessage
const raw = fixtureRaw
const dedupe = (n: number): string => `${FIXTURE_SENDER}\n<m${n}@example>`

describe('mailbox', () => {
  let dir: string
  let store: HomeStore
  let clock = 1_700_000_000_000
  const corrupt: string[] = []
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'peerpost-mailbox-'))
    corrupt.length = 0
    store = await openHomeStore(join(dir, 'db'), { now: () => clock++, onCorrupt: key => { corrupt.push(key) } })
  })
  afterEach(async () => {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('stores a message and gives back its summary and raw bytes', async () => {
    const { id, duplicate } = await store.mailbox.add(message(1), raw(1), dedupe(1))
    assert.equal(duplicate, false)
    assert.match(id, /^[0-9a-f]{20}$/)
    const summary = await store.mailbox.get(id)
    assert.deepEqual(summary, { ...message(1), id, size: raw(1).byteLength })
    assert.deepEqual(await store.mailbox.getRaw(id), raw(1))
    assert.equal(await store.mailbox.hasDedupeKey(dedupe(1)), id)
    assert.equal(await store.mailbox.get('nope'), undefined)
  })

  it('lists newest first across cursor pages, each message once', async () => {
    for (let n = 0; n < 25; n++) await store.mailbox.add(message(n), raw(n), dedupe(n))
    await store.mailbox.add(message(99, { folder: 'archive' }), raw(99), dedupe(99))
    const seen: MessageSummary[] = []
    let cursor: string | undefined
    let pages = 0
    do {
      const page = await store.mailbox.list('inbox', { limit: 10, cursor })
      seen.push(...page.items)
      cursor = page.next
      pages++
    } while (cursor !== undefined)
    assert.equal(pages, 3)
    assert.deepEqual(seen.map(s => s.subject), Array.from({ length: 25 }, (_, i) => `message ${24 - i}`))
    assert.deepEqual((await store.mailbox.list('archive')).items.map(s => s.subject), ['message 99'])
    await assert.rejects(store.mailbox.list('archive', { cursor: (await store.mailbox.list('inbox', { limit: 1 })).next }), { name: 'InvalidCursorError' })
  })

  it('keeps counts, and update moves folder and counters together', async () => {
    const ids = []
    for (let n = 0; n < 3; n++) ids.push((await store.mailbox.add(message(n), raw(n), dedupe(n))).id)
    assert.deepEqual(await store.mailbox.counts('inbox'), { total: 3, unread: 3 })

    const id0 = ids[0] ?? ''
    const read = await store.mailbox.update(id0, { unread: false })
    assert.equal(read.unread, false)
    assert.deepEqual(await store.mailbox.counts('inbox'), { total: 3, unread: 2 })

    const moved = await store.mailbox.update(ids[1] ?? '', { folder: 'archive' })
    assert.equal(moved.folder, 'archive')
    assert.deepEqual(await store.mailbox.counts('inbox'), { total: 2, unread: 1 })
    assert.deepEqual(await store.mailbox.counts('archive'), { total: 1, unread: 1 })
    assert.deepEqual((await store.mailbox.list('inbox')).items.map(s => s.id).sort(), [id0, ids[2]].sort())
    assert.deepEqual((await store.mailbox.list('archive')).items.map(s => s.id), [ids[1]])
    assert.equal((await store.mailbox.get(ids[1] ?? ''))?.folder, 'archive')

    await assert.rejects(store.mailbox.update('0000', { unread: false }), { name: 'MessageNotFoundError' })
  })

  it('counts stay exact under many concurrent adds and updates', async () => {
    const added = await Promise.all(Array.from({ length: 50 }, async (_, n) => await store.mailbox.add(message(n), raw(n), dedupe(n))))
    await Promise.all(added.slice(0, 20).map(async ({ id }, i) => await store.mailbox.update(id, i % 2 === 0 ? { folder: 'trash' } : { unread: false })))
    assert.deepEqual(await store.mailbox.counts('inbox'), { total: 40, unread: 30 })
    assert.deepEqual(await store.mailbox.counts('trash'), { total: 10, unread: 10 })
  })

  it('stores a message once: sequential and concurrent adds of one dedupe key', async () => {
    const first = await store.mailbox.add(message(1), raw(1), dedupe(1))
    const again = await store.mailbox.add(message(1), raw(1), dedupe(1))
    assert.deepEqual(again, { id: first.id, duplicate: true })

    const [a, b] = await Promise.all([
      store.mailbox.add(message(2), raw(2), dedupe(2)),
      store.mailbox.add(message(2), raw(2), dedupe(2))
    ])
    assert.equal(a.id, b.id)
    assert.deepEqual([a.duplicate, b.duplicate].sort(), [false, true])
    assert.deepEqual(await store.mailbox.counts('inbox'), { total: 2, unread: 2 })
    assert.equal((await store.mailbox.list('inbox')).items.length, 2)
  })

  it('skips a damaged record in a listing and reports it', async () => {
    const { id } = await store.mailbox.add(message(1), raw(1), dedupe(1))
    await store.mailbox.add(message(2), raw(2), dedupe(2))
    await store.db.sublevels.mailbox.summaries.put(id, '{not json')
    const page = await store.mailbox.list('inbox')
    assert.deepEqual(page.items.map(s => s.subject), ['message 2'])
    assert.deepEqual(corrupt, [`mailbox/summary/${id}`])
  })

  it('survives close and reopen', async () => {
    const { id } = await store.mailbox.add(message(1), raw(1), dedupe(1))
    await store.close()
    store = await openHomeStore(join(dir, 'db'))
    assert.equal((await store.mailbox.get(id))?.subject, 'message 1')
    assert.deepEqual(await store.mailbox.counts('inbox'), { total: 1, unread: 1 })
  })
})
