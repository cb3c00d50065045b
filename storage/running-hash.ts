import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { Worker } from 'node:worker_threads'
import { HashWorkerError } from './blob-errors.js'

/**
 * The whole-file sha256 a download keeps while its chunks arrive. It runs in a worker
 * thread, so the puller's main thread (which opens the chunks, drives the stream and is
 * the limit of a pull: docs/benchmarks.md) does not spend its ~0.5 ms per MiB on it; the
 * pieces are moved to the worker (transferred, not copied), so handing them over costs a
 * message per chunk. `mainThreadHash` is the same thing inline, for small files and
 * for comparison.
 */
export interface RunningHash {
  /**
   * Add `pieces` (in file order). With `handOver` the pieces are the caller's to give away:
   * a piece that is a whole ArrayBuffer is moved to the worker and detached here, so the
   * caller must not touch it again; anything else is copied.
   */
  update(pieces: readonly Uint8Array[], handOver: boolean): Promise<void>
  /** sha256 of everything added so far (the hash goes on). Throws HashWorkerError if the worker failed. */
  digest(): Promise<Uint8Array>
  /** Stop (the worker's thread ends). Idempotent. */
  close(): Promise<void>
}

/** Bytes handed to the worker and not yet hashed before update() waits: bounds what the worker holds. */
export const MAX_UNHASHED_BYTES = 8 * 1024 * 1024

/** What the worker is started with. */
export interface HashWorkerData { path?: string, prefixLength: number }
export type HashRequest = { type: 'update', pieces: Uint8Array[] } | { type: 'digest', id: number }
export type HashReply = { type: 'hashed', bytes: number } | { type: 'digest', id: number, digest?: Uint8Array, error?: string }

const WORKER_URL = new URL('./hash-worker.js', import.meta.url)

/** Hash `pieces` in this thread: the first `prefixLength` bytes of `path` first. */
export async function mainThreadHash (path: string, prefixLength: number): Promise<RunningHash> {
  const hash = createHash('sha256')
  if (prefixLength > 0) {
    for await (const piece of createReadStream(path, { start: 0, end: prefixLength - 1, highWaterMark: 1024 * 1024 })) hash.update(piece as Buffer)
  }
  return {
    async update (pieces) { for (const piece of pieces) hash.update(piece) },
    async digest () { return new Uint8Array(hash.copy().digest()) },
    async close () {}
  }
}

/**
 * A running sha256 in a worker thread that starts with the first `prefixLength` bytes of
 * `path` (read and hashed by the worker: a resume's prefix costs this thread nothing).
 *
 * @example
 * const hash = workerHash(partialPath, record.bytesDone)
 * await hash.update(plaintextPieces, true)
 * const sha256 = await hash.digest()
 * await hash.close()
 */
export function workerHash (path: string, prefixLength: number): RunningHash {
  const data: HashWorkerData = { path, prefixLength }
  // A small heap: the worker only hashes what it is given and detaches it.
  const worker = new Worker(WORKER_URL, { workerData: data, resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 2 } })
  let unhashed = 0
  let roomWaiters: Array<() => void> = []
  let nextId = 0
  const digests = new Map<number, { resolve: (d: Uint8Array) => void, reject: (err: Error) => void }>()
  let failure: Error | undefined
  let closed = false

  const fail = (err: Error): void => {
    failure ??= err
    for (const { reject } of digests.values()) reject(failure)
    digests.clear()
    for (const wake of roomWaiters) wake()
    roomWaiters = []
  }
  worker.on('message', (reply: HashReply) => {
    if (reply.type === 'hashed') {
      unhashed -= reply.bytes
      if (unhashed <= MAX_UNHASHED_BYTES) { for (const wake of roomWaiters) wake(); roomWaiters = [] }
      return
    }
    const waiter = digests.get(reply.id)
    digests.delete(reply.id)
    if (reply.digest !== undefined) waiter?.resolve(reply.digest)
    else waiter?.reject(new HashWorkerError(reply.error ?? 'no digest'))
  })
  worker.on('error', err => { fail(new HashWorkerError(err.message, { cause: err })) })
  worker.on('exit', code => { if (!closed) fail(new HashWorkerError(`the hashing thread exited (code ${code})`)) })

  return {
    async update (pieces, handOver) {
      if (failure !== undefined) throw failure
      const sent: Uint8Array[] = []
      const moved: ArrayBuffer[] = []
      let bytes = 0
      for (const piece of pieces) {
        if (piece.byteLength === 0) continue
        bytes += piece.byteLength
        const whole = handOver && piece.buffer instanceof ArrayBuffer && piece.byteOffset === 0 && piece.byteLength === piece.buffer.byteLength
        const own = whole ? piece : new Uint8Array(piece)
        sent.push(own)
        moved.push(own.buffer as ArrayBuffer)
      }
      if (bytes === 0) return
      unhashed += bytes
      worker.postMessage({ type: 'update', pieces: sent } satisfies HashRequest, moved)
      // Bounded: the worker hashes ~2 GB/s; waiting here is rare and short.
      while (unhashed > MAX_UNHASHED_BYTES && failure === undefined) await new Promise<void>(resolve => { roomWaiters.push(resolve) })
      if (failure !== undefined) throw failure
    },

    async digest () {
      if (failure !== undefined) throw failure
      const id = nextId++
      return await new Promise<Uint8Array>((resolve, reject) => {
        digests.set(id, { resolve, reject })
        worker.postMessage({ type: 'digest', id } satisfies HashRequest)
      })
    },

    async close () {
      if (closed) return
      closed = true
      await worker.terminate()
      fail(new HashWorkerError('the hash was closed'))
    }
  }
}
