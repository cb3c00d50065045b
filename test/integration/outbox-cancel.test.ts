import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { ControlClient } from '../../node/control/client.js'
import { join } from 'node:path'
import { readdir, rm } from 'node:fs/promises'
import { MiB, randomFile } from '../helpers/attachments.js'
import { cleanup, deadline, introduce, makeUser, online, run, runJson, tempDir, waitUntil } from '../helpers/cli.js'
import type { NodeEvent } from '../../node/events.js'
import type { User } from '../helpers/cli.js'

// Retries come quickly in tests; the defaults (1 s doubling to 5 min) are for people.
const FAST_RETRY = { outbox: { retryBaseMs: 200, retryMaxMs: 1_000 } }

const stateOf = (entry: any, address: string): string => entry.recipients.find((r: any) => r.address === address).state

describe('cancelling a queued message (no cache server)', () => {
  let alice: User, bob: User, carol: User
  let client: ControlClient | undefined
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
    client?.close()
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

  it('cannot recall the parked copy: says so and changes nothing', async () => {
    const sent = await runJson(alice.home, ['send', '--to', 'bob', '--to', 'carol', '--subject', 'Parked', '--body', 'held by carol'])
    const parked = await waitUntil(alice.home, async () => {
      const entry = (await runJson(alice.home, ['status', sent.id])).entry
      return stateOf(entry, 'bob') === 'parked' ? entry : undefined
    }, 30_000, 'bob\'s copy parked on carol')
    const r = await run(alice.home, ['outbox', 'cancel', sent.id, '--recipient', 'bob'])
    assert.equal(r.code, 1)
    assert.match(r.stderr, /bob's copy is parked on a holder \(it cannot be recalled: it stays there until bob fetches it or it expires\)/)
    assert.deepEqual((await runJson(alice.home, ['status', sent.id])).entry, parked)
  })
})
