import { strict as assert } from 'node:assert'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { HASH_RING_BYTES, mainThreadHash, workerHash } from '../../storage/running-hash.js'

const MiB = 1024 * 1024
const sha = (...parts: Uint8Array[]): string => { const h = createHash('sha256'); for (const p of parts) h.update(p); return h.digest('hex') }
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

describe('the running whole-file sha256 of a download', () => {
  let dir: string
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'peerpost-hash-')) })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  for (const [name, start] of [['in a worker thread', async (path: string, n: number) => workerHash(path, n)], ['on the main thread', mainThreadHash]] as const) {
    it(`${name}: starts with the file's prefix (a resume), then adds pieces in order; digest() does not end it`, async () => {
      const prefix = randomBytes(3 * MiB + 17)
      const path = join(dir, `prefix-${name.length}`)
      await writeFile(path, Buffer.concat([prefix, randomBytes(100)])) // bytes past the prefix are not hashed
      const hash = await start(path, prefix.byteLength)
      try {
        const a = randomBytes(MiB)
        const b = [randomBytes(65_536), randomBytes(5)]
        const expectA = sha(prefix, a)
        await hash.update([a])
        assert.equal(hex(await hash.digest()), expectA)
        await hash.update(b)
        assert.equal(hex(await hash.digest()), sha(prefix, a, ...b))
      } finally {
        await hash.close()
      }
    })
  }

  it('through a ring smaller than the pieces, wrapping at odd offsets: the same hash, and the caller keeps its pieces', async () => {
    const ring = 64 * 1024
    const hash = workerHash(join(dir, 'none'), 0, ring)
    const h = createHash('sha256')
    try {
      // Odd sizes walk the ring's wrap point around; one piece is larger than the whole ring.
      for (const size of [1, 4095, ring - 7, 3 * ring + 11, 65_537, 12_345, ring, 0, 99]) {
        const piece = new Uint8Array(randomBytes(size))
        const copy = new Uint8Array(piece)
        h.update(piece)
        await hash.update([piece, piece.subarray(0, 3)])
        h.update(piece.subarray(0, 3))
        assert.deepEqual(piece, copy, 'the caller keeps its piece as it was')
      }
      assert.equal(hex(await hash.digest()), h.digest('hex'))
    } finally {
      await hash.close()
    }
  })

  it(`${2 * HASH_RING_BYTES / MiB} MiB handed over faster than hashed: update waits for room, nothing is lost`, async () => {
    const hash = workerHash(join(dir, 'none'), 0)
    const h = createHash('sha256')
    try {
      const piece = new Uint8Array(randomBytes(MiB))
      for (let i = 0; i < (2 * HASH_RING_BYTES) / MiB; i++) {
        piece[0] = i
        h.update(piece)
        await hash.update([piece])
      }
      assert.equal(hex(await hash.digest()), h.digest('hex'))
    } finally {
      await hash.close()
    }
  })

  it('HashWorkerError when the prefix cannot be read, and after close', async () => {
    const missing = workerHash(join(dir, 'no-such-file'), 100)
    await assert.rejects(missing.digest(), { name: 'HashWorkerError' })
    await missing.close()
    await assert.rejects(missing.update([new Uint8Array(1)]), { name: 'HashWorkerError' })
    await assert.rejects(missing.digest(), { name: 'HashWorkerError' })
  })
})
