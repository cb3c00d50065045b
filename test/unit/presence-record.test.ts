import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { Key } from 'interface-datastore'
import { BoundedDhtDatastore } from '../../cache-server/dht.js'
import { DhtPresence } from '../../cache-server/dht-presence.js'
import { withDomain } from '../../node/crypto/ed25519.js'
import { generateKeyMaterial, identityFromKeyMaterial, peerIdBytesFromString } from '../../node/identity/index.js'
import { Heartbeat } from '../../node/protocol/peerpost.js'
import { PRESENCE_SIGNING_DOMAIN, PresenceStatus, signHeartbeat } from '../../node/protocol/presence.js'
import { deadline } from '../helpers/cli.js'
import { PRESENCE_RECORD_MAX_BYTES, PresenceRecordError, presenceRecordKey, selectNewestPresenceRecord, verifyPresenceRecord } from '../../node/protocol/presence-record.js'
import type { PresenceDht } from '../../cache-server/dht-presence.js'
import type { Identity } from '../../node/identity/index.js'
import type { PresenceInfo } from '../../node/protocol/peerpost.js'
import type { QueryEvent } from '@libp2p/kad-dht'

const person = async (): Promise<Identity> => identityFromKeyMaterial(await generateKeyMaterial({ now: Date.now() }))
const MAX_AGE = 180_000
const reason = (r: PresenceRecordError['reason']) => (err: unknown) => err instanceof PresenceRecordError && err.reason === r

describe('presence records in the cache servers\' DHT', () => {
  it('takes a node\'s own fresh heartbeat under its key; refuses forged, stale, future, oversized, malformed and misplaced ones', async () => {
    const [bob, carol, mallory] = [await person(), await person(), await person()]
    const now = Date.now()
    const key = presenceRecordKey(bob.peerIdString)
    const hb = signHeartbeat(bob, ['/ip4/192.0.2.1/tcp/4001'], PresenceStatus.AVAILABLE, now - 1_000)
    const taken = verifyPresenceRecord(key, Heartbeat.encode(hb), { now, maxAgeMs: MAX_AGE })
    assert.deepEqual(taken.addrs, hb.addrs)

    const unsigned: Heartbeat = { ...hb, signature: new Uint8Array(0) }
    const forged = { ...unsigned, signature: mallory.signer.sign(withDomain(PRESENCE_SIGNING_DOMAIN, Heartbeat.encode(unsigned))) as Uint8Array<ArrayBuffer> }
    assert.throws(() => verifyPresenceRecord(key, Heartbeat.encode(forged), { now, maxAgeMs: MAX_AGE }), reason('signature'), 'names bob, signed by mallory')
    assert.throws(() => verifyPresenceRecord(presenceRecordKey(carol.peerIdString), Heartbeat.encode(hb), { now, maxAgeMs: MAX_AGE }), reason('signature'), 'bob\'s heartbeat under carol\'s key')
    assert.throws(() => verifyPresenceRecord(key, Heartbeat.encode(signHeartbeat(bob, [], PresenceStatus.AVAILABLE, now - MAX_AGE - 1)), { now, maxAgeMs: MAX_AGE }), reason('stale'))
    assert.throws(() => verifyPresenceRecord(key, Heartbeat.encode(signHeartbeat(bob, [], PresenceStatus.AVAILABLE, now + 5 * 60_000)), { now, maxAgeMs: MAX_AGE }), reason('future'))
    const long = signHeartbeat(bob, Array.from({ length: 30 }, (_, i) => `/dns4/${'a'.repeat(200)}${i}.example/tcp/1`), PresenceStatus.AVAILABLE, now)
    assert.ok(Heartbeat.encode(long).length > PRESENCE_RECORD_MAX_BYTES)
    assert.throws(() => verifyPresenceRecord(key, Heartbeat.encode(long), { now, maxAgeMs: MAX_AGE }), reason('size'))
    assert.throws(() => verifyPresenceRecord(key, new Uint8Array([0xff, 0xff, 0xff]), { now, maxAgeMs: MAX_AGE }), reason('malformed'))
    assert.throws(() => verifyPresenceRecord(new TextEncoder().encode('/pk/abc'), Heartbeat.encode(hb), { now, maxAgeMs: MAX_AGE }), reason('key'))
  })

  it('of several records the newest heartbeat wins, an undecodable one never', async () => {
    const bob = await person()
    const at = (ts: number): Uint8Array => Heartbeat.encode(signHeartbeat(bob, [], PresenceStatus.AVAILABLE, ts))
    assert.equal(selectNewestPresenceRecord([at(1_000), at(3_000), new Uint8Array([0xff]), at(2_000)]), 1)
    assert.equal(selectNewestPresenceRecord([new Uint8Array([0xff]), at(5)]), 1)
  })

  it('the DHT datastore keeps at most its cap of DHT entries, dropping the oldest; other keys are not counted', async () => {
    const store = new BoundedDhtDatastore(3)
    for (let i = 0; i < 5; i++) store.put(new Key(`/dht/record/${i}`), new Uint8Array([i]))
    store.put(new Key('/peers/someone'), new Uint8Array([9]))
    assert.equal(store.dhtEntries, 3)
    assert.equal(await store.has(new Key('/dht/record/0')), false)
    assert.equal(await store.has(new Key('/dht/record/1')), false)
    assert.equal(await store.has(new Key('/dht/record/4')), true)
    assert.equal(await store.has(new Key('/peers/someone')), true)
    store.delete(new Key('/dht/record/4'))
    assert.equal(store.dhtEntries, 2)
  })
})

/** A DHT stand-in: puts and gets are recorded, and finish when the test says. */
function fakeDht (records: Map<string, Uint8Array> = new Map()): PresenceDht & { puts: Array<{ value: Uint8Array, release: () => void }>, gets: number, holdGets: boolean, releaseGets: () => void, putsReach: (n: number) => Promise<void> } {
  const heldGets: Array<() => void> = []
  const putWaiters: Array<{ n: number, resolve: () => void }> = []
  const fake = {
    puts: [] as Array<{ value: Uint8Array, release: () => void }>,
    gets: 0,
    holdGets: false,
    releaseGets: () => { fake.holdGets = false; for (const r of heldGets.splice(0)) r() },
    /** Resolves once `n` puts have started (with a deadline). */
    putsReach: async (n: number) => deadline(new Promise<void>(resolve => {
      if (fake.puts.length >= n) resolve()
      else putWaiters.push({ n, resolve })
    }), 5_000, `${n} puts`),
    peers: () => 2,
    async * put (_key: Uint8Array, value: Uint8Array): AsyncIterable<QueryEvent> {
      await new Promise<void>(resolve => {
        fake.puts.push({ value, release: resolve })
        for (const w of [...putWaiters]) if (fake.puts.length >= w.n) { putWaiters.splice(putWaiters.indexOf(w), 1); w.resolve() }
      })
      yield { name: 'PEER_RESPONSE', messageName: 'PUT_VALUE' } as unknown as QueryEvent
    },
    async * get (key: Uint8Array): AsyncIterable<QueryEvent> {
      fake.gets++
      if (fake.holdGets) await new Promise<void>(resolve => { heldGets.push(resolve) })
      const value = records.get(Buffer.from(key).toString('hex'))
      if (value != null) yield { name: 'VALUE', value } as unknown as QueryEvent
    }
  }
  return fake
}

const INIT = { republishMs: 60_000, recordMaxAgeMs: MAX_AGE, maxPutsPerSecond: 1_000, maxPendingPuts: 2, putTimeoutMs: 5_000, lookupTimeoutMs: 5_000, maxConcurrentLookups: 1, lookupCacheMs: 1, maxTracked: 100 }
const noLog = Object.assign(() => {}, { error: () => {}, trace: () => {}, newScope: () => noLog, enabled: false }) as any
const settle = async (): Promise<void> => { for (let i = 0; i < 20; i++) await new Promise(resolve => setImmediate(resolve)) }

describe('DhtPresence: bounded puts and lookups', () => {
  it('puts a heartbeat when what it says changes, not for every heartbeat; a full queue drops (and counts) the rest', async () => {
    const dht = fakeDht()
    const presence = new DhtPresence({ dht, log: noLog, now: Date.now }, INIT)
    const bob = await person()
    presence.heartbeat(bob.peerIdString, signHeartbeat(bob, ['/ip4/192.0.2.1/tcp/1'], PresenceStatus.AVAILABLE, Date.now()))
    await dht.putsReach(1)
    dht.puts[0]!.release()
    await settle()
    presence.heartbeat(bob.peerIdString, signHeartbeat(bob, ['/ip4/192.0.2.1/tcp/1'], PresenceStatus.AVAILABLE, Date.now() + 1))
    await settle()
    assert.equal(dht.puts.length, 1, 'the same addresses and status: no new put before republishMs')
    presence.heartbeat(bob.peerIdString, signHeartbeat(bob, ['/ip4/192.0.2.1/tcp/1'], PresenceStatus.AWAY, Date.now() + 2))
    await dht.putsReach(2) // a status change is put
    dht.puts[1]!.release()

    // Nothing finishes: 4 puts run, 2 wait, the other 4 are dropped.
    const many = await Promise.all(Array.from({ length: 10 }, person))
    for (const p of many) presence.heartbeat(p.peerIdString, signHeartbeat(p, [], PresenceStatus.AVAILABLE, Date.now()))
    await dht.putsReach(2 + 4)
    await settle()
    assert.equal(dht.puts.length, 2 + 4, 'DHT_PUT_CONCURRENCY at once')
    assert.equal(presence.stats.putsDropped, 4)
    for (const put of dht.puts) put.release()
    await dht.putsReach(2 + 6) // the waiting two go once slots free
    await settle()
    assert.equal(dht.puts.length, 2 + 6)
    for (const put of dht.puts) put.release()
    presence.stop()
  })

  it('a lookup answers the newest record when it is newer than what this server heard itself; busy lookups answer locally', async () => {
    const [bob, carol, dave] = [await person(), await person(), await person()]
    const records = new Map<string, Uint8Array>()
    const dht = fakeDht(records)
    let clock = Date.now()
    const presence = new DhtPresence({ dht, log: noLog, now: () => clock }, INIT)
    const local = (p: Identity): PresenceInfo => ({ peerId: peerIdBytesFromString(p.peerIdString), online: false, addrs: [], status: PresenceStatus.OFFLINE, since: 0n, lastSeen: 5n, routed: false })
    const t = clock
    records.set(Buffer.from(presenceRecordKey(bob.peerIdString)).toString('hex'), Heartbeat.encode(signHeartbeat(bob, ['/ip4/192.0.2.2/tcp/2'], PresenceStatus.BUSY, t - 1_000)))

    const found = await presence.lookup(bob.peerIdString, local(bob))
    assert.equal(found.online, true)
    assert.deepEqual(found.addrs, ['/ip4/192.0.2.2/tcp/2'])
    assert.equal(found.routed, true)

    // This server heard bob itself after that record was signed: its own entry stands.
    presence.heartbeat(bob.peerIdString, signHeartbeat(bob, [], PresenceStatus.OFFLINE, t))
    clock += INIT.lookupCacheMs + 1 // past the cached answer
    const mine = await presence.lookup(bob.peerIdString, local(bob))
    assert.equal(mine.online, false)
    assert.equal(mine.lastSeen, 5n)
    assert.equal(mine.routed, true)

    dht.holdGets = true
    const slow = presence.lookup(dave.peerIdString, local(dave))
    await settle()
    assert.equal(presence.stats.lookupsBusy, 0)
    const busy = await presence.lookup(carol.peerIdString, local(carol))
    assert.equal(busy.online, false, 'no lookup slot: the local answer')
    assert.equal(presence.stats.lookupsBusy, 1)
    dht.releaseGets()
    await slow
    for (const put of dht.puts) put.release()
    presence.stop()
  })
})
