import { strict as assert } from 'node:assert'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { chunkFrame } from '../../node/protocol/blob.js'
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
