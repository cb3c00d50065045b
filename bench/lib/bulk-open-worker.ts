/**
 * The required-work pull's receiver side moved off the main thread (bulk-peer.ts
 * `required-client-worker`): this worker opens each sealed chunk, hashes the whole file
 * and writes it with O_DIRECT, fdatasync every 8 chunks, as the puller does, while the
 * main thread only receives. It answers each chunk with its index once written, so the
 * main thread asks for the next one only then and what is in flight stays bounded.
 */
import { createHash, createSecretKey } from 'node:crypto'
import { join } from 'node:path'
import { parentPort, workerData } from 'node:worker_threads'
import { Uint8ArrayList } from 'uint8arraylist'
import { BLOB_CIPHER_AES_256_GCM, openChunkParts } from '../../storage/blob-crypto.js'
import { releaseBuffers } from '../../storage/buffer-release.js'
import { openFileAppender } from '../../storage/file-appender.js'

export interface OpenWorkerData { dir: string, keyHex: string, blobIdHex: string, syncEveryChunks: number }
/** To the worker: a sealed chunk (its buffer transferred), or the end. */
export type OpenWorkerRequest = { index: number, sealed: Uint8Array } | { end: true }
/** From the worker: a chunk written, or the whole file synced and hashed. */
export type OpenWorkerAnswer = { written: number } | { done: true }

const port = parentPort
if (port == null) throw new Error('bulk-open-worker runs only as a worker thread')
const data = workerData as OpenWorkerData
const key = createSecretKey(Buffer.from(data.keyHex, 'hex'))
const blobId = Buffer.from(data.blobIdHex, 'hex')
const appender = await openFileAppender(join(data.dir, 'received.blob'))
const hash = createHash('sha256')
let written = 0
// Messages are handled one at a time, in order: each waits for the one before.
let queue = Promise.resolve()
port.on('message', (request: OpenWorkerRequest) => {
  queue = queue.then(async () => {
    if ('end' in request) {
      await appender.sync()
      await appender.close()
      hash.digest()
      port.postMessage({ done: true } satisfies OpenWorkerAnswer)
      return
    }
    const plain = openChunkParts(BLOB_CIPHER_AES_256_GCM, key, blobId, request.index, new Uint8ArrayList(request.sealed))
    for (const part of plain) hash.update(part)
    await appender.append(plain)
    releaseBuffers(plain)
    if (++written % data.syncEveryChunks === 0) await appender.sync()
    port.postMessage({ written: request.index } satisfies OpenWorkerAnswer)
  }).catch((err: unknown) => { queue = Promise.reject(err); throw err })
})
