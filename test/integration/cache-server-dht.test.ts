import assert from 'node:assert/strict'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { connectionPing, DHT_PROTOCOL } from '../../cache-server/dht.js'
import { withDomain } from '../../node/crypto/ed25519.js'
import { generateKeyMaterial, identityFromKeyMaterial, peerIdBytesFromString, peerIdStringFromBytes } from '../../node/identity/index.js'
import { Heartbeat } from '../../node/protocol/peerpost.js'
import { PRESENCE_SIGNING_DOMAIN, PresenceSession, PresenceStatus, signHeartbeat } from '../../node/protocol/presence.js'
import { PRESENCE_RECORD_NAMESPACE, presenceRecordKey } from '../../node/protocol/presence-record.js'
import { eventually, rawClient, scrape, startCacheServer } from '../helpers/cache-server.js'
import { cleanup, freePort, introduce, makeUser, runJson, tempDir } from '../helpers/cli.js'
import { FAST_NODE, FAST_SERVER, recipientState, serverAddr, startNode, useServers } from '../helpers/offline.js'
import type { CacheServerProcess, RawClient } from '../helpers/cache-server.js'
import type { User } from '../helpers/cli.js'
import type { Identity } from '../../node/identity/index.js'
import type { PresenceInfo } from '../../node/protocol/presence.js'
import type { KadDHT, SingleKadDHT } from '@libp2p/kad-dht'
import type { Libp2p } from '@libp2p/interface'

/** DHT settings for tests: lookups answered afresh after 200 ms. */
const DHT = { enabled: true, lookupCacheMs: 200 }

/**
 * Three cache servers in a line (S2 bootstraps from S1, S3 from S2) and S0 without the DHT.
 * Nodes homed on one server are found from the others through the DHT.
 */
describe('cache servers: the DHT finds nodes homed on another server', () => {
  const servers: CacheServerProcess[] = []
  let s0: CacheServerProcess, s1: CacheServerProcess, s2: CacheServerProcess, s3: CacheServerProcess
  const clients: RawClient[] = []
  const sessions: PresenceSession[] = []
  const start = async (name: string, config: Record<string, unknown>): Promise<CacheServerProcess> => {
    const server = await startCacheServer(await tempDir(`dht-${name}`), { config: { ...FAST_SERVER, ...config } })
    servers.push(server)
    return server
  }
  const metric = async (server: CacheServerProcess, name: string): Promise<number> => (await scrape(server)).get(name) ?? Number.NaN
  const client = async (): Promise<RawClient> => {
    const c = await rawClient()
    clients.push(c)
    return c
  }
  const session = async (c: RawClient, server: CacheServerProcess): Promise<PresenceSession> => {
    const s = await PresenceSession.open(c.libp2p, { peerId: server.peerId, addrs: server.addrs }, () => {})
    sessions.push(s)
    return s
  }
  const ask = async (c: RawClient, server: CacheServerProcess, peerId: string): Promise<PresenceInfo> => {
    const [info] = await (await session(c, server)).query([peerId])
    assert.ok(info != null)
    return info
  }

  before(async () => {
    s0 = await start('s0', {})
    s1 = await start('s1', { dht: DHT })
    s2 = await start('s2', { dht: { ...DHT, bootstrap: [serverAddr(s1)] } })
    s3 = await start('s3', { dht: { ...DHT, bootstrap: [serverAddr(s2)] } })
    // S1 and S3 know each other only through S2's answers.
    for (const s of [s1, s2, s3]) {
      await eventually(async () => (await metric(s, 'peerpost_dht_routing_table_peers')) >= 2, 20_000, `the DHT routing table of ${s.home} to hold the two other servers`)
    }
  })

  after(async () => {
    for (const s of sessions) s.abort(new Error('test over'))
    for (const c of clients) await c.stop()
    for (const s of servers) {
      assert.equal(await s.stop(), 0, `clean exit on SIGTERM; stderr: ${s.stderr()}`)
      await rm(s.home, { recursive: true, force: true })
    }
  })

  it('alice asks S1 about bob, homed only on S3: S1 answers with what bob signed, found in the DHT; S0 (no DHT) knows nothing', async () => {
    const [alice, bob] = [await client(), await client()]
    const addrs = ['/ip4/192.0.2.7/tcp/4001', `/ip4/127.0.0.1/tcp/4455/p2p/${s3.peerId}/p2p-circuit`]
    const asBob = await session(bob, s3)
    const putsBefore = await metric(s3, 'peerpost_dht_puts_total{result="ok"}')
    await asBob.heartbeat(bob.identity, addrs, PresenceStatus.AWAY, Date.now())
    await eventually(async () => (await metric(s3, 'peerpost_dht_puts_total{result="ok"}')) > putsBefore, 10_000, 'S3 to put bob\'s presence into the DHT')

    for (const server of [s1, s2]) {
      const info = await eventually(async () => { const i = await ask(alice, server, bob.peerId); return i.online ? i : undefined }, 10_000, `bob online on ${server.home}`)
      assert.equal(peerIdStringFromBytes(info.peerId), bob.peerId)
      assert.deepEqual(info.addrs, addrs)
      assert.equal(info.status, PresenceStatus.AWAY)
      assert.equal(info.routed, true, 'marked as found beyond the server: no pushes follow')
      assert.ok(Number(info.lastSeen) > Date.now() - 60_000)
    }
    const atHome = await ask(alice, s3, bob.peerId)
    assert.equal(atHome.online, true)
    assert.equal(atHome.routed, false, 'his home server answers from its own directory')
    assert.ok(atHome.since > 0n)

    const off = await ask(alice, s0, bob.peerId)
    assert.equal(off.online, false, 'a server without the DHT knows only its own nodes')
    assert.equal(off.routed, false)
    assert.ok((await metric(s1, 'peerpost_dht_lookups_total{result="found"}')) >= 1)

    // bob signs off: the offline heartbeat goes into the DHT too, and S1 says so.
    await asBob.heartbeat(bob.identity, [], PresenceStatus.OFFLINE, Date.now())
    const gone = await eventually(async () => { const i = await ask(alice, s1, bob.peerId); return i.online ? undefined : i }, 10_000, 'S1 to see bob offline')
    assert.ok(Number(gone.lastSeen) > 0, 'offline, last seen when he signed off')
    assert.equal(gone.routed, true)
  })

  it('nodes do not join the DHT: connected nodes add no routing-table entry, and S0 does not speak it', async () => {
    const before = await metric(s1, 'peerpost_dht_routing_table_peers')
    const nodes = [await client(), await client(), await client()]
    for (const n of nodes) await (await session(n, s1)).heartbeat(n.identity, [], PresenceStatus.AVAILABLE, Date.now())
    await eventually(async () => (await metric(s1, 'peerpost_connected_peers')) >= 2 + nodes.length, 10_000, 'the nodes connected to S1')
    assert.equal(await metric(s1, 'peerpost_dht_routing_table_peers'), before, 'the routing table holds servers only')

    const n = nodes[0]!
    const conn = await n.libp2p.dial(multiaddr(serverAddr(s0)))
    const s0Protocols = await eventually(async () => { const p = (await n.libp2p.peerStore.get(conn.remotePeer)).protocols; return p.length > 0 ? p : undefined }, 10_000, 'identify with S0')
    assert.ok(!s0Protocols.includes(DHT_PROTOCOL), 'S0 runs no DHT')
    assert.ok(!(await scrape(s0)).has('peerpost_dht_routing_table_peers'), 'and reports no DHT metrics')
    const toS1 = await n.libp2p.dial(multiaddr(serverAddr(s1)))
    const s1Protocols = await eventually(async () => { const p = (await n.libp2p.peerStore.get(toS1.remotePeer)).protocols; return p.length > 0 ? p : undefined }, 10_000, 'identify with S1')
    assert.ok(s1Protocols.includes(DHT_PROTOCOL), 'S1 serves the DHT on its own protocol id')
    assert.ok(!s1Protocols.includes('/ipfs/kad/1.0.0'), 'and not the public IPFS one')
  })

  it('a forged or stale record is refused by every server and changes no answer', async () => {
    const alice = await client()
    const carol = identityFromKeyMaterial(await generateKeyMaterial({ now: Date.now() }))
    const mallory = await dhtClient()
    try {
      await mallory.dial(multiaddr(serverAddr(s1)))
      const dht = mallory.services.dht as SingleKadDHT
      await eventually(async () => dht.routingTable.size >= 1, 10_000, 'mallory\'s DHT client to know S1')
      const refusedBefore = await metric(s1, 'peerpost_dht_records_refused_total')

      const forged = forgedHeartbeat(carol, identityFromKeyMaterial(await generateKeyMaterial({ now: Date.now() })))
      const stale = signHeartbeat(carol, ['/ip4/198.51.100.1/tcp/1'], PresenceStatus.AVAILABLE, Date.now() - 10 * 60_000)
      for (const [what, hb] of [['signed by mallory', forged], ['ten minutes old', stale]] as const) {
        const stored = await putCount(dht, presenceRecordKey(carol.peerIdString), Heartbeat.encode(hb))
        assert.equal(stored, 0, `no server stored carol's record ${what}`)
      }
      await eventually(async () => (await metric(s1, 'peerpost_dht_records_refused_total')) >= refusedBefore + 2, 10_000, 'S1 to count both refusals')
      const info = await ask(alice, s1, carol.peerIdString)
      assert.equal(info.online, false, 'carol is still unknown')
      assert.equal(info.lastSeen, 0n)
    } finally {
      await mallory.stop()
    }
  })

  it('alice sends to bob with a card naming only a server he left: S1 finds him through the DHT and alice delivers directly', async () => {
    const users: User[] = []
    try {
      const alice = await makeUser('alice', { config: FAST_NODE })
      const bob = await makeUser('bob', { config: FAST_NODE })
      users.push(alice, bob)
      await useServers(alice, [s1])
      await useServers(bob, [s1])
      await startNode(alice)
      await startNode(bob)
      await introduce([alice, bob]) // alice's card of bob: S1 and his address then
      await bob.daemon!.stop()

      // bob moves to S3 and to another port: his card at alice names neither.
      const configFile = join(bob.home, 'config.json')
      const config = JSON.parse(await readFile(configFile, 'utf8'))
      config.homeServers = [serverAddr(s3)]
      await writeFile(configFile, JSON.stringify(config))
      bob.port = await freePort()
      const putsBefore = await metric(s3, 'peerpost_dht_puts_total{result="ok"}')
      await startNode(bob)
      await eventually(async () => (await metric(s3, 'peerpost_dht_puts_total{result="ok"}')) > putsBefore, 15_000, 'S3 to put bob\'s presence into the DHT')

      const parkedBefore = await metric(s1, 'peerpost_parked_envelopes')
      const sent = await runJson(alice.home, ['send', '--to', 'bob', '--subject', 'found you', '--body', 'through the DHT', '--wait', '--timeout', '20000'])
      assert.equal(sent.entry.recipients[0].state, 'delivered', JSON.stringify(sent.entry.recipients[0]))
      assert.equal((await recipientState(alice, sent.id, 'bob')).state, 'delivered')
      const inbox = await runJson<any[]>(bob.home, ['list'])
      assert.equal(inbox.filter(m => m.messageId === sent.messageId).length, 1, 'bob has it once')
      assert.equal(await metric(s1, 'peerpost_parked_envelopes'), parkedBefore, 'nothing parked on the server bob left')
    } finally {
      await cleanup(users)
    }
  })
})

/** An in-process DHT client speaking the servers' protocol, with no validation of its own (mallory). */
async function dhtClient (): Promise<Libp2p<{ dht: KadDHT }>> {
  const identity = identityFromKeyMaterial(await generateKeyMaterial({ now: Date.now() }))
  const accept = async (): Promise<void> => {}
  const node = await createLibp2p({
    privateKey: identity.privateKey,
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: {
      identify: identify(),
      ping: connectionPing(),
      dht: kadDHT({
        protocol: DHT_PROTOCOL,
        clientMode: true,
        peerInfoMapper: passthroughMapper,
        validators: { [PRESENCE_RECORD_NAMESPACE]: accept },
        selectors: { [PRESENCE_RECORD_NAMESPACE]: () => 0 }
      })
    }
  })
  await node.start()
  return node as unknown as Libp2p<{ dht: KadDHT }>
}

/** A fresh heartbeat naming `victim` (online at mallory's address) but signed with `signer`'s key. */
function forgedHeartbeat (victim: Identity, signer: Identity): Heartbeat {
  const unsigned: Heartbeat = { peerId: peerIdBytesFromString(victim.peerIdString), addrs: ['/ip4/203.0.113.66/tcp/6666'], status: PresenceStatus.AVAILABLE, timestamp: BigInt(Date.now()), signature: new Uint8Array(0) }
  return { ...unsigned, signature: signer.signer.sign(withDomain(PRESENCE_SIGNING_DOMAIN, Heartbeat.encode(unsigned))) as Uint8Array<ArrayBuffer> }
}

/** Put a record through the DHT; how many servers said they stored it. */
async function putCount (dht: KadDHT, key: Uint8Array, value: Uint8Array): Promise<number> {
  let stored = 0
  try {
    for await (const event of dht.put(key, value, { signal: AbortSignal.timeout(10_000) })) {
      if (event.name === 'PEER_RESPONSE' && event.messageName === 'PUT_VALUE') stored++
    }
  } catch {
    // Refused everywhere may also end the put with an error: what was stored is counted.
  }
  return stored
}
