import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { ControlClient } from '../../node/control/client.js'
import { cleanup, deadline, introduce, makeUser, online, run, runJson, waitUntil } from '../helpers/cli.js'
import type { NodeEvent } from '../../node/events.js'
import type { User } from '../helpers/cli.js'

// Retries come quickly in tests; the defaults (1 s doubling to 5 min) are for people.
const FAST_RETRY = { outbox: { retryBaseMs: 200, retryMaxMs: 1_000 } }

const stateOf = (entry: any, address: string): string => entry.recipients.find((r: any) => r.address === address).state

describe('cancelling a queued message (no cache server)', () => {
  let alice: User, bob: User, carol: User
  let client: ControlClient | undefined

  before(async () => {
    alice = await makeUser('alice', { config: FAST_RETRY })
    bob = await makeUser('bob')
    // Carol does not hold bob's copy for him: his copy stays queued at alice (pending).
    carol = await makeUser('carol', { config: { holding: { enabled: false } } })
    for (const u of [alice, bob, carol]) await online(u)
    await introduce([alice, bob, carol])
    await bob.daemon!.stop()
  })
  after(async () => {
    client?.close()
    await cleanup([alice, bob, carol])
  })

  it('takes it back from offline bob (carol already has it), and bob never receives it', async () => {
    const sent = await runJson(alice.home, ['send', '--to', 'bob', '--to', 'carol', '--subject', 'Take me back', '--body', 'oops', '--wait', '--timeout', '20000'])
    assert.equal(stateOf(sent.entry, 'carol'), 'delivered')
    assert.equal(stateOf(sent.entry, 'bob'), 'pending')

    client = await ControlClient.connect(alice.home)
    const cancelledEvent = Promise.withResolvers<NodeEvent>()
    await client.subscribe((e: NodeEvent) => {
      const d = e.data as { id?: string, state?: string }
      if (e.type === 'outbox:recipient' && d.id === sent.id && d.state === 'cancelled') cancelledEvent.resolve(e)
    })

    const cancel = await runJson(alice.home, ['outbox', 'cancel', sent.id])
    assert.deepEqual(cancel.recipients.map((r: any) => [r.address, r.state, r.cancelled]), [['bob', 'cancelled', true], ['carol', 'delivered', false]])
    assert.equal(((await deadline(cancelledEvent.promise, 10_000, 'the cancelled event')).data as { peerId: string }).peerId, bob.peerId)
    const text = await run(alice.home, ['status', sent.id])
    assert.match(text.stdout, /bob: cancelled/)
    assert.match(text.stdout, /carol: delivered/)

    // Nothing is left to take back: a typed error, and nothing changes.
    const again = await run(alice.home, ['outbox', 'cancel', sent.id])
    assert.equal(again.code, 1)
    assert.match(again.stderr, /nothing cancelled in outbox entry .*bob is cancelled already; carol already has it/)
    const stranger = await run(alice.home, ['outbox', 'cancel', sent.id, '--recipient', 'zed'])
    assert.equal(stranger.code, 1)
    assert.match(stranger.stderr, /was not sent to "zed": its recipients are bob, carol/)
    const unknown = await run(alice.home, ['outbox', 'cancel', '0123456789abcdef0123'])
    assert.equal(unknown.code, 1)
    assert.match(unknown.stderr, /no outbox entry with id 0123456789abcdef0123/)
    assert.deepEqual((await runJson(alice.home, ['status', sent.id])).entry, cancel.entry)

    // A second message, not cancelled, goes in the same round bob's first would have gone:
    // once it is there, the first would be too, had it not been taken back.
    const second = await runJson(alice.home, ['send', '--to', 'bob', '--subject', 'Still going', '--body', 'hi'])
    await online(bob)
    await waitUntil(alice.home, async () => stateOf((await runJson(alice.home, ['status', second.id])).entry, 'bob') === 'delivered', 30_000, 'alice to deliver the second message to bob')
    const inbox = await runJson<any[]>(bob.home, ['list'])
    assert.deepEqual(inbox.map(m => m.subject), ['Still going'])
    assert.equal(stateOf((await runJson(alice.home, ['status', sent.id])).entry, 'bob'), 'cancelled')
  })
})
