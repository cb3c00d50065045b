import { strict as assert } from 'node:assert'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { defaultLogger } from '@libp2p/logger'
import { sealEnvelope } from '../../node/crypto/index.js'
import { NodeEvents } from '../../node/events.js'
import { generateKeyMaterial, identityFromKeyMaterial, makeCard, peerIdBytesFromString } from '../../node/identity/index.js'
import { Receiver } from '../../node/receiver.js'
import { createPurger, openHomeStore } from '../../storage/index.js'
import type { NodeEvent } from '../../node/events.js'
import type { BlobRef } from '../../node/protocol/peerpost.js'
import type { HomeStore } from '../../storage/index.js'

/**
 * The receiver's side of a tombstone: a message deleted for good and delivered again gets
 * its receipt, and nothing else happens: no message, no event, no pull of its attachments.
 */
const alice = identityFromKeyMaterial(await generateKeyMaterial({ displayName: 'alice', now: Date.now() }))
const bob = identityFromKeyMaterial(await generateKeyMaterial({ displayName: 'bob', now: Date.now() }))

describe('receiver: a message deleted for good, delivered again', () => {
  let dir: string
  let store: HomeStore
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'peerpost-receiver-'))
    store = await openHomeStore(join(dir, 'db'))
  })
  after(async () => {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('is receipted, and neither stored, announced nor pulled again', async () => {
    const events = new NodeEvents()
    const seen: NodeEvent[] = []
    events.subscribe(e => { seen.push(e) })
    const registered: string[] = []
    const receiver = new Receiver({
      identity: bob,
      mailbox: store.mailbox,
      contacts: store.contacts,
      events,
      log: defaultLogger().forComponent('test:receiver'),
      now: Date.now,
      registerBlobs: async (_refs, messageId) => { registered.push(messageId) }
    }, { maxMimeBytes: 1024 * 1024, strangerStampBits: 0 })
    const ref: BlobRef = { blobId: new Uint8Array(randomBytes(16)), name: 'film.bin', type: 'application/octet-stream', size: 5n, chunkSize: 1024 * 1024, sha256: new Uint8Array(32), key: new Uint8Array(32), locations: [peerIdBytesFromString(alice.peerIdString)], cipher: 1, recipients: [] }
    const mime = new TextEncoder().encode(`From: alice <${alice.peerIdString}@peerpost>\r\nSubject: once\r\nMessage-ID: <once@alice>\r\n\r\nhello\r\n`)
    const seal = (): Uint8Array => sealEnvelope({ sender: alice, senderCard: makeCard(alice, { now: Date.now() }), recipient: { peerId: bob.peerIdString, boxPublicKey: bob.boxPublicKey }, mime, blobRefs: [ref], timestamp: Date.now(), stampBits: 0 }).bytes

    await receiver.receive(seal())
    const [stored] = (await store.mailbox.list('requests')).items
    assert.ok(stored != null)
    assert.deepEqual(registered, [stored.id])
    assert.equal(seen.filter(e => e.type === 'mail:received').length, 1)
    await store.mailbox.update(stored.id, { folder: 'trash' })
    await createPurger({ writer: store.mailbox.writer }).purge([stored.id], { folder: 'trash' })

    const again = seal()
    const subject = await receiver.receive(again, 'holder')
    assert.equal(subject.envelopeSha256.byteLength, 32, 'what the receipt covers')
    for (const folder of ['inbox', 'requests', 'trash'] as const) assert.deepEqual((await store.mailbox.list(folder)).items, [])
    assert.deepEqual(registered, [stored.id], 'its attachment is not registered to be pulled again')
    assert.equal(seen.filter(e => e.type === 'mail:received').length, 1, 'no new-mail event')
  })
})
