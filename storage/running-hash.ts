import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'

/**
 * The whole-file sha256 a download keeps while its chunks arrive, on the puller's own
 * thread. (A version in a worker thread was built and measured in issue 8: it took ~0.4 ms
 * per MiB off the main thread but cost ~20 MiB of RSS and never lifted the pull rate on a
 * two-core machine, so it was removed; docs/benchmarks.md has the figures.)
 */
export interface RunningHash {
  /** Add `pieces` (in file order); the caller keeps them. */
  update(pieces: readonly Uint8Array[]): Promise<void>
  /** sha256 of everything added so far (the hash goes on). */
  digest(): Promise<Uint8Array>
  /** Stop. Idempotent. */
  close(): Promise<void>
}

/**
 * A running sha256 that starts with the first `prefixLength` bytes of `path` (a resumed
 * download's verified chunks, or a whole received file to check).
 *
 * @example
 * const hash = await openRunningHash(partialPath, record.bytesDone)
 * await hash.update(plaintextPieces)
 * const sha256 = await hash.digest()
 */
export async function openRunningHash (path: string, prefixLength: number): Promise<RunningHash> {
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
