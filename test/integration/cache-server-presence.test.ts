import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import { after, before, describe, it } from 'node:test'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { generateKeyMaterial, identityFromKeyMaterial, makeCard, peerIdStringFromBytes } from '../../node/identity/index.js'
import { registerName, resolveName } from '../../node/protocol/directory.js'
import { IdentityCard } from '../../node/protocol/peerpost.js'
import { PresenceSession, PresenceStatus } from '../../node/protocol/presence.js'
import { eventually, rawClient, scrape, startCacheServer } from '../helpers/cache-server.js'
import { deadline, tempDir } from '../helpers/cli.js'
import type { CacheServerProcess, RawClient } from '../helpers/cache-server.js'
import type { PresenceInfo } from '../../node/protocol/presence.js'

const TIMEOUT_MS = 800

describe('cache server: presence and names', () => {
  let server: CacheServerProcess
  const clients: RawClient[] = []
  const sessions: PresenceSession[] = []
  const target = (): { peerId: string, addrs: string[] } => ({ peerId: server.peerId, addrs: server.addrs })
  const client = async (): Promise<RawClient> => {
    const c = await rawClient()
    clients.push(c)
    return c
  }
  /** A presence session whose pushes can be awaited: `next(pred)` resolves with the first push that matches. */
  const presence = async (c: RawClient): Promise<{ session: PresenceSession, next: (pred: (i: PresenceInfo) => boolean, what: string) => Promise<PresenceInfo> }> => {
    const pushes: PresenceInfo[] = []
    const waiters: Array<{ pred: (i: PresenceInfo) => boolean, resolve: (i: PresenceInfo) => void }> = []
    const session = await PresenceSession.open(c.libp2p, target(), info => {
      pushes.push(info)
      for (const w of [...waiters]) if (w.pred(info)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(info) }
    })
    sessions.push(session)
    return {
      session,
      next: async (pred, what) => {
        const seen = pushes.find(pred)
        if (seen != null) { pushes.splice(pushes.indexOf(seen), 1); return seen }
        return deadline(new Promise<PresenceInfo>(resolve => { waiters.push({ pred, resolve }) }), 10_000, what)
      }
    }
  }

  before(async () => {
    server = await startCacheServer(await tempDir('cache-presence'), {
      config: { presence: { timeoutMs: TIMEOUT_MS, sweepIntervalMs: 100 } }
    })
  })

  after(async () => {
    for (const s of sessions) s.abort(new Error('test over'))
    for (const c of clients) await c.stop()
    assert.equal(await server.stop(), 0, `clean exit on SIGTERM; stderr: ${server.stderr()}`)
    await rm(server.home, { recursive: true, force: true })
  })

  it('alice subscribes to bob; bob heartbeats: online with addresses, status and since; a status change is pushed; silence turns him offline', async () => {
    const [alice, bob] = [await client(), await client()]
    const watcher = await presence(alice)
    const [initially] = await watcher.session.subscribe([bob.peerId])
    assert.equal(initially?.online, false, 'unknown: offline')

    const asBob = await presence(bob)
    const addrs = ['/ip4/192.0.2.7/tcp/4001', `/ip4/127.0.0.1/tcp/4455/p2p/${server.peerId}/p2p-circuit`]
    const before = Date.now()
    await asBob.session.heartbeat(bob.identity, addrs, PresenceStatus.AVAILABLE, Date.now())
    const online = await watcher.next(i => i.online, 'bob online to be pushed')
    assert.equal(peerIdStringFromBytes(online.peerId), bob.peerId)
    assert.deepEqual(online.addrs, addrs)
    assert.equal(online.status, PresenceStatus.AVAILABLE)
    assert.ok(Number(online.since) >= before - 1_000, 'since: when he came online')

    const [queried] = await watcher.session.query([bob.peerId])
    assert.equal(queried?.online, true)
    assert.deepEqual(queried?.addrs, addrs)
    assert.equal((await scrape(server)).get('peerpost_presence_online'), 1)

    await asBob.session.heartbeat(bob.identity, addrs, PresenceStatus.BUSY, Date.now())
    const busy = await watcher.next(i => i.status === PresenceStatus.BUSY, 'bob busy to be pushed')
    assert.equal(busy.since, online.since, 'a status change keeps the online-since time')

    // Bob stops heartbeating (his stream stays open): after the timeout he is offline.
    const silentFrom = Date.now()
    const offline = await watcher.next(i => !i.online, 'bob offline after the timeout')
    assert.ok(Date.now() - silentFrom >= TIMEOUT_MS - 300, 'not before the timeout')
    assert.ok(Number(offline.lastSeen) > 0, 'offline answers carry last seen')
    const [after] = await watcher.session.query([bob.peerId])
    assert.equal(after?.online, false)
    assert.deepEqual(after?.addrs, [])
    assert.equal(after?.lastSeen, offline.lastSeen)

    // He returns: the subscription fires again.
    await asBob.session.heartbeat(bob.identity, addrs, PresenceStatus.AWAY, Date.now())
    const back = await watcher.next(i => i.online && i.status === PresenceStatus.AWAY, 'bob back online')
    assert.ok(back.since > online.since)
  })

  it('a heartbeat signed for another peer is refused', async () => {
    const [mallory, bob] = [await client(), await client()]
    const asMallory = await presence(mallory)
    await assert.rejects(asMallory.session.heartbeat(bob.identity, [], PresenceStatus.AVAILABLE, Date.now()), /signed by this connection/)
  })

  it('directory: bob registers his name and anyone resolves it; another key cannot take it', async () => {
    const [bob, carol, dave] = [await client(), await client(), await client()]
    const card = makeCard(bob.identity, { now: Date.now(), homeServers: server.addrs })
    const registered = await registerName(bob.libp2p, target(), 'bob', IdentityCard.encode(card))
    assert.equal(registered.peerId, bob.peerId)

    const resolved = await resolveName(dave.libp2p, target(), 'Bob')
    assert.equal(resolved.peerId, bob.peerId)
    assert.deepEqual(resolved.boxPublicKey, bob.identity.boxPublicKey)

    const carolCard = makeCard(carol.identity, { now: Date.now() })
    await assert.rejects(
      registerName(carol.libp2p, target(), 'bob', IdentityCard.encode(carolCard)),
      (err: Error & { code?: string }) => err.code === 'NAME_TAKEN'
    )
    assert.equal((await resolveName(dave.libp2p, target(), 'bob')).peerId, bob.peerId, 'still bob\'s')
    await assert.rejects(resolveName(dave.libp2p, target(), 'nobody'), (err: Error & { code?: string }) => err.code === 'NOT_FOUND')
  })

  it('a node whose connection monitor pings the server keeps its connection: the server serves no ping, which the monitor takes as alive', async () => {
    // The server runs no ping service and no monitor of its own (memory per connection:
    // cache-server/server.ts). A node's monitor must not drop its server for that.
    const identity = identityFromKeyMaterial(await generateKeyMaterial({ now: Date.now() }))
    const node = await createLibp2p({
      privateKey: identity.privateKey,
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionMonitor: { pingInterval: 100 },
      services: { identify: identify() }
    })
    try {
      const conn = await node.dial(multiaddr(`${server.addrs[0]}`))
      // rtt is set only by a round that found the peer alive; a failed one aborts the connection.
      await eventually(async () => conn.rtt != null || conn.status !== 'open', 10_000, 'a round of the connection monitor')
      assert.equal(conn.status, 'open', 'the monitor kept the connection')
      const protocols = (await node.peerStore.get(conn.remotePeer)).protocols
      assert.ok(protocols.includes('/peerpost/presence/1.0.0'), 'identify ran')
      assert.ok(!protocols.includes('/ipfs/ping/1.0.0'), 'the server does not serve ping')
      const session = await PresenceSession.open(node, target(), () => {})
      sessions.push(session)
      await session.heartbeat(identity, [], PresenceStatus.AVAILABLE, Date.now())
      assert.equal(conn.status, 'open', 'the same connection carried the monitor rounds and the heartbeat')
      assert.deepEqual(node.getConnections(conn.remotePeer).map(c => c.id), [conn.id])
    } finally {
      await node.stop()
    }
  })

  it('closes a presence stream that sends nothing for presence.idleTimeoutMs, and only that one', async () => {
    const quietServer = await startCacheServer(await tempDir('cache-presence-idle'), {
      config: { presence: { idleTimeoutMs: 1_500, sweepIntervalMs: 100 } }
    })
    try {
      const quietTarget = { peerId: quietServer.peerId, addrs: quietServer.addrs }
      const [silent, talker] = [await client(), await client()]
      const silentSession = await PresenceSession.open(silent.libp2p, quietTarget, () => {})
      const talkerSession = await PresenceSession.open(talker.libp2p, quietTarget, () => {})
      sessions.push(silentSession, talkerSession)
      await silentSession.heartbeat(silent.identity, [], PresenceStatus.AVAILABLE, Date.now())
      let silentEnded = false
      void silentSession.ended.then(() => { silentEnded = true })
      // The talker keeps sending (one heartbeat per answer, well inside the idle time) until the silent one is cut.
      const giveUp = Date.now() + 10_000
      while (!silentEnded) {
        assert.ok(Date.now() < giveUp, 'the silent stream was not closed within 10 s')
        await talkerSession.heartbeat(talker.identity, [], PresenceStatus.AVAILABLE, Date.now())
        await Promise.race([silentSession.ended, new Promise(resolve => setTimeout(resolve, 200))])
      }
      await talkerSession.heartbeat(talker.identity, [], PresenceStatus.AVAILABLE, Date.now())
      const [info] = await talkerSession.query([silent.peerId])
      assert.equal(info?.online, true, 'closing an idle stream does not turn its node offline (only missing heartbeats do)')
    } finally {
      await quietServer.stop()
      await rm(quietServer.home, { recursive: true, force: true })
    }
  })

  it('peerpost_connected_peers and /health count peers, not connections, and drop when they leave', async () => {
    const fresh = await startCacheServer(await tempDir('cache-peers'))
    const addr = multiaddr(`${fresh.addrs[0]}`)
    const gauge = async (): Promise<number> => (await scrape(fresh)).get('peerpost_connected_peers') ?? Number.NaN
    const health = async (): Promise<number> => ((await (await fetch(`${fresh.metrics}/health`)).json()) as { connectedPeers: number }).connectedPeers
    const [a, b] = [await rawClient(), await rawClient()]
    try {
      assert.equal(await gauge(), 0)
      await a.libp2p.dial(addr)
      await b.libp2p.dial(addr)
      await a.libp2p.dial(addr, { force: true })
      assert.equal(a.libp2p.getConnections().length, 2, 'a holds two connections to the server')
      await eventually(async () => (await gauge()) === 2, 10_000, 'two peers counted')
      assert.equal(await health(), 2)
      await a.stop()
      await eventually(async () => (await gauge()) === 1, 10_000, 'a peer that left no longer counted')
      await b.stop()
      await eventually(async () => (await gauge()) === 0, 10_000, 'no peers left')
      assert.equal(await health(), 0)
    } finally {
      await a.stop()
      await b.stop()
      await fresh.stop()
      await rm(fresh.home, { recursive: true, force: true })
    }
  })
})
