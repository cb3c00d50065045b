import { lpStream } from '@libp2p/utils'
import { errorName } from '../errors.js'
import type { Stream } from '@libp2p/interface'

/** What lpStream throws for a frame over its bounds. */
const OVERSIZE_ERRORS = new Set(['InvalidDataLengthError', 'InvalidDataLengthLengthError', 'StreamBufferError'])

export class FrameTooLargeError extends Error {
  static readonly NAME = 'FrameTooLargeError'
  override name = FrameTooLargeError.NAME
}

/**
 * A frame from the peer is not the message the protocol expects (protons throws plain
 * Error / RangeError on bad bytes). Retryable: another holder, or a later try, may answer
 * properly.
 */
export class MalformedFrameError extends Error {
  static readonly NAME = 'MalformedFrameError'
  override name = MalformedFrameError.NAME
  readonly retryable = true
}

/** A protons codec with its decode options (repeated-field limits). */
export interface FrameCodec<T, L = unknown> {
  decode(bytes: Uint8Array, opts?: { limits?: L }): T
}

/**
 * Decode one frame from a peer with the given repeated-field limits. Whatever the bytes,
 * it returns the message or throws MalformedFrameError naming `what`.
 *
 * @example const req = decodeFrame(FetchRequest, frame, 'fetch request')
 */
export function decodeFrame<T, L> (codec: FrameCodec<T, L>, bytes: Uint8Array, what: string, limits?: L): T {
  try {
    return limits == null ? codec.decode(bytes) : codec.decode(bytes, { limits })
  } catch (err) {
    throw new MalformedFrameError(`the ${what} did not decode`, { cause: err })
  }
}

export class StreamTimeoutError extends Error {
  static readonly NAME = 'StreamTimeoutError'
  override name = StreamTimeoutError.NAME
  readonly retryable = true
}

/**
 * A length-prefixed frame reader/writer over a libp2p stream with the bounds every
 * peerpost protocol needs: a byte cap on each frame (set for untrusted peers: lpStream
 * is unbounded by default) and a deadline on each read and write.
 */
export class FramedStream {
  private readonly lp

  constructor (readonly stream: Stream, private readonly maxFrameBytes: number) {
    this.lp = lpStream(stream, { maxDataLength: maxFrameBytes, maxBufferSize: maxFrameBytes + 16 })
  }

  /**
   * The next frame, or undefined when the peer has finished writing (or the stream ended
   * mid-frame). Throws FrameTooLargeError for an oversized frame and StreamTimeoutError
   * when nothing arrives in time.
   */
  async read (timeoutMs: number, signal?: AbortSignal): Promise<Uint8Array | undefined> {
    const deadline = AbortSignal.timeout(timeoutMs)
    return this.readFrame(signal == null ? deadline : AbortSignal.any([signal, deadline]), { signal: deadline, ms: timeoutMs })
  }

  /**
   * The next frame with no deadline of its own, for a long-lived stream whose idleness the
   * caller bounds otherwise (IdleStreams); same results and errors as `read` otherwise.
   */
  async readUntimed (): Promise<Uint8Array | undefined> {
    return this.readFrame()
  }

  private async readFrame (signal?: AbortSignal, deadline?: { signal: AbortSignal, ms: number }): Promise<Uint8Array | undefined> {
    try {
      return (await this.lp.read(signal == null ? undefined : { signal })).subarray()
    } catch (err) {
      const name = errorName(err)
      if (OVERSIZE_ERRORS.has(name)) throw new FrameTooLargeError(`frame larger than ${this.maxFrameBytes} bytes`)
      if (deadline?.signal.aborted === true) throw new StreamTimeoutError(`nothing arrived within ${deadline.ms} ms`)
      if (name === 'UnexpectedEOFError') return undefined
      throw err
    }
  }

  async write (frame: Uint8Array, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const deadline = AbortSignal.timeout(timeoutMs)
    try {
      await this.lp.write(frame, { signal: signal == null ? deadline : AbortSignal.any([signal, deadline]) })
    } catch (err) {
      if (deadline.aborted) throw new StreamTimeoutError(`could not write within ${timeoutMs} ms`)
      throw err
    }
  }

  /** Half-close our side (the peer sees the end of our frames). */
  async close (timeoutMs = 5_000): Promise<void> {
    await this.stream.close({ signal: AbortSignal.timeout(timeoutMs) }).catch(() => { this.stream.abort(new StreamTimeoutError('close timed out')) })
  }

  abort (err: Error): void {
    this.stream.abort(err)
  }
}
