import { strict as assert } from 'node:assert'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { MAX_UNHASHED_BYTES, mainThreadHash, workerHash } from '../../storage/running-hash.js'

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
        await hash.update([a], false)
        assert.equal(hex(await hash.digest()), expectA)
        await hash.update(b, false)
        assert.equal(hex(await hash.digest()), sha(prefix, a, ...b))
      } finally {
        await hash.close()
      }
    })
  }

  it('handed-over pieces that are whole buffers are moved (detached here), anything else is copied and left as it was', async () => {
    const hash = workerHash(join(dir, 'none'), 0)
    try {
      const whole = new Uint8Array(randomBytes(MiB))
      const copyOfWhole = new Uint8Array(whole)
      const big = randomBytes(2 * MiB)
      const slice = big.subarray(MiB)
      await hash.update([whole, slice], true)
      assert.equal(whole.byteLength, 0, 'a whole buffer handed over is moved to the worker')
      assert.equal(big.byteLength, 2 * MiB, 'a view into a larger buffer is copied')
      const kept = new Uint8Array(randomBytes(1000))
      await hash.update([kept], false)
      assert.equal(kept.byteLength, 1000, 'not handed over: copied')
      assert.equal(hex(await hash.digest()), sha(copyOfWhole, slice, kept))
    } finally {
      await hash.close()
    }
  })

  it('many MiB faster than they are hashed stay bounded: update waits for room', async () => {
    const hash = workerHash(join(dir, 'none'), 0)
    const h = createHash('sha256')
    try {
      for (let i = 0; i < (2 * MAX_UNHASHED_BYTES) / MiB; i++) {
        const piece = new Uint8Array(randomBytes(MiB))
        h.update(piece)
        await hash.update([piece], true)
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
    await assert.rejects(missing.update([new Uint8Array(1)], false), { name: 'HashWorkerError' })
    await assert.rejects(missing.digest(), { name: 'HashWorkerError' })
  })
})
