import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { ControlClient } from '../../node/control/client.js'
import { cleanup, deadline, introduce, makeUser, online, runJson, waitUntil } from '../helpers/cli.js'
import type { NodeEvent } from '../../node/events.js'
import type { User } from '../helpers/cli.js'
import type { Server } from 'node:net'

// Retries come quickly in tests; the defaults (1 s doubling to 5 min) are for people.
const FAST_RETRY = { outbox: { retryBaseMs: 200, retryMaxMs: 1_000 } }

describe('three recipients, one of them unreachable', () => {
  let alice: User, bob: User, carol: User, dave: User

  before(async () => {
    alice = await makeUser('alice', { config: FAST_RETRY })
    // This is about alice's own retries: bob and carol do not hold dave's copy for him
    // (co-recipient holding has its own test, co-recipient.test.ts).
    const noHolding = { config: { holding: { enabled: false } } }
    bob = await makeUser('bob', noHolding)
    carol = await makeUser('carol', noHolding)
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

describe('an unreachable peer with many messages queued', () => {
  const COUNT = 300
  let alice: User, bob: User
  let listener: Server | undefined
  let client: ControlClient | undefined

  before(async () => {
    alice = await makeUser('alice', { config: FAST_RETRY })
    bob = await makeUser('bob')
    for (const u of [alice, bob]) await online(u)
    await introduce([alice, bob])
    await bob.daemon!.stop()
  })
  after(async () => {
    client?.close()
    listener?.close()
    await cleanup([alice, bob])
  })

  it('backs off the whole peer: a handful of dials, not one per batch or per message, and all land once bob is back', async () => {
    // Something answers on bob's address but is not bob: every dial is a connection we count.
    let dials = 0
    listener = createServer(socket => { dials++; socket.destroy() })
    await new Promise<void>(resolve => { listener!.listen(bob.port, '127.0.0.1', resolve) })

    client = await ControlClient.connect(alice.home)
    const attempts = new Map<string, number>()
    const delivered = new Set<string>()
    let failed = 0
    let wake: (() => void) | undefined
    await client.subscribe((e: NodeEvent) => {
      if (e.type !== 'outbox:recipient') return
      const d = e.data as { id: string, state: string, error?: string }
      if (d.state === 'pending' && d.error != null) attempts.set(d.id, (attempts.get(d.id) ?? 0) + 1)
      if (d.state === 'delivered') delivered.add(d.id)
      if (d.state === 'failed') failed++
      wake?.()
    })
    const until = async (check: () => boolean, ms: number, what: string): Promise<void> => {
      if (check()) return
      await deadline(new Promise<void>(resolve => { wake = () => { if (check()) resolve() } }), ms, what)
    }
    const sendStart = Date.now()
    for (let i = 0; i < COUNT; i++) await client.call('send', { request: { to: ['bob'], subject: `queued ${i}`, text: 'x' } })
    const sendMs = Date.now() - sendStart

    // Every message tried at least once, and one of them four times (three backoff rounds).
    await until(() => attempts.size >= COUNT && Math.max(...attempts.values()) >= 4, 30_000, 'four rounds of attempts')
    const dialsSoFar = dials
    // One dial per round for the peer: while messages keep coming, at most one round per
    // base delay (a new message is tried within it), then one per backoff round (4 here),
    // plus slack for jitter. Per-message backoff dialled 242 times here.
    const bound = 8 + Math.ceil(sendMs / FAST_RETRY.outbox.retryBaseMs)
    assert.ok(dialsSoFar <= bound, `${dialsSoFar} dials for ${COUNT} messages to one unreachable peer (at most ${bound})`)
    assert.equal(failed, 0)
    const status = await runJson(alice.home, ['status'])
    const pending = status.outbox.filter((e: any) => e.recipients[0].state === 'pending')
    assert.ok(pending.length > 0 && pending.every((e: any) => typeof e.recipients[0].lastError === 'string'))

    // bob is back on his address: everything goes, once each.
    await new Promise<void>(resolve => { listener!.close(() => { resolve() }) })
    listener = undefined
    await online(bob)
    await until(() => delivered.size >= COUNT, 60_000, `all ${COUNT} delivered to bob`)
    const inbox = await runJson<any[]>(bob.home, ['list', '--limit', '1000'])
    assert.equal(inbox.length, COUNT)
    assert.equal(new Set(inbox.map(m => m.messageId)).size, COUNT)
  })
})
