import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import nacl from 'tweetnacl'
import { generateKeyPair, generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { ed25519Signer, ed25519SignerFromSeed, verifyEd25519 } from '../../node/crypto/index.js'

const message = new TextEncoder().encode('peerpost: the same bytes whichever library signs')

describe('native Ed25519', () => {
  it('makes the same signature as tweetnacl for the same key, and each verifies the other', () => {
    const seed = crypto.getRandomValues(new Uint8Array(32))
    const naclKeys = nacl.sign.keyPair.fromSeed(seed)
    const signer = ed25519SignerFromSeed(seed)
    assert.deepEqual(signer.publicKey, naclKeys.publicKey)

    const native = signer.sign(message)
    const js = nacl.sign.detached(message, naclKeys.secretKey)
    assert.deepEqual(native, js)
    assert.equal(nacl.sign.detached.verify(message, native, naclKeys.publicKey), true)
    assert.equal(verifyEd25519(naclKeys.publicKey, message, js), true)
  })

  it('signs with a libp2p private key exactly as libp2p does', async () => {
    const key = await generateKeyPair('Ed25519')
    const signer = ed25519Signer(key)
    assert.deepEqual(signer.publicKey, key.publicKey.raw)
    const ours = signer.sign(message)
    assert.deepEqual(ours, new Uint8Array(await key.sign(message)))
    assert.equal(await key.publicKey.verify(message, ours), true)
  })

  it('refuses a libp2p key whose seed does not match its public half', async () => {
    const a = await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(1))
    const b = await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(2))
    const mixed = { ...a, type: 'Ed25519' as const, raw: new Uint8Array([...a.raw.subarray(0, 32), ...b.publicKey.raw]), publicKey: a.publicKey }
    assert.throws(() => ed25519Signer(mixed as unknown as typeof a), { name: 'InvalidKeyMaterialError' })
  })

  it('returns false, never throws, for a bad signature, key or input', () => {
    const signer = ed25519SignerFromSeed(new Uint8Array(32).fill(7))
    const sig = signer.sign(message)
    const flipped = new Uint8Array(sig)
    flipped[10] = (flipped[10] ?? 0) ^ 1
    assert.equal(verifyEd25519(signer.publicKey, message, flipped), false)
    assert.equal(verifyEd25519(signer.publicKey, new Uint8Array([...message, 0]), sig), false)
    assert.equal(verifyEd25519(signer.publicKey, message, sig.subarray(0, 63)), false)
    assert.equal(verifyEd25519(signer.publicKey.subarray(0, 31), message, sig), false)
    assert.equal(verifyEd25519(new Uint8Array(32).fill(0xff), message, sig), false)
    assert.equal(verifyEd25519(new Uint8Array(32), message, new Uint8Array(64)), false)
    assert.equal(verifyEd25519(undefined as unknown as Uint8Array, message, sig), false)
    assert.equal(verifyEd25519(signer.publicKey, 'text' as unknown as Uint8Array, sig), false)
    assert.equal(verifyEd25519(signer.publicKey, message, sig), true)
  })
})
