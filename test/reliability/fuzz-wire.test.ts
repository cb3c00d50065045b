/**
 * Hostile bytes against every decoder a peer can reach: the protons messages of each
 * protocol (with the repeated-field limits the handlers use), identity cards (bytes and
 * pasted text), sealed envelopes (outside and, sealed properly, the record inside),
 * receipts, heartbeats and notices. Each property holds for random bytes and for mutated
 * valid encodings: the decoder returns or throws its typed error; nothing else, no hang.
 * Cases: CI 2,000 per decoder; soak (PEERPOST_SOAK=1) 100,000.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, describe, it } from 'node:test'
import fc from 'fast-check'
import { boxOpen, boxSeal, inspectEnvelope, openEnvelope, sealEnvelope, sha256, signReceipt, verifyReceipt } from '../../node/crypto/index.js'
import { cardFromText, cardToText, generateKeyMaterial, identityFromKeyMaterial, makeCard, peerIdBytesFromString, verifyCardBytes } from '../../node/identity/index.js'
import { decodeFrame } from '../../node/protocol/framed.js'
import { decodeNotice, newNotice, NOTICE_PAGE, NOTICE_REQUEST_LIMITS, NoticeKind } from '../../node/protocol/notice.js'
import {
  BlobChunk, BlobRef, BlobRequest, DeliverRequest, DeliverResponse, DirectoryRequest, DirectoryResponse, ErrorCode, FetchOp,
  FetchRequest, FetchResponse, Heartbeat, IdentityCard, InnerRecord, NoticeMessage, NoticeRequest, PresenceMessage,
  PresenceRequest, PresenceStatus, Receipt, SealedEnvelope, WithdrawRequest, WithdrawResponse, WithdrawResult
} from '../../node/protocol/peerpost.js'
import { PRESENCE_REQUEST_LIMITS, signHeartbeat, verifyHeartbeat } from '../../node/protocol/presence.js'
import { assertTyped, hostileBytes, mutated, outcomes, succeeded, typedOrValue } from './fuzz.js'
import { size } from './size.js'
import type { FrameCodec } from '../../node/protocol/framed.js'

const RUNS = size(2_000, 100_000)
const now = Date.now()
const alice = identityFromKeyMaterial(await generateKeyMaterial({ displayName: 'alice', now }))
const bob = identityFromKeyMaterial(await generateKeyMaterial({ displayName: 'bob', now }))
const aliceCard = makeCard(alice, { addrs: ['/ip4/127.0.0.1/tcp/4001'], homeServers: ['/ip4/127.0.0.1/tcp/4455/p2p/' + bob.peerIdString], now })
const bobCard = makeCard(bob, { now })
const MIME = new TextEncoder().encode('From: alice@x\r\nSubject: hi\r\nMessage-ID: <m1@x>\r\n\r\nhello\r\n')
const sealed = sealEnvelope({ sender: alice, senderCard: aliceCard, recipient: { peerId: bob.peerIdString, boxPublicKey: bob.boxPublicKey }, mime: MIME, timestamp: now })
const receipt = signReceipt(bob, { envelopeId: sealed.envelopeId, envelopeSha256: sha256(sealed.bytes), now })
const id16 = (): Uint8Array<ArrayBuffer> => new Uint8Array(randomBytes(16))
const batchReceipt = signReceipt(bob, { envelopeId: sealed.envelopeId, envelopeSha256: sha256(sealed.bytes), now, earlier: [{ envelopeId: id16(), envelopeSha256: sha256(id16()) }, { envelopeId: id16(), envelopeSha256: sha256(id16()) }] })
const notice = newNotice({ kind: NoticeKind.MESSAGE_WAITING, recipient: peerIdBytesFromString(bob.peerIdString), envelopeId: id16(), locations: [{ peerId: peerIdBytesFromString(alice.peerIdString), addrs: ['/ip4/127.0.0.1/tcp/1'] }], blobLocations: [], created: now })
const heartbeat = signHeartbeat(alice, ['/ip4/127.0.0.1/tcp/4001'], PresenceStatus.AWAY, now)
const err = { code: ErrorCode.QUOTA_EXCEEDED, message: 'full', retryable: false }

/** Each wire message with valid encodings to mutate and the limits its reader passes. */
const WIRE: Array<{ name: string, codec: FrameCodec<any, any> & { encode(v: any): Uint8Array }, limits?: unknown, seeds: any[] }> = [
  { name: 'DeliverRequest', codec: DeliverRequest, seeds: [{ envelope: sealed.bytes }] },
  { name: 'DeliverResponse', codec: DeliverResponse, limits: { receipt: { earlier: 32 } }, seeds: [{ envelopeId: sealed.envelopeId, receipt }, { envelopeId: new Uint8Array(0), error: err }, { envelopeId: id16(), receiptFollows: true }, { envelopeId: sealed.envelopeId, receipt: batchReceipt }] },
  { name: 'FetchRequest', codec: FetchRequest, seeds: [{ op: FetchOp.LIST, envelopeIds: [], cursor: new Uint8Array(Buffer.from('abc')), limit: 500 }, { op: FetchOp.ACK, envelopeIds: [id16(), id16()], cursor: new Uint8Array(0), limit: 0 }] },
  { name: 'FetchResponse', codec: FetchResponse, seeds: [{ held: [{ envelopeId: id16(), size: 10n, depositedAt: BigInt(now), expiresAt: BigInt(now + 1) }], next: new Uint8Array(3), envelopes: [sealed.bytes], acked: 2 }] },
  { name: 'DirectoryRequest', codec: DirectoryRequest, seeds: [{ name: 'alice', card: IdentityCard.encode(aliceCard) }] },
  { name: 'DirectoryResponse', codec: DirectoryResponse, seeds: [{ card: IdentityCard.encode(aliceCard) }, { card: new Uint8Array(0), error: err }] },
  { name: 'PresenceRequest', codec: PresenceRequest, limits: PRESENCE_REQUEST_LIMITS, seeds: [{ requestId: 7, heartbeat, query: [peerIdBytesFromString(bob.peerIdString)], subscribe: [], unsubscribe: [] }] },
  { name: 'PresenceMessage', codec: PresenceMessage, seeds: [{ requestId: 0, infos: [{ peerId: peerIdBytesFromString(bob.peerIdString), online: true, addrs: ['/ip4/1.2.3.4/tcp/1'], status: PresenceStatus.BUSY, since: 5n, lastSeen: 6n }] }] },
  { name: 'NoticeRequest', codec: NoticeRequest, limits: NOTICE_REQUEST_LIMITS, seeds: [{ post: notice, subscribe: false, ack: [] }, { subscribe: true, ack: [id16()] }] },
  { name: 'NoticeMessage', codec: NoticeMessage, limits: { notices: NOTICE_PAGE }, seeds: [{ notices: [notice], ok: true }] },
  { name: 'BlobRequest', codec: BlobRequest, seeds: [{ blobId: id16(), firstChunk: 3, count: 4, done: false }] },
  { name: 'BlobChunk', codec: BlobChunk, seeds: [{ blobId: id16(), index: 3, data: new Uint8Array(randomBytes(200)), last: true, done: false }] },
  { name: 'WithdrawRequest', codec: WithdrawRequest, seeds: [{ envelopeId: id16(), recipient: peerIdBytesFromString(bob.peerIdString) }] },
  { name: 'WithdrawResponse', codec: WithdrawResponse, seeds: [{ result: WithdrawResult.WITHDRAWN, fetched: false }, { result: WithdrawResult.NOT_HERE, fetched: true }, { result: WithdrawResult.WITHDRAW_UNSPECIFIED, error: err, fetched: false }] }
]

describe(`fuzzing the wire decoders (${RUNS} cases each)`, () => {
  for (const { name, codec, limits, seeds } of WIRE) {
    it(`${name}: returns a message that re-encodes, or throws MalformedFrameError`, () => {
      const encoded = seeds.map(s => codec.encode(s))
      fc.assert(fc.property(hostileBytes(encoded), bytes => {
        try {
          const message = decodeFrame(codec, bytes, name, limits)
          // What a handler does next with it: read fields, answer, store. Encoding it back must work.
          codec.encode(message)
          succeeded(name)
        } catch (e) {
          assertTyped(e, ['MalformedFrameError'], name)
        }
      }), { numRuns: RUNS })
    })
  }
})

describe(`fuzzing cards, envelopes, receipts, heartbeats and notices (${RUNS} cases each)`, () => {
  after(() => {
    // The mutations must reach the checks behind decoding, or the properties prove little.
    for (const deep of ['verifyCardBytes: CardSignatureError', 'openEnvelope (inner): BadSignatureError', 'openEnvelope (inner): CardSignatureError', 'verifyReceipt: BadReceiptError', 'openEnvelope: DecryptionFailedError']) {
      assert.ok((outcomes.get(deep) ?? 0) > 0, `no case reached ${deep}: ${JSON.stringify([...outcomes])}`)
    }
    if (process.env.PEERPOST_FUZZ_REPORT === '1') console.log(JSON.stringify(Object.fromEntries(outcomes)))
  })
  const CARD_ERRORS = ['InvalidCardError', 'CardSignatureError', 'MalformedCardTextError']
  const ENVELOPE_ERRORS = ['MalformedEnvelopeError', 'WrongRecipientError', 'DecryptionFailedError', 'InvalidCardError', 'CardSignatureError', 'BadSignatureError']
  const cardSeeds = [IdentityCard.encode(aliceCard), IdentityCard.encode(bobCard)]
  const owners = new Set([alice.peerIdString, bob.peerIdString])

  it('card bytes: verify, or InvalidCardError / CardSignatureError; a card that verifies is one its owner signed', () => {
    fc.assert(fc.property(hostileBytes(cardSeeds), bytes => {
      try {
        const card = verifyCardBytes(bytes)
        assert.ok(owners.has(card.peerId), 'a mutated card verified for a key that never signed it')
        succeeded('verifyCardBytes')
      } catch (e) { assertTyped(e, CARD_ERRORS, 'verifyCardBytes') }
    }), { numRuns: RUNS })
  })

  it('card text as pasted: a card, or a typed card error', () => {
    const text = cardToText(aliceCard)
    const damagedText = fc.tuple(fc.nat(text.length), fc.string({ maxLength: 8 }), fc.nat(4)).map(([at, s, cut]) => text.slice(0, at) + s + text.slice(at + cut))
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 600 }), damagedText, mutated(cardSeeds).map(b => 'peerpost1:' + Buffer.from(b).toString('base64url'))), t => {
      try {
        assert.ok(owners.has(cardFromText(t).peerId))
      } catch (e) { assertTyped(e, CARD_ERRORS, 'cardFromText') }
    }), { numRuns: RUNS })
  })

  it('sealed envelope bytes: open only untouched content, or a typed envelope error', () => {
    fc.assert(fc.property(hostileBytes([sealed.bytes], 1024), bytes => {
      try {
        const opened = openEnvelope(bytes, bob, { maxMimeBytes: 1024 })
        assert.equal(opened.sender.peerId, alice.peerIdString)
        assert.deepEqual(opened.mime, MIME)
      } catch (e) { assertTyped(e, ENVELOPE_ERRORS, 'openEnvelope') }
      // A holder's look at the outside never throws anything untyped either.
      typedOrValue(() => inspectEnvelope(bytes, { maxBytes: 800 }), ['MalformedEnvelopeError', 'EnvelopeTooLargeError'], 'inspectEnvelope')
    }), { numRuns: RUNS })
  })

  it('the record inside a valid seal (what only a forger could send): open only what alice signed, or a typed error', () => {
    // What alice really sealed, opened with bob's key: the seed every mutation starts from.
    const inner = InnerRecord.decode(boxOpen(sealed.envelope, bob.boxSecretKey))
    const innerSeeds = [InnerRecord.encode(inner), InnerRecord.encode({ ...inner, blobRefs: [BlobRef.encode({ blobId: id16(), name: 'x.bin', type: 'a/b', size: 5n, chunkSize: 1, sha256: new Uint8Array(32), key: new Uint8Array(32), locations: [peerIdBytesFromString(alice.peerIdString)], cipher: 1, recipients: [] })] })]
    fc.assert(fc.property(hostileBytes(innerSeeds, 1024), plain => {
      const box = boxSeal(plain, bob.boxPublicKey)
      const bytes = sealedBytesWith(box)
      try {
        const opened = openEnvelope(bytes, bob, { maxMimeBytes: 4096 })
        assert.equal(opened.sender.peerId, alice.peerIdString)
        assert.deepEqual(opened.mime, MIME)
        succeeded('openEnvelope (inner)')
      } catch (e) { assertTyped(e, ENVELOPE_ERRORS, 'openEnvelope (inner)') }
    }), { numRuns: RUNS })
  })

  it('receipts: verify only the one bob signed, else BadReceiptError', () => {
    const expected = { expectedSigner: bob.peerIdString, envelopeId: sealed.envelopeId, envelopeSha256: sha256(sealed.bytes) }
    fc.assert(fc.property(hostileBytes([Receipt.encode(receipt)]), bytes => {
      let r: Receipt
      try { r = decodeFrame(Receipt, bytes, 'receipt') } catch (e) { assertTyped(e, ['MalformedFrameError'], 'receipt'); return }
      try {
        verifyReceipt(r, expected)
        assert.equal(r.timestamp, receipt.timestamp)
      } catch (e) { assertTyped(e, ['BadReceiptError'], 'verifyReceipt') }
    }), { numRuns: RUNS })
  })

  it('heartbeats: a PeerId only for the one alice signed, never a throw', () => {
    fc.assert(fc.property(hostileBytes([Heartbeat.encode(heartbeat)]), bytes => {
      let hb: Heartbeat
      try { hb = decodeFrame(Heartbeat, bytes, 'heartbeat') } catch (e) { assertTyped(e, ['MalformedFrameError'], 'heartbeat'); return }
      const signer = verifyHeartbeat(hb)
      if (signer != null) {
        assert.equal(signer, alice.peerIdString)
        assert.equal(hb.status, heartbeat.status)
        assert.deepEqual(hb.addrs, heartbeat.addrs)
      }
    }), { numRuns: RUNS })
  })

  it('notices: decoded and checked, or InvalidNoticeError', () => {
    const seeds = [notice, { ...notice, kind: NoticeKind.ENVELOPE_EXPIRED, locations: [] }].map(n => NoticeRequest.encode({ post: n, subscribe: false, ack: [] }).subarray(2))
    fc.assert(fc.property(hostileBytes(seeds), bytes => {
      typedOrValue(() => decodeNotice(bytes), ['InvalidNoticeError'], 'decodeNotice')
    }), { numRuns: RUNS })
  })
})

/** An encoded SealedEnvelope for bob, with `sealed`'s id, around another box. */
function sealedBytesWith (box: { ephemeralPublicKey: Uint8Array<ArrayBuffer>, nonce: Uint8Array<ArrayBuffer>, ciphertext: Uint8Array<ArrayBuffer> }): Uint8Array {
  return SealedEnvelope.encode({ recipient: sealed.envelope.recipient, envelopeId: sealed.envelopeId, ...box })
}
