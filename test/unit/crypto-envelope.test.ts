import { describe, it, before } from 'node:test'
import assert from 'node:assert/strict'
import nacl from 'tweetnacl'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { BlobRef, InnerRecord, SealedEnvelope, SignedContent } from '../../node/protocol/peerpost.js'
import { boxOpen, boxSeal, ENVELOPE_SIGNING_DOMAIN, fromHex, openEnvelope, sealEnvelope, sha256 } from '../../node/crypto/index.js'
import { withDomain } from '../../node/crypto/ed25519.js'
import { generateKeyMaterial, identityFromKeyMaterial, makeCard } from '../../node/identity/index.js'
import type { Identity } from '../../node/identity/index.js'
import type { IdentityCard } from '../../node/protocol/peerpost.js'
import { mulberry32 } from '../helpers/random.js'

const NOW = 1_760_000_000_000
/** An envelope sealed by an earlier build, with the recipient's (test) keys. */
const FIXTURE = fileURLToPath(new URL('../../../test/fixtures/envelopes/blobrefs-4ec5670.json', import.meta.url))
const mime = new TextEncoder().encode('From: alice\r\nTo: bob\r\nMessage-ID: <1@x>\r\nSubject: hi\r\n\r\nhello bob\r\n')

/** Every error openEnvelope may throw; anything else is a bug. */
const OPEN_ERRORS = new Set(['MalformedEnvelopeError', 'WrongRecipientError', 'DecryptionFailedError', 'InvalidCardError', 'CardSignatureError', 'BadSignatureError'])

function randomBytesFrom (next: () => number, n: number): Uint8Array {
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) out[i] = Math.floor(next() * 256)
  return out
}

function expectOnlyTypedErrors (fn: () => unknown, label: string): string {
  try {
    fn()
    return 'ok'
  } catch (err) {
    assert.ok(err instanceof Error && OPEN_ERRORS.has(err.name), `${label}: unexpected ${String(err instanceof Error ? `${err.name}: ${err.message}` : err)}`)
    return err.name
  }
}

async function newIdentity (displayName: string): Promise<Identity> {
  return identityFromKeyMaterial(await generateKeyMaterial({ displayName, now: NOW }))
}

describe('sealed envelopes', () => {
  let alice: Identity, bob: Identity, carol: Identity
  let aliceCard: IdentityCard
  const blobRefs: BlobRef[] = [{
    blobId: new Uint8Array(16).fill(3), name: 'video.mp4', type: 'video/mp4', size: 50_000_000n, chunkSize: 1 << 20,
    sha256: new Uint8Array(32).fill(9), key: new Uint8Array(32).fill(4), locations: [new Uint8Array(38).fill(1)], cipher: 1, recipients: [new Uint8Array(38).fill(2)]
  }]

  before(async () => {
    alice = await newIdentity('Alice')
    bob = await newIdentity('Bob')
    carol = await newIdentity('Carol')
    aliceCard = makeCard(alice, { addrs: ['/ip4/127.0.0.1/tcp/4001'], now: NOW })
  })

  function sealToBob (extra: Partial<Parameters<typeof sealEnvelope>[0]> = {}): ReturnType<typeof sealEnvelope> {
    return sealEnvelope({ sender: alice, senderCard: aliceCard, recipient: { peerId: bob.peerIdString, boxPublicKey: bob.boxPublicKey }, mime, timestamp: NOW, ...extra })
  }

  /** Decrypt as bob, let `edit` change the inner record, and re-seal it to bob with a new box. */
  function resealInner (sealed: ReturnType<typeof sealEnvelope>, edit: (inner: InnerRecord) => InnerRecord): Uint8Array {
    const inner = InnerRecord.decode(boxOpen(sealed.envelope, bob.boxSecretKey))
    const box = boxSeal(InnerRecord.encode(edit(inner)), bob.boxPublicKey)
    return SealedEnvelope.encode({ ...sealed.envelope, ...box })
  }

  it('round-trips: bob opens what alice sealed, with sender, time, MIME and blob refs', () => {
    const sealed = sealToBob({ blobRefs })
    assert.equal(sealed.envelopeId.byteLength, 16)
    assert.deepEqual(sealed.bytes, SealedEnvelope.encode(sealed.envelope))
    const opened = openEnvelope(sealed.bytes, bob)
    assert.deepEqual(opened.envelopeId, sealed.envelopeId)
    assert.equal(opened.sender.peerId, alice.peerIdString)
    assert.equal(opened.sender.displayName, 'Alice')
    assert.deepEqual(opened.sender.boxPublicKey, alice.boxPublicKey)
    assert.equal(opened.timestamp, NOW)
    assert.deepEqual(opened.mime, mime)
    assert.deepEqual(opened.blobRefs, blobRefs)
    // The decoded object form opens too.
    assert.deepEqual(openEnvelope(sealed.envelope, bob).mime, mime)
  })

  it('keeps a given envelope id and shows only recipient, id and size outside', () => {
    const envelopeId = new Uint8Array(16).fill(0xab)
    const sealed = sealToBob({ envelopeId })
    assert.deepEqual(sealed.envelopeId, envelopeId)
    assert.deepEqual(openEnvelope(sealed.bytes, bob).envelopeId, envelopeId)
    assert.deepEqual(sealed.envelope.recipient, bob.peerId.toMultihash().bytes)
    assert.equal(Buffer.from(sealed.bytes).includes(Buffer.from('hello bob')), false)
    assert.equal(Buffer.from(sealed.bytes).includes(Buffer.from(alice.peerId.toMultihash().bytes)), false)
  })

  it('the sealed box opens with nacl.box.open (the NaCl format holds)', () => {
    const { envelope } = sealToBob()
    const inner = nacl.box.open(envelope.ciphertext, envelope.nonce, envelope.ephemeralPublicKey, bob.boxSecretKey)
    assert.ok(inner !== null)
    assert.deepEqual(InnerRecord.decode(inner).mime, mime)
  })

  it('WrongRecipientError when carol opens bob\'s envelope', () => {
    assert.throws(() => openEnvelope(sealToBob().bytes, carol), { name: 'WrongRecipientError' })
  })

  it('DecryptionFailedError for a tampered ciphertext byte, or relabelled to another recipient', () => {
    const sealed = sealToBob()
    const ciphertext = new Uint8Array(sealed.envelope.ciphertext)
    ciphertext[40] = (ciphertext[40] ?? 0) ^ 1
    assert.throws(() => openEnvelope({ ...sealed.envelope, ciphertext }, bob), { name: 'DecryptionFailedError' })
    // Relabelled to carol: carol's key cannot open a box sealed to bob.
    const relabelled = { ...sealed.envelope, recipient: carol.peerId.toMultihash().bytes }
    assert.throws(() => openEnvelope(relabelled, carol), { name: 'DecryptionFailedError' })
  })

  it('BadSignatureError for a tampered inner signature, MIME, time or blob refs (the cipher a ref names included)', () => {
    const sealed = sealToBob({ blobRefs })
    const edits: Array<(inner: InnerRecord) => InnerRecord> = [
      inner => { const signature = new Uint8Array(inner.signature); signature[0] = (signature[0] ?? 0) ^ 1; return { ...inner, signature } },
      inner => ({ ...inner, signature: new Uint8Array(64) }),
      inner => ({ ...inner, mime: new TextEncoder().encode('From: alice\r\n\r\nsend money\r\n') }),
      inner => ({ ...inner, timestamp: inner.timestamp + 1n }),
      inner => ({ ...inner, blobRefs: [] }),
      // Relabelled to the old cipher: the signature covers which cipher the chunks use.
      inner => ({ ...inner, blobRefs: inner.blobRefs.map(ref => ({ ...ref, cipher: 0 })) })
    ]
    for (const edit of edits) {
      assert.throws(() => openEnvelope(resealInner(sealed, edit), bob), { name: 'BadSignatureError' })
    }
  })

  it('BadSignatureError when a holder relabels the envelope id', () => {
    const sealed = sealToBob()
    const envelopeId = new Uint8Array(sealed.envelopeId)
    envelopeId[0] = (envelopeId[0] ?? 0) ^ 1
    assert.throws(() => openEnvelope({ ...sealed.envelope, envelopeId }, bob), { name: 'BadSignatureError' })
  })

  it('BadSignatureError when mallory puts alice\'s card on a message mallory signed', async () => {
    const mallory = await newIdentity('Mallory')
    const sealed = sealEnvelope({ sender: mallory, senderCard: aliceCard, recipient: { peerId: bob.peerIdString, boxPublicKey: bob.boxPublicKey }, mime, timestamp: NOW })
    assert.throws(() => openEnvelope(sealed.bytes, bob), { name: 'BadSignatureError' })
  })

  it('card errors for a sender card signed by another key, with a swapped box key, or missing', async () => {
    const mallory = await newIdentity('Mallory')
    const sealed = sealToBob()
    const malloryCard = makeCard(mallory, { now: NOW })
    assert.throws(() => openEnvelope(resealInner(sealed, inner => ({ ...inner, senderCard: { ...aliceCard, signature: malloryCard.signature } })), bob), { name: 'CardSignatureError' })
    assert.throws(() => openEnvelope(resealInner(sealed, inner => ({ ...inner, senderCard: { ...aliceCard, boxPublicKey: mallory.boxPublicKey } })), bob), { name: 'CardSignatureError' })
    assert.throws(() => openEnvelope(resealInner(sealed, inner => ({ ...inner, senderCard: { ...aliceCard, boxPublicKey: new Uint8Array(31) } })), bob), { name: 'InvalidCardError' })
    assert.throws(() => openEnvelope(resealInner(sealed, ({ senderCard: _drop, ...inner }) => inner), bob), { name: 'InvalidCardError' })
  })

  it('a sender card verified before is still checked whole: any changed field is refused', () => {
    // Verified cards are cached; the cache must not let a changed card through.
    const sealed = sealToBob()
    assert.equal(openEnvelope(sealed.bytes, bob).sender.peerId, alice.peerIdString)
    const changed = resealInner(sealed, inner => ({ ...inner, senderCard: { ...aliceCard, addrs: ['/ip4/10.0.0.66/tcp/4001'] } }))
    assert.throws(() => openEnvelope(changed, bob), { name: 'CardSignatureError' })
    assert.equal(openEnvelope(sealed.bytes, bob).sender.addrs[0], '/ip4/127.0.0.1/tcp/4001')
  })

  it('MalformedEnvelopeError for truncated bytes, bad field sizes and an inner record that does not decode', () => {
    const sealed = sealToBob()
    // The proof-of-work stamp is the last field and outside the seal: without it the
    // envelope still opens (the receiver's policy, not openEnvelope, asks for it).
    const withoutStamp = SealedEnvelope.encode({ ...sealed.envelope, stamp: new Uint8Array(0) }).byteLength
    for (let n = 0; n < sealed.bytes.byteLength; n++) {
      const name = expectOnlyTypedErrors(() => openEnvelope(sealed.bytes.subarray(0, n), bob), `truncated to ${n}`)
      if (n === withoutStamp) assert.equal(name, 'ok')
      else assert.notEqual(name, 'ok')
    }
    assert.throws(() => openEnvelope(new Uint8Array(0), bob), { name: 'MalformedEnvelopeError' })
    assert.throws(() => openEnvelope({ ...sealed.envelope, nonce: new Uint8Array(23) }, bob), { name: 'MalformedEnvelopeError' })
    assert.throws(() => openEnvelope({ ...sealed.envelope, envelopeId: new Uint8Array(15) }, bob), { name: 'MalformedEnvelopeError' })
    assert.throws(() => openEnvelope({ ...sealed.envelope, ephemeralPublicKey: new Uint8Array(0) }, bob), { name: 'MalformedEnvelopeError' })
    const junkInside = SealedEnvelope.encode({ ...sealed.envelope, ...boxSeal(new Uint8Array([0xff, 0xff, 0xff]), bob.boxPublicKey) })
    assert.throws(() => openEnvelope(junkInside, bob), { name: 'MalformedEnvelopeError' })
    assert.throws(() => openEnvelope(null as unknown as Uint8Array, bob), { name: 'MalformedEnvelopeError' })
  })

  it('MalformedEnvelopeError for a MIME over maxMimeBytes', () => {
    const sealed = sealToBob()
    assert.throws(() => openEnvelope(sealed.bytes, bob, { maxMimeBytes: mime.byteLength - 1 }), { name: 'MalformedEnvelopeError' })
    assert.deepEqual(openEnvelope(sealed.bytes, bob, { maxMimeBytes: mime.byteLength }).mime, mime)
  })

  it('random garbage x1000 (seeded) throws only the typed errors', () => {
    const next = mulberry32(0x5eed)
    for (let i = 0; i < 1000; i++) {
      const bytes = randomBytesFrom(next, Math.floor(next() * 600))
      assert.notEqual(expectOnlyTypedErrors(() => openEnvelope(bytes, bob), `garbage #${i}`), 'ok')
    }
  })

  it('random byte flips of a real envelope x1000 (seeded) throw only the typed errors', () => {
    const next = mulberry32(0xf11b)
    const { bytes } = sealToBob({ blobRefs })
    for (let i = 0; i < 1000; i++) {
      const mutated = new Uint8Array(bytes)
      const flips = 1 + Math.floor(next() * 4)
      for (let f = 0; f < flips; f++) {
        const at = Math.floor(next() * mutated.byteLength)
        mutated[at] = Math.floor(next() * 256)
      }
      const cut = next() < 0.2 ? Math.floor(next() * mutated.byteLength) : mutated.byteLength
      expectOnlyTypedErrors(() => openEnvelope(mutated.subarray(0, cut), bob), `mutation #${i}`)
    }
  })

  it('random inner records sealed to bob x300 (seeded) throw only the typed errors', () => {
    const next = mulberry32(7)
    const { envelope } = sealToBob()
    const good = InnerRecord.encode({ senderCard: aliceCard, timestamp: BigInt(NOW), mime, blobRefs: blobRefs.map(r => BlobRef.encode(r)), signature: new Uint8Array(64) })
    for (let i = 0; i < 300; i++) {
      const inner = next() < 0.5 ? randomBytesFrom(next, Math.floor(next() * 300)) : new Uint8Array(good)
      for (let f = 0; f < 3; f++) inner[Math.floor(next() * inner.byteLength)] = Math.floor(next() * 256)
      const bytes = SealedEnvelope.encode({ ...envelope, ...boxSeal(inner, bob.boxPublicKey) })
      assert.notEqual(expectOnlyTypedErrors(() => openEnvelope(bytes, bob), `inner #${i}`), 'ok')
    }
  })

  it('self-check: seals and opens 200 envelopes of 4 KiB', () => {
    const body = new Uint8Array(4096).fill(0x61)
    for (let i = 0; i < 200; i++) {
      body[0] = i & 0xff
      const { bytes, envelopeId } = sealToBob({ mime: body, timestamp: NOW + i })
      const opened = openEnvelope(bytes, bob)
      assert.deepEqual(opened.envelopeId, envelopeId)
      assert.equal(opened.timestamp, NOW + i)
      assert.equal(opened.mime[0], i & 0xff)
      assert.equal(opened.mime.byteLength, 4096)
    }
  })
  it('opens an envelope sealed before blob refs were declared as bytes (fixture from 4ec5670): same wire, same signature', async () => {
    const fixture = JSON.parse(await readFile(FIXTURE, 'utf8')) as { recipient: { peerId: string, identityKey: string, boxSecretKey: string, boxPublicKey: string, created: number }, sender: string, envelope: string }
    const r = fixture.recipient
    const recipient = identityFromKeyMaterial({ peerId: r.peerId, identityKey: fromHex(r.identityKey), boxSecretKey: fromHex(r.boxSecretKey), boxPublicKey: fromHex(r.boxPublicKey), created: r.created })
    const opened = openEnvelope(fromHex(fixture.envelope), recipient)
    assert.equal(opened.sender.peerId, fixture.sender)
    assert.deepEqual(opened.blobRefs.map(b => [b.name, b.size, b.cipher, b.recipients.length, b.locations.length]), [['film-1.bin', 5_000_001n, 1, 2, 1], ['film-2.bin', 5_000_002n, 0, 0, 1]])
  })

  it('verifies a newer sender\'s blob ref with a field this code does not know, and that field is signed', () => {
    const sealed = sealToBob({ blobRefs })
    // A field 15 (varint 7) after the known ones: what a later BlobRef field would look like.
    const newer = new Uint8Array([...BlobRef.encode(blobRefs[0]!), 15 << 3, 7])
    const signWith = (ref: Uint8Array<ArrayBuffer>): Uint8Array => alice.signer.sign(withDomain(ENVELOPE_SIGNING_DOMAIN, SignedContent.encode({ recipient: bob.peerId.toMultihash().bytes as Uint8Array<ArrayBuffer>, timestamp: BigInt(NOW), mimeSha256: sha256(mime), blobRefs: [ref], envelopeId: sealed.envelopeId })))
    const signature = signWith(newer)
    const opened = openEnvelope(resealInner(sealed, inner => ({ ...inner, blobRefs: [newer], signature: signature as Uint8Array<ArrayBuffer> })), bob)
    assert.equal(opened.blobRefs[0]?.name, 'video.mp4')
    assert.equal(opened.blobRefs[0]?.cipher, 1)
    // The unknown field's value changed under the same signature: caught.
    const changed = new Uint8Array([...BlobRef.encode(blobRefs[0]!), 15 << 3, 8])
    assert.throws(() => openEnvelope(resealInner(sealed, inner => ({ ...inner, blobRefs: [changed], signature: signature as Uint8Array<ArrayBuffer> })), bob), { name: 'BadSignatureError' })
  })

  it('a blob ref that does not decode is MalformedEnvelopeError', () => {
    const sealed = sealToBob({ blobRefs })
    assert.throws(() => openEnvelope(resealInner(sealed, inner => ({ ...inner, blobRefs: [new Uint8Array([0x0a, 0x50, 0x01])] })), bob), { name: 'MalformedEnvelopeError' })
  })
})
