/**
 * A cache server that listens only on WebSockets (as behind an HTTPS proxy on port 443, for
 * networks that let nothing else out): nodes configured with its `/ws` address join it,
 * park mail on it, fetch from it, and reach each other through its relay over it.
 */
import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import { after, before, describe, it } from 'node:test'
import { eventually, startCacheServer } from '../helpers/cache-server.js'
import { cleanup, freePort, introduce, makeUser, runJson, tempDir, waitUntil } from '../helpers/cli.js'
import { FAST_NODE, FAST_SERVER, inboxCopies, startNode } from '../helpers/offline.js'
import type { CacheServerProcess } from '../helpers/cache-server.js'
import type { User } from '../helpers/cli.js'

describe('a cache server reachable only over WebSockets', () => {
  let server: CacheServerProcess
  let alice: User, bob: User
  let wsAddr: string

  before(async () => {
    const port = await freePort()
    server = await startCacheServer(await tempDir('cache-ws'), { config: FAST_SERVER, listen: [`/ip4/127.0.0.1/tcp/${port}/ws`] })
    assert.ok(server.addrs.every(a => a.includes('/ws')), `the server listens on WebSockets only: ${server.addrs.join(' ')}`)
    wsAddr = `/ip4/127.0.0.1/tcp/${port}/ws/p2p/${server.peerId}`
    alice = await makeUser('alice', { config: FAST_NODE })
    bob = await makeUser('bob', { config: FAST_NODE })
    for (const u of [alice, bob]) await runJson(u.home, ['servers', 'add', wsAddr])
    await startNode(alice)
    // bob has no listener of his own: only a relay reservation on the server, over WebSockets.
    await startNode(bob, { listen: ['/p2p-circuit'] })
    await eventually(async () => (await runJson(bob.home, ['status'])).addrs.some((a: string) => a.includes('/ws/') && a.includes('/p2p-circuit')), 15_000, 'bob\'s relay reservation over WebSockets')
    await introduce([alice, bob])
  })
  after(async () => {
    await cleanup([alice, bob])
    await server?.kill()
    if (server != null) await rm(server.home, { recursive: true, force: true })
  })

  it('both join it; alice reaches bob through its relay; offline, bob\'s mail is parked on it and fetched when he is back', async () => {
    const servers = await runJson<any[]>(alice.home, ['servers', 'list'])
    assert.equal(servers.find(s => s.addr === wsAddr)?.connected, true)

    const direct = await runJson(alice.home, ['send', '--to', 'bob', '--subject', 'through the relay', '--body', 'x', '--wait', '--timeout', '20000'])
    assert.equal(direct.entry.recipients[0].state, 'delivered')
    assert.equal(await inboxCopies(bob, direct.messageId), 1)

    await bob.daemon!.stop()
    const parked = await runJson(alice.home, ['send', '--to', 'bob', '--subject', 'while you were out', '--body', 'y', '--wait', '--timeout', '20000'])
    assert.equal(parked.entry.recipients[0].state, 'parked')
    assert.deepEqual(parked.entry.recipients[0].parkedAt, [server.peerId])
    await startNode(bob, { listen: ['/p2p-circuit'] })
    await waitUntil(bob.home, async () => await inboxCopies(bob, parked.messageId) === 1, 20_000, 'bob to fetch the parked message over WebSockets')
  })
})
