import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { join } from 'node:path'
import { readdir, rm } from 'node:fs/promises'
import { MiB, randomFile } from '../helpers/attachments.js'
import { cleanup, deadline, introduce, makeUser, online, recipientEvent, run, runJson, tempDir, waitUntil } from '../helpers/cli.js'
import type { User } from '../helpers/cli.js'

// Retries come quickly in tests; the defaults (1 s doubling to 5 min) are for people.
const FAST_RETRY = { outbox: { retryBaseMs: 200, retryMaxMs: 1_000 } }

const stateOf = (entry: any, address: string): string => entry.recipients.find((r: any) => r.address === address).state

describe('cancelling a queued message (no cache server)', () => {
  let alice: User, bob: User, carol: User
  let close: (() => void) | undefined
  let work: string | undefined

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
    close?.()
    await cleanup([alice, bob, carol])
    if (work != null) await rm(work, { recursive: true, force: true })
  })

  it('drops a large attachment that only a cancelled recipient would have pulled', async () => {
    work = await tempDir('cancel-attach')
    const file = join(work, 'video.bin')
    await randomFile(file, 2 * MiB)
    const sent = await runJson(alice.home, ['send', '--to', 'bob', '--subject', 'Big one', '--body', 'see attached', '--attach', file])
    const before = await runJson(alice.home, ['status', sent.id])
    assert.equal(before.attachments[0].held, true)
    const blobId = before.attachments[0].blobId
    assert.ok((await readdir(join(alice.home, 'blobs'), { recursive: true })).some(f => f.includes(blobId)), 'the blob file is there')

    const cancel = await runJson(alice.home, ['outbox', 'cancel', sent.id, '--recipient', 'bob'])
    assert.deepEqual(cancel.recipients.map((r: any) => [r.address, r.state]), [['bob', 'cancelled']])
    assert.deepEqual(cancel.releasedBlobs, [blobId])
    assert.equal((await runJson(alice.home, ['status', sent.id])).attachments[0].held, false)
    assert.ok(!(await readdir(join(alice.home, 'blobs'), { recursive: true })).some(f => f.includes(blobId)), 'the blob file is gone')
  })

  it('takes it back from offline bob (carol already has it), and bob never receives it', async () => {
    const sent = await runJson(alice.home, ['send', '--to', 'bob', '--to', 'carol', '--subject', 'Take me back', '--body', 'oops', '--wait', '--timeout', '20000'])
    assert.equal(stateOf(sent.entry, 'carol'), 'delivered')
    assert.equal(stateOf(sent.entry, 'bob'), 'pending')

    const cancelled = await recipientEvent(alice.home, sent.id, 'cancelled')
    close = cancelled.close

    const cancel = await runJson(alice.home, ['outbox', 'cancel', sent.id])
    assert.deepEqual(cancel.recipients.map((r: any) => [r.address, r.state, r.cancelled]), [['bob', 'cancelled', true], ['carol', 'delivered', false]])
    assert.equal(await deadline(cancelled.event, 10_000, 'the cancelled event'), bob.peerId)
    const text = await run(alice.home, ['status', sent.id])
    assert.match(text.stdout, /bob: cancelled/)
    assert.match(text.stdout, /carol: delivered/)

    // Nothing is left to take back: a typed error, and nothing changes.
    const again = await run(alice.home, ['outbox', 'cancel', sent.id])
    assert.equal(again.code, 1)
    assert.match(again.stderr, /nothing cancelled in outbox entry .*bob is cancelled already; carol already has it/)
    const stranger = await run(alice.home, ['outbox', 'cancel', sent.id, '--recipient', 'zed'])
    assert.equal(stranger.code, 2)
    assert.match(stranger.stderr, /was not sent to "zed": its recipients are bob, carol/)
    const unknown = await run(alice.home, ['outbox', 'cancel', '0123456789abcdef0123'])
    assert.equal(unknown.code, 2)
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

describe('cancelling a message whose copy is parked on a co-recipient', () => {
  let alice: User, bob: User, carol: User

  before(async () => {
    alice = await makeUser('alice', { config: FAST_RETRY })
    bob = await makeUser('bob')
    // Carol holds mail for offline co-recipients (the default).
    carol = await makeUser('carol')
    for (const u of [alice, bob, carol]) await online(u)
    await introduce([alice, bob, carol])
    await bob.daemon!.stop()
  })
  after(async () => { await cleanup([alice, bob, carol]) })

  it('withdraws the parked copy from carol: says so per holder; while carol is away it stays parked (across a restart of alice\'s daemon), and goes once she is back', async () => {
    const sent = await runJson(alice.home, ['send', '--to', 'bob', '--to', 'carol', '--subject', 'Parked', '--body', 'held by carol'])
    await waitUntil(alice.home, async () => {
      const entry = (await runJson(alice.home, ['status', sent.id])).entry
      return stateOf(entry, 'bob') === 'parked' ? entry : undefined
    }, 30_000, 'bob\'s copy parked on carol')
    assert.equal((await runJson(carol.home, ['status'])).holding.envelopes, 1)

    // Carol is away: nothing can be taken back, and the answer and the state say so.
    await carol.daemon!.stop()
    const away = await runJson(alice.home, ['outbox', 'cancel', sent.id, '--recipient', 'bob'])
    assert.deepEqual(away.recipients.map((r: any) => [r.address, r.state, r.cancelled]), [['bob', 'parked', false]])
    assert.deepEqual(away.recipients[0].withdrawal.map((w: any) => [w.peerId, w.outcome]), [[carol.peerId, 'unreachable']])
    const still = (await runJson(alice.home, ['status', sent.id])).entry.recipients.find((r: any) => r.address === 'bob')
    assert.equal(still.state, 'parked')
    assert.deepEqual(still.parkedAt, [carol.peerId])
    const text = await run(alice.home, ['outbox', 'cancel', sent.id, '--recipient', 'bob'])
    assert.match(text.stdout, /bob: still parked at carol - carol could not be reached/)

    // What is still to withdraw is on disk: a restart of alice's daemon picks it up.
    await alice.daemon!.stop()
    await online(alice)
    // Carol is back: alice's node asks her again by itself (no second cancel) and takes it back.
    const cancelled = await recipientEvent(alice.home, sent.id, 'cancelled')
    try {
      await online(carol)
      assert.equal(await deadline(cancelled.event, 30_000, 'bob\'s copy withdrawn from carol in the background'), bob.peerId)
    } finally {
      cancelled.close()
    }
    const after = (await runJson(alice.home, ['status', sent.id])).entry.recipients.find((r: any) => r.address === 'bob')
    assert.equal(after.state, 'cancelled')
    assert.deepEqual(after.withdrawal, [{ peerId: carol.peerId, outcome: 'withdrawn' }])
    assert.equal((await runJson(carol.home, ['status'])).holding.envelopes, 0)
    // Nothing is left to take back.
    const again = await run(alice.home, ['outbox', 'cancel', sent.id, '--recipient', 'bob'])
    assert.equal(again.code, 1)
    assert.match(again.stderr, /bob is cancelled already/)
  })
})
