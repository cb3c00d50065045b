import { strict as assert } from 'node:assert'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { defaultLogger } from '@libp2p/logger'
import { NodeEvents } from '../../node/events.js'
import { OutboxEngine } from '../../node/outbox-engine.js'
import { openHomeStore } from '../../storage/index.js'
import { BOB, CAROL, T0, entry, envelopes, sentCopy } from '../helpers/outbox-entries.js'
import type { NodeEvent } from '../../node/events.js'
import type { OutgoingEnvelope } from '../../node/protocol/deliver.js'
import type { RouteOutcome } from '../../node/routing.js'
import type { HomeStore, OutboxEntry } from '../../storage/index.js'

const DAVE = '12D3KooWDave'
/** Entry `n` to bob, not expired by the engine's clock. */
const live = (n: number): OutboxEntry => entry(n, [BOB], { expiresAt: Date.now() + 86_400_000 })

const stateOf = (e: OutboxEntry | undefined, peerId: string): string | undefined => e?.recipients.find(r => r.peerId === peerId)?.state

/** A router whose every route call waits until the test answers it. */
class GatedRouter {
  readonly calls: Array<{ peerId: string, envelopeIds: string[], answer: (outcomes: RouteOutcome[]) => void }> = []
  private waiting: Array<() => void> = []

  async route (target: { peerId: string }, envs: OutgoingEnvelope[]): Promise<RouteOutcome[]> {
    return await new Promise(resolve => {
      this.calls.push({ peerId: target.peerId, envelopeIds: envs.map(e => Buffer.from(e.envelopeId).toString('hex')), answer: resolve })
      for (const w of this.waiting.splice(0)) w()
    })
  }

  /** The `n`th call (from 1), once made. */
  async call (n: number): Promise<GatedRouter['calls'][number]> {
    while (this.calls.length < n) await new Promise<void>(resolve => { this.waiting.push(resolve) })
    return this.calls[n - 1]!
  }
}

describe('outbox cancel', () => {
  let dir: string
  let store: HomeStore
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'peerpost-cancel-'))
    store = await openHomeStore(join(dir, 'db'))
  })
  afterEach(async () => {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })

  describe('the outbox store', () => {
    it('takes every pending recipient back in one synced batch; the entry leaves pending()', async () => {
      const e = entry(1, [BOB, CAROL, DAVE])
      await store.outbox.enqueue(e, envelopes(e), sentCopy(1))
      await store.outbox.updateRecipient(e.id, DAVE, { state: 'delivered', deliveredAt: T0 + 5 })

      const before = store.db.syncedBatches
      const { entry: after, cancelled } = await store.outbox.cancel(e.id, undefined, T0 + 9)
      assert.equal(store.db.syncedBatches - before, 1)
      assert.deepEqual(cancelled, [BOB, CAROL])
      assert.deepEqual(await store.outbox.get(e.id), after)
      assert.deepEqual(after.recipients.map(r => [r.state, r.cancelledAt]), [['cancelled', T0 + 9], ['cancelled', T0 + 9], ['delivered', undefined]])
      assert.deepEqual(await store.outbox.pending(), [])
    })

    it('takes back only the recipients named; the entry stays pending for the others', async () => {
      const e = entry(2)
      await store.outbox.enqueue(e, envelopes(e), sentCopy(2))
      const { cancelled } = await store.outbox.cancel(e.id, [CAROL], T0)
      assert.deepEqual(cancelled, [CAROL])
      const stored = await store.outbox.get(e.id)
      assert.equal(stateOf(stored, BOB), 'pending')
      assert.equal(stateOf(stored, CAROL), 'cancelled')
      assert.deepEqual((await store.outbox.pending()).map(x => x.id), [e.id])
    })

    it('refuses, changing nothing, a named recipient no longer pending, nothing left to cancel, and unknown ids', async () => {
      const e = entry(3)
      await store.outbox.enqueue(e, envelopes(e), sentCopy(3))
      await store.outbox.updateRecipient(e.id, BOB, { state: 'delivered', deliveredAt: T0 })
      const stored = await store.outbox.get(e.id)
      const before = store.db.syncedBatches

      // Bob delivered and Carol pending, both named: all or nothing.
      await assert.rejects(store.outbox.cancel(e.id, [BOB, CAROL], T0), (err: Error) => err.name === 'NotCancellableError' && /already has it/.test(err.message))
      await assert.rejects(store.outbox.cancel('0123456789abcdef0123', undefined, T0), { name: 'OutboxEntryNotFoundError' })
      await assert.rejects(store.outbox.cancel(e.id, [DAVE], T0), { name: 'RecipientNotFoundError' })
      assert.equal(store.db.syncedBatches, before)
      assert.deepEqual(await store.outbox.get(e.id), stored)

      await store.outbox.cancel(e.id, undefined, T0)
      await assert.rejects(store.outbox.cancel(e.id, undefined, T0), (err: Error) => err.name === 'NotCancellableError' && /cancelled already/.test(err.message) && /already has it/.test(err.message))
    })

    it('lists parked recipients for withdrawing without changing them; their holders\' answers settle them in one synced write each', async () => {
      const e = entry(5, [BOB, CAROL, DAVE])
      await store.outbox.enqueue(e, envelopes(e), sentCopy(5))
      await store.outbox.updateRecipient(e.id, BOB, { state: 'parked', parkedAt: ['12D3KooWServer1', '12D3KooWServer2'] })
      await store.outbox.updateRecipient(e.id, CAROL, { state: 'parked', parkedAt: ['12D3KooWServer1'] })
      await store.outbox.updateRecipient(e.id, DAVE, { state: 'delivered', deliveredAt: T0 })
      const stored = await store.outbox.get(e.id)
      const batches = store.db.syncedBatches
      // Nothing pending: nothing written, the parked ones handed back.
      const { cancelled, parked } = await store.outbox.cancel(e.id, undefined, T0 + 1)
      assert.deepEqual([cancelled, parked], [[], [BOB, CAROL]])
      assert.equal(store.db.syncedBatches, batches)
      assert.deepEqual(await store.outbox.get(e.id), stored)
      // Named: a parked one with a delivered one is still all or nothing.
      await assert.rejects(store.outbox.cancel(e.id, [BOB, DAVE], T0), { name: 'NotCancellableError' })

      // Bob: one holder withdrew, one could not be reached: still parked there, with the answers.
      const bobAnswers = [{ peerId: '12D3KooWServer1', outcome: 'withdrawn' as const }, { peerId: '12D3KooWServer2', outcome: 'unreachable' as const, error: 'timed out' }]
      const first = await store.outbox.settleWithdrawal(e.id, BOB, bobAnswers, T0 + 2)
      assert.equal(store.db.syncedBatches, batches + 1)
      assert.equal(first.cancelled, false)
      assert.deepEqual(first.entry.recipients[0], { ...stored!.recipients[0], parkedAt: ['12D3KooWServer2'], withdrawal: bobAnswers })
      // Later the second answers "not here": nobody may still have it, so bob is cancelled.
      const second = await store.outbox.settleWithdrawal(e.id, BOB, [{ peerId: '12D3KooWServer2', outcome: 'not-here' }], T0 + 3)
      assert.equal(second.cancelled, true)
      const bob = second.entry.recipients[0]!
      assert.deepEqual([bob.state, bob.cancelledAt, bob.parkedAt], ['cancelled', T0 + 3, undefined])
      // Carol's holder does not support withdrawing: she stays parked there.
      const carol = await store.outbox.settleWithdrawal(e.id, CAROL, [{ peerId: '12D3KooWServer1', outcome: 'unsupported' }], T0 + 4)
      assert.equal(carol.cancelled, false)
      assert.deepEqual([carol.entry.recipients[1]!.state, carol.entry.recipients[1]!.parkedAt], ['parked', ['12D3KooWServer1']])
      // A holder that saw carol fetch it: she has the message, delivered (not cancelled), with the answers.
      const carolAnswers = [{ peerId: '12D3KooWServer1', outcome: 'fetched' as const }]
      const fetched = await store.outbox.settleWithdrawal(e.id, CAROL, carolAnswers, T0 + 4)
      assert.equal(fetched.cancelled, false)
      const c = fetched.entry.recipients[1]!
      assert.deepEqual([c.state, c.deliveredAt, c.parkedAt, c.withdrawal, c.cancelledAt], ['delivered', T0 + 4, undefined, carolAnswers, undefined])
      // A recipient no longer parked (bob, taken back by a concurrent cancel; dave) is left as it is, unwritten.
      const written = store.db.syncedBatches
      const late = await store.outbox.settleWithdrawal(e.id, BOB, [{ peerId: '12D3KooWServer2', outcome: 'not-here' }], T0 + 5)
      assert.equal(late.cancelled, false)
      assert.deepEqual(late.entry.recipients[0], bob)
      const dave = await store.outbox.settleWithdrawal(e.id, DAVE, [], T0 + 5)
      assert.equal(dave.entry.recipients[2]!.state, 'delivered')
      assert.equal(store.db.syncedBatches, written)
      assert.deepEqual(await store.outbox.get(e.id), dave.entry)
      await assert.rejects(store.outbox.settleWithdrawal(e.id, '12D3KooWNobody', [], T0), { name: 'RecipientNotFoundError' })
    })

    it('updateRecipient with onlyIfPending leaves a cancelled recipient as it is', async () => {
      const e = live(4)
      await store.outbox.enqueue(e, envelopes(e), sentCopy(4))
      await store.outbox.cancel(e.id, undefined, T0)
      const kept = await store.outbox.updateRecipient(e.id, BOB, { attempts: 1, nextAttemptAt: T0 + 100, lastError: 'unreachable' }, { onlyIfPending: true })
      assert.deepEqual(kept.recipients[0], { ...e.recipients[0], state: 'cancelled', cancelledAt: T0 })
    })
  })

  describe('the engine', () => {
    async function started (router: GatedRouter, events: NodeEvents): Promise<OutboxEngine> {
      const engine = new OutboxEngine({ outbox: store.outbox, contacts: store.contacts, router, events, log: defaultLogger().forComponent('peerpost:outbox'), now: Date.now, random: () => 0.5 }, { retryBaseMs: 60_000, retryMaxMs: 600_000 })
      await engine.start()
      return engine
    }

    it('waits for an attempt under way; one that failed for now leaves the recipient cancelled and unscheduled', async () => {
      const router = new GatedRouter()
      const events = new NodeEvents()
      const seen: NodeEvent[] = []
      events.subscribe(e => { seen.push(e) })
      const e1 = live(5)
      await store.outbox.enqueue(e1, envelopes(e1), sentCopy(5))
      const engine = await started(router, events)
      try {
        const first = await router.call(1)
        assert.deepEqual(first.envelopeIds, [e1.recipients[0]!.envelopeId])

        await store.outbox.cancel(e1.id, undefined, Date.now())
        let done = false
        const cancelling = engine.cancel(e1.id, [BOB], 60_000).then(left => { done = true; return left })
        await new Promise(resolve => { setImmediate(resolve) })
        assert.equal(done, false, 'cancel waits for the attempt under way')
        first.answer([{ kind: 'retry', error: new Error('bob is offline') }])
        assert.deepEqual(await cancelling, [])

        const stored = await store.outbox.get(e1.id)
        assert.equal(stateOf(stored, BOB), 'cancelled')
        assert.equal(stored?.recipients[0]?.attempts, 0, 'the failed attempt is not recorded over the cancel')
        assert.equal(seen.filter(e => e.type === 'outbox:recipient').length, 0, 'no pending event after the cancel')

        // A later message to bob goes alone: the cancelled one is in no round any more.
        const e2 = live(6)
        await store.outbox.enqueue(e2, envelopes(e2), sentCopy(6))
        engine.add(e2)
        engine.kick(BOB)
        const second = await router.call(2)
        assert.deepEqual(second.envelopeIds, [e2.recipients[0]!.envelopeId])
        second.answer([{ kind: 'delivered', stampExempt: false }])
      } finally {
        await engine.stop()
      }
    })

    it('an attempt under way that delivered is recorded as delivered, with when it was cancelled', async () => {
      const router = new GatedRouter()
      const events = new NodeEvents()
      const seen: NodeEvent[] = []
      events.subscribe(e => { seen.push(e) })
      const e1 = live(7)
      await store.outbox.enqueue(e1, envelopes(e1), sentCopy(7))
      const engine = await started(router, events)
      try {
        const first = await router.call(1)
        const at = Date.now()
        await store.outbox.cancel(e1.id, undefined, at)
        const cancelling = engine.cancel(e1.id, [BOB], 60_000)
        first.answer([{ kind: 'delivered', stampExempt: false }])
        assert.deepEqual(await cancelling, [])
        const r = (await store.outbox.get(e1.id))?.recipients[0]
        assert.equal(r?.state, 'delivered')
        assert.equal(r?.cancelledAt, at)
        assert.deepEqual(seen.map(e => e.data), [{ id: e1.id, peerId: BOB, state: 'delivered' }])
      } finally {
        await engine.stop()
      }
    })

    it('stops waiting after waitMs and names the recipient whose attempt is still under way', async () => {
      const router = new GatedRouter()
      const e1 = live(8)
      await store.outbox.enqueue(e1, envelopes(e1), sentCopy(8))
      const engine = await started(router, new NodeEvents())
      try {
        const first = await router.call(1)
        await store.outbox.cancel(e1.id, undefined, Date.now())
        assert.deepEqual(await engine.cancel(e1.id, [BOB], 10), [BOB])
        first.answer([{ kind: 'retry', error: new Error('offline') }])
      } finally {
        await engine.stop()
      }
      assert.equal(stateOf(await store.outbox.get(e1.id), BOB), 'cancelled')
    })
  })
})
