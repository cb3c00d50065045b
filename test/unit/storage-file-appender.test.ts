import { strict as assert } from 'node:assert'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { mkdir, mkdtemp, open, readFile, rm, statfs, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { after, before, describe, it } from 'node:test'
import { allocateAligned, DIRECT_IO_ALIGNMENT, openFileAppender } from '../../storage/file-appender.js'
import type { FileAppender, FileAppenderInit } from '../../storage/file-appender.js'

const MiB = 1024 * 1024
const TMPFS_MAGIC = 0x01021994
/** The sizes that sit on and around block and staging-buffer boundaries. */
const SIZES = [0, 1, 4095, 4096, 4097, MiB + 1, 3 * MiB + 5000]

/** Can a file in `dir` be opened with O_DIRECT at all (ext4, xfs, btrfs; tmpfs since Linux 6.6)? */
async function directIoWorks (dir: string): Promise<boolean> {
  const probe = join(dir, '.probe')
  await writeFile(probe, '')
  try {
    await (await open(probe, constants.O_WRONLY | constants.O_DIRECT)).close()
    return true
  } catch {
    return false
  } finally {
    await rm(probe, { force: true })
  }
}

/** Append `data` in pieces of `piece` bytes (odd, so pieces straddle blocks and buffers), then sync and close. */
async function writeThrough (file: FileAppender, data: Uint8Array, piece: number): Promise<void> {
  const start = file.position
  for (let at = 0; at < data.byteLength; at += piece) {
    // Some appends as several parts at once, the way a chunk arrives in pieces.
    const slice = data.subarray(at, at + piece)
    await file.append(slice.byteLength > 3 ? [slice.subarray(0, 3), slice.subarray(3)] : slice)
  }
  assert.equal(file.position, start + data.byteLength)
  await file.sync()
  await file.close()
}

/** Every size, written with `init`, reads back exactly; returns what each appender said about O_DIRECT. */
async function roundTrips (dir: string, init: FileAppenderInit = {}): Promise<{ direct: boolean[], refusals: string[] }> {
  const direct: boolean[] = []
  const refusals: string[] = []
  for (const size of SIZES) {
    for (const piece of [10_007, MiB]) {
      const data = randomBytes(size)
      const path = join(dir, `f-${size}-${piece}`)
      const file = await openFileAppender(path, { stagingBuffers: 2, ...init, onDirectIoRefused: (_, err) => { refusals.push((err as NodeJS.ErrnoException).code ?? err.message) } })
      await writeThrough(file, data, piece)
      direct.push(file.direct)
      assert.deepEqual(await readFile(path), data, `${size} bytes in pieces of ${piece}`)
      await rm(path)
    }
  }
  return { direct, refusals }
}

describe('file appender', () => {
  let dir: string
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'peerpost-appender-')) })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  it('writes whole blocks with O_DIRECT on the normal disk, and every size reads back', async t => {
    if (!await directIoWorks(dir)) {
      t.skip(`${dir} does not take O_DIRECT`)
      return
    }
    const { direct, refusals } = await roundTrips(dir)
    assert.deepEqual(refusals, [])
    assert.ok(direct.every(Boolean), 'every file written directly')
  })

  it('on tmpfs (/dev/shm) every size reads back, directly or through the fallback', async t => {
    const shm = await mkdtemp('/dev/shm/peerpost-appender-').catch(() => undefined)
    if (shm === undefined) {
      t.skip('no /dev/shm here')
      return
    }
    try {
      const works = await directIoWorks(shm)
      const { direct, refusals } = await roundTrips(shm)
      // tmpfs takes O_DIRECT since Linux 6.6 (it copies through its own pages); before, it refuses at open.
      assert.ok(direct.every(d => d === works))
      assert.equal(refusals.length, works ? 0 : direct.length, 'one refusal per file, never more')
      t.diagnostic(`tmpfs here ${works ? 'takes' : 'refuses'} O_DIRECT`)
    } finally {
      await rm(shm, { recursive: true, force: true })
    }
  })

  it('falls back to buffered writes when the first direct write is refused (misaligned memory), telling once per file', async t => {
    if (!await directIoWorks(dir) || (await statfs(dir)).type === TMPFS_MAGIC) {
      t.skip(`${dir} takes no O_DIRECT, or does not check alignment (tmpfs)`)
      return
    }
    // 8 bytes past a page boundary: no block device takes that address for O_DIRECT.
    const misaligned = (bytes: number): Uint8Array => allocateAligned(bytes + DIRECT_IO_ALIGNMENT).subarray(8, 8 + bytes)
    const { direct, refusals } = await roundTrips(dir, { allocateStaging: misaligned })
    // Files too small to fill a block never make a direct write, so nothing refuses them.
    const wroteBlocks = SIZES.flatMap(size => [size, size]).map(size => size >= DIRECT_IO_ALIGNMENT)
    assert.deepEqual(direct, wroteBlocks.map(w => !w))
    assert.deepEqual(refusals, wroteBlocks.filter(Boolean).map(() => 'EINVAL'))
  })

  it('falls back when no aligned memory can be had (the allocation throws)', async () => {
    const { direct, refusals } = await roundTrips(dir, { allocateStaging: () => { throw new RangeError('WebAssembly.Memory(): could not allocate memory') } })
    // Only files that append anything allocate staging memory.
    const appends = SIZES.flatMap(size => [size, size]).map(size => size > 0)
    assert.deepEqual(direct, appends.map(a => !a))
    assert.deepEqual(refusals, appends.filter(Boolean).map(() => 'WebAssembly.Memory(): could not allocate memory'))
  })

  it('falls back when the file system refuses O_DIRECT at open (ramfs)', async t => {
    const mountPoint = join(dir, 'ramfs')
    await mkdir(mountPoint)
    try {
      await promisify(execFile)('mount', ['-t', 'ramfs', 'ramfs', mountPoint])
    } catch (err) {
      t.skip(`cannot mount a ramfs here (needs root): ${(err as Error).message.split('\n')[0] ?? ''}`)
      return
    }
    try {
      const { direct, refusals } = await roundTrips(mountPoint)
      assert.ok(direct.every(d => !d))
      assert.deepEqual(refusals, direct.map(() => 'EINVAL'))
    } finally {
      await promisify(execFile)('umount', [mountPoint])
    }
  })

  it('directIo: false writes through the page cache without trying', async () => {
    const { direct, refusals } = await roundTrips(dir, { directIo: false })
    assert.ok(direct.every(d => !d))
    assert.deepEqual(refusals, [])
  })

  it('resumes a file at an unaligned position after a partial write, and refuses a position past its end', async () => {
    for (const directIo of [true, false]) {
      const data = randomBytes(2 * MiB + 12_345)
      const path = join(dir, `resume-${String(directIo)}`)
      const synced = MiB + 4097
      let file = await openFileAppender(path, { directIo, stagingBuffers: 2 })
      await file.append(data.subarray(0, synced))
      await file.sync()
      // Written but never synced, then a crash: what the record knows is `synced` bytes, and
      // the bytes past it (some written, some only staged) are cut off before resuming.
      await file.append(data.subarray(synced, 2 * MiB + 100))
      await file.close()
      await writeFile(path, randomBytes(3000), { flag: 'a' })
      await truncate(path, synced)

      file = await openFileAppender(path, { directIo, position: synced, stagingBuffers: 2 })
      assert.equal(file.position, synced)
      await writeThrough(file, data.subarray(synced), 77_777)
      assert.deepEqual(await readFile(path), data, `directIo ${String(directIo)}`)

      await assert.rejects(openFileAppender(path, { directIo, position: data.byteLength + 1 }), { name: 'AppendPositionError' })
    }
  })

  it('syncs in the middle at unaligned points and goes on appending (the unaligned end is rewritten whole)', async () => {
    for (const directIo of [true, false]) {
      const data = randomBytes(3 * MiB + 777)
      const path = join(dir, `midsync-${String(directIo)}`)
      const file = await openFileAppender(path, { directIo, stagingBuffers: 2 })
      // Chunk sizes a sender may choose (4 KiB..4 MiB, any byte count), synced after each.
      let at = 0
      for (const piece of [65_537, 4097, 1, 4095, MiB + 3, 500_000]) {
        await file.append(data.subarray(at, at + piece))
        at += piece
        await file.sync()
        assert.deepEqual(await readFile(path), data.subarray(0, at), `durable after sync at ${at}`)
      }
      await writeThrough(file, data.subarray(at), 123_457)
      assert.deepEqual(await readFile(path), data, `directIo ${String(directIo)}`)
    }
  })

  it('appends made without waiting land in call order; a closed appender refuses more', async () => {
    const data = randomBytes(3 * MiB + 99)
    const path = join(dir, 'unawaited')
    const file = await openFileAppender(path, { stagingBuffers: 2 })
    const pending: Array<Promise<void>> = []
    for (let at = 0; at < data.byteLength; at += 300_001) pending.push(file.append(data.subarray(at, at + 300_001)))
    await Promise.all(pending)
    await file.sync()
    await file.close()
    await file.close()
    assert.deepEqual(await readFile(path), data)
    await assert.rejects(file.append(new Uint8Array(1)), { name: 'AppenderClosedError' })
    await assert.rejects(file.sync(), { name: 'AppenderClosedError' })
  })

  it('a write the device fails (/dev/full) fails the next append or sync with its error, and nothing after it is written', async t => {
    const refusals: string[] = []
    const file = await openFileAppender('/dev/full', { stagingBytes: 64 * 1024, stagingBuffers: 2, onDirectIoRefused: (_, err) => { refusals.push((err as NodeJS.ErrnoException).code ?? '') } }).catch(() => undefined)
    if (file === undefined) {
      t.skip('no /dev/full here')
      return
    }
    try {
      // /dev/full refuses O_DIRECT at open, then every write with ENOSPC.
      assert.deepEqual(refusals, ['EINVAL'])
      let failed: unknown
      try {
        for (let i = 0; i < 10; i++) await file.append(new Uint8Array(64 * 1024))
        await file.sync()
      } catch (err) {
        failed = err
      }
      assert.equal((failed as NodeJS.ErrnoException | undefined)?.code, 'ENOSPC')
      await assert.rejects(file.sync(), { code: 'ENOSPC' })
    } finally {
      await file.close()
    }
  })
})
