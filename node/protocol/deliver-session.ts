import { lpStream } from '@libp2p/utils'
import { asError, DeliveryTimeoutError, errorName, PeerRefusedError, ProtocolViolationError } from '../errors.js'
import { equalBytes } from '../crypto/hash.js'
import { decodeFrame } from './framed.js'
import { DeliverRequest, DeliverResponse } from './peerpost.js'
import type { Stream } from '@libp2p/interface'
import type { Receipt } from './peerpost.js'

/** One envelope to hand over: its id and its encoded bytes (what the receipt hashes). */
export interface SessionEnvelope {
  envelopeId: Uint8Array
  bytes: Uint8Array
}

/**
 * What became of one envelope on a session. `streamFailed` marks a failure of the stream
 * itself (reset, closed, timed out, a broken answer), as opposed to the peer's answer for
 * this envelope: only those may be tried again on a fresh stream.
 */
export type SessionOutcome =
  /** `stampExempt`: the answer said so (DeliverResponse.stampExempt); the caller decides whether to trust it. */
  | { ok: true, envelopeId: Uint8Array, receipt: Receipt, stampExempt?: boolean }
  | { ok: false, envelopeId: Uint8Array, error: Error, streamFailed: boolean }

export interface DeliverSessionInit {
  peerId: string
  /** Requests written and not yet answered, at most. */
  window: number
  /** An answer must come within this long of waiting for it. */
  responseTimeoutMs: number
  /** Close the stream after this long with nothing to send. */
  idleCloseMs: number
  maxResponseBytes: number
  /**
   * Checks a receipt for the envelopes it covers (the one it answers last, those answered
   * before it with `receiptFollows` first, in order); throws to reject it.
   */
  verifyReceipt(receipt: Receipt, covered: SessionEnvelope[]): void
  /** Called once when the session can take no more envelopes. */
  onClosed(session: DeliverSession): void
}

interface Waiting {
  envelope: SessionEnvelope
  settle(outcome: SessionOutcome): void
}

/**
 * One long-lived deliver (or park) stream to one peer. Envelopes from any number of
 * callers are written in the order they are submitted, up to `window` unanswered, and the
 * peer answers them in that order on the same stream; the stream stays open between
 * messages (a new stream costs ~3x an open one's round trip here) and is closed after
 * `idleCloseMs` without traffic, before the receiver's own idle timeout would cut it.
 * Any failure of the stream fails every envelope still waiting, marked `streamFailed`.
 */
export class DeliverSession {
  private readonly lp
  /** Not yet answered, in submission order; the first `written` of them are on the wire. */
  private readonly waiting: Waiting[] = []
  private written = 0
  /** Answered `receiptFollows`: stored by the peer, settled once the receipt covering them verifies. */
  private readonly stored: Waiting[] = []
  private writing = false
  private pumpScheduled = false
  private reading = false
  private failure: Error | undefined
  private idleTimer: NodeJS.Timeout | undefined

  constructor (readonly stream: Stream, private readonly init: DeliverSessionInit) {
    this.lp = lpStream(stream, { maxDataLength: init.maxResponseBytes, maxBufferSize: init.maxResponseBytes * init.window })
    // A stream the peer or the connection closes while idle must not be picked up again.
    stream.addEventListener('close', () => { this.fail(new ProtocolViolationError(`the stream to ${init.peerId} closed`)) }, { once: true })
    stream.addEventListener('remoteCloseWrite', () => { if (this.waiting.length === 0) this.fail(new ProtocolViolationError(`${init.peerId} closed the stream`)) }, { once: true })
    this.armIdle()
  }

  /** Whether new envelopes can go on this stream. */
  get usable (): boolean {
    const s = this.stream
    return this.failure == null && s.status === 'open' && s.writeStatus === 'writable' && s.remoteWriteStatus === 'writable' && s.remoteReadStatus === 'readable'
  }

  /** Hand over one envelope; resolves with its outcome, never rejects. */
  async submit (envelope: SessionEnvelope): Promise<SessionOutcome> {
    if (this.failure != null) return { ok: false, envelopeId: envelope.envelopeId, error: this.failure, streamFailed: true }
    this.disarmIdle()
    return await new Promise<SessionOutcome>(resolve => {
      this.waiting.push({ envelope, settle: resolve })
      this.pump()
    })
  }

  /** Stop using the stream: everything still waiting fails with `err`. */
  abort (err: Error): void {
    this.fail(err)
  }

  /**
   * Write what waits, within the window, in as few writes as it can: every envelope that
   * is ready goes in one length-prefixed batch, so one muxer frame, one Noise frame and
   * one socket write carry them all. Like Nagle's algorithm: with nothing unanswered on the
   * wire the batch goes at once (latency); with requests in flight it waits for the end of
   * this turn of the event loop, so envelopes sealed in the same turn go together (their
   * answers are not due yet anyway). One writer at a time keeps the order.
   */
  private pump (): void {
    if (this.writing || this.failure != null) return
    if (this.written > 0) {
      if (this.pumpScheduled) return
      this.pumpScheduled = true
      setImmediate(() => {
        this.pumpScheduled = false
        this.writeReady()
      })
      return
    }
    this.writeReady()
  }

  private writeReady (): void {
    if (this.writing || this.failure != null) return
    this.writing = true
    void (async () => {
      try {
        while (this.failure == null && this.written < this.waiting.length && this.written < this.init.window) {
          const batch = this.waiting.slice(this.written, Math.min(this.waiting.length, this.init.window))
          await this.lp.writeV(batch.map(w => DeliverRequest.encode({ envelope: w.envelope.bytes as Uint8Array<ArrayBuffer> })), { signal: AbortSignal.timeout(this.init.responseTimeoutMs) })
          this.written += batch.length
          this.read()
        }
      } catch (err) {
        this.fail(asError(err))
      } finally {
        this.writing = false
      }
      // More may have been submitted, or the window opened, during the last write.
      if (this.failure == null && this.written < Math.min(this.waiting.length, this.init.window)) this.pump()
    })()
  }

  /** Read answers while requests are on the wire. */
  private read (): void {
    if (this.reading || this.failure != null) return
    this.reading = true
    void (async () => {
      try {
        while (this.failure == null && this.written > 0) {
          let frame: Uint8Array
          try {
            frame = (await this.lp.read({ signal: AbortSignal.timeout(this.init.responseTimeoutMs) })).subarray()
          } catch (err) {
            const name = errorName(err)
            if (name === 'TimeoutError' || name === 'AbortError') throw new DeliveryTimeoutError(`no answer from ${this.init.peerId} within ${this.init.responseTimeoutMs} ms`)
            throw err
          }
          const head = this.waiting[0]
          if (head == null) throw new ProtocolViolationError(`${this.init.peerId} answered a request that was not sent`)
          const response = decodeFrame(DeliverResponse, frame, 'deliver response', { receipt: { earlier: this.init.window } })
          this.waiting.shift()
          this.written--
          try {
            this.answer(head, response)
          } catch (err) {
            head.settle({ ok: false, envelopeId: head.envelope.envelopeId, error: asError(err), streamFailed: true })
            throw err
          }
          this.pump()
        }
        if (this.stored.length > 0) throw new ProtocolViolationError(`${this.init.peerId} owes the receipt for ${this.stored.length} stored envelopes and has nothing left to answer`)
      } catch (err) {
        this.fail(asError(err))
      } finally {
        this.reading = false
      }
      if (this.failure == null && this.waiting.length === 0) this.armIdle()
    })()
  }

  /**
   * Settle what one answer decides: a refusal settles its envelope; `receiptFollows` holds
   * it until the receipt that covers it; a receipt settles every envelope it covers once it
   * verifies. Throws ProtocolViolationError (or the verifier's error) to fail the stream.
   */
  private answer (head: Waiting, response: DeliverResponse): void {
    const { envelope } = head
    const peer = this.init.peerId
    if (response.error != null) {
      if (this.stored.length > 0) throw new ProtocolViolationError(`${peer} refused an envelope while it owed a receipt`)
      const { code, message, retryable } = response.error
      head.settle({ ok: false, envelopeId: envelope.envelopeId, error: new PeerRefusedError(code, message, retryable), streamFailed: false })
      return
    }
    if (response.receiptFollows === true && response.receipt == null) {
      if (!equalBytes(response.envelopeId, envelope.envelopeId)) throw new ProtocolViolationError(`${peer} answered for another envelope than was sent`)
      this.stored.push(head)
      return
    }
    if (response.receipt == null) throw new ProtocolViolationError(`${peer} answered with neither a receipt nor an error`)
    // A receipt that does not verify throws: the stream fails, and so does every envelope it
    // would have covered (those still in `stored`, and the head), to go again on a fresh stream.
    this.init.verifyReceipt(response.receipt, [...this.stored, head].map(w => w.envelope))
    for (const w of [...this.stored.splice(0), head]) {
      const outcome: SessionOutcome = { ok: true, envelopeId: w.envelope.envelopeId, receipt: response.receipt }
      if (response.stampExempt === true) outcome.stampExempt = true
      w.settle(outcome)
    }
  }

  private armIdle (): void {
    this.disarmIdle()
    this.idleTimer = setTimeout(() => { this.closeIdle() }, this.init.idleCloseMs)
    this.idleTimer.unref()
  }

  private disarmIdle (): void {
    if (this.idleTimer != null) clearTimeout(this.idleTimer)
    this.idleTimer = undefined
  }

  /** Nothing to send for a while: finish the stream politely. */
  private closeIdle (): void {
    if (this.failure != null || this.waiting.length > 0 || this.stored.length > 0) return
    this.failure = new ProtocolViolationError('the idle stream was closed')
    this.init.onClosed(this)
    this.stream.close({ signal: AbortSignal.timeout(this.init.responseTimeoutMs) }).catch(() => { this.stream.abort(new Error('closing an idle deliver stream timed out')) })
  }

  private fail (err: Error): void {
    if (this.failure != null && this.waiting.length === 0 && this.stored.length === 0) return
    const first = this.failure == null
    this.failure ??= err
    this.disarmIdle()
    const left = [...this.stored.splice(0), ...this.waiting.splice(0)]
    this.written = 0
    for (const w of left) w.settle({ ok: false, envelopeId: w.envelope.envelopeId, error: err, streamFailed: true })
    if (first) {
      if (this.stream.status === 'open') this.stream.abort(err)
      this.init.onClosed(this)
    }
  }
}
