import { createSecretKey } from 'node:crypto'
import { lpStream } from '@libp2p/utils'
import * as varint from 'uint8-varint'
import { Uint8ArrayList } from 'uint8arraylist'
import { BAD_BLOB_DATA_ERRORS, BlobNotFoundError, UnknownBlobCipherError, BlobSizeMismatchError, BlobTransferInterruptedError, ChunkOutOfOrderError, ChunkSizeError, ExtraChunkError } from '../../storage/blob-errors.js'
import { BLOB_TAG_BYTES, blobCipherName, MAX_CHUNK_SIZE, openChunkParts, plainChunkSize } from '../../storage/blob-crypto.js'
import { isBlobId } from '../../storage/blob-store.js'
import { releaseBuffers } from '../../storage/buffer-release.js'
import { asError, errorName, PeerRefusedError, ProtocolViolationError } from '../errors.js'
import { errorReply } from './errors.js'
import { StreamTimeoutError } from './framed.js'
import { BlobChunk, BlobRequest, ErrorCode } from './peerpost.js'
import { openStream } from './rpc.js'
import { retryOnUpgrade } from './upgrade-retry.js'
import type { UpgradeWatch } from './upgrade-retry.js'
import type { DialTarget } from './rpc.js'
import type { BlobDownload, BlobRecord, BlobStore, ChunkReader, DownloadRecord } from '../../storage/blob-types.js'
import type { Connection, Libp2p, Logger, Stream } from '@libp2p/interface'

export const BLOB_PROTOCOL = '/peerpost/blob/1.0.0'
/** Chunks a puller keeps requested but not yet received: 2-4 chunks of 1 MiB reach 250-300 MB/s on loopback (libp2p-notes). */
export const DEFAULT_BLOB_IN_FLIGHT = 4
/** The most chunks one request may ask for; the holder refuses more (TOO_LARGE). */
export const BLOB_MAX_CHUNKS_PER_REQUEST = 16
/** Requests are a blob id and two numbers. */
export const BLOB_MAX_REQUEST_BYTES = 256
/**
 * What a holder buffers of unread requests. A puller has only a few small requests
 * outstanding; one that floods requests without reading the answers overflows this and
 * its stream is reset instead of growing the holder's memory.
 */
export const BLOB_MAX_PENDING_REQUEST_BYTES = 16 * 1024
/** Protobuf fields around the sealed bytes of one chunk. */
const CHUNK_FRAME_OVERHEAD_BYTES = 64
/** A holder closes a stream that asks for nothing for this long. */
export const BLOB_IDLE_TIMEOUT_MS = 60_000
/** A holder gives up on a puller that does not take a chunk within this long (a fresh 'drain' event each time). */
export const BLOB_WRITE_TIMEOUT_MS = 30_000
/** A puller gives up on a holder whose next chunk does not arrive within this long. */
export const BLOB_CHUNK_TIMEOUT_MS = 30_000
export const BLOB_DIAL_TIMEOUT_MS = 10_000
/** Pulls one peer may run against this holder at once. */
export const BLOB_MAX_INBOUND_STREAMS = 8

/** The parts of a BlobStore the holder side reads (storage/held-blobs.ts adds the blobs received whole, for co-recipients). */
export type HeldBlobs = Pick<BlobStore, 'get' | 'openReader' | 'markCompleted'>

export interface BlobHandlerInit {
  log: Logger
  now?: () => number
  idleTimeoutMs?: number
  writeTimeoutMs?: number
  /** Told after each chunk is handed to the stream (metrics; tests count chunks served twice). */
  onChunkServed?(blobId: string, index: number, peer: string): void
  /** Told when a recipient says it holds the whole blob (the daemon may then drop the blob). */
  onCompleted?(record: BlobRecord, peer: string): void
}

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')
const unhex = (h: string): Uint8Array<ArrayBuffer> => new Uint8Array(Buffer.from(h, 'hex'))
/**
 * The one answer for an unknown blob and for a blob that is not the asker's: nobody learns
 * which blobs exist, and a recipient that a co-recipient was asked for learns to ask elsewhere.
 */
export const BLOB_NOT_FOUND_MESSAGE = 'no such blob for you here: a holder serves a blob only to the recipients its sender listed'

/**
 * The holder's half of `/peerpost/blob/1.0.0`. The connection's remote PeerId is the
 * asker: only a recipient listed for the blob is served, anyone else gets the same
 * NOT_FOUND as for an unknown blob. Requests are served one after the other; each chunk
 * is written only once the stream has room (lpStream's write waits for a fresh 'drain'
 * event, never `onDrain()`, which returns at once after the first drain), so the holder
 * buffers about one chunk per stream however slowly the puller reads.
 *
 * @example
 * await libp2p.handle(BLOB_PROTOCOL, blobHandler(blobStore, { log }), { maxInboundStreams: BLOB_MAX_INBOUND_STREAMS, runOnLimitedConnection: true })
 */
export function blobHandler (store: HeldBlobs, init: BlobHandlerInit) {
  const now = init.now ?? Date.now
  const idleTimeoutMs = init.idleTimeoutMs ?? BLOB_IDLE_TIMEOUT_MS
  const writeTimeoutMs = init.writeTimeoutMs ?? BLOB_WRITE_TIMEOUT_MS
  const log = init.log

  return async (stream: Stream, connection: Connection): Promise<void> => {
    const peer = connection.remotePeer.toString()
    const lp = lpStream(stream, { maxDataLength: BLOB_MAX_REQUEST_BYTES, maxBufferSize: BLOB_MAX_PENDING_REQUEST_BYTES })
    const send = async (message: Partial<BlobChunk> | Uint8ArrayList): Promise<void> => {
      await lp.write(message instanceof Uint8ArrayList ? message : BlobChunk.encode(message), { signal: AbortSignal.timeout(writeTimeoutMs) })
    }
    const refuse = async (blobId: Uint8Array<ArrayBuffer>, code: ErrorCode, message: string): Promise<void> => {
      await send({ blobId, error: errorReply(code, message) })
    }
    // The blob this stream reads, open across requests: a puller asks for a chunk or two at a time.
    let reader: { blobId: string, chunks: Promise<ChunkReader> } | undefined
    const readerFor = (blobId: string): Promise<ChunkReader> => {
      if (reader?.blobId !== blobId) {
        const previous = reader?.chunks
        const chunks = (async () => {
          await previous?.then(async r => { await r.close() }, () => {})
          return await store.openReader(blobId)
        })()
        chunks.catch(() => {}) // awaited where chunks are read
        reader = { blobId, chunks }
      }
      return reader.chunks
    }
    try {
      while (true) {
        let frame
        try {
          frame = await lp.read({ signal: AbortSignal.timeout(idleTimeoutMs) })
        } catch (err) {
          const name = errorName(err)
          if (name === 'InvalidDataLengthError' || name === 'InvalidDataLengthLengthError') await refuse(new Uint8Array(0), ErrorCode.TOO_LARGE, `a request is at most ${BLOB_MAX_REQUEST_BYTES} bytes`)
          // End of requests, a stalled or flooding peer, a reset: stop serving this stream.
          break
        }
        let request: BlobRequest
        try {
          request = BlobRequest.decode(frame.subarray())
        } catch {
          await refuse(new Uint8Array(0), ErrorCode.MALFORMED, 'request did not decode')
          break
        }
        const blobId = hex(request.blobId)
        const record = isBlobId(blobId) ? await store.get(blobId) : undefined
        if (record === undefined || !record.recipients.includes(peer) || record.expiresAt <= now()) {
          log('blob %s: not found for %s', blobId, peer)
          await refuse(request.blobId, ErrorCode.NOT_FOUND, BLOB_NOT_FOUND_MESSAGE)
          continue
        }
        if (request.done) {
          const updated = await store.markCompleted(blobId, peer)
          init.onCompleted?.(updated, peer)
          await send({ blobId: request.blobId, done: true })
          continue
        }
        const { firstChunk, count } = request
        if (count === 0 || count > BLOB_MAX_CHUNKS_PER_REQUEST) {
          await refuse(request.blobId, ErrorCode.TOO_LARGE, `ask for 1 to ${BLOB_MAX_CHUNKS_PER_REQUEST} chunks at a time`)
          continue
        }
        if (firstChunk + count > record.chunkCount) {
          await refuse(request.blobId, ErrorCode.MALFORMED, `the blob has ${record.chunkCount} chunks`)
          continue
        }
        // Read one chunk ahead: the disk works while the previous chunk goes out.
        const read = (index: number): Promise<Uint8Array> => {
          const p = readerFor(blobId).then(async r => await r.read(index))
          p.catch(() => {}) // awaited below, or dropped when the loop stops early
          return p
        }
        let ahead = read(firstChunk)
        for (let index = firstChunk; index < firstChunk + count; index++) {
          let data: Uint8Array
          try {
            data = await ahead
            if (index + 1 < firstChunk + count) ahead = read(index + 1)
          } catch (err) {
            log.error('blob %s chunk %d unreadable - %e', blobId, index, err)
            const gone = err instanceof BlobNotFoundError
            await refuse(request.blobId, gone ? ErrorCode.NOT_FOUND : ErrorCode.INTERNAL, gone ? BLOB_NOT_FOUND_MESSAGE : 'the holder could not read the blob')
            break
          }
          await send(chunkFrame(request.blobId, index, data, index === record.chunkCount - 1))
          init.onChunkServed?.(blobId, index, peer)
        }
      }
      await stream.close({ signal: AbortSignal.timeout(writeTimeoutMs) })
    } catch (err) {
      log('blob stream from %s ended - %e', peer, err)
      stream.abort(asError(err))
    } finally {
      await reader?.chunks.then(async r => { await r.close() }, () => {})
    }
  }
}

/** Protobuf key of BlobChunk.data: field 3, length-delimited. */
const DATA_FIELD_KEY = (3 << 3) | 2

/**
 * A BlobChunk frame that does not copy the chunk: the other fields encoded by the codec,
 * then field 3 (`data`) appended as key, length and the chunk itself. Protobuf readers
 * accept fields in any order, and a 1 MiB copy per chunk is garbage the holder need not make.
 */
export function chunkFrame (blobId: Uint8Array<ArrayBuffer>, index: number, data: Uint8Array, last: boolean): Uint8ArrayList {
  const head = BlobChunk.encode({ blobId, index, last })
  return new Uint8ArrayList(head, varint.encode(DATA_FIELD_KEY), varint.encode(data.byteLength), data)
}

/** A BlobChunk whose `data` stays in the received frame's pieces. */
export interface ChunkFrame { chunk: BlobChunk, data: Uint8ArrayList }

/**
 * Decode a BlobChunk frame without joining it into one buffer: lpStream hands a 1 MiB chunk
 * over as the ~16 Noise frames it arrived in, and `subarray()` would copy them all into a
 * fresh 1 MiB buffer. This walks the top-level protobuf fields, keeps field 3 (`data`) as a
 * no-copy sublist and decodes the other (small) fields with the codec. A `data` field that
 * appears twice counts once, the last (as protobuf readers do). Throws on a malformed frame.
 */
export function decodeChunkFrame (frame: Uint8ArrayList): ChunkFrame {
  const length = frame.byteLength
  let at = 0
  // Read here rather than with uint8-varint's decode: the walk needs the bytes each varint
  // took, and protobuf allows longer than minimal encodings, which re-encoding would miscount.
  const readVarint = (): number => {
    let value = 0
    for (let shift = 1; ; shift *= 0x80) {
      if (at >= length || shift > 2 ** 49) throw new RangeError('truncated or overlong varint')
      const byte = frame.get(at++)
      value += (byte & 0x7f) * shift
      if (byte < 0x80) return value
    }
  }
  const rest = new Uint8ArrayList()
  let data: Uint8ArrayList | undefined
  while (at < length) {
    const start = at
    const key = readVarint()
    const wireType = key % 8
    let end: number
    let dataStart = -1
    if (wireType === 0) {
      readVarint()
      end = at
    } else if (wireType === 2) {
      const size = readVarint()
      dataStart = at
      end = at + size
    } else if (wireType === 1) {
      end = at + 8
    } else if (wireType === 5) {
      end = at + 4
    } else {
      throw new RangeError(`wire type ${wireType} is not used by BlobChunk`)
    }
    if (end > length) throw new RangeError('field runs past the end of the frame')
    if (key === DATA_FIELD_KEY) data = frame.sublist(dataStart, end)
    else rest.append(frame.sublist(start, end))
    at = end
  }
  const chunk = BlobChunk.decode(rest.subarray())
  return { chunk, data: data ?? new Uint8ArrayList() }
}

/**
 * Serve `/peerpost/blob/1.0.0` from `store` on `libp2p` (also over relayed, limited
 * connections: the puller's own byte accounting catches a relay cutting it off).
 * Returns the function that stops serving.
 */
export async function serveBlobs (libp2p: Libp2p, store: HeldBlobs, init: BlobHandlerInit): Promise<() => Promise<void>> {
  await libp2p.handle(BLOB_PROTOCOL, blobHandler(store, init), { maxInboundStreams: BLOB_MAX_INBOUND_STREAMS, runOnLimitedConnection: true })
  return async () => { await libp2p.unhandle(BLOB_PROTOCOL) }
}

export interface PullOptions {
  /** Chunks requested ahead of the one being written; default DEFAULT_BLOB_IN_FLIGHT, at most BLOB_MAX_CHUNKS_PER_REQUEST. */
  inFlight?: number
  signal?: AbortSignal
  /** Told after each chunk is verified and handed to the disk (bytes of plaintext done, of the total; durable at the next sync, every few MiB). */
  onProgress?(bytesDone: number, total: number): void
  dialTimeoutMs?: number
  chunkTimeoutMs?: number
  /** How the holder is named in the reason a download fails with (default its PeerId). */
  holderName?: string
  /** Told the pull's stream (a DCUtR upgrade may cut it: node/protocol/upgrade-retry.ts). */
  watch?: UpgradeWatch
}

/**
 * The recipient's half: pull the blob `download` describes from `holder`, from
 * `download.record.nextChunk` on, with a few chunks in flight. Each chunk must be the
 * next one, of exactly the size the ref implies, and authenticate under the ref's key;
 * at the end the whole file's sha256 must match and the holder must send nothing more.
 *
 * Bad data (ChunkVerificationError, ChunkSizeError, ChunkOutOfOrderError, ExtraChunkError,
 * BlobSizeMismatchError, BlobHashMismatchError) fails the download: the partial file is
 * deleted and the record says why. A lost connection, a timeout, an abort or a refusal
 * (PeerRefusedError, e.g. NOT_FOUND) leaves it pending, to resume from another holder or
 * later. Either way the download is closed when this returns; open it again to resume.
 *
 * @example
 * const download = await downloads.open(ref)
 * const record = await pullBlob(libp2p, { peerId: sender, addrs }, download, { onProgress: (done, total) => events.emit(...) })
 */
export async function pullBlob (libp2p: Libp2p, holder: DialTarget, download: BlobDownload, options: PullOptions = {}): Promise<DownloadRecord> {
  try {
    if (download.record.state === 'complete') return download.record
    return await transfer(libp2p, holder, download, options)
  } catch (err) {
    if (download.record.state === 'pending') {
      if (BAD_BLOB_DATA_ERRORS.has(errorName(err))) await download.fail(`${options.holderName ?? holder.peerId} served bad data: ${asError(err).message}`)
      else if (errorName(err) === UnknownBlobCipherError.NAME) await download.fail(asError(err).message)
    }
    throw err
  } finally {
    await download.close()
  }
}

/** The most a `done` answer takes: a BlobChunk with a blob id, a flag or a short error. */
const DONE_ANSWER_MAX_BYTES = 4096

/**
 * Tell `holder` that I hold blob `blobId` (32 hex digits) whole and verified: a `done`
 * request alone, as a pull ends with. What a recipient that got the blob from another
 * holder owes the sender, which drops its copy once every recipient has said so.
 * Resolves true when the holder recorded it, false when it does not hold the blob (NOT_FOUND:
 * nothing left to tell); rejects when it cannot be reached or answers anything else. Cut by
 * a DCUtR upgrade, it is said again at once on the direct connection (saying it twice is harmless).
 */
export async function tellHolderDone (libp2p: Libp2p, holder: DialTarget, blobId: string, options: { dialTimeoutMs?: number, signal?: AbortSignal } = {}): Promise<boolean> {
  return await retryOnUpgrade(libp2p, holder.peerId, async watch => await tellDoneOnce(libp2p, holder, blobId, options, watch), { signal: options.signal })
}

async function tellDoneOnce (libp2p: Libp2p, holder: DialTarget, blobId: string, options: { dialTimeoutMs?: number, signal?: AbortSignal }, watch: UpgradeWatch | undefined): Promise<boolean> {
  const timeoutMs = options.dialTimeoutMs ?? BLOB_DIAL_TIMEOUT_MS
  const stream = await openStream(libp2p, holder, BLOB_PROTOCOL, timeoutMs, options.signal, watch)
  try {
    const lp = lpStream(stream, { maxDataLength: DONE_ANSWER_MAX_BYTES, maxBufferSize: 2 * DONE_ANSWER_MAX_BYTES })
    const signal = (): AbortSignal => options.signal == null ? AbortSignal.timeout(timeoutMs) : AbortSignal.any([options.signal, AbortSignal.timeout(timeoutMs)])
    await lp.write(BlobRequest.encode({ blobId: unhex(blobId), done: true }), { signal: signal() })
    const answer = BlobChunk.decode((await lp.read({ signal: signal() })).subarray())
    await stream.close({ signal: signal() }).catch(() => { stream.abort(new StreamTimeoutError('close timed out')) })
    if (answer.done) return true
    if (answer.error?.code === ErrorCode.NOT_FOUND) return false
    throw new ProtocolViolationError(`${holder.peerId} answered "done" with ${answer.error?.message ?? 'a chunk'}`)
  } catch (err) {
    stream.abort(asError(err))
    throw err
  }
}

async function transfer (libp2p: Libp2p, holder: DialTarget, download: BlobDownload, options: PullOptions): Promise<DownloadRecord> {
  const { ref } = download.record
  const { chunkCount, chunkSize, size, key, cipher } = ref
  blobCipherName(cipher) // throws UnknownBlobCipherError before anything is dialled
  const blobIdBytes = unhex(download.blobId)
  const secret = createSecretKey(key) // imported once, not once per chunk
  const inFlight = Math.min(Math.max(1, Math.floor(options.inFlight ?? DEFAULT_BLOB_IN_FLIGHT)), BLOB_MAX_CHUNKS_PER_REQUEST)
  const chunkTimeoutMs = options.chunkTimeoutMs ?? BLOB_CHUNK_TIMEOUT_MS
  const maxFrame = Math.min(chunkSize, MAX_CHUNK_SIZE) + BLOB_TAG_BYTES + CHUNK_FRAME_OVERHEAD_BYTES

  const stream = await openStream(libp2p, holder, BLOB_PROTOCOL, options.dialTimeoutMs ?? BLOB_DIAL_TIMEOUT_MS, options.signal, options.watch)
  // Room for every chunk asked for and one more: a holder that pushes beyond what was
  // asked overflows the buffer (ExtraChunkError) instead of growing our memory.
  const lp = lpStream(stream, { maxDataLength: maxFrame, maxBufferSize: (inFlight + 1) * (maxFrame + 8) })
  const signalFor = (): AbortSignal => options.signal == null ? AbortSignal.timeout(chunkTimeoutMs) : AbortSignal.any([options.signal, AbortSignal.timeout(chunkTimeoutMs)])

  const readChunk = async (): Promise<ChunkFrame | undefined> => {
    let frame
    try {
      frame = await lp.read({ signal: signalFor() })
    } catch (err) {
      const name = errorName(err)
      if (name === 'UnexpectedEOFError') return undefined
      if (name === 'InvalidDataLengthError' || name === 'InvalidDataLengthLengthError') throw new ChunkSizeError(download.record.nextChunk, maxFrame, Number.NaN)
      if (name === 'StreamBufferError') throw new ExtraChunkError(`${holder.peerId} sent more than was asked for`)
      if (options.signal?.aborted === true) throw options.signal.reason ?? err
      if (name === 'TimeoutError' || name === 'AbortError') throw new StreamTimeoutError(`no chunk from ${holder.peerId} within ${chunkTimeoutMs} ms`)
      throw new BlobTransferInterruptedError(`the stream from ${holder.peerId} broke: ${asError(err).message}`, { cause: err })
    }
    try {
      return decodeChunkFrame(frame)
    } catch (err) {
      throw new ProtocolViolationError(`${holder.peerId} sent a frame that is not a blob chunk`, { cause: err })
    }
  }
  const refusal = (chunk: BlobChunk): Error | undefined => chunk.error == null
    ? undefined
    : new PeerRefusedError(chunk.error.code, chunk.error.message, chunk.error.retryable)

  try {
    let expected = download.record.nextChunk
    let requested = expected
    const requestMore = async (): Promise<void> => {
      const count = Math.min(inFlight - (requested - expected), chunkCount - requested)
      if (count <= 0) return
      await lp.write(BlobRequest.encode({ blobId: blobIdBytes, firstChunk: requested, count }), { signal: signalFor() })
      requested += count
    }

    await requestMore()
    while (expected < chunkCount) {
      // lpStream hands out buffered frames without looking at the signal: look ourselves.
      options.signal?.throwIfAborted()
      const received = await readChunk()
      if (received === undefined) throw new BlobTransferInterruptedError(`${holder.peerId} ended the transfer at chunk ${expected} of ${chunkCount}`)
      const { chunk, data } = received
      const refused = refusal(chunk)
      if (refused !== undefined) throw refused
      if (chunk.done || !Buffer.from(chunk.blobId).equals(blobIdBytes)) throw new ChunkOutOfOrderError(expected, chunk.index)
      if (chunk.index >= chunkCount) throw new ExtraChunkError(`${holder.peerId} sent chunk ${chunk.index} of a blob with ${chunkCount} chunks`)
      if (chunk.index !== expected) throw new ChunkOutOfOrderError(expected, chunk.index)
      const due = plainChunkSize(size, chunkSize, expected) + BLOB_TAG_BYTES
      if (data.byteLength !== due) throw new ChunkSizeError(expected, due, data.byteLength)
      if (chunk.last !== (expected === chunkCount - 1)) throw new BlobSizeMismatchError(`${holder.peerId} says the blob ends at chunk ${expected}, the ref says it has ${chunkCount} chunks`)
      const plaintext = openChunkParts(cipher, secret, blobIdBytes, expected, data)
      expected++
      // Ask for the next before writing this one, so the pipe stays full while we fsync.
      await requestMore()
      await download.appendVerifiedChunk(chunk.index, plaintext)
      // Copied into staging and the hash ring by now: free the decipher's pieces at once.
      releaseBuffers(plaintext)
      options.onProgress?.(download.record.bytesDone, size)
    }
    options.signal?.throwIfAborted()
    await download.verify()

    // Tell the holder we have it all, and use its answer as a barrier: anything but that
    // answer arriving first is a chunk nobody asked for.
    await lp.write(BlobRequest.encode({ blobId: blobIdBytes, done: true }), { signal: signalFor() })
    const answer = (await readChunk())?.chunk
    if (answer !== undefined && answer.error == null && !answer.done) throw new ExtraChunkError(`${holder.peerId} sent chunk ${answer.index} after the blob's last chunk`)
    // An error or no answer to `done` (the holder dropped the blob meanwhile, or went away)
    // changes nothing here: every byte is already verified.
    await stream.close({ signal: signalFor() }).catch(() => { stream.abort(new StreamTimeoutError('close timed out')) })
    return await download.finish()
  } catch (err) {
    stream.abort(asError(err))
    throw err
  }
}
