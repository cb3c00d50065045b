/**
 * A nudge to the garbage collector during large transfers. Storing, pulling or serving a
 * blob churns through about 3 MiB of short-lived buffers per 1 MiB chunk; the ones still in
 * flight at a scavenge are promoted, and V8 frees them only at a major collection, which it
 * starts late (external memory tens of MiB higher). So every 32 MiB moved this starts an
 * incremental (async) major collection (every 16 MiB: a 300 MiB pull peaked at 153 MiB RSS
 * instead of 168 MiB, but each collection marks the whole heap, and at that rate they
 * cost a visible share of the transfer's CPU; a synchronous one took 30-190 ms on the
 * loaded test machine). It works only when the process runs with `--expose-gc` (the daemon
 * re-executes itself with it: cli/daemon-heap.ts); elsewhere it does nothing.
 */

/** Bytes moved between two collections. */
export const DEFAULT_GC_EVERY_BYTES = 32 * 1024 * 1024

export type GcNudge = (bytes: number) => void

/**
 * Count bytes moved and collect every `everyBytes`.
 *
 * @example
 * const nudge = gcNudge()
 * onChunkServed: (blobId, index) => { nudge(chunkSize) }
 */
export function gcNudge (everyBytes = DEFAULT_GC_EVERY_BYTES, gc = (globalThis as { gc?: (options?: { type: 'major' | 'minor', execution: 'sync' | 'async' }) => void }).gc): GcNudge {
  let moved = 0
  return bytes => {
    if (gc == null) return
    moved += bytes
    if (moved < everyBytes) return
    moved = 0
    gc({ type: 'major', execution: 'async' })
  }
}
