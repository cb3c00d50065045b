/**
 * The outbox asks PresenceWatch about a recipient before every delivery. Once a server's
 * stream carries a subscription for that peer, the server pushes every change, so further
 * lookups are answered from memory: no request per delivery, and still current.
 * A real cache server process and two libp2p nodes on 127.0.0.1.
 */
import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import { after, before, describe, it } from 'node:test'
import { defaultLogger } from '@libp2p/logger'
import { NodeEvents } from '../../node/events.js'
import { PresenceWatch } from '../../node/presence-watch.js'
import { PresenceSession, PresenceStatus } from '../../node/protocol/presence.js'
import { rawClient, startCacheServer } from '../helpers/cache-server.js'
import { deadline, tempDir } from '../helpers/cli.js'
import type { CacheServerProcess, RawClient } from '../helpers/cache-server.js'

describe('presence lookups answered from a live subscription', () => {
  let server: CacheServerProcess
  let alice: RawClient
  let bob: RawClient
  let bobSession: PresenceSession
  let watch: PresenceWatch
  const events = new NodeEvents()

  before(async () => {
    server = await startCacheServer(await tempDir('cache-watch'))
    alice = await rawClient()
    bob = await rawClient()
    bobSession = await PresenceSession.open(bob.libp2p, { peerId: server.peerId, addrs: server.addrs }, () => {})
    watch = new PresenceWatch({ libp2p: alice.libp2p, events, log: defaultLogger().forComponent('test:watch'), now: Date.now, onOnline: () => {} },
      { timeoutMs: 5_000, retryMs: 200, retryMaxMs: 1_000 })
  })
  after(async () => {
    await watch?.stop()
    bobSession?.abort(new Error('test over'))
    await alice?.stop()
    await bob?.stop()
    if (server != null) {
      await server.stop()
      await rm(server.home, { recursive: true, force: true })
    }
  })

  it('asks the server once, then answers from what it pushes: status changes and going offline included', async () => {
    const home = [`${server.addrs[0]}/p2p/${server.peerId}`]
    await bobSession.heartbeat(bob.identity, ['/ip4/127.0.0.1/tcp/4001'], PresenceStatus.AVAILABLE, Date.now())
    const first = await watch.lookup(bob.peerId, home)
    assert.equal(first?.online, true)
    assert.equal(watch.subscribeRequests, 1)
    for (let i = 0; i < 5; i++) assert.equal((await watch.lookup(bob.peerId, home))?.online, true)
    assert.equal(watch.subscribeRequests, 1, 'later lookups send no request')

    const changed = async (what: string, check: () => boolean): Promise<void> => {
      await deadline(new Promise<void>(resolve => {
        const stop = events.subscribe(e => { if (e.type === 'presence:changed' && check()) { stop(); resolve() } })
      }), 10_000, what)
    }
    const busy = changed('bob busy pushed', () => watch.cached(bob.peerId)?.status === 'busy')
    await bobSession.heartbeat(bob.identity, ['/ip4/127.0.0.1/tcp/4001'], PresenceStatus.BUSY, Date.now())
    await busy
    assert.equal((await watch.lookup(bob.peerId, home))?.status, 'busy')
    const gone = changed('bob offline pushed', () => watch.cached(bob.peerId)?.online === false)
    await bobSession.heartbeat(bob.identity, [], PresenceStatus.OFFLINE, Date.now())
    await gone
    assert.equal((await watch.lookup(bob.peerId, home))?.online, false)
    assert.equal(watch.subscribeRequests, 1, 'still one request: the changes were pushed')
  })
})
