import assert from 'node:assert/strict'
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { makeDirs } from '../../storage/make-dirs.js'

/** Rejects with `code`, or fails the test once `ms` pass (what it guards against is a hang). */
async function rejectsWithin (ms: number, work: Promise<unknown>, code: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error(`still running after ${ms} ms`)) }, ms) })
  try {
    await assert.rejects(Promise.race([work, deadline]), (err: NodeJS.ErrnoException) => err.code === code)
  } finally {
    clearTimeout(timer)
  }
}

describe('makeDirs', () => {
  let dir: string
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'pp-make-dirs-')) })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  it('makes every missing level with the mode asked for, and is a no-op when the folder is there', async () => {
    const deep = join(dir, 'a', 'b', 'c')
    await makeDirs(deep, 0o700)
    for (const level of [join(dir, 'a'), join(dir, 'a', 'b'), deep]) {
      const s = await stat(level)
      assert.ok(s.isDirectory(), level)
      assert.equal(s.mode & 0o777, 0o700, level)
    }
    await makeDirs(deep)
  })

  it('a file in the way is ENOTDIR, and nothing is made under it', async () => {
    await writeFile(join(dir, 'file'), 'x')
    await assert.rejects(makeDirs(join(dir, 'file', 'sub')), (err: NodeJS.ErrnoException) => err.code === 'ENOTDIR')
    await assert.rejects(makeDirs(join(dir, 'file')), (err: NodeJS.ErrnoException) => err.code === 'ENOTDIR')
  })

  it('a folder under /proc is refused with an error instead of never returning (as mkdir recursive does)', { skip: process.platform !== 'linux' }, async () => {
    await rejectsWithin(10_000, makeDirs('/proc/peerpost-no-such/saved'), 'ENOENT')
  })
})
