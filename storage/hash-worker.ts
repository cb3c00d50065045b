import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { parentPort, workerData } from 'node:worker_threads'
import type { HashReply, HashRequest, HashWorkerData } from './running-hash.js'

/**
 * The thread behind running-hash.ts: one running sha256 per worker. It first hashes the
 * file's existing prefix (a resumed download's verified chunks), then each request in the
 * order it was posted. Pieces arrive transferred, so this thread owns them: each is
 * detached once hashed, which frees its memory at once (this thread makes almost no garbage
 * of its own, so a GC that would free them could be far off while they pile up).
 */

const port = parentPort
if (port === null) throw new Error('hash-worker.js runs as a worker thread')
const { path, prefixLength } = workerData as HashWorkerData
const hash = createHash('sha256')
let failure: string | undefined
const reply = (message: HashReply): void => { port.postMessage(message) }

async function hashPrefix (): Promise<void> {
  if (prefixLength === 0 || path === undefined) return
  for await (const piece of createReadStream(path, { start: 0, end: prefixLength - 1, highWaterMark: 1024 * 1024 })) hash.update(piece as Buffer)
}

let chain: Promise<void> = hashPrefix().catch((err: unknown) => { failure = `hashing the first ${prefixLength} bytes of ${path} failed: ${(err as Error).message}` })
port.on('message', (request: HashRequest) => {
  chain = chain.then(() => {
    if (request.type === 'update') {
      let bytes = 0
      for (const piece of request.pieces) {
        if (failure === undefined) hash.update(piece)
        bytes += piece.byteLength
        // Transferred pieces are whole ArrayBuffers of their own (running-hash.ts sends nothing else).
        if (piece.buffer instanceof ArrayBuffer) piece.buffer.transfer(0)
      }
      reply({ type: 'hashed', bytes })
    } else {
      reply(failure === undefined ? { type: 'digest', id: request.id, digest: new Uint8Array(hash.copy().digest()) } : { type: 'digest', id: request.id, error: failure })
    }
  })
})
