/**
 * Unknown senders. Mail from a key that is not a pinned contact goes to requests, never
 * the inbox, and must carry proof of work (a stamp, node/crypto/stamp.ts) of the bits the
 * recipient asks (config `requests.stampBits`), checked before anything is stored;
 * contacts are exempt (and told so: test/integration/stamps.test.ts). A cache server configured with `parking.stampBits` asks it of every
 * deposit (it cannot tell contacts from strangers).
 */
import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import { after, before, describe, it } from 'node:test'
import { DEFAULT_STAMP_BITS, envelopeStampBits, mintStamp, sealEnvelope } from '../../node/crypto/index.js'
import { cardFromText, cardToText, generateKeyMaterial, identityFromKeyMaterial, makeCard, peerIdBytesFromString } from '../../node/identity/index.js'
import { SealedEnvelope } from '../../node/protocol/peerpost.js'
import { opaqueEnvelope, park, rawClient, scrape, startCacheServer } from '../helpers/cache-server.js'
import { cleanup, makeUser, online, runJson, tempDir } from '../helpers/cli.js'
import { deliverer, outcomeCode } from './deliverer.js'
import type { CacheServerProcess, RawClient } from '../helpers/cache-server.js'
import type { User } from '../helpers/cli.js'
import type { Identity } from '../../node/identity/index.js'
import type { DeliverOutcome } from '../../node/protocol/deliver.js'

const refusal = outcomeCode

describe('unknown senders', () => {
  let bob: User
  let bobBox: Uint8Array
  const clients: RawClient[] = []
  let alice: Identity, mallory: Identity
  let server: CacheServerProcess | undefined

  before(async () => {
    bob = await makeUser('bob-strangers')
    await online(bob)
    bobBox = cardFromText((await runJson(bob.home, ['card'])).card).boxPublicKey
    alice = identityFromKeyMaterial(await generateKeyMaterial({ displayName: 'alice', now: Date.now() }))
    mallory = identityFromKeyMaterial(await generateKeyMaterial({ displayName: 'mallory', now: Date.now() }))
    await runJson(bob.home, ['contacts', 'add', cardToText(makeCard(alice, { now: Date.now() })), '--as', 'alice'])
  })
  after(async () => {
    for (const c of clients) await c.stop()
    await cleanup([bob])
    await server?.kill()
    if (server != null) await rm(server.home, { recursive: true, force: true })
  })

  /** `from` sends bob one message over /peerpost/deliver/1.0.0 with a stamp of `stampBits`. */
  async function send (from: Identity, subject: string, stampBits?: number): Promise<DeliverOutcome | undefined> {
    const c = await rawClient()
    clients.push(c)
    const mime = new TextEncoder().encode(`From: ${from.peerIdString}@peerpost\r\nSubject: ${subject}\r\nMessage-ID: <${subject}@test>\r\n\r\nhello\r\n`)
    const seal = () => sealEnvelope({ sender: from, senderCard: makeCard(from, { now: Date.now() }), recipient: { peerId: bob.peerId, boxPublicKey: bobBox }, mime, timestamp: Date.now(), ...(stampBits == null ? {} : { stampBits }) })
    let sealed = seal()
    // A stamp minted for N bits proves more by chance (1 in 2^k for N+k): a weak stamp
    // must really be weak, so seal again (a new envelope id, a new search) while it is not.
    for (let i = 0; stampBits != null && stampBits < DEFAULT_STAMP_BITS && envelopeStampBits(sealed.bytes) >= DEFAULT_STAMP_BITS; i++) {
      assert.ok(i < 64, 'a weak stamp in 64 seals')
      sealed = seal()
    }
    const [o] = await deliverer(c)({ peerId: bob.peerId, addrs: bob.daemon!.addrs }, [{ envelopeId: sealed.envelopeId, bytes: sealed.bytes }])
    return o
  }
  const where = async (subject: string): Promise<string[]> => {
    const found: string[] = []
    for (const folder of ['inbox', 'requests', 'quarantine']) {
      if ((await runJson<any[]>(bob.home, ['list', '--folder', folder, '--limit', '1000'])).some(m => m.subject === subject)) found.push(folder)
    }
    return found
  }

  it('a stranger\'s stamped mail goes to requests, never the inbox', async () => {
    assert.equal(refusal(await send(mallory, 'stamped-stranger')), 'receipt')
    assert.deepEqual(await where('stamped-stranger'), ['requests'])
  })

  it('a stranger\'s mail without enough proof of work is refused STAMP_REQUIRED and nothing is stored', async () => {
    assert.equal(refusal(await send(mallory, 'unstamped-stranger', 0)), 'STAMP_REQUIRED')
    assert.equal(refusal(await send(mallory, 'weak-stranger', DEFAULT_STAMP_BITS - 3)), 'STAMP_REQUIRED')
    assert.deepEqual(await where('unstamped-stranger'), [])
    assert.deepEqual(await where('weak-stranger'), [])
  })

  it('a contact needs no stamp, and lands in the inbox', async () => {
    assert.equal(refusal(await send(alice, 'unstamped-contact', 0)), 'receipt')
    assert.deepEqual(await where('unstamped-contact'), ['inbox'])
  })

  it('a cache server asking for 12 bits refuses an unstamped deposit before storing it, and takes a stamped one', async () => {
    server = await startCacheServer(await tempDir('stamp-server'), { config: { parking: { stampBits: 12 } } })
    const depositor = await rawClient({ serverPeerId: server.peerId })
    clients.push(depositor)
    const bare = opaqueEnvelope(bob.peerId, 512)
    const [refused] = await park(depositor, server, [bare])
    assert.equal(refusal(refused), 'STAMP_REQUIRED')
    const outer = SealedEnvelope.decode(opaqueEnvelope(bob.peerId, 512).bytes)
    outer.stamp = mintStamp({ ...outer, recipient: peerIdBytesFromString(bob.peerId) }, 12)
    const [taken] = await park(depositor, server, [{ envelopeId: outer.envelopeId, bytes: SealedEnvelope.encode(outer) }])
    assert.equal(refusal(taken), 'receipt')
    const metrics = await scrape(server)
    assert.equal(metrics.get('peerpost_parked_envelopes'), 1)
    assert.equal(metrics.get('peerpost_rejections_total{reason="stamp_required"}'), 1)
  })
})
