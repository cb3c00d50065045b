import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import nacl from 'tweetnacl'
import { boxBeforeNm, boxOpen, boxPublicKeyFromSecret, boxSeal, generateBoxKeyPair } from '../../node/crypto/index.js'

const plaintext = new TextEncoder().encode('Subject: hi\r\n\r\nsealed with native X25519, opened by tweetnacl\r\n')

describe('NaCl box with native X25519', () => {
  it('derives the same public key as tweetnacl from a native secret key', () => {
    const keys = generateBoxKeyPair()
    assert.equal(keys.publicKey.byteLength, 32)
    assert.equal(keys.secretKey.byteLength, 32)
    assert.deepEqual(nacl.box.keyPair.fromSecretKey(keys.secretKey).publicKey, keys.publicKey)
    assert.deepEqual(boxPublicKeyFromSecret(keys.secretKey), keys.publicKey)
  })

  it('computes crypto_box_beforenm exactly like nacl.box.before', () => {
    const alice = generateBoxKeyPair()
    const bob = nacl.box.keyPair()
    assert.deepEqual(boxBeforeNm(bob.publicKey, alice.secretKey), nacl.box.before(bob.publicKey, alice.secretKey))
    assert.deepEqual(boxBeforeNm(alice.publicKey, bob.secretKey), nacl.box.before(alice.publicKey, bob.secretKey))
  })

  it('produces ciphertext byte-identical to nacl.box for the same keys and nonce', () => {
    const sender = generateBoxKeyPair()
    const recipient = generateBoxKeyPair()
    const nonce = nacl.randomBytes(24)
    const ours = nacl.secretbox(plaintext, nonce, boxBeforeNm(recipient.publicKey, sender.secretKey))
    const theirs = nacl.box(plaintext, nonce, recipient.publicKey, sender.secretKey)
    assert.deepEqual(ours, theirs)
  })

  it('boxSeal output opens with nacl.box.open, and nacl.box output opens with boxOpen', () => {
    const recipient = nacl.box.keyPair()
    const sealed = boxSeal(plaintext, recipient.publicKey)
    assert.equal(sealed.nonce.byteLength, 24)
    assert.equal(sealed.ephemeralPublicKey.byteLength, 32)
    assert.deepEqual(nacl.box.open(sealed.ciphertext, sealed.nonce, sealed.ephemeralPublicKey, recipient.secretKey), plaintext)
    assert.deepEqual(boxOpen(sealed, recipient.secretKey), plaintext)

    const ephemeral = nacl.box.keyPair()
    const nonce = nacl.randomBytes(24)
    const ciphertext = nacl.box(plaintext, nonce, recipient.publicKey, ephemeral.secretKey)
    assert.deepEqual(boxOpen({ ephemeralPublicKey: ephemeral.publicKey, nonce, ciphertext }, recipient.secretKey), plaintext)
  })

  it('uses a fresh ephemeral key and nonce for every seal', () => {
    const recipient = generateBoxKeyPair()
    const a = boxSeal(plaintext, recipient.publicKey)
    const b = boxSeal(plaintext, recipient.publicKey)
    assert.notDeepEqual(a.ephemeralPublicKey, b.ephemeralPublicKey)
    assert.notDeepEqual(a.nonce, b.nonce)
    assert.notDeepEqual(a.ciphertext, b.ciphertext)
  })

  it('throws DecryptionFailedError for a tampered byte, another key, or bad sizes', () => {
    const recipient = generateBoxKeyPair()
    const sealed = boxSeal(plaintext, recipient.publicKey)
    for (let i = 0; i < sealed.ciphertext.byteLength; i += 7) {
      const ciphertext = new Uint8Array(sealed.ciphertext)
      ciphertext[i] = (ciphertext[i] ?? 0) ^ 0x80
      assert.throws(() => boxOpen({ ...sealed, ciphertext }, recipient.secretKey), { name: 'DecryptionFailedError' })
    }
    assert.throws(() => boxOpen(sealed, generateBoxKeyPair().secretKey), { name: 'DecryptionFailedError' })
    assert.throws(() => boxOpen({ ...sealed, nonce: sealed.nonce.subarray(1) }, recipient.secretKey), { name: 'DecryptionFailedError' })
    assert.throws(() => boxOpen({ ...sealed, ciphertext: sealed.ciphertext.subarray(0, 15) }, recipient.secretKey), { name: 'DecryptionFailedError' })
    // A low-order ephemeral point makes the shared secret all zero; OpenSSL refuses it.
    assert.throws(() => boxOpen({ ...sealed, ephemeralPublicKey: new Uint8Array(32) }, recipient.secretKey), { name: 'DecryptionFailedError' })
  })

  it('refuses to seal to a key of the wrong size or a low-order point', () => {
    assert.throws(() => boxSeal(plaintext, new Uint8Array(31)), { name: 'InvalidCardError' })
    assert.throws(() => boxSeal(plaintext, new Uint8Array(32)), { name: 'InvalidCardError' })
  })
})
