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
import { MAX_ENVELOPE_AGE_MS, TOMBSTONE_LIFETIME_MS } from '../../node/envelope-age.js'
import { errorReplyFor } from '../../node/protocol/errors.js'
import { ErrorCode } from '../../node/protocol/peerpost.js'
import { Receiver } from '../../node/receiver.js'
import { createPurger, createTombstoneExpiry, openHomeStore } from '../../storage/index.js'
import type { NodeEvent } from '../../node/events.js'
import type { BlobRef } from '../../node/protocol/peerpost.js'
import type { HomeStore } from '../../storage/index.js'

/**
 * The receiver's side of a tombstone: a message deleted for good and delivered again gets
 * its receipt, and nothing else happens: no message, no event, no pull of its attachments.
 * Once the tombstone expired (storage/tombstones.ts), a copy is refused as too old instead.
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

  describe('with a clock', () => {
    const DAY = 24 * 60 * 60_000
    let clock: number
    let seen: NodeEvent[]
    let receiver: Receiver
    let dir2: string
    let store2: HomeStore
    before(async () => {
      dir2 = await mkdtemp(join(tmpdir(), 'peerpost-receiver-'))
      store2 = await openHomeStore(join(dir2, 'db'))
      clock = Date.now()
      seen = []
      const events = new NodeEvents()
      events.subscribe(e => { seen.push(e) })
      receiver = new Receiver({ identity: bob, mailbox: store2.mailbox, contacts: store2.contacts, events, log: defaultLogger().forComponent('test:receiver'), now: () => clock }, { maxMimeBytes: 1024 * 1024, strangerStampBits: 0 })
    })
    after(async () => {
      await store2.close()
      await rm(dir2, { recursive: true, force: true })
    })
    const sealAt = (timestamp: number, messageId: string): Uint8Array => {
      const mime = new TextEncoder().encode(`From: alice <${alice.peerIdString}@peerpost>\r\nSubject: aged\r\nMessage-ID: ${messageId}\r\n\r\nhello\r\n`)
      return sealEnvelope({ sender: alice, senderCard: makeCard(alice, { now: timestamp }), recipient: { peerId: bob.peerIdString, boxPublicKey: bob.boxPublicKey }, mime, blobRefs: [], timestamp, stampBits: 0 }).bytes
    }
    const stored = async (): Promise<number> => {
      let n = 0
      for (const folder of ['inbox', 'requests', 'trash'] as const) n += (await store2.mailbox.list(folder)).items.length
      return n
    }
    const refusedAsExpired = (err: Error): boolean => {
      assert.equal(err.name, 'EnvelopeExpiredError')
      const reply = errorReplyFor(err)
      assert.equal(reply.code, ErrorCode.REFUSED)
      assert.equal(reply.retryable, false, 'the holder drops it, the sender stops')
      return true
    }

    it('a fresh tombstone blocks the copy; once it expired, the copy is refused as too old and nothing comes back', async () => {
      const sealedAt = clock
      const envelope = sealAt(sealedAt, '<late@alice>')
      await receiver.receive(envelope)
      const [message] = (await store2.mailbox.list('requests')).items
      assert.ok(message != null)
      await store2.mailbox.update(message.id, { folder: 'trash' })
      const deletedAt = sealedAt + DAY
      await createPurger({ writer: store2.mailbox.writer, now: () => deletedAt }).purge([message.id], { folder: 'trash' })
      const expiry = createTombstoneExpiry({ db: store2.db, locks: store2.mailbox.writer.locks, now: () => clock }, { lifetimeMs: TOMBSTONE_LIFETIME_MS })
      const received = (): number => seen.filter(e => e.type === 'mail:received').length
      assert.equal(received(), 1)

      // Late, but while the tombstone lives: receipted, not stored.
      clock = sealedAt + MAX_ENVELOPE_AGE_MS
      assert.equal((await expiry.pass()).removed, 0)
      await receiver.receive(envelope, 'holder')
      assert.equal(await stored(), 0)

      // The tombstone expired and went; the same copy is now too old to be taken.
      clock = deletedAt + TOMBSTONE_LIFETIME_MS + 1
      assert.equal((await expiry.pass()).removed, 1)
      await assert.rejects(receiver.receive(envelope, 'holder'), refusedAsExpired)
      await assert.rejects(receiver.receive(envelope, 'direct'), refusedAsExpired)
      assert.equal(await stored(), 0, 'the deleted message did not come back')
      assert.equal(received(), 1, 'no new-mail event')
    })

    it('takes an envelope up to MAX_ENVELOPE_AGE_MS old and refuses an older one, storing nothing', async () => {
      clock = Date.now()
      const before = await stored()
      await assert.rejects(receiver.receive(sealAt(clock - MAX_ENVELOPE_AGE_MS - 1, '<too-old@alice>')), refusedAsExpired)
      assert.equal(await stored(), before)
      await receiver.receive(sealAt(clock - MAX_ENVELOPE_AGE_MS, '<just-in-time@alice>'))
      assert.equal(await stored(), before + 1)
    })
  })
})
