import { StreamTimeoutError } from './framed.js'
import type { Stream } from '@libp2p/interface'

export interface IdleStreamsInit {
  /** A stream that receives nothing for this long is aborted. */
  idleMs: number
  now: () => number
}

/**
 * Long-lived streams that must hear from their peer within `idleMs`, checked by one
 * periodic `sweep()` instead of a deadline per read. A per-read deadline is an
 * `AbortSignal.timeout` (a timer, a finalization cell and an abort listener) made for every
 * heartbeat and kept until the next one, long enough to reach V8's old generation: on a
 * cache server with a thousand presence streams that is garbage the heap grows by.
 *
 * @example
 * const idle = new IdleStreams({ idleMs: 30 * 60_000, now: Date.now })
 * idle.touch(stream)               // on open and on every frame received
 * setInterval(() => idle.sweep(), 5_000)
 * idle.forget(stream)              // when the handler is done with it
 */
export class IdleStreams {
  private readonly lastHeard = new Map<Stream, number>()

  constructor (private readonly init: IdleStreamsInit) {}

  get size (): number { return this.lastHeard.size }

  /** The peer was heard from on `stream` now (starts watching it). */
  touch (stream: Stream): void {
    this.lastHeard.set(stream, this.init.now())
  }

  forget (stream: Stream): void {
    this.lastHeard.delete(stream)
  }

  /** Abort (and forget) every stream silent for longer than `idleMs`; returns how many. */
  sweep (): number {
    const cutoff = this.init.now() - this.init.idleMs
    let aborted = 0
    for (const [stream, heard] of this.lastHeard) {
      if (heard >= cutoff) continue
      this.lastHeard.delete(stream)
      stream.abort(new StreamTimeoutError(`nothing arrived within ${this.init.idleMs} ms`))
      aborted++
    }
    return aborted
  }
}
