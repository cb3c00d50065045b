import { strict as assert } from 'node:assert'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { defaultLogger } from '@libp2p/logger'
import { generateKeyMaterial, identityFromKeyMaterial } from '../../node/identity/index.js'
import { createNetwork } from '../../node/network.js'
import { withdrawNotices, withdrawParked } from '../../node/recall.js'
import { withdrawHandler, WITHDRAW_PROTOCOL } from '../../node/protocol/withdraw.js'
import { createParkingStore, DEFAULT_PARKING_LIMITS, openDatabase } from '../../storage/index.js'
import type { PeerpostLibp2p } from '../../node/network.js'
import type { Contacts, Database, ParkingStore, RecipientState } from '../../storage/index.js'

const identity = async (): Promise<ReturnType<typeof identityFromKeyMaterial>> => identityFromKeyMaterial(await generateKeyMaterial({ now: Date.now() }))
const ENVELOPE = 'ab'.repeat(16)

/**
 * The sender's side on real libp2p nodes over TCP on 127.0.0.1: one holder serves withdraw,
 * one predates it (no such protocol), one is not running.
 */
describe('withdrawing a parked copy from its holders (sender side)', () => {
  let dir: string
  let db: Database
  let parking: ParkingStore
  let sender: PeerpostLibp2p, current: PeerpostLibp2p, old: PeerpostLibp2p
  let absent: string
  let bob: string

  const serverAddr = (node: PeerpostLibp2p): string => {
    const addr = node.getMultiaddrs().map(a => a.toString()).find(a => a.includes('/tcp/'))!
    return addr.includes('/p2p/') ? addr : `${addr}/p2p/${node.peerId.toString()}`
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'peerpost-recall-'))
    db = await openDatabase(join(dir, 'db'))
    parking = await createParkingStore(db, DEFAULT_PARKING_LIMITS)
    const [s, c, o, a, b] = await Promise.all([identity(), identity(), identity(), identity(), identity()])
    absent = a.peerIdString
    bob = b.peerIdString
    sender = await createNetwork({ privateKey: s.privateKey, listen: [] })
    current = await createNetwork({ privateKey: c.privateKey, listen: ['/ip4/127.0.0.1/tcp/0'] })
    old = await createNetwork({ privateKey: o.privateKey, listen: ['/ip4/127.0.0.1/tcp/0'] })
    const serve = withdrawHandler(parking, { log: defaultLogger().forComponent('test:withdraw') })
    await current.handle(WITHDRAW_PROTOCOL, (stream, connection) => { serve(stream, connection).catch(err => { stream.abort(err) }) })
    for (const node of [sender, current, old]) await node.start()
    await parking.deposit({ envelopeId: ENVELOPE, recipient: bob, depositor: s.peerIdString, bytes: new Uint8Array(64), now: Date.now() })
  })
  after(async () => {
    for (const node of [sender, current, old]) await node?.stop()
    await db?.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('says per holder: withdrawn, does not support it, could not be reached; a second time, not here', async () => {
    const recipient: RecipientState = { peerId: bob, address: 'bob', state: 'parked', attempts: 1, nextAttemptAt: 0, envelopeId: ENVELOPE, parkedAt: [current.peerId.toString(), old.peerId.toString(), absent] }
    const components = {
      libp2p: sender,
      // Found by the addresses they are configured under; the absent one has none anywhere.
      contacts: { getByPeerId: async () => undefined } as unknown as Contacts,
      myServers: () => [serverAddr(current), serverAddr(old)],
      timeoutMs: () => 2_000
    }
    const answers = await withdrawParked(components, recipient)
    assert.deepEqual(answers.map(a => [a.peerId, a.outcome]), [
      [current.peerId.toString(), 'withdrawn'],
      [old.peerId.toString(), 'unsupported'],
      [absent, 'unreachable']
    ])
    assert.equal(typeof answers[2]?.error, 'string')
    assert.deepEqual((await parking.list(bob)).items, [])

    const again = await withdrawParked(components, { ...recipient, parkedAt: [current.peerId.toString()] })
    assert.deepEqual(again, [{ peerId: current.peerId.toString(), outcome: 'not-here' }])

    // The notice went to the servers (mine: bob's card names none); those that do not hold
    // the copy are asked to drop it, each once; the holders are asked by withdrawParked.
    const noticed = await withdrawNotices(components, { ...recipient, parkedAt: [current.peerId.toString(), absent] })
    assert.deepEqual(noticed.map(n => [n.peerId, typeof n.error]), [[old.peerId.toString(), 'string']])
    const all = await withdrawNotices(components, { ...recipient, parkedAt: [absent] })
    assert.deepEqual(all.map(n => [n.peerId, typeof n.error]), [[current.peerId.toString(), 'undefined'], [old.peerId.toString(), 'string']])
  })

  it('a holder that drops the protocol it advertised (as one stopping does) could not be reached, to be asked again; the one that never had it does not support it', async () => {
    const ENVELOPE2 = 'cd'.repeat(16)
    await parking.deposit({ envelopeId: ENVELOPE2, recipient: bob, depositor: sender.peerId.toString(), bytes: new Uint8Array(64), now: Date.now() })
    const recipient: RecipientState = { peerId: bob, address: 'bob', state: 'parked', attempts: 1, nextAttemptAt: 0, envelopeId: ENVELOPE2, parkedAt: [current.peerId.toString(), old.peerId.toString()] }
    const components = { libp2p: sender, contacts: { getByPeerId: async () => undefined } as unknown as Contacts, myServers: () => [serverAddr(current), serverAddr(old)], timeoutMs: () => 2_000 }
    await current.unhandle(WITHDRAW_PROTOCOL)
    const answers = await withdrawParked(components, recipient)
    assert.deepEqual(answers.map(a => [a.peerId, a.outcome]), [[current.peerId.toString(), 'unreachable'], [old.peerId.toString(), 'unsupported']])
    assert.match(answers[0]?.error ?? '', /no longer served withdrawing/)

    const serve = withdrawHandler(parking, { log: defaultLogger().forComponent('test:withdraw') })
    await current.handle(WITHDRAW_PROTOCOL, (stream, connection) => { serve(stream, connection).catch(err => { stream.abort(err) }) })
    assert.deepEqual(await withdrawParked(components, { ...recipient, parkedAt: [current.peerId.toString()] }), [{ peerId: current.peerId.toString(), outcome: 'withdrawn' }])
  })
})
