import { peerIdFromString } from '@libp2p/peer-id'
import { lpStream } from '@libp2p/utils'
import { asError, DeliveryTimeoutError, errorName } from '../errors.js'
import { errorReply, errorReplyFor } from './errors.js'
import { ErrorCode, DeliverRequest, DeliverResponse } from './peerpost.js'
import { openStream } from './rpc.js'
import { DeliverSession } from './deliver-session.js'
import type { SessionOutcome } from './deliver-session.js'
import type { Connection, Libp2p, Logger, Stream } from '@libp2p/interface'
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
/**
 * A sender closes its stream to a peer after this long with nothing to send: below the
 * receiver's idle timeout, so the receiver seldom cuts a stream the sender is about to use.
 */
export const DELIVER_SESSION_IDLE_MS = 20_000
/** A response must arrive within this long after the request is written. */
export const DELIVER_RESPONSE_TIMEOUT_MS = 30_000
/** Responses are small: a receipt or an error. */
export const DELIVER_MAX_RESPONSE_BYTES = 16 * 1024
/** What lpStream throws for a frame over its bounds. */
const OVERSIZE_ERRORS = new Set(['InvalidDataLengthError', 'InvalidDataLengthLengthError', 'StreamBufferError'])
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
  /** `stampExempt`: the recipient says I am its contact (DeliverResponse.stampExempt; never from a holder). */
  | { ok: true, envelopeId: Uint8Array, receipt: Receipt, stampExempt?: boolean }
  | { ok: false, envelopeId: Uint8Array, error: Error }

export interface DeliverInit {
  /** DELIVER_PROTOCOL (to the recipient) or PARK_PROTOCOL (to a holder). */
  protocol?: string
  maxEnvelopeBytes: number
  idleTimeoutMs?: number
  responseTimeoutMs?: number
  dialTimeoutMs?: number
  window?: number
  /** Close a sender's stream after this long without envelopes to send. */
  sessionIdleMs?: number
}

export interface DeliverComponents {
  libp2p: Libp2p
  log: Logger
  /** Receiving side; absent on a node that only sends. */
  handler?: EnvelopeHandler
  verifyReceipt: ReceiptVerifier
  /**
   * Receiving side: whether the peer on this stream is my contact, told next to each receipt
   * so it stops minting stamps for me (DeliverResponse.stampExempt). Absent: never said.
   */
  stampExempt?: (remotePeer: string) => Promise<boolean>
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
  private readonly sessionIdleMs: number
  /** The open stream to each peer, and the ones being opened. */
  private readonly sessions = new Map<string, DeliverSession>()
  private readonly opening = new Map<string, Promise<DeliverSession>>()
  readonly protocol: string

  constructor (private readonly components: DeliverComponents, init: DeliverInit) {
    this.maxFrame = init.maxEnvelopeBytes + REQUEST_OVERHEAD_BYTES
    this.idleTimeoutMs = init.idleTimeoutMs ?? DELIVER_IDLE_TIMEOUT_MS
    this.responseTimeoutMs = init.responseTimeoutMs ?? DELIVER_RESPONSE_TIMEOUT_MS
    this.dialTimeoutMs = init.dialTimeoutMs ?? 5_000
    this.window = init.window ?? DELIVER_WINDOW
    this.sessionIdleMs = init.sessionIdleMs ?? DELIVER_SESSION_IDLE_MS
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
    this.closeSessions()
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
        const exempt = this.components.stampExempt
        push(handler(envelopeBytes, remote).then(
          // A failed lookup only means the hint is not given: the sender keeps minting.
          async receipt => exempt != null && await exempt(remote).catch(() => false)
            ? { envelopeId: receipt.envelopeId, receipt, stampExempt: true }
            : { envelopeId: receipt.envelopeId, receipt },
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
   * Deliver envelopes to one peer, pipelined on its long-lived stream (opened on first
   * use, shared by concurrent callers, closed when idle). Resolves to one outcome per
   * envelope, in order; never rejects for a per-envelope failure. When a stream that was
   * already open fails (the peer may have closed it as idle just as we wrote), what it did
   * not answer is tried once more on a fresh stream: receivers answer a repeated envelope
   * with its receipt and store it once.
   */
  async deliver (target: DeliverTarget, envelopes: OutgoingEnvelope[], options: { signal?: AbortSignal } = {}): Promise<DeliverOutcome[]> {
    if (envelopes.length === 0) return []
    const { signal } = options
    const reused = this.sessions.get(target.peerId)?.usable === true
    const first = await this.submitAll(target, false, envelopes, signal)
    let outcomes = first.outcomes
    // An open stream that broke before answering any of these, on a connection that is still
    // up, was most likely closed by the peer as idle just as we wrote: one more try on a
    // fresh stream. So was a stream on a relayed connection when a direct one to the peer
    // is now up: DCUtR replaced the relayed connection and closed it under the stream (the
    // peer dialed through the relay dials back as soon as the relayed connection opens,
    // while the first envelope is on the way). Anything else (a lost connection, a stream
    // that answered some, a timeout, a refused dial) is the caller's to retry, with its backoff.
    const untouched = outcomes.every(o => !o.ok && o.streamFailed && !(o.error instanceof DeliveryTimeoutError))
    const retry = (reused && this.connected(target.peerId)) || (first.relayed && this.directlyConnected(target.peerId))
    if (retry && untouched && signal?.aborted !== true) outcomes = (await this.submitAll(target, true, envelopes, signal)).outcomes
    // The stream is the target's (Noise), so only the target can say it exempts me; a holder's word is ignored.
    const trustExempt = this.protocol === DELIVER_PROTOCOL
    return outcomes.map(o => o.ok
      ? { ok: true, envelopeId: o.envelopeId, receipt: o.receipt, stampExempt: trustExempt && o.stampExempt === true }
      : { ok: false, envelopeId: o.envelopeId, error: o.error })
  }

  /**
   * Hand every envelope to the peer's session (a fresh one when `fresh`); one outcome each,
   * in order, and whether the session's stream ran over a relayed (limited) connection.
   */
  private async submitAll (target: DeliverTarget, fresh: boolean, envelopes: OutgoingEnvelope[], signal?: AbortSignal): Promise<{ outcomes: SessionOutcome[], relayed: boolean }> {
    let session: DeliverSession
    try {
      session = await this.sessionFor(target, fresh, signal)
    } catch (err) {
      const error = asError(err)
      return { outcomes: envelopes.map(e => ({ ok: false, envelopeId: e.envelopeId, error, streamFailed: true })), relayed: false }
    }
    // Asked before submitting: once DCUtR closed the relayed connection it is no longer listed.
    const relayed = this.components.libp2p.getConnections(peerIdFromString(target.peerId)).some(c => c.limits != null && c.streams.includes(session.stream))
    const stop = (): void => { session.abort(new DeliveryTimeoutError('delivery was stopped')) }
    signal?.addEventListener('abort', stop, { once: true })
    try {
      if (signal?.aborted === true) stop()
      return { outcomes: await Promise.all(envelopes.map(async e => await session.submit(e))), relayed }
    } finally {
      signal?.removeEventListener('abort', stop)
    }
  }

  private connected (peerId: string): boolean {
    return this.components.libp2p.getConnections(peerIdFromString(peerId)).some(c => c.status === 'open')
  }

  /** An open connection to the peer without relay limits (a direct one). */
  private directlyConnected (peerId: string): boolean {
    return this.components.libp2p.getConnections(peerIdFromString(peerId)).some(c => c.status === 'open' && c.limits == null)
  }

  /** Close every open stream (the node is stopping). */
  closeSessions (): void {
    for (const session of this.sessions.values()) session.abort(new DeliveryTimeoutError('the node is stopping'))
    this.sessions.clear()
  }

  /** The peer's open session, or a new one (a new one when `fresh`, unless one is being opened). */
  private async sessionFor (target: DeliverTarget, fresh: boolean, signal?: AbortSignal): Promise<DeliverSession> {
    const peerId = target.peerId
    const open = this.sessions.get(peerId)
    if (!fresh && open?.usable === true) return open
    // Concurrent callers that find no usable session share one opening.
    const inProgress = this.opening.get(peerId)
    if (inProgress != null) return await inProgress
    const opening = openStream(this.components.libp2p, target, this.protocol, this.dialTimeoutMs, signal).then(stream => {
      const session = new DeliverSession(stream, {
        peerId,
        window: this.window,
        responseTimeoutMs: this.responseTimeoutMs,
        idleCloseMs: this.sessionIdleMs,
        maxResponseBytes: DELIVER_MAX_RESPONSE_BYTES,
        verifyReceipt: (receipt, envelope) => { this.components.verifyReceipt(receipt, peerId, envelope.envelopeId, envelope.bytes) },
        onClosed: closed => { if (this.sessions.get(peerId) === closed) this.sessions.delete(peerId) }
      })
      this.sessions.set(peerId, session)
      return session
    }).finally(() => { this.opening.delete(peerId) })
    this.opening.set(peerId, opening)
    return await opening
  }
}
