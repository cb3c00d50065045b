import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { defaultCrypto } from '@chainsafe/libp2p-noise/crypto'
import { Uint8ArrayList } from 'uint8arraylist'
import { noiseCrypto } from '../../node/noise-crypto.js'

/** What the package's functions take: its own copy of uint8arraylist, the same class as ours at run time. */
type FrameInput = Parameters<typeof noiseCrypto.chaCha20Poly1305Encrypt>[0]
const bytes = (b: Uint8Array | { subarray(): Uint8Array }): Buffer => Buffer.from(b instanceof Uint8Array ? b : b.subarray())
const nonce = (n: number): Uint8Array => { const b = Buffer.alloc(12); b.writeUInt32LE(n, 4); return b }

describe('Noise crypto with session keys imported once', () => {
  // Below and above the size where the package switches from its WASM code to node:crypto, and a full Noise frame.
  const sizes = [0, 100, 1199, 1200, 4096, 65519]

  it('seals exactly what the package\'s own crypto seals, from bytes or byte lists, and opens what it seals', () => {
    const k = randomBytes(32)
    const ad = randomBytes(32)
    for (const size of sizes) {
      const plain = randomBytes(size)
      const list = new Uint8ArrayList(plain.subarray(0, size >> 1), plain.subarray(size >> 1)) as unknown as FrameInput
      for (const input of [plain, list]) {
        const ours = bytes(noiseCrypto.chaCha20Poly1305Encrypt(input, nonce(size), ad, k))
        const theirs = bytes(defaultCrypto.chaCha20Poly1305Encrypt(input, nonce(size), ad, k))
        assert.deepEqual(ours, theirs, `${size} bytes`)
        assert.deepEqual(bytes(noiseCrypto.chaCha20Poly1305Decrypt(theirs, nonce(size), ad, k)), plain)
        assert.deepEqual(bytes(defaultCrypto.chaCha20Poly1305Decrypt(ours, nonce(size), ad, k)), plain)
      }
    }
  })

  it('refuses a frame under another key, nonce or tag, as the package does', () => {
    const k = randomBytes(32)
    const sealed = bytes(noiseCrypto.chaCha20Poly1305Encrypt(randomBytes(4096), nonce(1), new Uint8Array(0), k))
    assert.throws(() => noiseCrypto.chaCha20Poly1305Decrypt(sealed, nonce(1), new Uint8Array(0), randomBytes(32)))
    assert.throws(() => noiseCrypto.chaCha20Poly1305Decrypt(sealed, nonce(2), new Uint8Array(0), k))
    sealed.writeUInt8(sealed.readUInt8(sealed.length - 1) ^ 1, sealed.length - 1)
    assert.throws(() => noiseCrypto.chaCha20Poly1305Decrypt(sealed, nonce(1), new Uint8Array(0), k))
  })

  it('uses a key array\'s current bytes: one changed in place is not sealed under its old key', () => {
    const k = new Uint8Array(randomBytes(32))
    const plain = randomBytes(4096)
    const before = bytes(noiseCrypto.chaCha20Poly1305Encrypt(plain, nonce(0), new Uint8Array(0), k))
    k.set([k[0]! ^ 0xff], 0)
    const after = bytes(noiseCrypto.chaCha20Poly1305Encrypt(plain, nonce(0), new Uint8Array(0), k))
    assert.notDeepEqual(after, before)
    assert.deepEqual(after, bytes(defaultCrypto.chaCha20Poly1305Encrypt(plain, nonce(0), new Uint8Array(0), k)))
  })
})
