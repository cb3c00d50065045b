import { strict as assert } from 'node:assert'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { createPurger, openHomeStore } from '../../storage/index.js'
import type { HomeStore } from '../../storage/index.js'
import { BOB, CAROL, T0, entry, envelopes, sentCopy } from '../helpers/outbox-entries.js'

describe('outbox', () => {
  let dir: string
  let store: HomeStore
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'peerpost-outbox-'))
    store = await openHomeStore(join(dir, 'db'))
  })
  afterEach(async () => {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('enqueues the entry, its envelopes and the Sent copy in one synced batch', async () => {
    const e = entry(1)
    const before = store.db.syncedBatches
    await store.outbox.enqueue(e, envelopes(e), sentCopy(1))
    assert.equal(store.db.syncedBatches - before, 1)

    assert.deepEqual(await store.outbox.get(e.id), e)
    assert.deepEqual(new TextDecoder().decode(await store.outbox.envelope(e.id, CAROL)), `sealed for ${CAROL}`)
    const sent = await store.mailbox.get(e.id)
    assert.equal(sent?.folder, 'sent')
    assert.equal(sent?.subject, 'outgoing 1')
    assert.deepEqual(await store.mailbox.getRaw(e.id), sentCopy(1).raw)
    assert.deepEqual(await store.mailbox.counts('sent'), { total: 1, unread: 0 })
    assert.equal(await store.mailbox.hasDedupeKey(sentCopy(1).dedupeKey), e.id)

    // Enqueueing the same entry again (a retry after a crash) changes nothing.
    await store.outbox.enqueue(e, envelopes(e), sentCopy(1))
    assert.deepEqual(await store.mailbox.counts('sent'), { total: 1, unread: 0 })
  })

  it('a Sent copy deleted for good: its entry keeps delivering, and the same Message-ID is refused as deleted', async () => {
    const e = entry(1)
    await store.outbox.enqueue(e, envelopes(e), sentCopy(1))
    await store.mailbox.update(e.id, { folder: 'trash' })
    await createPurger({ writer: store.mailbox.writer }).purge([e.id], { folder: 'trash' })
    assert.equal(await store.mailbox.get(e.id), undefined)
    assert.deepEqual(await store.outbox.get(e.id), e)
    assert.equal((await store.outbox.pending()).length, 1)
    const again = entry(2)
    await assert.rejects(store.outbox.enqueue(again, envelopes(again), sentCopy(1)), { name: 'DuplicateMessageError', message: /deleted for good/ })
  })

  it('writes nothing when a recipient has no envelope', async () => {
    const e = entry(1)
    await assert.rejects(store.outbox.enqueue(e, new Map([[BOB, new Uint8Array(1)]]), sentCopy(1)), { name: 'MissingEnvelopeError' })
    assert.equal(await store.outbox.get(e.id), undefined)
    assert.equal(await store.mailbox.get(e.id), undefined)
  })

  it('pending() lists entries until their last recipient settles', async () => {
    const a = entry(1)
    const b = entry(2, [BOB])
    await store.outbox.enqueue(a, envelopes(a), sentCopy(1))
    await store.outbox.enqueue(b, envelopes(b), sentCopy(2))
    assert.deepEqual((await store.outbox.pending()).map(e => e.id).sort(), [a.id, b.id].sort())

    const done = await store.outbox.updateRecipient(b.id, BOB, { state: 'delivered', deliveredAt: T0 + 5, attempts: 1 })
    assert.equal(done.recipients[0]?.state, 'delivered')
    assert.deepEqual((await store.outbox.pending()).map(e => e.id), [a.id])
    assert.deepEqual((await store.outbox.list()).items.map(e => e.id), [b.id, a.id])
  })

  it('keeps both of two concurrent recipient updates of one entry', async () => {
    const e = entry(1)
    await store.outbox.enqueue(e, envelopes(e), sentCopy(1))
    await Promise.all([
      store.outbox.updateRecipient(e.id, BOB, { state: 'delivered', deliveredAt: T0 + 10, attempts: 1 }),
      store.outbox.updateRecipient(e.id, CAROL, { state: 'failed', lastError: 'unreachable', attempts: 3 })
    ])
    await store.close()
    store = await openHomeStore(join(dir, 'db'))
    const stored = await store.outbox.get(e.id)
    assert.deepEqual(stored?.recipients.map(r => [r.peerId, r.state, r.attempts]), [[BOB, 'delivered', 1], [CAROL, 'failed', 3]])
    assert.deepEqual(await store.outbox.pending(), [])
    await assert.rejects(store.outbox.updateRecipient(e.id, '12D3KooWNobody', { attempts: 1 }), { name: 'RecipientNotFoundError' })
    await assert.rejects(store.outbox.updateRecipient('ffff', BOB, { attempts: 1 }), { name: 'OutboxEntryNotFoundError' })
  })

  it('clears lastError when told to, keeps required fields', async () => {
    const e = entry(1, [BOB])
    await store.outbox.enqueue(e, envelopes(e), sentCopy(1))
    await store.outbox.updateRecipient(e.id, BOB, { lastError: 'timeout', attempts: 1 })
    const after = await store.outbox.updateRecipient(e.id, BOB, { state: 'delivered', lastError: undefined, attempts: undefined })
    assert.equal(after.recipients[0]?.lastError, undefined)
    assert.equal(after.recipients[0]?.attempts, 1)
    assert.equal(after.recipients[0]?.state, 'delivered')
  })

  it('replaces one recipient\'s envelope durably (a stamp minted on it), and only a known one', async () => {
    const e = entry(1)
    await store.outbox.enqueue(e, envelopes(e), sentCopy(1))
    const before = store.db.syncedBatches
    await store.outbox.replaceEnvelope(e.id, CAROL, new TextEncoder().encode('stamped'))
    assert.equal(store.db.syncedBatches - before, 1)
    await store.close()
    store = await openHomeStore(join(dir, 'db'))
    assert.equal(new TextDecoder().decode(await store.outbox.envelope(e.id, CAROL)), 'stamped')
    assert.equal(new TextDecoder().decode(await store.outbox.envelope(e.id, BOB)), `sealed for ${BOB}`)
    await assert.rejects(store.outbox.replaceEnvelope(e.id, '12D3KooWNobody', new Uint8Array(1)), { name: 'RecipientNotFoundError' })
    await assert.rejects(store.outbox.replaceEnvelope('ffff', BOB, new Uint8Array(1)), { name: 'OutboxEntryNotFoundError' })
    assert.equal(await store.outbox.envelope(e.id, '12D3KooWNobody'), undefined)
  })

  it('replaces an envelope sealed anew with its new id and the recipient\'s new schedule in one synced batch', async () => {
    const e = entry(1)
    await store.outbox.enqueue(e, envelopes(e), sentCopy(1))
    await store.outbox.updateRecipient(e.id, CAROL, { lastError: 'held: carol\'s key changed', attempts: 2 })
    const before = store.db.syncedBatches
    const updated = await store.outbox.replaceEnvelope(e.id, CAROL, new TextEncoder().encode('resealed'), { envelopeId: 'ab'.repeat(16), nextAttemptAt: 42, lastError: undefined })
    assert.equal(store.db.syncedBatches - before, 1)
    const carol = updated.recipients.find(r => r.peerId === CAROL)
    assert.deepEqual({ envelopeId: carol?.envelopeId, nextAttemptAt: carol?.nextAttemptAt, lastError: carol?.lastError, attempts: carol?.attempts, state: carol?.state },
      { envelopeId: 'ab'.repeat(16), nextAttemptAt: 42, lastError: undefined, attempts: 2, state: 'pending' })
    await store.close()
    store = await openHomeStore(join(dir, 'db'))
    assert.equal(new TextDecoder().decode(await store.outbox.envelope(e.id, CAROL)), 'resealed')
    assert.deepEqual(await store.outbox.get(e.id), updated)
    // The other recipient's envelope and id are untouched.
    assert.equal(updated.recipients.find(r => r.peerId === BOB)?.envelopeId, e.recipients.find(r => r.peerId === BOB)?.envelopeId)
  })

  it('with onlyIfPending leaves a recipient delivered meanwhile as it is, envelope and id', async () => {
    const e = entry(1)
    await store.outbox.enqueue(e, envelopes(e), sentCopy(1))
    const delivered = await store.outbox.updateRecipient(e.id, BOB, { state: 'delivered', deliveredAt: 7 })
    const after = await store.outbox.replaceEnvelope(e.id, BOB, new TextEncoder().encode('resealed'), { envelopeId: 'cd'.repeat(16), nextAttemptAt: 42 }, { onlyIfPending: true })
    assert.deepEqual(after, delivered)
    assert.deepEqual(await store.outbox.get(e.id), delivered)
    assert.equal(new TextDecoder().decode(await store.outbox.envelope(e.id, BOB)), `sealed for ${BOB}`)
  })
})
