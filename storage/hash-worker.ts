import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { parentPort, workerData } from 'node:worker_threads'
import type { HashReply, HashRequest, HashWorkerData } from './running-hash.js'

/**
 * The thread behind running-hash.ts: one running sha256 per worker. It first hashes the
 * file's existing prefix (a resumed download's verified chunks), then each stretch of the
 * shared ring it is told of, in the order told, answering each so that room is freed.
 */

const port = parentPort
if (port === null) throw new Error('hash-worker.js runs as a worker thread')
const { path, prefixLength, ring } = workerData as HashWorkerData
const view = new Uint8Array(ring)
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
      const { at, bytes } = request
      const first = Math.min(bytes, view.byteLength - at)
      if (failure === undefined) {
        hash.update(view.subarray(at, at + first))
        if (first < bytes) hash.update(view.subarray(0, bytes - first))
      }
      reply({ type: 'hashed', bytes })
    } else {
      reply(failure === undefined ? { type: 'digest', id: request.id, digest: new Uint8Array(hash.copy().digest()) } : { type: 'digest', id: request.id, error: failure })
    }
  })
})
