import { lpStream } from '@libp2p/utils'
import { asError, PeerRefusedError, DeliveryTimeoutError, errorName, ProtocolViolationError } from '../errors.js'
import { errorReply, errorReplyFor } from './errors.js'
import { ErrorCode, DeliverRequest, DeliverResponse } from './peerpost.js'
import { decodeFrame } from './framed.js'
import { openStream } from './rpc.js'
import type { Connection, Logger, Stream } from '@libp2p/interface'
import type { PeerpostLibp2p } from '../network.js'
import type { Receipt } from './peerpost.js'

export const DELIVER_PROTOCOL = '/peerpost/deliver/1.0.0'
/** Parking is the same hand-off to a holder (cache server or co-recipient), whose receipt says it keeps the envelope. */
export const PARK_PROTOCOL = '/peerpost/park/1.0.0'
/** Streams one peer may have open on this protocol at once. */
export const DELIVER_MAX_INBOUND_STREAMS = 32
/** Requests a sender may have in flight on one stream; the receiver works on them concurrently. */
export const DELIVER_WINDOW = 32
/** A stream that sends nothing for this long is closed. */
export const DELIVER_IDLE_TIMEOUT_MS = 60_000
/** A response must arrive within this long after the request is written. */
export const DELIVER_RESPONSE_TIMEOUT_MS = 30_000
/** Responses are small: a receipt or an error. */
export const DELIVER_MAX_RESPONSE_BYTES = 16 * 1024
/** What lpStream throws for a frame over its bounds. */
const OVERSIZE_ERRORS = new Set(['InvalidDataLengthError', 'InvalidDataLengthLengthError', 'StreamBufferError'])
/**
 * How long to wait for the writer once the stream is aborted. A libp2p `close()` waiting
 * for window space was seen to stay pending after `abort()`; the writer catches its own
 * errors, so leaving it behind is safe.
 */
const WRITER_GRACE_MS = 1_000

/** Whether `promise` settled within `ms`. */
async function settledWithin (promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<boolean>(resolve => { timer = setTimeout(() => { resolve(false) }, ms) })
  try {
    return await Promise.race([promise.then(() => true, () => true), late])
  } finally {
    clearTimeout(timer)
  }
}

/** Read buffer beyond one frame: at most one muxer message (yamux sends up to its 256 KiB window). */
const READ_SLACK_BYTES = 256 * 1024
/** Framing and protobuf overhead around one envelope. */
const REQUEST_OVERHEAD_BYTES = 64

/** Stores one received envelope durably and returns its signed receipt; throws a typed error to refuse it. */
export type EnvelopeHandler = (envelopeBytes: Uint8Array, remotePeer: string) => Promise<Receipt>


/** Checks a receipt for the envelope it answers; throws to reject it. */
export type ReceiptVerifier = (receipt: Receipt, expectedSigner: string, envelopeId: Uint8Array, envelopeBytes: Uint8Array) => void

export interface DeliverTarget {
  peerId: string
  /** Addresses to try when there is no open connection. */
  addrs: string[]
}

export interface OutgoingEnvelope {
  envelopeId: Uint8Array
  bytes: Uint8Array
  /** The message refers to large attachments this node holds (notices name it as their location). */
  carriesBlobs?: boolean
}

export type DeliverOutcome =
  | { ok: true, envelopeId: Uint8Array, receipt: Receipt }
  | { ok: false, envelopeId: Uint8Array, error: Error }

export interface DeliverInit {
  /** DELIVER_PROTOCOL (to the recipient) or PARK_PROTOCOL (to a holder). */
  protocol?: string
  maxEnvelopeBytes: number
  idleTimeoutMs?: number
  responseTimeoutMs?: number
  dialTimeoutMs?: number
  window?: number
}

export interface DeliverComponents {
  libp2p: PeerpostLibp2p
  log: Logger
  /** Receiving side; absent on a node that only sends. */
  handler?: EnvelopeHandler
  verifyReceipt: ReceiptVerifier
}

/**
 * `/peerpost/deliver/1.0.0` (and `/peerpost/park/1.0.0`): a sender hands sealed envelopes
 * to an online recipient (or a holder) and gets a signed receipt for each, or a typed error. Requests are pipelined on one stream
 * (up to `window` in flight) and answered in order.
 */
export class DeliverProtocol {
  private readonly maxFrame: number
  private readonly idleTimeoutMs: number
  private readonly responseTimeoutMs: number
  private readonly dialTimeoutMs: number
  private readonly window: number
  readonly protocol: string

  constructor (private readonly components: DeliverComponents, init: DeliverInit) {
    this.maxFrame = init.maxEnvelopeBytes + REQUEST_OVERHEAD_BYTES
    this.idleTimeoutMs = init.idleTimeoutMs ?? DELIVER_IDLE_TIMEOUT_MS
    this.responseTimeoutMs = init.responseTimeoutMs ?? DELIVER_RESPONSE_TIMEOUT_MS
    this.dialTimeoutMs = init.dialTimeoutMs ?? 5_000
    this.window = init.window ?? DELIVER_WINDOW
    this.protocol = init.protocol ?? DELIVER_PROTOCOL
  }

  async start (): Promise<void> {
    if (this.components.handler == null) return
    await this.components.libp2p.handle(this.protocol, (stream, connection) => {
      this.serve(stream, connection).catch(err => {
        this.components.log.error('deliver stream from %p failed - %e', connection.remotePeer, err)
        stream.abort(err)
      })
    }, { maxInboundStreams: DELIVER_MAX_INBOUND_STREAMS, runOnLimitedConnection: true })
  }

  async stop (): Promise<void> {
    if (this.components.handler == null) return
    await this.components.libp2p.unhandle(this.protocol)
  }

  private async serve (stream: Stream, connection: Connection): Promise<void> {
    const handler = this.components.handler
    if (handler == null) return
    const remote = connection.remotePeer.toString()
    const log = this.components.log
    // The read buffer may exceed one frame by what a single muxer message carries: with
    // only a frame's worth, the chunk that holds an oversized frame's prefix overflowed the
    // buffer and reset the stream before the prefix was read, so the sender got a reset
    // (and retried) instead of TOO_LARGE.
    const lp = lpStream(stream, { maxDataLength: this.maxFrame, maxBufferSize: this.maxFrame + READ_SLACK_BYTES })

    // Responses go out in request order; `inFlight` bounds how many requests are being
    // worked on so one peer cannot make us buffer without limit.
    const responses: Array<Promise<DeliverResponse>> = []
    let inFlight = 0
    let wake: (() => void) | undefined
    let readerDone = false

    const writer = (async () => {
      while (true) {
        const next = responses.shift()
        if (next == null) {
          if (readerDone) return
          await new Promise<void>(resolve => { wake = resolve })
          wake = undefined
          continue
        }
        const response = await next
        inFlight--
        wake?.()
        await lp.write(DeliverResponse.encode(response), { signal: AbortSignal.timeout(this.responseTimeoutMs) })
      }
    })()

    const push = (response: Promise<DeliverResponse>): void => {
      inFlight++
      responses.push(response)
      wake?.()
    }

    try {
      while (true) {
        while (inFlight >= this.window) {
          await new Promise<void>(resolve => { wake = resolve })
          wake = undefined
        }
        let frame: Uint8Array
        try {
          frame = (await lp.read({ signal: AbortSignal.timeout(this.idleTimeoutMs) })).subarray()
        } catch (err) {
          if (OVERSIZE_ERRORS.has(errorName(err))) {
            // Take no more of the frame (the muxer's window then holds the sender back), so
            // the refusal goes out instead of a reset when the buffer would overflow.
            stream.pause()
            push(Promise.resolve({ envelopeId: new Uint8Array(0), error: errorReply(ErrorCode.TOO_LARGE, `frame larger than ${this.maxFrame} bytes`) }))
            log('deliver from %p: oversized frame', connection.remotePeer)
          }
          // End of requests, a truncated frame, a stalled peer or a reset: stop reading.
          break
        }
        let request: DeliverRequest
        try {
          request = DeliverRequest.decode(frame)
        } catch {
          push(Promise.resolve({ envelopeId: new Uint8Array(0), error: errorReply(ErrorCode.MALFORMED, 'request did not decode') }))
          break
        }
        const envelopeBytes = request.envelope
        push(handler(envelopeBytes, remote).then(
          receipt => ({ envelopeId: receipt.envelopeId, receipt }),
          (err: unknown) => {
            const error = errorReplyFor(err)
            if (error.code === ErrorCode.INTERNAL) log.error('deliver from %s failed - %e', remote, err)
            return { envelopeId: new Uint8Array(0), error }
          }
        ))
      }
    } finally {
      readerDone = true
      wake?.()
    }
    await writer
    await stream.close({ signal: AbortSignal.timeout(this.responseTimeoutMs) }).catch(() => { stream.abort(new Error('close timed out')) })
  }

  /**
   * Deliver envelopes to one peer over one stream, pipelined. Resolves to one outcome per
   * envelope, in order; never rejects for a per-envelope failure.
   */
  async deliver (target: DeliverTarget, envelopes: OutgoingEnvelope[], options: { signal?: AbortSignal } = {}): Promise<DeliverOutcome[]> {
    const outcomes: DeliverOutcome[] = []
    const failRest = (err: Error): DeliverOutcome[] => {
      for (let i = outcomes.length; i < envelopes.length; i++) outcomes.push({ ok: false, envelopeId: envelopes[i]!.envelopeId, error: err })
      return outcomes
    }
    let stream: Stream
    try {
      stream = await openStream(this.components.libp2p, target, this.protocol, this.dialTimeoutMs, options.signal)
    } catch (err) {
      return failRest(asError(err))
    }
    const lp = lpStream(stream, { maxDataLength: DELIVER_MAX_RESPONSE_BYTES, maxBufferSize: DELIVER_MAX_RESPONSE_BYTES * this.window })
    let written = 0
    let writeError: Error | undefined
    let wake: (() => void) | undefined
    // Set when the reader gives up: a writer waiting for window space must stop, not wait
    // for responses that will never come (it used to hang deliver() when the peer died).
    let readerFailed = false
    const writer = (async () => {
      try {
        for (const envelope of envelopes) {
          while (written - outcomes.length >= this.window) {
            if (readerFailed) return
            await new Promise<void>(resolve => { wake = resolve })
            wake = undefined
          }
          if (readerFailed) return
          await lp.write(DeliverRequest.encode({ envelope: envelope.bytes as Uint8Array<ArrayBuffer> }), { signal: options.signal })
          written++
        }
        await stream.close({ signal: options.signal })
      } catch (err) {
        writeError = asError(err)
      }
    })()
    try {
      while (outcomes.length < envelopes.length) {
        const envelope = envelopes[outcomes.length]!
        const signal = options.signal == null ? AbortSignal.timeout(this.responseTimeoutMs) : AbortSignal.any([options.signal, AbortSignal.timeout(this.responseTimeoutMs)])
        let frame: Uint8Array
        try {
          frame = (await lp.read({ signal })).subarray()
        } catch (err) {
          if (errorName(err) === 'TimeoutError' || errorName(err) === 'AbortError') throw new DeliveryTimeoutError(`no answer from ${target.peerId} within ${this.responseTimeoutMs} ms`)
          throw writeError ?? err
        }
        const response = decodeFrame(DeliverResponse, frame, 'deliver response')
        if (response.error != null) {
          const { code, message, retryable } = response.error
          outcomes.push({ ok: false, envelopeId: envelope.envelopeId, error: new PeerRefusedError(code, message, retryable) })
          // The receiver closes the stream after an error reply: the rest go on a new stream.
          if (outcomes.length < envelopes.length) throw new ProtocolViolationError('stream closed after an error reply')
          break
        }
        if (response.receipt == null) throw new ProtocolViolationError(`${target.peerId} answered with neither a receipt nor an error`)
        this.components.verifyReceipt(response.receipt, target.peerId, envelope.envelopeId, envelope.bytes)
        outcomes.push({ ok: true, envelopeId: envelope.envelopeId, receipt: response.receipt })
        wake?.()
      }
    } catch (err) {
      readerFailed = true
      stream.abort(asError(err))
      wake?.()
      await settledWithin(writer, WRITER_GRACE_MS)
      return failRest(asError(err))
    }
    // Every envelope has its answer. After a refusal the peer may have stopped reading (an
    // oversized frame it refused), so a write or half-close still under way would wait for
    // window space forever: drop the stream. Otherwise let the close finish, in bounded time.
    if (written < envelopes.length || outcomes.some(o => !o.ok)) {
      stream.abort(new ProtocolViolationError('the peer answered every request; the rest of the stream is not needed'))
      await settledWithin(writer, WRITER_GRACE_MS)
    } else if (!await settledWithin(writer, this.responseTimeoutMs)) {
      stream.abort(new DeliveryTimeoutError(`closing the stream to ${target.peerId} timed out`))
    }
    return outcomes
  }
}
