import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { peerIdFromString } from '@libp2p/peer-id'
import { IdentityCard } from '../../node/protocol/peerpost.js'
import {
  cardFromText, cardToText, decodeCard, generateKeyMaterial, identityFromKeyMaterial, makeCard, verifyCard, verifyCardBytes,
  MAX_CARD_ADDRS
} from '../../node/identity/index.js'
import { generateBoxKeyPair } from '../../node/crypto/index.js'
import type { Identity } from '../../node/identity/index.js'

const NOW = 1_760_000_000_000

async function newIdentity (displayName?: string): Promise<Identity> {
  const options: { displayName?: string, now: number } = { now: NOW }
  if (displayName != null) options.displayName = displayName
  return identityFromKeyMaterial(await generateKeyMaterial(options))
}

describe('identity from key material', () => {
  it('round-trips generated key material into a usable identity', async () => {
    const keys = await generateKeyMaterial({ displayName: 'Alice', now: NOW })
    const alice = identityFromKeyMaterial(keys)
    assert.equal(alice.peerIdString, keys.peerId)
    assert.equal(alice.peerId.toString(), keys.peerId)
    assert.equal(peerIdFromString(keys.peerId).type, 'Ed25519')
    assert.equal(alice.privateKey.type, 'Ed25519')
    assert.deepEqual(alice.signer.publicKey, alice.privateKey.publicKey.raw)
    assert.deepEqual(alice.boxPublicKey, keys.boxPublicKey)
    assert.equal(alice.displayName, 'Alice')
    assert.equal(alice.created, NOW)
  })

  it('refuses key material whose parts do not belong together', async () => {
    const a = await generateKeyMaterial({ now: NOW })
    const b = await generateKeyMaterial({ now: NOW })
    assert.throws(() => identityFromKeyMaterial({ ...a, peerId: b.peerId }), { name: 'InvalidKeyMaterialError' })
    assert.throws(() => identityFromKeyMaterial({ ...a, boxPublicKey: b.boxPublicKey }), { name: 'InvalidKeyMaterialError' })
    assert.throws(() => identityFromKeyMaterial({ ...a, boxSecretKey: a.boxSecretKey.subarray(1) }), { name: 'InvalidKeyMaterialError' })
    assert.throws(() => identityFromKeyMaterial({ ...a, identityKey: new Uint8Array([1, 2, 3]) }), { name: 'InvalidKeyMaterialError' })
  })
})

describe('identity cards', () => {
  it('makes a card that verifies and carries the identity', async () => {
    const alice = await newIdentity('Alice')
    const card = makeCard(alice, { addrs: ['/ip4/127.0.0.1/tcp/4001'], homeServers: ['/dns4/cache.example.org/tcp/4001'], now: NOW + 5 })
    const verified = verifyCard(card)
    assert.equal(verified.peerId, alice.peerIdString)
    assert.deepEqual(verified.publicKey, alice.signer.publicKey)
    assert.deepEqual(verified.boxPublicKey, alice.boxPublicKey)
    assert.equal(verified.displayName, 'Alice')
    assert.deepEqual(verified.addrs, ['/ip4/127.0.0.1/tcp/4001'])
    assert.deepEqual(verified.homeServers, ['/dns4/cache.example.org/tcp/4001'])
    assert.equal(verified.created, NOW + 5)
    assert.deepEqual(verified.encoded, IdentityCard.encode(card))
    assert.equal(verifyCardBytes(verified.encoded).peerId, alice.peerIdString)
  })

  it('leaves displayName out when the identity has none', async () => {
    const verified = verifyCard(makeCard(await newIdentity(), { now: NOW }))
    assert.equal(verified.displayName, undefined)
    assert.deepEqual(verified.addrs, [])
  })

  it('rejects a card signed by another key (CardSignatureError)', async () => {
    const alice = await newIdentity('Alice')
    const mallory = await newIdentity('Mallory')
    const card = makeCard(alice, { now: NOW })
    const forged = makeCard(mallory, { now: NOW })
    assert.throws(() => verifyCard({ ...card, signature: forged.signature }), { name: 'CardSignatureError' })
  })

  it('rejects a card whose box key or name was swapped after signing (CardSignatureError)', async () => {
    const alice = await newIdentity('Alice')
    const card = makeCard(alice, { now: NOW })
    assert.throws(() => verifyCard({ ...card, boxPublicKey: generateBoxKeyPair().publicKey }), { name: 'CardSignatureError' })
    assert.throws(() => verifyCard({ ...card, displayName: 'Alicia' }), { name: 'CardSignatureError' })
    assert.throws(() => verifyCard({ ...card, created: card.created + 1n }), { name: 'CardSignatureError' })
  })

  it('rejects missing fields and bad key lengths (InvalidCardError)', async () => {
    const card = makeCard(await newIdentity(), { now: NOW })
    const rsaLikePeerId = peerIdFromString('QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N').toMultihash().bytes
    const cases: Array<Partial<IdentityCard>> = [
      { peerId: new Uint8Array(0) },
      { peerId: card.peerId.subarray(0, 37) },
      { peerId: rsaLikePeerId },
      { boxPublicKey: card.boxPublicKey.subarray(0, 31) },
      { boxPublicKey: new Uint8Array(0) },
      { signature: new Uint8Array(0) },
      { signature: card.signature.subarray(1) },
      { created: 0n },
      { displayName: 'x'.repeat(129) },
      { displayName: 'evil\u001b[2Jname' },
      { addrs: Array.from({ length: MAX_CARD_ADDRS + 1 }, (_, i) => `/ip4/10.0.0.${i}/tcp/1`) },
      { homeServers: ['/dns4/' + 'a'.repeat(300)] },
      { addrs: [''] }
    ]
    for (const change of cases) {
      assert.throws(() => verifyCard({ ...card, ...change }), { name: 'InvalidCardError' }, JSON.stringify(Object.keys(change)))
    }
  })

  it('refuses to make a card that would break the bounds, and an identity whose name would', async () => {
    await assert.rejects(newIdentity('A'.repeat(200)), { name: 'InvalidDisplayNameError' })
    await assert.rejects(newIdentity('two\nlines'), { name: 'InvalidDisplayNameError' })
    // A keystore written before that check could still hold such a name: its card is refused.
    const alice = identityFromKeyMaterial({ ...await generateKeyMaterial({ now: NOW }), displayName: 'A'.repeat(200) })
    assert.throws(() => makeCard(alice, { now: NOW }), { name: 'InvalidCardError' })
  })

  it('rejects truncated and oversize card bytes with InvalidCardError or CardSignatureError', async () => {
    const bytes = IdentityCard.encode(makeCard(await newIdentity('Alice'), { addrs: ['/ip4/127.0.0.1/tcp/1'], now: NOW }))
    for (let n = 0; n < bytes.byteLength; n++) {
      assert.throws(() => verifyCardBytes(bytes.subarray(0, n)), (err: Error) => err.name === 'InvalidCardError' || err.name === 'CardSignatureError')
    }
    assert.throws(() => decodeCard(new Uint8Array(5000)), { name: 'InvalidCardError' })
  })
})

describe('card text', () => {
  it('is one pasteable line that round-trips', async () => {
    const alice = await newIdentity('Alice')
    const card = makeCard(alice, { addrs: ['/ip4/127.0.0.1/tcp/4001'], now: NOW })
    const text = cardToText(card)
    assert.match(text, /^peerpost1:[A-Za-z0-9_-]+$/)
    assert.equal(cardFromText(text).peerId, alice.peerIdString)
  })

  it('survives surrounding whitespace and line breaks inside', async () => {
    const alice = await newIdentity('Alice')
    const text = cardToText(makeCard(alice, { now: NOW }))
    const wrapped = '\n  ' + (text.match(/.{1,20}/g) ?? []).join('\r\n') + '  \n\n'
    assert.equal(cardFromText(wrapped).peerId, alice.peerIdString)
    const spaced = text.slice(0, 15) + ' \t ' + text.slice(15, 40) + '\n' + text.slice(40)
    assert.equal(cardFromText(spaced).peerId, alice.peerIdString)
  })

  it('reports text that is not a card as MalformedCardTextError', async () => {
    const text = cardToText(makeCard(await newIdentity(), { now: NOW }))
    for (const bad of ['', '   ', 'hello', 'peerpost1:', 'peerpost2:' + text.slice(10), text.slice(10), text + '!', text.slice(0, 20) + '*' + text.slice(21), 'x'.repeat(70_000)]) {
      assert.throws(() => cardFromText(bad), { name: 'MalformedCardTextError' }, bad.slice(0, 30))
    }
  })

  it('reports a cut-short or edited card as damaged card text, the failed check as its cause', async () => {
    const text = cardToText(makeCard(await newIdentity('Alice'), { now: NOW }))
    const damaged = (cause: string[]) => (err: Error) => err.name === 'MalformedCardTextError' && /damaged or cut short/.test(err.message) && cause.includes((err.cause as Error | undefined)?.name ?? '')
    assert.throws(() => cardFromText(text.slice(0, -8)), damaged(['InvalidCardError', 'CardSignatureError']))
    const i = text.length - 30
    const edited = text.slice(0, i) + (text[i] === 'A' ? 'B' : 'A') + text.slice(i + 1)
    assert.throws(() => cardFromText(edited), damaged(['InvalidCardError', 'CardSignatureError']))
    // Bytes given directly (a card inside mail or a directory answer) keep their own errors.
    assert.throws(() => verifyCardBytes(new Uint8Array(Buffer.from(edited.slice('peerpost1:'.length), 'base64url'))), (err: Error) => err.name === 'InvalidCardError' || err.name === 'CardSignatureError')
  })
})
