import { constants } from 'node:fs'
import { open } from 'node:fs/promises'
import { AppenderClosedError, AppendPositionError, DirectIoUnavailableError, ShortWriteError } from './errors.js'
import type { FileHandle } from 'node:fs/promises'

/**
 * Appending a large file with O_DIRECT, so its bytes go from our memory to the disk without
 * passing through the page cache.
 *
 * Why: on the VM this runs on, buffered writes of new data cost the writer anywhere from
 * 0.2 to 2 ms of system time per MiB from one pass to the next (fresh page-cache pages on
 * guest memory the host has not backed yet), while O_DIRECT writes of the same data cost
 * 0.07-0.09 ms/MiB every time. A receiver writing a 1 GiB attachment spent most of its CPU
 * there (docs/benchmarks.md, "What limits the attachment pull").
 *
 * O_DIRECT needs the file offset, the length and the memory address of every write to be
 * multiples of the device's block size. So appended bytes are copied into staging buffers
 * carved out of a WebAssembly.Memory (whose backing store is mmap'd, hence page-aligned;
 * Node's own Buffers are malloc'd and are not), and whole aligned blocks are written from
 * there. Bytes that do not fill a block (the file's last few KiB, or what a sync() finds
 * pending) are written through an ordinary buffered descriptor of the same file and kept in
 * staging, so the next aligned write rewrites their block whole: the file never holds bytes
 * that were not appended (no padding to cut off afterwards, nothing to tidy after a crash).
 *
 * Where the file system refuses O_DIRECT (EINVAL on open, or on the first write: ramfs, some
 * FUSE and network file systems, memory the kernel finds misaligned) the appender says so once
 * through `onDirectIoRefused` and writes the same blocks through the buffered descriptor from
 * then on. Writes run in libuv's thread pool, one after another in file order, while the
 * caller goes on filling the next staging buffer: at most `stagingBuffers` are in use. The
 * staging memory (4 MiB by default) is allocated on the first append and freed with the
 * appender; V8 reserves a few GiB of address space (not memory) for each WebAssembly
 * memory, so appenders are for a few large files at a time, as the blob pulls are.
 */

/** Offsets, lengths and addresses of direct writes are multiples of this (covers 512-byte and 4 KiB-sector disks). */
export const DIRECT_IO_ALIGNMENT = 4096
/** Bytes per staging buffer, hence per write (one 1 MiB blob chunk). */
export const DEFAULT_STAGING_BYTES = 1024 * 1024
/** Staging buffers per appender: one being filled, the rest being written (the blob pull keeps 4 chunks in flight). */
export const DEFAULT_STAGING_BUFFERS = 4
const WASM_PAGE_BYTES = 64 * 1024

/** The one piece of the WebAssembly global used here (Node has it; this project's `lib` has no types for it). */
declare const WebAssembly: { Memory: new (descriptor: { initial: number, maximum?: number }) => { readonly buffer: ArrayBuffer } }

/** One file being appended to, from `position` on. Use it from one caller at a time (calls are queued in order anyway). */
export interface FileAppender {
  readonly path: string
  /** Bytes appended so far, counted from the file's start (where the next append goes). */
  readonly position: number
  /** Whether whole blocks still go through O_DIRECT (false once refused, or when turned off). */
  readonly direct: boolean
  /**
   * Copy `data` into staging and queue the writes of the blocks it fills. Resolves once
   * copied (the caller may reuse `data`), after waiting for a free staging buffer when all
   * are being written. Rejects with the error an earlier queued write failed with.
   */
  append(data: Uint8Array | readonly Uint8Array[]): Promise<void>
  /** Write everything appended so far (its unaligned end through the buffered descriptor) and fdatasync the file. */
  sync(): Promise<void>
  /** Wait for the queued writes and close the file. What sync() has not written is dropped. Idempotent. */
  close(): Promise<void>
}

export interface FileAppenderInit {
  /**
   * Where appending starts (default 0). The file must hold at least this many bytes; the
   * block that holds `position` is read back so it can be rewritten whole. Bytes past
   * `position` are overwritten as appends reach them, not cut off: truncate first.
   */
  position?: number
  /** Mode of a file created here (default 0o600). */
  mode?: number
  /** Try O_DIRECT (default true); false writes everything through the page cache. */
  directIo?: boolean
  /** Bytes per staging buffer (default DEFAULT_STAGING_BYTES, rounded up to DIRECT_IO_ALIGNMENT). */
  stagingBytes?: number
  /** Staging buffers (default DEFAULT_STAGING_BUFFERS, at least 1). */
  stagingBuffers?: number
  /**
   * Where staging memory comes from (default: a page-aligned WebAssembly.Memory). Memory
   * the kernel finds misaligned makes the first direct write fail with EINVAL, which is
   * handled as a refusal: tests use that to reach the fallback on any file system. An
   * allocation that throws is a refusal too (ordinary memory, buffered writes).
   */
  allocateStaging?(bytes: number): Uint8Array
  /** Told once per file when O_DIRECT is refused or unavailable, before falling back to buffered writes. */
  onDirectIoRefused?(path: string, err: Error): void
}

/** Page-aligned memory: WebAssembly memories are mmap'd, and so start on a page boundary. */
export function allocateAligned (bytes: number): Uint8Array {
  const pages = Math.ceil(bytes / WASM_PAGE_BYTES)
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages })
  return new Uint8Array(memory.buffer, 0, bytes)
}

/** The ways a file system or kernel says "not with O_DIRECT": only these turn a first write into a fallback. */
const REFUSAL_CODES = new Set(['EINVAL', 'EOPNOTSUPP', 'ENOTSUP'])
const isRefusal = (err: unknown): err is NodeJS.ErrnoException =>
  err instanceof Error && REFUSAL_CODES.has((err as NodeJS.ErrnoException).code ?? '')

/** Write `length` bytes of `buf` at `at`; after a short write the rest goes through `rest` (aligned or not). */
async function writeFully (handle: FileHandle, rest: FileHandle, path: string, buf: Uint8Array, length: number, at: number): Promise<void> {
  let done = 0
  let file = handle
  while (done < length) {
    const { bytesWritten } = await file.write(buf, done, length - done, at + done)
    if (bytesWritten <= 0) throw new ShortWriteError(path, length - done, at + done)
    done += bytesWritten
    // A short direct write leaves an unaligned remainder, which O_DIRECT would refuse.
    file = rest
  }
}

/**
 * Open `path` (created if missing, never truncated) to append from `init.position`.
 *
 * @example
 * const file = await openFileAppender(path, { position: 0, onDirectIoRefused: (p, err) => log('%s: buffered writes (%s)', p, err.message) })
 * for (const chunk of chunks) await file.append(chunk)
 * await file.sync()
 * await file.close()
 */
export async function openFileAppender (path: string, init: FileAppenderInit = {}): Promise<FileAppender> {
  const startAt = init.position ?? 0
  const stagingBytes = Math.max(DIRECT_IO_ALIGNMENT, Math.ceil((init.stagingBytes ?? DEFAULT_STAGING_BYTES) / DIRECT_IO_ALIGNMENT) * DIRECT_IO_ALIGNMENT)
  const stagingBuffers = Math.max(1, Math.floor(init.stagingBuffers ?? DEFAULT_STAGING_BUFFERS))
  const allocate = init.allocateStaging ?? allocateAligned

  // Read-write (the block under `position` is read back), created if missing, never truncated or O_APPEND: writes are positioned.
  const buffered = await open(path, constants.O_RDWR | constants.O_CREAT, init.mode ?? 0o600)
  let direct: FileHandle | undefined
  let directOff = init.directIo === false
  /** Set once a direct write went through: a later EINVAL is a real error, not a refusal. */
  let directWorked = false
  /** The buffer being filled, how much of it, and the (aligned) file offset of its first byte. */
  let current: Uint8Array | undefined
  let fill = 0
  let blockAt = startAt - (startAt % DIRECT_IO_ALIGNMENT)
  let position = startAt
  /** The last queued write; writes run one after another, in file order. */
  let writes: Promise<void> = Promise.resolve()
  let failure: Error | undefined
  let closed = false

  /** Stop writing directly, and say why (once: a file already written through the page cache has nothing more to say). */
  const refuse = async (err: Error): Promise<void> => {
    if (directOff) return
    const handle = direct
    direct = undefined
    directOff = true
    await handle?.close().catch(() => {})
    init.onDirectIoRefused?.(path, err)
  }

  /** Free staging buffers, and callers waiting for one. The memory is allocated on first use. */
  let free: Uint8Array[] | undefined
  const waiting: Array<() => void> = []
  const giveBack = (buf: Uint8Array): void => {
    free?.push(buf)
    waiting.shift()?.()
  }
  const take = async (): Promise<Uint8Array> => {
    if (free === undefined) {
      let memory: Uint8Array
      try {
        memory = allocate(stagingBytes * stagingBuffers)
      } catch (err) {
        // No aligned memory to be had (V8 reserves address space for each WebAssembly
        // memory, and bounds it): write through the page cache from ordinary memory.
        await refuse(err as Error)
        memory = new Uint8Array(stagingBytes * stagingBuffers)
      }
      free = Array.from({ length: stagingBuffers }, (_, i) => memory.subarray(i * stagingBytes, (i + 1) * stagingBytes))
    }
    // Bounded: every buffer not free is in a queued write, which gives it back when it ends.
    while (free.length === 0) await new Promise<void>(resolve => { waiting.push(resolve) })
    if (failure !== undefined) throw failure
    return free.pop()!
  }

  /** append, sync and close run one at a time, in call order. */
  let ops: Promise<unknown> = Promise.resolve()
  const serial = async <T>(step: () => Promise<T>): Promise<T> => {
    const run = ops.then(step)
    ops = run.catch(() => {})
    return await run
  }
  const assertUsable = (): void => {
    if (closed) throw new AppenderClosedError(path)
    if (failure !== undefined) throw failure
  }

  /** Write `length` (a multiple of the alignment) bytes of `buf` at `at`, directly while the file system takes it. */
  const writeBlock = async (buf: Uint8Array, length: number, at: number): Promise<void> => {
    if (direct !== undefined) {
      try {
        await writeFully(direct, buffered, path, buf, length, at)
        directWorked = true
        return
      } catch (err) {
        if (directWorked || !isRefusal(err)) throw err
        await refuse(err)
      }
    }
    await writeFully(buffered, buffered, path, buf, length, at)
  }
  const queueWrite = (buf: Uint8Array, length: number, at: number, recycle: boolean): void => {
    writes = writes.then(async () => {
      // After a failed write nothing more is written: the file would have a hole.
      if (failure === undefined) {
        try {
          await writeBlock(buf, length, at)
        } catch (err) {
          failure = err as Error
        }
      }
      if (recycle) giveBack(buf)
    })
  }

  try {
    const { size } = await buffered.stat()
    if (size < startAt) throw new AppendPositionError(path, startAt, size)
    if (init.directIo !== false) {
      if (constants.O_DIRECT === undefined) {
        await refuse(new DirectIoUnavailableError())
      } else {
        try {
          direct = await open(path, constants.O_WRONLY | constants.O_DIRECT)
        } catch (err) {
          if (!isRefusal(err)) throw err
          await refuse(err)
        }
      }
    }
    fill = startAt - blockAt
    if (fill > 0) {
      // The block under `position` is rewritten whole by the next aligned write: start with what it holds.
      current = await take()
      const { bytesRead } = await buffered.read(current, 0, fill, blockAt)
      if (bytesRead !== fill) throw new AppendPositionError(path, startAt, blockAt + bytesRead)
    }
  } catch (err) {
    await direct?.close().catch(() => {})
    await buffered.close()
    throw err
  }

  return {
    path,
    get position () { return position },
    get direct () { return !directOff },

    async append (data) {
      await serial(async () => {
        assertUsable()
        const parts = data instanceof Uint8Array ? [data] : data
        for (const part of parts) {
          let from = 0
          while (from < part.byteLength) {
            current ??= await take()
            const n = Math.min(part.byteLength - from, stagingBytes - fill)
            current.set(part.subarray(from, from + n), fill)
            fill += n
            from += n
            position += n
            if (fill === stagingBytes) {
              queueWrite(current, fill, blockAt, true)
              blockAt += fill
              current = undefined
              fill = 0
            }
          }
        }
      })
    },

    async sync () {
      await serial(async () => {
        assertUsable()
        try {
          if (current !== undefined && fill > 0) {
            const whole = fill - (fill % DIRECT_IO_ALIGNMENT)
            if (whole > 0) queueWrite(current, whole, blockAt, false)
            await writes
            if (failure !== undefined) throw failure
            if (whole < fill) await writeFully(buffered, buffered, path, current.subarray(whole, fill), fill - whole, blockAt + whole)
            // Keep the unaligned end staged at the start of the buffer: the next full block rewrites it.
            current.copyWithin(0, whole, fill)
            blockAt += whole
            fill -= whole
            if (fill === 0) {
              giveBack(current)
              current = undefined
            }
          } else {
            await writes
            if (failure !== undefined) throw failure
          }
          await buffered.datasync()
        } catch (err) {
          failure ??= err as Error
          throw err
        }
      })
    },

    async close () {
      if (closed) return
      closed = true
      await ops
      await writes
      await direct?.close().catch(() => {})
      direct = undefined
      await buffered.close()
    }
  }
}
