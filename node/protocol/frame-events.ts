import * as varint from 'uint8-varint'
import { Uint8ArrayList } from 'uint8arraylist'
import { FrameTooLargeError, StreamTimeoutError } from './framed.js'
import type { Stream, StreamMessageEvent } from '@libp2p/interface'

/** What an event-driven framed stream tells its owner. */
export interface FrameEventsOwner {
  /** One whole frame (at most maxFrameBytes). Synchronous; a throw aborts the stream. */
  onFrame(frame: Uint8Array): void
  /** The stream is gone (both sides closed, reset, aborted or timed out). Called once. */
  onClose(): void
}

export interface FrameEventsInit {
  maxFrameBytes: number
  /** Frames waiting for the peer to read before the stream is cut ("too slow"). */
  maxQueuedFrames: number
  /** How long a blocked write may wait for the peer to read before the stream is cut. */
  writeTimeoutMs: number
}

export class PeerTooSlowError extends Error {
  static readonly NAME = 'PeerTooSlowError'
  override name = PeerTooSlowError.NAME
  readonly retryable = true
}

/**
 * Length-prefixed frames (unsigned varint length, as `lpStream`) on a long-lived libp2p
 * stream, driven by the stream's own events instead of an async read loop. Between
 * frames it holds no promise, async frame, deadline or read buffer: only this object and
 * its three listeners. A read loop (`FramedStream`: `lpStream` over `byteStream`) keeps a
 * suspended read per stream (its async frames, a `Promise.withResolvers`, the varint's
 * list, the raced promise) that lives from one frame to the next, long enough to reach
 * V8's old generation on a server where the next frame is a heartbeat seconds away, and
 * each write armed a 10 s `AbortSignal.timeout`: a cache server holding a thousand
 * presence streams kept all of that (bench presence, docs/benchmarks.md). Here a write
 * that the stream takes at once costs one buffer; only a blocked one arms a timer and
 * listens for `drain`.
 *
 * Reading: frames are handed to `owner.onFrame` synchronously as they complete; a length
 * over `maxFrameBytes` aborts the stream with FrameTooLargeError. When the peer closes its
 * side, `end()` is called for it (queued frames go out, then ours closes).
 */
export class FrameEvents {
  private partial?: Uint8ArrayList
  private readonly queue: Uint8Array[] = []
  private blocked = false
  private writeTimer?: NodeJS.Timeout
  private ending = false
  private closed = false
  private readonly maxLengthBytes: number

  constructor (readonly stream: Stream, private readonly owner: FrameEventsOwner, private readonly init: FrameEventsInit) {
    this.maxLengthBytes = varint.encodingLength(init.maxFrameBytes)
    stream.addEventListener('message', this)
    stream.addEventListener('remoteCloseWrite', this)
    stream.addEventListener('close', this)
    // Events dispatched before we listened are not repeated (buffered data is: the
    // 'message' listener gets it in a microtask, queued before these).
    if (stream.status !== 'open') queueMicrotask(() => { this.gone() })
    else if (stream.remoteWriteStatus !== 'writable') queueMicrotask(() => { this.end() })
  }

  /** The stream's events (this object is their listener: no closure per listener). */
  handleEvent (evt: Event): void {
    if (evt.type === 'message') this.received((evt as StreamMessageEvent).data)
    else if (evt.type === 'remoteCloseWrite') this.end()
    else if (evt.type === 'close') this.gone()
    else if (evt.type === 'drain') this.drained()
  }

  /** Send one frame now, or queue it behind frames the peer has not read yet. */
  send (frame: Uint8Array): void {
    if (this.closed || this.ending) return
    if (this.blocked) {
      if (this.queue.length >= this.init.maxQueuedFrames) { this.abort(new PeerTooSlowError(`more than ${this.init.maxQueuedFrames} frames waiting for the peer`)); return }
      this.queue.push(frame)
      return
    }
    this.write(frame)
  }

  /** Stop reading; send what is queued, then close our side. */
  end (): void {
    if (this.ending || this.closed) return
    this.ending = true
    this.partial = undefined
    if (!this.blocked) this.closeWrite()
  }

  abort (err: Error): void {
    this.stream.abort(err)
    this.gone()
  }

  private write (frame: Uint8Array): void {
    const lengthBytes = varint.encodingLength(frame.byteLength)
    const out = new Uint8Array(lengthBytes + frame.byteLength)
    varint.encode(frame.byteLength, out)
    out.set(frame, lengthBytes)
    let accepted: boolean
    try {
      accepted = this.stream.send(out)
    } catch (err) {
      this.abort(err as Error)
      return
    }
    if (!accepted) {
      this.blocked = true
      this.stream.addEventListener('drain', this)
      this.writeTimer = setTimeout(() => { this.abort(new StreamTimeoutError(`could not write within ${this.init.writeTimeoutMs} ms`)) }, this.init.writeTimeoutMs)
    }
  }

  private drained (): void {
    if (!this.blocked) return
    this.blocked = false
    clearTimeout(this.writeTimer)
    this.writeTimer = undefined
    this.stream.removeEventListener('drain', this)
    while (!this.blocked && !this.closed) {
      const next = this.queue.shift()
      if (next == null) break
      this.write(next)
    }
    if (!this.blocked && this.ending && !this.closed) this.closeWrite()
  }

  private closeWrite (): void {
    this.stream.close().catch(() => { this.abort(new StreamTimeoutError('close failed')) })
  }

  private received (data: Uint8Array | Uint8ArrayList): void {
    if (this.ending || this.closed) return
    let buf: Uint8Array | Uint8ArrayList = data
    if (this.partial != null) { this.partial.append(data); buf = this.partial }
    let offset = 0
    while (!this.ending && !this.closed) {
      // The varint length (read as lpStream reads it); unfinished within maxLengthBytes, too large.
      let length: number
      try {
        length = varint.decode(buf, offset)
      } catch {
        if (buf.byteLength - offset >= this.maxLengthBytes) { this.tooLarge(); return }
        break
      }
      if (length > this.init.maxFrameBytes) { this.tooLarge(); return }
      const header = varint.encodingLength(length)
      if (buf.byteLength - offset - header < length) break
      const frame = buf.subarray(offset + header, offset + header + length)
      offset += header + length
      try {
        this.owner.onFrame(frame)
      } catch (err) {
        this.abort(err as Error)
        return
      }
    }
    if (this.ending || this.closed) return
    if (offset === buf.byteLength) { this.partial = undefined; return }
    if (buf === this.partial) { this.partial.consume(offset); return }
    this.partial = buf instanceof Uint8Array ? new Uint8ArrayList(buf.subarray(offset)) : buf.sublist(offset)
  }

  private tooLarge (): void {
    this.abort(new FrameTooLargeError(`frame larger than ${this.init.maxFrameBytes} bytes`))
  }

  private gone (): void {
    if (this.closed) return
    this.closed = true
    this.partial = undefined
    this.queue.length = 0
    clearTimeout(this.writeTimer)
    this.stream.removeEventListener('message', this)
    this.stream.removeEventListener('remoteCloseWrite', this)
    this.stream.removeEventListener('close', this)
    if (this.blocked) this.stream.removeEventListener('drain', this)
    this.owner.onClose()
  }
}
