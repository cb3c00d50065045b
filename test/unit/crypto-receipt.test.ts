import { describe, it, before } from 'node:test'
import assert from 'node:assert/strict'
import { sha256, signReceipt, verifyReceipt } from '../../node/crypto/index.js'
import { generateKeyMaterial, identityFromKeyMaterial } from '../../node/identity/index.js'
import type { Identity } from '../../node/identity/index.js'
import type { ReceiptEntry } from '../../node/protocol/peerpost.js'

const NOW = 1_760_000_000_000

describe('receipts', () => {
  let bob: Identity, carol: Identity
  const envelopeId = new Uint8Array(16).fill(5)
  const envelopeSha256 = sha256(new TextEncoder().encode('the envelope bytes as sent'))

  before(async () => {
    bob = identityFromKeyMaterial(await generateKeyMaterial({ now: NOW }))
    carol = identityFromKeyMaterial(await generateKeyMaterial({ now: NOW }))
  })

  it('verifies a receipt from the expected signer for this envelope', () => {
    const receipt = signReceipt(bob, { envelopeId, envelopeSha256, now: NOW })
    assert.equal(receipt.timestamp, BigInt(NOW))
    assert.deepEqual(receipt.signer, bob.peerId.toMultihash().bytes)
    verifyReceipt(receipt, { expectedSigner: bob.peerIdString, envelopeId, envelopeSha256 })
  })

  it('BadReceiptError for another signer, envelope, hash, time or a bad signature', () => {
    const receipt = signReceipt(bob, { envelopeId, envelopeSha256, now: NOW })
    const expected = { expectedSigner: bob.peerIdString, envelopeId, envelopeSha256 }
    const fromCarol = signReceipt(carol, { envelopeId, envelopeSha256, now: NOW })
    const cases: Array<[string, () => void]> = [
      ['carol signed, bob expected', () => verifyReceipt(fromCarol, expected)],
      ['carol signed, claims bob', () => verifyReceipt({ ...fromCarol, signer: receipt.signer }, expected)],
      ['other envelope id', () => verifyReceipt(receipt, { ...expected, envelopeId: new Uint8Array(16) })],
      ['other hash', () => verifyReceipt(receipt, { ...expected, envelopeSha256: sha256(new Uint8Array(1)) })],
      ['time changed', () => verifyReceipt({ ...receipt, timestamp: receipt.timestamp + 1n }, expected)],
      ['signature cut', () => verifyReceipt({ ...receipt, signature: receipt.signature.subarray(1) }, expected)],
      ['no signature', () => verifyReceipt({ ...receipt, signature: new Uint8Array(0) }, expected)],
      ['expected signer not a PeerId', () => verifyReceipt(receipt, { ...expected, expectedSigner: 'bob' })],
      ['not a receipt', () => verifyReceipt(undefined as never, expected)]
    ]
    for (const [label, fn] of cases) assert.throws(fn, { name: 'BadReceiptError' }, label)
  })

  it('one signature covers a batch: verifies for exactly the earlier envelopes, in order', () => {
    const subject = (n: number): ReceiptEntry => ({ envelopeId: new Uint8Array(16).fill(n), envelopeSha256: sha256(new Uint8Array([n])) })
    const earlier = [subject(1), subject(2), subject(3)]
    const receipt = signReceipt(bob, { envelopeId, envelopeSha256, now: NOW, earlier })
    const expected = { expectedSigner: bob.peerIdString, envelopeId, envelopeSha256, earlier }
    verifyReceipt(receipt, expected)
    const single = signReceipt(bob, { envelopeId, envelopeSha256, now: NOW })
    const cases: Array<[string, () => void]> = [
      ['one missing', () => verifyReceipt(receipt, { ...expected, earlier: earlier.slice(1) })],
      ['one more expected', () => verifyReceipt(receipt, { ...expected, earlier: [...earlier, subject(4)] })],
      ['another order', () => verifyReceipt(receipt, { ...expected, earlier: [earlier[1]!, earlier[0]!, earlier[2]!] })],
      ['another hash for one', () => verifyReceipt(receipt, { ...expected, earlier: [earlier[0]!, { ...earlier[1]!, envelopeSha256: sha256(new Uint8Array(2)) }, earlier[2]!] })],
      ['list changed after signing', () => verifyReceipt({ ...receipt, earlier: [...earlier.slice(0, 2), subject(9)] }, { ...expected, earlier: [...earlier.slice(0, 2), subject(9)] })],
      ['a single receipt taken for a batch', () => verifyReceipt(single, expected)],
      ['a batch receipt taken for one', () => verifyReceipt(receipt, { expectedSigner: bob.peerIdString, envelopeId, envelopeSha256 })]
    ]
    for (const [label, fn] of cases) assert.throws(fn, { name: 'BadReceiptError' }, label)
  })
})
