import { strict as assert } from 'node:assert'
import { createCipheriv, randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { releaseBuffers } from '../../storage/buffer-release.js'

describe('releaseBuffers', () => {
  it('detaches buffers that own their whole memory (cipher output) and leaves every other view as it was', () => {
    const cipher = createCipheriv('aes-256-gcm', randomBytes(32), randomBytes(12))
    const output = cipher.update(randomBytes(64 * 1024))
    const big = randomBytes(4096 * 4)
    const part = big.subarray(4096)
    const pooled = Buffer.from('small, from the pool')
    const shared = new Uint8Array(new SharedArrayBuffer(16))
    releaseBuffers([output, part, pooled, shared, new Uint8Array(0)])
    assert.equal(output.byteLength, 0, 'freed')
    assert.equal(part.byteLength, 4096 * 3)
    assert.equal(big.byteLength, 4096 * 4)
    assert.equal(pooled.toString(), 'small, from the pool')
    assert.equal(shared.byteLength, 16)
  })
})
