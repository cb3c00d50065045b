import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { Worker } from 'node:worker_threads'
import { HashWorkerError } from './blob-errors.js'

/**
 * The whole-file sha256 a download keeps while its chunks arrive. It runs in a worker
 * thread, so the puller's main thread (which opens the chunks, drives the stream and is
 * the limit of a pull: docs/benchmarks.md) does not spend its ~0.5 ms per MiB on it.
 *
 * The bytes reach the worker through a ring of shared memory: update() copies the pieces
 * in and posts one small message with where they are; the worker hashes them there and
 * says so, which frees their room. Measured on the calling thread (threadCpuUsage, 1 MiB
 * in 16 pieces): 0.05-0.09 ms per MiB, against 0.45-0.51 for hashing inline. A copy keeps
 * the caller's memory its own (moving the pieces with a transfer list would detach them),
 * and a reused ring allocates nothing per chunk. `mainThreadHash` is the same thing
 * inline, for comparison and for hashing a whole file once.
 */
export interface RunningHash {
  /** Add `pieces` (in file order); they are copied, the caller keeps them. Waits while the ring is full. */
  update(pieces: readonly Uint8Array[]): Promise<void>
  /** sha256 of everything added so far (the hash goes on). Throws HashWorkerError if the worker failed. */
  digest(): Promise<Uint8Array>
  /** Stop (the worker's thread ends). Idempotent. */
  close(): Promise<void>
}

/** Bytes of the shared ring: at most this much is handed over and not yet hashed (four 1 MiB chunks). */
export const HASH_RING_BYTES = 4 * 1024 * 1024

/** What the worker is started with. */
export interface HashWorkerData { path?: string, prefixLength: number, ring: SharedArrayBuffer }
/** `update`: hash `bytes` bytes of the ring from offset `at` (wrapping at the ring's end). */
export type HashRequest = { type: 'update', at: number, bytes: number } | { type: 'digest', id: number }
export type HashReply = { type: 'hashed', bytes: number } | { type: 'digest', id: number, digest?: Uint8Array, error?: string }

const WORKER_URL = new URL('./hash-worker.js', import.meta.url)

/** Hash in this thread: the first `prefixLength` bytes of `path` first. */
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
 * await hash.update(plaintextPieces)
 * const sha256 = await hash.digest()
 * await hash.close()
 */
export function workerHash (path: string, prefixLength: number, ringBytes = HASH_RING_BYTES): RunningHash {
  const ring = new SharedArrayBuffer(ringBytes)
  const view = new Uint8Array(ring)
  const data: HashWorkerData = { path, prefixLength, ring }
  // No resourceLimits: the worker allocates next to nothing (it hashes the ring in place),
  // and a small limit made it run out under --cpu-prof, whose samples live in its heap.
  const worker = new Worker(WORKER_URL, { workerData: data })
  /** Ring offsets as running byte counts: written up to `head`, hashed up to `tail`. */
  let head = 0
  let tail = 0
  let roomWaiters: Array<() => void> = []
  let nextId = 0
  const digests = new Map<number, { resolve: (d: Uint8Array) => void, reject: (err: Error) => void }>()
  let failure: Error | undefined
  let closed = false

  const wakeAll = (): void => { for (const wake of roomWaiters) wake(); roomWaiters = [] }
  const fail = (err: Error): void => {
    failure ??= err
    for (const { reject } of digests.values()) reject(failure)
    digests.clear()
    wakeAll()
  }
  worker.on('message', (reply: HashReply) => {
    if (reply.type === 'hashed') {
      tail += reply.bytes
      wakeAll()
      return
    }
    const waiter = digests.get(reply.id)
    digests.delete(reply.id)
    if (reply.digest !== undefined) waiter?.resolve(reply.digest)
    else waiter?.reject(new HashWorkerError(reply.error ?? 'no digest'))
  })
  worker.on('error', err => { fail(new HashWorkerError(err.message, { cause: err })) })
  worker.on('exit', code => { if (!closed) fail(new HashWorkerError(`the hashing thread exited (code ${code})`)) })

  /** Copy `piece` into the ring from `head` on, wrapping at its end (the caller made room). */
  const put = (piece: Uint8Array): void => {
    const at = head % ringBytes
    const first = Math.min(piece.byteLength, ringBytes - at)
    view.set(first === piece.byteLength ? piece : piece.subarray(0, first), at)
    if (first < piece.byteLength) view.set(piece.subarray(first), 0)
    head += piece.byteLength
  }

  return {
    async update (pieces) {
      if (failure !== undefined) throw failure
      let from = head
      for (const piece of pieces) {
        let done = 0
        while (done < piece.byteLength) {
          // Bounded: the worker hashes ~2 GB/s and frees the ring as it goes.
          while (head - tail === ringBytes && failure === undefined) {
            if (head > from) {
              // Hand over what is in so far: the worker frees room only for what it was told of.
              worker.postMessage({ type: 'update', at: from % ringBytes, bytes: head - from } satisfies HashRequest)
              from = head
            }
            await new Promise<void>(resolve => { roomWaiters.push(resolve) })
          }
          if (failure !== undefined) throw failure
          const n = Math.min(piece.byteLength - done, ringBytes - (head - tail))
          put(done === 0 && n === piece.byteLength ? piece : piece.subarray(done, done + n))
          done += n
        }
      }
      if (head > from) worker.postMessage({ type: 'update', at: from % ringBytes, bytes: head - from } satisfies HashRequest)
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
