import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { DEFAULT_STAMP_BITS, envelopeStampBits, mintStamp, restampEnvelope, stampBits } from '../../node/crypto/index.js'
import { SealedEnvelope } from '../../node/protocol/peerpost.js'

const envelope = (): SealedEnvelope => ({
  recipient: new Uint8Array(randomBytes(38)),
  envelopeId: new Uint8Array(randomBytes(16)),
  ephemeralPublicKey: new Uint8Array(randomBytes(32)),
  nonce: new Uint8Array(randomBytes(24)),
  ciphertext: new Uint8Array(randomBytes(200)),
  stamp: new Uint8Array(0)
})

describe('proof-of-work stamps', () => {
  it('mints a stamp of the asked bits that checks, bound to this envelope', () => {
    const e = envelope()
    e.stamp = mintStamp(e, 12)
    assert.ok(stampBits(e) >= 12)
    assert.ok(envelopeStampBits(SealedEnvelope.encode(e)) >= 12)
    // The same stamp on another envelope (or other content) proves nothing.
    const other = { ...envelope(), stamp: e.stamp }
    const changed = { ...e, ciphertext: new Uint8Array(randomBytes(200)) }
    const averageBits = (stampBits(other) + stampBits(changed)) / 2
    assert.ok(averageBits < 12)
  })

  it('reads a missing, short or undecodable stamp as 0 bits', () => {
    assert.equal(stampBits(envelope()), 0)
    assert.equal(stampBits({ ...envelope(), stamp: new Uint8Array(3) }), 0)
    assert.equal(envelopeStampBits(new Uint8Array([0xff, 0xff])), 0)
  })

  it('refuses absurd difficulties instead of searching for ever', () => {
    assert.throws(() => mintStamp(envelope(), 99), RangeError)
    assert.throws(() => mintStamp(envelope(), -1), RangeError)
    assert.ok(DEFAULT_STAMP_BITS > 0)
  })

  it('restamps an encoded envelope: the same fields with a stamp outside them', () => {
    const e = envelope()
    const bytes = SealedEnvelope.encode(e)
    assert.equal(envelopeStampBits(bytes), 0)
    const stamped = restampEnvelope(bytes, DEFAULT_STAMP_BITS)
    assert.ok(envelopeStampBits(stamped) >= DEFAULT_STAMP_BITS)
    assert.deepEqual({ ...SealedEnvelope.decode(stamped), stamp: new Uint8Array(0) }, e)
  })
})
