import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import { after, before, describe, it } from 'node:test'
import { eventually, scrape, startCacheServer } from '../helpers/cache-server.js'
import { cleanup, freePort, introduce, makeUser, run, runJson, tempDir, waitUntil } from '../helpers/cli.js'
import { FAST_NODE, FAST_SERVER, inboxCopies, recipientState, startNode, useServers } from '../helpers/offline.js'
import type { CacheServerProcess } from '../helpers/cache-server.js'
import type { User } from '../helpers/cli.js'

const held = async (server: CacheServerProcess): Promise<number> => (await scrape(server)).get('peerpost_parked_envelopes') ?? -1

describe('bob is offline: alice parks on his home server, bob pulls it when he returns', () => {
  let server: CacheServerProcess
  let alice: User, bob: User

  before(async () => {
    server = await startCacheServer(await tempDir('cache'), { config: FAST_SERVER })
    alice = await makeUser('alice', { config: FAST_NODE })
    bob = await makeUser('bob', { config: FAST_NODE })
    await useServers(alice, [server])
    await useServers(bob, [server])
    await startNode(alice)
    await startNode(bob)
    await introduce([alice, bob])
    await bob.daemon!.stop()
  })
  after(async () => {
    await cleanup([alice, bob])
    await server.kill()
    await rm(server.home, { recursive: true, force: true })
  })

  it('parks, says where, and lands once in bob\'s inbox when he starts', async () => {
    const sent = await runJson(alice.home, ['send', '--to', 'bob', '--subject', 'While you were out', '--body', 'parked for you', '--wait', '--timeout', '20000'])
    const r = sent.entry.recipients[0]
    assert.equal(r.state, 'parked')
    assert.deepEqual(r.parkedAt, [server.peerId])
    const text = await run(alice.home, ['status'])
    assert.match(text.stdout, /bob: parked at /)
    assert.equal(await held(server), 1)

    await startNode(bob)
    await waitUntil(bob.home, async () => await inboxCopies(bob, sent.messageId) === 1, 15_000, 'bob to pull the parked message')
    await eventually(async () => await held(server) === 0, 10_000, 'the server to hold nothing after bob\'s ack')
    assert.equal(await inboxCopies(bob, sent.messageId), 1)
    const read = await runJson(bob.home, ['read', (await runJson<any[]>(bob.home, ['list'])).find(m => m.messageId === sent.messageId).id])
    assert.equal(read.fromPeer, alice.peerId)
    assert.equal(read.folder, 'inbox')
    assert.equal((await recipientState(alice, sent.id, 'bob')).state, 'parked')
  })
})

describe('bob has two home servers', () => {
  let s1: CacheServerProcess, s2: CacheServerProcess
  let s2Port: number, s2Home: string
  let alice: User, bob: User

  before(async () => {
    s2Port = await freePort()
    s2Home = await tempDir('cache2')
    s1 = await startCacheServer(await tempDir('cache1'), { config: FAST_SERVER })
    s2 = await startCacheServer(s2Home, { config: FAST_SERVER, port: s2Port })
    alice = await makeUser('alice', { config: FAST_NODE })
    bob = await makeUser('bob', { config: FAST_NODE })
    await useServers(alice, [s1])
    await useServers(bob, [s1, s2])
    await startNode(alice)
    await startNode(bob)
    await introduce([alice, bob])
    await bob.daemon!.stop()
  })
  after(async () => {
    await cleanup([alice, bob])
    for (const s of [s1, s2]) { await s.kill(); await rm(s.home, { recursive: true, force: true }) }
  })

  it('one is down when alice sends: parked on the other; bob gets it once', async () => {
    await s2.stop()
    const sent = await runJson(alice.home, ['send', '--to', 'bob', '--subject', 'one server down', '--body', 'x', '--wait', '--timeout', '20000'])
    assert.equal(sent.entry.recipients[0].state, 'parked')
    assert.deepEqual(sent.entry.recipients[0].parkedAt, [s1.peerId])
    s2 = await startCacheServer(s2Home, { config: FAST_SERVER, port: s2Port })

    await startNode(bob)
    await waitUntil(bob.home, async () => await inboxCopies(bob, sent.messageId) === 1, 15_000, 'bob to pull from s1')
    await eventually(async () => await held(s1) === 0, 10_000, 's1 to hold nothing')
    assert.equal(await held(s2), 0)
    assert.equal(await inboxCopies(bob, sent.messageId), 1)
    await bob.daemon!.stop()
  })

  it('both hold a copy: bob still gets it once, and both are emptied', async () => {
    const sent = await runJson(alice.home, ['send', '--to', 'bob', '--subject', 'two copies', '--body', 'y', '--wait', '--timeout', '20000'])
    assert.equal(sent.entry.recipients[0].state, 'parked')
    assert.deepEqual([...sent.entry.recipients[0].parkedAt].sort(), [s1.peerId, s2.peerId].sort())
    assert.equal(await held(s1), 1)
    assert.equal(await held(s2), 1)

    await startNode(bob)
    await waitUntil(bob.home, async () => await inboxCopies(bob, sent.messageId) === 1, 15_000, 'bob to pull')
    await eventually(async () => await held(s1) === 0 && await held(s2) === 0, 10_000, 'both servers to hold nothing')
    assert.equal(await inboxCopies(bob, sent.messageId), 1)
  })
})
