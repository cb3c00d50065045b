/**
 * Freeing a large buffer's memory now instead of at the next garbage collection.
 *
 * Why: a sender sealing a blob, and a puller opening one, each make ~1 MiB of short-lived
 * cipher output per MiB moved. Left to the GC, tens of MiB of it wait in a daemon between
 * collections (V8 collects on external memory late): alice's peak RSS reached 206-220 MiB
 * while she stored a 512 MiB attachment at load 12, against the 200 MiB bound of issue 8.
 * Detaching an ArrayBuffer (`transfer(0)`) hands its memory back at once; in pieces of
 * 64 KiB, below malloc's mmap threshold, it is reused by the next piece without new page
 * faults: sealing 512 MiB in a bare script peaked at 55 MiB instead of 120-129, with less
 * CPU (237-245 ms against 333-423).
 */

/**
 * Detach each of `buffers` that is a whole ArrayBuffer of its own (what node:crypto's
 * update() returns), so its memory is freed now; any other view (a slice of Node's pool,
 * part of a larger buffer, shared memory) is left alone. The caller must be done with them:
 * a detached buffer reads as empty.
 */
export function releaseBuffers (buffers: readonly Uint8Array[]): void {
  for (const b of buffers) {
    const backing = b.buffer
    if (!(backing instanceof ArrayBuffer) || b.byteOffset !== 0 || b.byteLength !== backing.byteLength || b.byteLength === 0) continue
    try {
      backing.transfer(0)
    } catch {
      // Not detachable (Node marks some of its own buffers so): the GC frees it as before.
    }
  }
}
