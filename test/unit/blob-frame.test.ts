import { strict as assert } from 'node:assert'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { Uint8ArrayList } from 'uint8arraylist'
import { chunkFrame, decodeChunkFrame } from '../../node/protocol/blob.js'
import type { ChunkFrame } from '../../node/protocol/blob.js'
import { openChunkParts, sealChunk } from '../../storage/blob-crypto.js'
import { BlobChunk } from '../../node/protocol/peerpost.js'

describe('blob chunk frames', () => {
  for (const size of [0, 1, 127, 128, 16_384, 1024 * 1024 + 16]) {
    it(`a frame built without copying a ${size}-byte chunk decodes like the codec's own`, () => {
      const blobId = new Uint8Array(randomBytes(16))
      const data = new Uint8Array(randomBytes(size))
      for (const [index, last] of [[0, false], [300, true]] as const) {
        const decoded = BlobChunk.decode(chunkFrame(blobId, index, data, last).subarray())
        assert.deepEqual(decoded, BlobChunk.decode(BlobChunk.encode({ blobId, index, data, last })))
        assert.deepEqual(decoded.data, data)
      }
    })
  }
})

describe('chunk frames decoded in the pieces they arrived in', () => {
  const split = (bytes: Uint8Array, piece: number): Uint8ArrayList => {
    const list = new Uint8ArrayList()
    for (let at = 0; at < bytes.byteLength; at += piece) list.append(bytes.subarray(at, at + piece))
    return list
  }

  for (const [piece, cipher] of [[1, 0], [7, 1], [65_536, 0], [65_536, 1]] as const) {
    it(`decodes like the codec, and opens (cipher ${cipher}), with the frame cut into ${piece}-byte pieces`, () => {
      const blobId = new Uint8Array(randomBytes(16))
      const key = new Uint8Array(randomBytes(32))
      const plain = new Uint8Array(randomBytes(piece === 1 ? 300 : 200_000))
      const sealed = Buffer.concat(sealChunk(cipher, key, blobId, 9, plain))
      const frame = chunkFrame(blobId, 9, sealed, true).subarray()
      const { chunk, data } = decodeChunkFrame(split(frame, piece))
      const whole = BlobChunk.decode(frame)
      assert.deepEqual({ ...chunk, data: whole.data }, whole)
      assert.deepEqual(Buffer.from(data.subarray()), sealed)
      assert.deepEqual(Buffer.concat(openChunkParts(cipher, key, blobId, 9, data)), Buffer.from(plain))
      // A flipped bit anywhere in the pieces fails authentication.
      const bad = Buffer.from(frame)
      bad.writeUInt8(bad.readUInt8(bad.byteLength - 20) ^ 1, bad.byteLength - 20)
      assert.throws(() => openChunkParts(cipher, key, blobId, 9, decodeChunkFrame(split(bad, piece)).data), { name: 'ChunkVerificationError' })
    })
  }

  it('decodes frames without data (refusals, the answer to done) and rejects truncated ones', () => {
    const blobId = new Uint8Array(randomBytes(16))
    const done = BlobChunk.encode({ blobId, done: true })
    assert.deepEqual(decodeChunkFrame(split(done, 3)).chunk, BlobChunk.decode(done))
    assert.equal(decodeChunkFrame(split(done, 3)).data.byteLength, 0)
    const frame = chunkFrame(blobId, 1, new Uint8Array(100), false).subarray()
    assert.throws(() => decodeChunkFrame(split(frame.subarray(0, frame.byteLength - 1), 10)), RangeError)
  })

  it('on mutated frames it accepts only what the codec reads the same way (it may refuse more: groups)', () => {
    const blobId = new Uint8Array(randomBytes(16))
    const frame = chunkFrame(blobId, 5, new Uint8Array(randomBytes(40)), false).subarray()
    let accepted = 0
    for (let i = 0; i < 2000; i++) {
      const bad = Buffer.from(frame)
      const at = i % bad.byteLength
      bad.writeUInt8((bad.readUInt8(at) + 1 + (i % 255)) % 256, at)
      let expected: BlobChunk | undefined
      try { expected = BlobChunk.decode(new Uint8Array(bad)) } catch { expected = undefined }
      let got: ChunkFrame | undefined
      try { got = decodeChunkFrame(split(bad, 5)) } catch { got = undefined }
      if (got === undefined) continue
      accepted++
      assert.ok(expected !== undefined, `mutation ${i}: accepted what the codec refuses`)
      {
        assert.deepEqual({ ...got.chunk, data: expected.data }, expected)
        assert.deepEqual(Buffer.from(got.data.subarray()), Buffer.from(expected.data))
      }
    }
    assert.ok(accepted > 100 && accepted < 2000, `${accepted} accepted`)
  })
})

