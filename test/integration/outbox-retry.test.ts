import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { cleanup, introduce, makeUser, online, runJson, waitUntil } from '../helpers/cli.js'
import type { User } from '../helpers/cli.js'

// Retries come quickly in tests; the defaults (1 s doubling to 5 min) are for people.
const FAST_RETRY = { outbox: { retryBaseMs: 200, retryMaxMs: 1_000 } }

describe('three recipients, one of them unreachable', () => {
  let alice: User, bob: User, carol: User, dave: User

  before(async () => {
    alice = await makeUser('alice', { config: FAST_RETRY })
    bob = await makeUser('bob')
    carol = await makeUser('carol')
    dave = await makeUser('dave')
    for (const u of [alice, bob, carol, dave]) await online(u)
    await introduce([alice, bob, carol, dave])
    // dave gave out his card and went offline.
    await dave.daemon!.stop()
  })
  after(async () => { await cleanup([alice, bob, carol, dave]) })

  it('delivers to the two online, keeps the third pending, and delivers when it starts', async () => {
    const sent = await runJson(alice.home, ['send', '--to', 'bob', '--to', 'carol', '--cc', 'dave', '--subject', 'Team update', '--body', 'Hello team', '--wait', '--timeout', '20000'])
    const states = Object.fromEntries(sent.entry.recipients.map((r: any) => [r.address, r.state]))
    assert.deepEqual(states, { bob: 'delivered', carol: 'delivered', dave: 'pending' })

    const status = await runJson(alice.home, ['status'])
    const entry = status.outbox.find((e: any) => e.id === sent.id)
    const daveState = entry.recipients.find((r: any) => r.address === 'dave')
    assert.equal(daveState.state, 'pending')
    assert.ok(daveState.attempts >= 1)
    assert.ok(typeof daveState.lastError === 'string' && daveState.lastError.length > 0)

    for (const u of [bob, carol]) {
      const inbox = await runJson<any[]>(u.home, ['list'])
      assert.equal(inbox.filter(m => m.messageId === sent.messageId).length, 1, `${u.name} has it once`)
    }

    // dave comes back on the address his card names; alice's outbox retries by itself.
    await online(dave)
    await waitUntil(alice.home, async () => {
      const s = await runJson(alice.home, ['status'])
      return s.outbox.find((e: any) => e.id === sent.id).recipients.every((r: any) => r.state === 'delivered')
    }, 30_000, 'alice to deliver to dave')
    const davesInbox = await runJson<any[]>(dave.home, ['list'])
    assert.equal(davesInbox.filter(m => m.messageId === sent.messageId).length, 1)
    const read = await runJson(dave.home, ['read', davesInbox[0].id])
    assert.deepEqual(read.cc.length, 1)
  })
})
