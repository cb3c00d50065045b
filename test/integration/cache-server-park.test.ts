import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import { after, before, describe, it } from 'node:test'
import { openEnvelope, sealEnvelope, sha256, verifyReceipt } from '../../node/crypto/index.js'
import { makeCard } from '../../node/identity/index.js'
import { FetchSession } from '../../node/protocol/fetch.js'
import { SealedEnvelope } from '../../node/protocol/peerpost.js'
import { hex, opaqueEnvelope, park, rawClient, scrape, startCacheServer } from '../helpers/cache-server.js'
import { tempDir } from '../helpers/cli.js'
import type { CacheServerProcess, RawClient } from '../helpers/cache-server.js'

const MAX_ENVELOPE = 64 * 1024

describe('cache server: parking', () => {
  let server: CacheServerProcess
  const clients: RawClient[] = []
  const client = async (): Promise<RawClient> => {
    const c = await rawClient({ serverPeerId: server.peerId })
    clients.push(c)
    return c
  }
  const fetchSession = async (c: RawClient): Promise<FetchSession> => FetchSession.open(c.libp2p, { peerId: server.peerId, addrs: server.addrs })

  before(async () => {
    server = await startCacheServer(await tempDir('cache-park'), {
      config: {
        parking: {
          maxEnvelopeBytes: MAX_ENVELOPE,
          perDepositor: { maxCount: 3, maxBytes: 1024 * 1024 }
        }
      }
    })
  })

  after(async () => {
    for (const c of clients) await c.stop()
    assert.equal(await server.stop(), 0, `clean exit on SIGTERM; stderr: ${server.stderr()}`)
    await rm(server.home, { recursive: true, force: true })
  })

  it('alice parks a sealed envelope for bob: the receipt is signed by the server; bob lists, gets, opens and acks; the metrics drop to 0', async () => {
    const alice = await client()
    const bob = await client()
    const now = Date.now()
    const mime = new TextEncoder().encode('From: alice\r\nTo: bob\r\nSubject: hi\r\nMessage-ID: <1@test>\r\n\r\nwhile you were away\r\n')
    const sealed = sealEnvelope({ sender: alice.identity, senderCard: makeCard(alice.identity, { now }), recipient: { peerId: bob.peerId, boxPublicKey: bob.identity.boxPublicKey }, mime, timestamp: now })

    const [outcome] = await park(alice, server, [{ envelopeId: sealed.envelopeId, bytes: sealed.bytes }])
    assert.ok(outcome?.ok, `parked: ${outcome?.ok === false ? outcome.error.message : ''}`)
    // Checked again here, explicitly: signer = the server's PeerId, for exactly these bytes.
    verifyReceipt(outcome.receipt, { expectedSigner: server.peerId, envelopeId: sealed.envelopeId, envelopeSha256: sha256(sealed.bytes) })

    let m = await scrape(server)
    assert.equal(m.get('peerpost_parked_envelopes'), 1)
    assert.equal(m.get('peerpost_parked_bytes'), sealed.bytes.byteLength)
    assert.equal(m.get('peerpost_deposits_total'), 1)

    const session = await fetchSession(bob)
    const held = await session.listAll()
    assert.deepEqual(held.map(h => hex(h.envelopeId)), [hex(sealed.envelopeId)])
    const [bytes] = await session.get([sealed.envelopeId])
    assert.ok(bytes != null)
    const opened = openEnvelope(bytes, bob.identity)
    assert.equal(opened.sender.peerId, alice.peerId)
    assert.deepEqual(opened.mime, mime)
    assert.equal(await session.ack([sealed.envelopeId]), 1)
    assert.deepEqual(await session.listAll(), [])
    await session.close()

    m = await scrape(server)
    assert.equal(m.get('peerpost_parked_envelopes'), 0)
    assert.equal(m.get('peerpost_parked_bytes'), 0)
    assert.equal(m.get('peerpost_fetches_total'), 1)
    assert.equal(m.get('peerpost_acks_total'), 1)
    const health = await (await fetch(`${server.metrics}/health`)).json() as { ok: boolean, peerId: string }
    assert.equal(health.ok, true)
    assert.equal(health.peerId, server.peerId)
  })

  it('only the recipient: carol sees what a peer with nothing sees, gets nothing, deletes nothing; a replayed ack changes nothing', async () => {
    const [alice, bob, carol, dave] = [await client(), await client(), await client(), await client()]
    const envelope = opaqueEnvelope(bob.peerId)
    const [outcome] = await park(alice, server, [envelope])
    assert.ok(outcome?.ok)

    const asCarol = await fetchSession(carol)
    const asDave = await fetchSession(dave) // nothing is held for dave
    assert.deepEqual(await asCarol.listAll(), await asDave.listAll())
    assert.deepEqual(await asCarol.listAll(), [])
    assert.deepEqual(await asCarol.get([envelope.envelopeId]), [])
    assert.equal(await asCarol.ack([envelope.envelopeId]), 0)
    // Alice deposited it, but she is not its recipient either.
    const asAlice = await fetchSession(alice)
    assert.equal(await asAlice.ack([envelope.envelopeId]), 0)

    const asBob = await fetchSession(bob)
    assert.deepEqual((await asBob.listAll()).map(h => hex(h.envelopeId)), [hex(envelope.envelopeId)], 'still held for bob')
    assert.deepEqual((await asBob.get([envelope.envelopeId])).map(hex), [hex(envelope.bytes)])
    assert.equal(await asBob.ack([envelope.envelopeId]), 1)
    assert.equal(await asBob.ack([envelope.envelopeId]), 0, 'a replayed ack deletes nothing')
    assert.deepEqual(await asBob.listAll(), [])
    for (const s of [asCarol, asDave, asAlice, asBob]) await s.close()
  })

  it('a depositor over its quota gets QUOTA_EXCEEDED and nothing is stored; oversized and malformed envelopes are refused', async () => {
    const [erin, bob] = [await client(), await client()]
    const before = await scrape(server)
    const first = await park(erin, server, [opaqueEnvelope(bob.peerId), opaqueEnvelope(bob.peerId), opaqueEnvelope(bob.peerId)])
    assert.deepEqual(first.map(o => o.ok), [true, true, true])

    const [over] = await park(erin, server, [opaqueEnvelope(bob.peerId)])
    assert.equal(over?.ok, false)
    assert.equal(over.ok ? undefined : (over.error as { code?: string }).code, 'QUOTA_EXCEEDED', over.ok ? '' : over.error.message)

    // One byte over the server's bound (inside the frame slack, so the handler itself refuses it).
    const probe = opaqueEnvelope(bob.peerId, MAX_ENVELOPE - 200)
    const big = opaqueEnvelope(bob.peerId, MAX_ENVELOPE - 200 + (MAX_ENVELOPE + 1 - probe.bytes.byteLength))
    assert.equal(big.bytes.byteLength, MAX_ENVELOPE + 1)
    const [tooLarge] = await park(erin, server, [big])
    assert.equal(tooLarge?.ok === false ? (tooLarge.error as { code?: string }).code : 'ok', 'TOO_LARGE', tooLarge?.ok === false ? `${tooLarge.error.name}: ${tooLarge.error.message}` : '')

    const junkId = new Uint8Array(16)
    const notAPeerId = SealedEnvelope.encode({ recipient: new Uint8Array([1, 2, 3]), envelopeId: junkId, ephemeralPublicKey: new Uint8Array(32), nonce: new Uint8Array(24), ciphertext: new Uint8Array(64) })
    const [malformed] = await park(erin, server, [{ envelopeId: junkId, bytes: notAPeerId }])
    assert.equal(malformed?.ok === false ? (malformed.error as { code?: string }).code : 'ok', 'MALFORMED')

    const m = await scrape(server)
    const delta = (name: string): number => (m.get(name) ?? 0) - (before.get(name) ?? 0)
    assert.equal(delta('peerpost_parked_envelopes'), 3, 'only the three within quota are held')
    assert.equal(delta('peerpost_rejections_total{reason="quota_exceeded"}'), 1)
    assert.equal(delta('peerpost_rejections_total{reason="too_large"}'), 1)
    assert.equal(delta('peerpost_rejections_total{reason="malformed"}'), 1)

    const asBob = await fetchSession(bob)
    assert.equal((await asBob.listAll()).length, 3)
    await asBob.close()
  })
})
