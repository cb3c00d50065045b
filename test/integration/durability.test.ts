import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { ControlClient } from '../../node/control/client.js'
import { cleanup, deadline, introduce, makeUser, online, runJson, waitUntil } from '../helpers/cli.js'
import type { User } from '../helpers/cli.js'
import type { NodeEvent } from '../../node/events.js'

const FAST_RETRY = { outbox: { retryBaseMs: 200, retryMaxMs: 1_000 } }

async function inboxIds (user: User): Promise<string[]> {
  const all: any[] = []
  let cursor: string | undefined
  // Bounded: 200 messages fit in one page of 1000.
  for (let page = 0; page < 10; page++) {
    const client = await ControlClient.connect(user.home)
    try {
      const res = await client.call<{ items: any[], next?: string }>('list', { folder: 'inbox', limit: 1000, cursor })
      all.push(...res.items)
      cursor = res.next
    } finally { client.close() }
    if (cursor == null) break
  }
  return all.map(m => m.messageId)
}

describe('nothing is lost or duplicated when daemons crash', () => {
  let alice: User, bob: User
  before(async () => {
    alice = await makeUser('alice', { config: FAST_RETRY })
    bob = await makeUser('bob')
    await online(alice)
    await online(bob)
    await introduce([alice, bob])
  })
  after(async () => { await cleanup([alice, bob]) })

  it('kill -9 of bob while alice sends 200: after restart bob has each exactly once', async () => {
    const COUNT = 200
    const client = await ControlClient.connect(alice.home)
    const delivered = new Set<string>()
    const crashed = Promise.withResolvers<void>()
    let killing = false
    await client.subscribe((e: NodeEvent) => {
      if (e.type === 'outbox:recipient' && (e.data as any).state === 'delivered') {
        delivered.add((e.data as any).id)
        // Crash bob part-way through, while deliveries are in flight.
        if (delivered.size === 40 && !killing) {
          killing = true
          bob.daemon!.kill().then(crashed.resolve, crashed.reject)
        }
      }
    })
    const sent: string[] = []
    try {
      for (let i = 0; i < COUNT; i++) {
        const r = await client.call<any>('send', { request: { to: ['bob'], subject: `message ${i}`, text: `body ${i}` } })
        sent.push(r.messageId)
      }
      await deadline(crashed.promise, 60_000, 'the crash point')
      await online(bob)
      await waitUntil(alice.home, async () => {
        const list = await client.call<any>('outbox.list', { limit: 1000 })
        return list.items.filter((e: any) => sent.includes(e.messageId)).every((e: any) => e.recipients[0].state === 'delivered')
      }, 90_000, 'every message delivered')
    } finally { client.close() }

    const ids = await inboxIds(bob)
    const counts = new Map<string, number>()
    for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1)
    for (const messageId of sent) assert.equal(counts.get(messageId), 1, `${messageId} exactly once`)
    assert.equal(ids.length, COUNT)
  })

  it('kill -9 of alice right after send returns: the message still goes out after restart', async () => {
    await bob.daemon!.stop()
    const sent = await runJson(alice.home, ['send', '--to', 'bob', '--subject', 'survives', '--body', 'queued before the crash'])
    await alice.daemon!.kill()
    await online(bob)
    await online(alice)
    const found = await waitUntil(bob.home, async () => (await inboxIds(bob)).filter(id => id === sent.messageId).length === 1, 30_000, 'the message to arrive after the restart')
    assert.equal(found, true)
  })
})
