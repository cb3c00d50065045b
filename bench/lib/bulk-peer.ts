/**
 * Baselines for bulk transfer, each side in its own process like two daemons: one stream
 * carrying SIZE bytes from a server to a client, over the daemon's libp2p stack
 * (createNetwork: TCP + Noise + Yamux) or over plain TCP (node:net). No sealing, no disk.
 * The server writes 1 MiB at a time and waits for a fresh 'drain' when the stream is full
 * (libp2p-notes: never `onDrain()`), so it buffers about one write.
 *
 *   node bulk-peer.js libp2p-server SIZE        -> prints {"addr": "..."}; serves SIZE bytes per stream
 *   node bulk-peer.js libp2p-client ADDR SIZE   -> prints {"ms": N, "bytes": N, "peakRssMiB": N}
 *   node bulk-peer.js tcp-server SIZE           -> prints {"port": N}
 *   node bulk-peer.js tcp-client PORT SIZE      -> prints {"ms": N, "bytes": N, "peakRssMiB": N}
 *
 * And the libp2p stream again with the work peerpost's design requires of a large
 * attachment on it, and nothing else (no records, no progress, no lpStream framing): the
 * server stores SIZE bytes as a sealed blob first (AES-256-GCM chunks of 1 MiB, as a
 * holder keeps them), then reads back and sends each chunk the client asks for (by index,
 * 4 ahead, as the puller asks: the only way to bound the reader's memory); the client
 * opens each chunk, hashes the whole file and writes it with O_DIRECT, fdatasync every
 * 8 MiB, as the puller does.
 *
 *   node bulk-peer.js required-server SIZE DIR        -> prints {"addr", "key", "blobId"} (hex)
 *   node bulk-peer.js required-client ADDR SIZE DIR KEY BLOBID -> as libp2p-client
 *   node bulk-peer.js required-worker-client ADDR SIZE DIR KEY BLOBID -> the same, opening,
 *     hashing and writing in a worker thread (bulk-open-worker.ts)
 */
import { createHash, createSecretKey, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { open } from 'node:fs/promises'
import { connect, createServer } from 'node:net'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { pEvent } from 'p-event'
import { Uint8ArrayList } from 'uint8arraylist'
import { createNetwork } from '../../node/network.js'
import type { Stream } from '@libp2p/interface'

export const BULK_PROTOCOL = '/peerpost-bench/bulk/1.0.0'
const PIECE = 1024 * 1024
const OP_TIMEOUT_MS = 600_000

/** Distinct random pieces reused round robin: the bytes are incompressible, the source costs nothing. */
const pieces = Array.from({ length: 4 }, () => randomBytes(PIECE))

/** CPU time (user + system) used since `from`, in ms. */
function cpuSince (from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from)
  return (d.user + d.system) / 1000
}

async function waitForSignal (): Promise<void> {
  await new Promise<void>(resolve => { process.once('SIGTERM', resolve); process.once('SIGINT', resolve) })
}

async function libp2pServer (size: number): Promise<void> {
  const node = await createNetwork({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'] })
  await node.handle(BULK_PROTOCOL, (stream: Stream) => {
    void (async () => {
      for (let sent = 0, i = 0; sent < size; sent += PIECE, i++) {
        const piece = pieces[i % pieces.length]!.subarray(0, Math.min(PIECE, size - sent))
        if (!stream.send(piece)) await pEvent(stream, 'drain', { rejectionEvents: ['close'], timeout: OP_TIMEOUT_MS })
      }
      await stream.close({ signal: AbortSignal.timeout(OP_TIMEOUT_MS) })
    })().catch(err => { stream.abort(err as Error) })
  })
  await node.start()
  const addr = node.getMultiaddrs().find(a => a.toString().includes('127.0.0.1'))
  process.stdout.write(JSON.stringify({ addr: addr?.toString() }) + '\n')
  await waitForSignal()
  await node.stop()
}

async function libp2pClient (addr: string, size: number): Promise<void> {
  const node = await createNetwork({ privateKey: await generateKeyPair('Ed25519'), listen: [] })
  await node.start()
  const start = performance.now()
  const cpu = process.cpuUsage()
  const stream = await node.dialProtocol(multiaddr(addr), BULK_PROTOCOL, { signal: AbortSignal.timeout(OP_TIMEOUT_MS) })
  let bytes = 0
  for await (const chunk of stream) bytes += chunk.byteLength
  const ms = performance.now() - start
  await stream.close().catch(() => {})
  if (bytes !== size) throw new Error(`got ${bytes} of ${size} bytes`)
  process.stdout.write(JSON.stringify({ ms, bytes, cpuMs: cpuSince(cpu), peakRssMiB: process.resourceUsage().maxRSS / 1024 }) + '\n')
  await node.stop()
}

async function tcpServer (size: number): Promise<void> {
  const server = createServer(socket => {
    void (async () => {
      for (let sent = 0, i = 0; sent < size; sent += PIECE, i++) {
        if (!socket.write(pieces[i % pieces.length]!.subarray(0, Math.min(PIECE, size - sent)))) await once(socket, 'drain')
      }
      socket.end()
    })().catch(() => { socket.destroy() })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  process.stdout.write(JSON.stringify({ port: typeof address === 'object' && address != null ? address.port : 0 }) + '\n')
  await waitForSignal()
  server.close()
}

async function tcpClient (port: number, size: number): Promise<void> {
  const start = performance.now()
  const cpu = process.cpuUsage()
  const socket = connect(port, '127.0.0.1')
  let bytes = 0
  for await (const chunk of socket) bytes += (chunk as Buffer).byteLength
  const ms = performance.now() - start
  if (bytes !== size) throw new Error(`got ${bytes} of ${size} bytes`)
  process.stdout.write(JSON.stringify({ ms, bytes, cpuMs: cpuSince(cpu), peakRssMiB: process.resourceUsage().maxRSS / 1024 }) + '\n')
}

const SYNC_EVERY_CHUNKS = 8
/** Chunks asked for ahead, as the puller's window (node/protocol/blob.ts). */
const IN_FLIGHT = 4
/** A request is the chunk's index, a 32-bit big-endian integer. */
const REQUEST_BYTES = 4

/** The sealed blob a holder would keep: SIZE bytes in sealed 1 MiB chunks, back to back. */
async function writeSealedBlob (file: string, size: number, key: Uint8Array, blobId: Uint8Array): Promise<void> {
  const { sealChunk, BLOB_CIPHER_AES_256_GCM } = await import('../../storage/blob-crypto.js')
  const handle = await open(file, 'w', 0o600)
  try {
    for (let sent = 0, i = 0; sent < size; sent += PIECE, i++) {
      await handle.writev(sealChunk(BLOB_CIPHER_AES_256_GCM, key, blobId, i, pieces[i % pieces.length]!.subarray(0, Math.min(PIECE, size - sent))))
    }
    await handle.sync()
  } finally {
    await handle.close()
  }
}

async function requiredServer (size: number, dir: string): Promise<void> {
  const { BLOB_TAG_BYTES } = await import('../../storage/blob-crypto.js')
  const key = randomBytes(32)
  const blobId = randomBytes(16)
  const file = join(dir, 'sealed.blob')
  await writeSealedBlob(file, size, key, blobId)
  const node = await createNetwork({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'] })
  await node.handle(BULK_PROTOCOL, (stream: Stream) => {
    void (async () => {
      const handle = await open(file, 'r')
      try {
        const requests = new Uint8ArrayList()
        for await (const data of stream) {
          requests.append(data)
          for (; requests.byteLength >= REQUEST_BYTES; requests.consume(REQUEST_BYTES)) {
            const i = requests.getUint32(0)
            // A fresh buffer per chunk, as the holder's: the stream may still hold the last one.
            const sealed = Buffer.allocUnsafeSlow(Math.min(PIECE, size - i * PIECE) + BLOB_TAG_BYTES)
            await handle.read(sealed, 0, sealed.byteLength, i * (PIECE + BLOB_TAG_BYTES))
            if (!stream.send(sealed)) await pEvent(stream, 'drain', { rejectionEvents: ['close'], timeout: OP_TIMEOUT_MS })
          }
        }
      } finally {
        await handle.close()
      }
      await stream.close({ signal: AbortSignal.timeout(OP_TIMEOUT_MS) })
    })().catch(err => { stream.abort(err as Error) })
  })
  await node.start()
  const addr = node.getMultiaddrs().find(a => a.toString().includes('127.0.0.1'))
  process.stdout.write(JSON.stringify({ addr: addr?.toString(), key: key.toString('hex'), blobId: blobId.toString('hex') }) + '\n')
  await waitForSignal()
  await node.stop()
}

/** The client side of the required-work pull: asks for chunks by index and yields each whole sealed chunk. */
interface ChunkPull {
  /** Asks for the next chunk, if any is left to ask for. */
  ask: () => void
  /** Each sealed chunk in order; `sealed` is valid until the loop goes on. */
  chunks: () => AsyncGenerator<{ index: number, sealed: Uint8ArrayList }>
  close: () => Promise<void>
}

async function openChunkPull (addr: string, size: number, tagBytes: number): Promise<ChunkPull> {
  const node = await createNetwork({ privateKey: await generateKeyPair('Ed25519'), listen: [] })
  await node.start()
  const stream = await node.dialProtocol(multiaddr(addr), BULK_PROTOCOL, { signal: AbortSignal.timeout(OP_TIMEOUT_MS) })
  const count = Math.ceil(size / PIECE)
  let asked = 0
  const ask = (): void => {
    if (asked >= count) return
    const request = new Uint8Array(REQUEST_BYTES)
    new DataView(request.buffer).setUint32(0, asked++)
    stream.send(request)
  }
  // A pull, as the notes prescribe and the puller does: a stream's reader applies no
  // backpressure, so only asking for chunks bounds what is in flight (and the memory).
  while (asked < Math.min(IN_FLIGHT, count)) ask()
  const sealedSize = (i: number): number => Math.min(PIECE, size - i * PIECE) + tagBytes
  return {
    ask,
    async * chunks () {
      const pending = new Uint8ArrayList()
      let index = 0
      for await (const data of stream) {
        pending.append(data)
        while (index < count && pending.byteLength >= sealedSize(index)) {
          const n = sealedSize(index)
          yield { index: index++, sealed: pending.sublist(0, n) }
          pending.consume(n)
        }
        if (index === count) break
      }
      if (index !== count) throw new Error(`got ${index} of ${count} chunks`)
    },
    async close () {
      await stream.close().catch(() => {})
      await node.stop()
    }
  }
}

async function requiredClient (addr: string, size: number, dir: string, keyHex: string, blobIdHex: string): Promise<void> {
  const { BLOB_CIPHER_AES_256_GCM, BLOB_TAG_BYTES, openChunkParts } = await import('../../storage/blob-crypto.js')
  const { releaseBuffers } = await import('../../storage/buffer-release.js')
  const { openFileAppender } = await import('../../storage/file-appender.js')
  const key = createSecretKey(Buffer.from(keyHex, 'hex'))
  const blobId = Buffer.from(blobIdHex, 'hex')
  const appender = await openFileAppender(join(dir, 'received.blob'))
  const hash = createHash('sha256')
  const start = performance.now()
  const cpu = process.cpuUsage()
  const pull = await openChunkPull(addr, size, BLOB_TAG_BYTES)
  let bytes = 0
  for await (const { index, sealed } of pull.chunks()) {
    const plain = openChunkParts(BLOB_CIPHER_AES_256_GCM, key, blobId, index, sealed)
    pull.ask()
    for (const part of plain) hash.update(part)
    await appender.append(plain)
    releaseBuffers(plain)
    bytes += sealed.byteLength - BLOB_TAG_BYTES
    if ((index + 1) % SYNC_EVERY_CHUNKS === 0) await appender.sync()
  }
  await appender.sync()
  await appender.close()
  hash.digest()
  const ms = performance.now() - start
  await pull.close()
  if (bytes !== size) throw new Error(`got ${bytes} of ${size} bytes`)
  process.stdout.write(JSON.stringify({ ms, bytes, cpuMs: cpuSince(cpu), peakRssMiB: process.resourceUsage().maxRSS / 1024 }) + '\n')
}

/**
 * requiredClient with the opening, hashing and writing in a worker thread
 * (bulk-open-worker.ts): the main thread only receives, copies each sealed chunk into a
 * buffer of its own (transferred, not copied again) and asks for the next chunk once the
 * worker has written one, so 4 stay in flight as before. The best one extra thread can do.
 */
async function requiredClientWorker (addr: string, size: number, dir: string, keyHex: string, blobIdHex: string): Promise<void> {
  const { BLOB_TAG_BYTES } = await import('../../storage/blob-crypto.js')
  const { Worker } = await import('node:worker_threads')
  const worker = new Worker(new URL('./bulk-open-worker.js', import.meta.url), { workerData: { dir, keyHex, blobIdHex, syncEveryChunks: SYNC_EVERY_CHUNKS } })
  const start = performance.now()
  const cpu = process.cpuUsage()
  const pull = await openChunkPull(addr, size, BLOB_TAG_BYTES)
  const finished = new Promise<void>((resolve, reject) => {
    worker.on('error', reject)
    worker.on('message', (answer: { written?: number, done?: true }) => {
      if (answer.done === true) resolve()
      else pull.ask()
    })
  })
  let bytes = 0
  for await (const { index, sealed: parts } of pull.chunks()) {
    const sealed = new Uint8Array(parts.byteLength)
    let at = 0
    for (const part of parts) { sealed.set(part, at); at += part.byteLength }
    bytes += sealed.byteLength - BLOB_TAG_BYTES // before the transfer detaches it
    worker.postMessage({ index, sealed }, [sealed.buffer])
  }
  worker.postMessage({ end: true })
  await finished
  const ms = performance.now() - start
  // The worker's CPU time is this process's too: process.cpuUsage counts every thread.
  const cpuMs = cpuSince(cpu)
  await pull.close()
  await worker.terminate()
  if (bytes !== size) throw new Error(`got ${bytes} of ${size} bytes`)
  process.stdout.write(JSON.stringify({ ms, bytes, cpuMs, peakRssMiB: process.resourceUsage().maxRSS / 1024 }) + '\n')
}

const [mode, a, b, c, d, e] = process.argv.slice(2)
if (mode === 'libp2p-server') await libp2pServer(Number(a))
else if (mode === 'libp2p-client' && a != null) await libp2pClient(a, Number(b))
else if (mode === 'tcp-server') await tcpServer(Number(a))
else if (mode === 'tcp-client') await tcpClient(Number(a), Number(b))
else if (mode === 'required-server' && b != null) await requiredServer(Number(a), b)
else if (mode === 'required-client' && a != null && c != null && d != null && e != null) await requiredClient(a, Number(b), c, d, e)
else if (mode === 'required-worker-client' && a != null && c != null && d != null && e != null) await requiredClientWorker(a, Number(b), c, d, e)
else {
  process.stderr.write('usage: bulk-peer.js libp2p-server SIZE | libp2p-client ADDR SIZE | tcp-server SIZE | tcp-client PORT SIZE | required-server SIZE DIR | required-client | required-worker-client ADDR SIZE DIR KEY BLOBID\n')
  process.exitCode = 2
}
