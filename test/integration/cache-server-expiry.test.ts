import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import { after, before, describe, it } from 'node:test'
import { peerIdFromString } from '@libp2p/peer-id'
import { FetchSession } from '../../node/protocol/fetch.js'
import { NoticeKind, NoticeSubscription } from '../../node/protocol/notice.js'
import { eventually, hex, opaqueEnvelope, park, rawClient, scrape, startCacheServer } from '../helpers/cache-server.js'
import { deadline, tempDir } from '../helpers/cli.js'
import type { CacheServerProcess, RawClient } from '../helpers/cache-server.js'
import type { Notice } from '../../node/protocol/notice.js'

/** Wait for a pushed ENVELOPE_EXPIRED notice about `envelopeId` on a new subscription. */
async function expiryNotice (client: RawClient, server: CacheServerProcess, envelopeId: Uint8Array, ms: number): Promise<{ notice: Notice, subscription: NoticeSubscription }> {
  let found: ((n: Notice) => void) | undefined
  const arrived = new Promise<Notice>(resolve => { found = resolve })
  const subscription = await NoticeSubscription.open(client.libp2p, { peerId: server.peerId, addrs: server.addrs }, notices => {
    for (const n of notices) if (n.kind === NoticeKind.ENVELOPE_EXPIRED && hex(n.envelopeId) === hex(envelopeId)) found?.(n)
  })
  return { notice: await deadline(arrived, ms, 'the ENVELOPE_EXPIRED notice'), subscription }
}

describe('cache server: retention', () => {
  let server: CacheServerProcess
  const clients: RawClient[] = []

  before(async () => {
    server = await startCacheServer(await tempDir('cache-expiry'), {
      config: { parking: { retentionMs: 400, expirySweepIntervalMs: 100 } }
    })
  })

  after(async () => {
    for (const c of clients) await c.stop()
    assert.equal(await server.stop(), 0, `clean exit on SIGTERM; stderr: ${server.stderr()}`)
    await rm(server.home, { recursive: true, force: true })
  })

  it('an envelope past its retention is deleted; its connected depositor is told at once', async () => {
    const [alice, bob] = [await rawClient({ serverPeerId: server.peerId }), await rawClient()]
    clients.push(alice, bob)
    const envelope = opaqueEnvelope(bob.peerId)
    const waiting = expiryNotice(alice, server, envelope.envelopeId, 10_000)
    const [outcome] = await park(alice, server, [envelope])
    assert.ok(outcome?.ok)

    const { notice, subscription } = await waiting
    assert.equal(hex(notice.recipient), hex(alice.libp2p.peerId.toMultihash().bytes), 'the notice is for the depositor')
    assert.equal(notice.locations.length, 1)
    await subscription.close()

    const asBob = await FetchSession.open(bob.libp2p, { peerId: server.peerId, addrs: server.addrs })
    assert.deepEqual(await asBob.listAll(), [], 'gone for the recipient too')
    assert.deepEqual(await asBob.get([envelope.envelopeId]), [])
    await asBob.close()
  })

  it('a depositor that was away learns of the expiry when it next subscribes', async () => {
    const [carol, bob] = [await rawClient({ serverPeerId: server.peerId }), await rawClient()]
    clients.push(carol, bob)
    const before = (await scrape(server)).get('peerpost_expired_total') ?? 0
    const envelope = opaqueEnvelope(bob.peerId)
    const [outcome] = await park(carol, server, [envelope])
    assert.ok(outcome?.ok)
    await carol.libp2p.hangUp(peerIdFromString(server.peerId))
    // Server-side timer: watch its counter, then carol comes back.
    await eventually(async () => ((await scrape(server)).get('peerpost_expired_total') ?? 0) > before, 10_000, 'the expiry pass')
    const { subscription } = await expiryNotice(carol, server, envelope.envelopeId, 5_000)
    await subscription.close()
    const m = await scrape(server)
    assert.equal(m.get('peerpost_parked_envelopes'), 0)
    assert.equal(m.get('peerpost_parked_bytes'), 0)
  })
})
