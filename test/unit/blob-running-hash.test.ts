import { strict as assert } from 'node:assert'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { openRunningHash } from '../../storage/running-hash.js'

const MiB = 1024 * 1024
const sha = (...parts: Uint8Array[]): string => { const h = createHash('sha256'); for (const p of parts) h.update(p); return h.digest('hex') }
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

describe('the running whole-file sha256 of a download', () => {
  let dir: string
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'peerpost-hash-')) })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  it('starts with the file\'s prefix (a resume), then adds pieces in order; digest() does not end it', async () => {
    const prefix = randomBytes(3 * MiB + 17)
    const path = join(dir, 'prefix')
    await writeFile(path, Buffer.concat([prefix, randomBytes(100)])) // bytes past the prefix are not hashed
    const hash = await openRunningHash(path, prefix.byteLength)
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
})
