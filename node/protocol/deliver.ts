import { peerIdFromString } from '@libp2p/peer-id'
import { lpStream } from '@libp2p/utils'
import { asError, DeliveryTimeoutError, errorName } from '../errors.js'
import { errorReply, errorReplyFor } from './errors.js'
import { ErrorCode, DeliverRequest, DeliverResponse } from './peerpost.js'
import { openStream } from './rpc.js'
import { UpgradeWatch } from './upgrade-retry.js'
import { sha256, signReceipt, verifyReceipt } from '../crypto/index.js'
import { own } from '../crypto/hash.js'
import { DeliverSession } from './deliver-session.js'
import type { SessionOutcome } from './deliver-session.js'
import type { Connection, Libp2p, Logger, Stream } from '@libp2p/interface'
import type { ErrorReply, Receipt } from './peerpost.js'
import type { ReceiptSubject } from '../crypto/index.js'
import type { Identity } from '../identity/identity.js'

export const DELIVER_PROTOCOL = '/peerpost/deliver/1.0.0'
/** Parking is the same hand-off to a holder (cache server or co-recipient), whose receipt says it keeps the envelope. */
export const PARK_PROTOCOL = '/peerpost/park/1.0.0'
/**
 * Version 1.1.0 of each: the receiver may answer a run of stored envelopes with one receipt
 * (DeliverResponse.receiptFollows, Receipt.earlier). A 1.0.0 peer (an older node or cache
 * server) neither sends nor understands that, so receivers serve both versions and senders
 * ask for 1.1.0 first, then 1.0.0, where every stored envelope gets its own receipt.
 */
export const DELIVER_PROTOCOL_1_1 = '/peerpost/deliver/1.1.0'
export const PARK_PROTOCOL_1_1 = '/peerpost/park/1.1.0'
const BATCHED_VERSION: Readonly<Record<string, string>> = { [DELIVER_PROTOCOL]: DELIVER_PROTOCOL_1_1, [PARK_PROTOCOL]: PARK_PROTOCOL_1_1 }

/** The protocol ids a deliver or park stream may run under, the batched version first. */
export function protocolVersions (protocol: string): string[] {
  const batched = BATCHED_VERSION[protocol]
  return batched === undefined ? [protocol] : [batched, protocol]
}
/** Streams one peer may have open on this protocol at once, all its versions together. */
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

/** A stored envelope's answer: what its receipt will say. */
interface StoredAnswer { stored: ReceiptSubject }
/** What the receiver answers one request with, before it is encoded. */
type Answer = StoredAnswer | { error: ErrorReply }

/** An answer being worked on: `answer` is set once it is ready (`done` never rejects). */
interface PendingAnswer {
  done: Promise<void>
  answer?: Answer
}

/**
 * Stores one received envelope durably (synced) and resolves to what its receipt will say
 * (its id and sha256); throws a typed error to refuse it. The protocol signs the receipt,
 * once for all the envelopes whose answers go out together.
 */
export type EnvelopeHandler = (envelopeBytes: Uint8Array, remotePeer: string) => Promise<ReceiptSubject>

/**
 * Checks a receipt for the envelopes it covers (the last is the one it answers; those
 * before were answered `receiptFollows`); throws to reject it.
 */
export type ReceiptVerifier = (receipt: Receipt, expectedSigner: string, covered: OutgoingEnvelope[]) => void

/** The check every sender makes: signed by the peer, for exactly these envelopes' ids and bytes. */
export const verifyCoveringReceipt: ReceiptVerifier = (receipt, expectedSigner, covered) => {
  const subjects = covered.map(e => ({ envelopeId: e.envelopeId, envelopeSha256: sha256(e.bytes) }))
  const last = subjects.pop()
  if (last == null) throw new TypeError('a receipt covers at least one envelope')
  verifyReceipt(receipt, { expectedSigner, ...last, earlier: subjects })
}

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
  /** Receiving side: who signs the receipts (this node's identity), and its clock. */
  signer?: { identity: Identity, now: () => number }
  /** How a sender checks receipts; verifyCoveringReceipt unless given. */
  verifyReceipt?: ReceiptVerifier
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
    const versions = protocolVersions(this.protocol)
    await this.components.libp2p.handle(versions, (stream, connection) => {
      this.serve(stream, connection, stream.protocol !== this.protocol).catch(err => {
        this.components.log.error('deliver stream from %p failed - %e', connection.remotePeer, err)
        stream.abort(err)
      })
    // libp2p counts streams per protocol id: split between the versions, one peer may hold
    // no more streams than when there was one.
    }, { maxInboundStreams: Math.ceil(DELIVER_MAX_INBOUND_STREAMS / versions.length), runOnLimitedConnection: true })
  }

  async stop (): Promise<void> {
    this.closeSessions()
    if (this.components.handler == null) return
    for (const protocol of protocolVersions(this.protocol)) await this.components.libp2p.unhandle(protocol)
  }

  /**
   * The frames for answers ready in order: refusals as they are; each run of stored
   * envelopes as `receiptFollows` answers and, for the run's last, one receipt signed over
   * them all (Receipt.earlier), so a batch costs one signature instead of one each.
   * `stampExempt` goes next to each receipt.
   */
  private encodeAnswers (ready: Answer[], signer: NonNullable<DeliverComponents['signer']>, batched: boolean, stampExempt: boolean): Uint8Array[] {
    const frames: Uint8Array[] = []
    let run: StoredAnswer[] = []
    const closeRun = (): void => {
      const last = run.pop()
      if (last == null) return
      for (const a of run) frames.push(DeliverResponse.encode({ envelopeId: own(a.stored.envelopeId), receiptFollows: true }))
      const receipt = signReceipt(signer.identity, { ...last.stored, now: signer.now(), earlier: run.map(a => a.stored) })
      frames.push(DeliverResponse.encode({ envelopeId: receipt.envelopeId, receipt, ...(stampExempt ? { stampExempt: true } : {}) }))
      run = []
    }
    for (const a of ready) {
      if ('stored' in a) {
        run.push(a)
        // A 1.0.0 sender needs a receipt of its own for each envelope.
        if (!batched) closeRun()
        continue
      }
      closeRun()
      frames.push(DeliverResponse.encode({ envelopeId: new Uint8Array(0), error: a.error }))
    }
    closeRun()
    return frames
  }

  /** `batched`: the stream runs version 1.1.0, so a run of stored envelopes may share one receipt. */
  private async serve (stream: Stream, connection: Connection, batched: boolean): Promise<void> {
    const { handler, signer } = this.components
    if (handler == null) return
    if (signer == null) throw new TypeError('DeliverProtocol: a receiving side needs a signer for its receipts')
    const remote = connection.remotePeer.toString()
    const log = this.components.log
    // The read buffer may exceed one frame by what a single muxer message carries: with
    // only a frame's worth, the chunk that holds an oversized frame's prefix overflowed the
    // buffer and reset the stream before the prefix was read, so the sender got a reset
    // (and retried) instead of TOO_LARGE.
    const lp = lpStream(stream, { maxDataLength: this.maxFrame, maxBufferSize: this.maxFrame + READ_SLACK_BYTES })

    // Answers go out in request order; `inFlight` bounds how many requests are being
    // worked on so one peer cannot make us buffer without limit.
    const answers: PendingAnswer[] = []
    let inFlight = 0
    let wake: (() => void) | undefined
    let readerDone = false

    // Once the oldest answer is ready, the writer lets this turn of the event loop finish
    // (a group commit settles a whole batch of envelopes at once) and then writes every
    // answer ready in order as one batch (one muxer frame, one Noise frame, one socket
    // write), with one signed receipt for each run of stored envelopes in it.
    const writer = (async () => {
      while (true) {
        const head = answers[0]
        if (head == null) {
          if (readerDone) return
          await new Promise<void>(resolve => { wake = resolve })
          wake = undefined
          continue
        }
        await head.done
        await new Promise<void>(resolve => { setImmediate(resolve) })
        const ready: Answer[] = []
        while (answers[0]?.answer != null) ready.push(answers.shift()!.answer!)
        inFlight -= ready.length
        wake?.()
        // Asked once per batch, not per envelope: the answer is about the stream's peer.
        // A failed lookup only means the hint is not given: the sender keeps minting.
        const exempt = this.components.stampExempt
        const stampExempt = exempt != null && ready.some(a => 'stored' in a) && await exempt(remote).catch(() => false)
        await lp.writeV(this.encodeAnswers(ready, signer, batched, stampExempt), { signal: AbortSignal.timeout(this.responseTimeoutMs) })
      }
    })()
    // A writer that fails (the stream closed under it: the peer left, or this side is
    // stopping and closed its connections) ends the exchange: the reader stops taking
    // requests nobody can answer. Its error is handled here at once, not only when the
    // reader is done: until then the rejection went unhandled, which ended a cache server
    // that was stopping with deposits under way (PEERPOST_STRICT_REJECTIONS) instead of
    // letting it close its database. `await writer` below still throws it.
    let writerFailed = false
    writer.catch(() => { writerFailed = true; wake?.() })

    const push = (answer: Promise<Answer>): void => {
      inFlight++
      const pending: PendingAnswer = { done: answer.then(a => { pending.answer = a }) }
      answers.push(pending)
      wake?.()
    }

    try {
      while (true) {
        while (inFlight >= this.window && !writerFailed) {
          await new Promise<void>(resolve => { wake = resolve })
          wake = undefined
        }
        if (writerFailed) break
        let frame: Uint8Array
        try {
          frame = (await lp.read({ signal: AbortSignal.timeout(this.idleTimeoutMs) })).subarray()
        } catch (err) {
          if (OVERSIZE_ERRORS.has(errorName(err))) {
            // Take no more of the frame (the muxer's window then holds the sender back), so
            // the refusal goes out instead of a reset when the buffer would overflow.
            stream.pause()
            push(Promise.resolve({ error: errorReply(ErrorCode.TOO_LARGE, `frame larger than ${this.maxFrame} bytes`) }))
            log('deliver from %p: oversized frame', connection.remotePeer)
          }
          // End of requests, a truncated frame, a stalled peer or a reset: stop reading.
          break
        }
        let request: DeliverRequest
        try {
          request = DeliverRequest.decode(frame)
        } catch {
          push(Promise.resolve({ error: errorReply(ErrorCode.MALFORMED, 'request did not decode') }))
          break
        }
        push(handler(request.envelope, remote).then(
          stored => ({ stored }),
          (err: unknown) => {
            const error = errorReplyFor(err)
            if (error.code === ErrorCode.INTERNAL) log.error('deliver from %s failed - %e', remote, err)
            return { error }
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
    const watch = new UpgradeWatch(this.components.libp2p, target.peerId)
    let outcomes = await this.submitAll(target, false, envelopes, watch, signal)
    // An open stream that broke before answering any of these, on a connection that is still
    // up, was most likely closed by the peer as idle just as we wrote: one more try on a
    // fresh stream. So was a stream that DCUtR cut (upgrade-retry.ts: it ran over a relayed
    // connection that closed once a direct one to the peer was up; the peer dialed through
    // the relay dials back as soon as the relayed connection opens, while the first envelope
    // is on the way). Anything else (a lost connection, a stream that answered some, a
    // timeout, a refused dial) is the caller's to retry, with its backoff.
    const untouched = outcomes.every(o => !o.ok && o.streamFailed && !(o.error instanceof DeliveryTimeoutError))
    if (untouched && signal?.aborted !== true && ((reused && this.connected(target.peerId)) || await watch.upgraded({ signal }))) {
      outcomes = await this.submitAll(target, true, envelopes, undefined, signal)
    }
    // The stream is the target's (Noise), so only the target can say it exempts me; a holder's word is ignored.
    const trustExempt = this.protocol === DELIVER_PROTOCOL
    return outcomes.map(o => o.ok
      ? { ok: true, envelopeId: o.envelopeId, receipt: o.receipt, stampExempt: trustExempt && o.stampExempt === true }
      : { ok: false, envelopeId: o.envelopeId, error: o.error })
  }

  /**
   * Hand every envelope to the peer's session (a fresh one when `fresh`); one outcome each,
   * in order. `watch` is told the session's stream (the session may be older than this call).
   */
  private async submitAll (target: DeliverTarget, fresh: boolean, envelopes: OutgoingEnvelope[], watch: UpgradeWatch | undefined, signal?: AbortSignal): Promise<SessionOutcome[]> {
    let session: DeliverSession
    try {
      session = await this.sessionFor(target, fresh, signal)
    } catch (err) {
      const error = asError(err)
      return envelopes.map(e => ({ ok: false, envelopeId: e.envelopeId, error, streamFailed: true }))
    }
    // Told before submitting: once DCUtR closed the relayed connection the stream is no longer on it.
    watch?.opened(session.stream)
    const stop = (): void => { session.abort(new DeliveryTimeoutError('delivery was stopped')) }
    signal?.addEventListener('abort', stop, { once: true })
    try {
      if (signal?.aborted === true) stop()
      return await Promise.all(envelopes.map(async e => await session.submit(e)))
    } finally {
      signal?.removeEventListener('abort', stop)
    }
  }

  private connected (peerId: string): boolean {
    return this.components.libp2p.getConnections(peerIdFromString(peerId)).some(c => c.status === 'open')
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
    const opening = openStream(this.components.libp2p, target, protocolVersions(this.protocol), this.dialTimeoutMs, signal).then(stream => {
      const session = new DeliverSession(stream, {
        peerId,
        window: this.window,
        responseTimeoutMs: this.responseTimeoutMs,
        idleCloseMs: this.sessionIdleMs,
        maxResponseBytes: DELIVER_MAX_RESPONSE_BYTES,
        verifyReceipt: (receipt, covered) => { (this.components.verifyReceipt ?? verifyCoveringReceipt)(receipt, peerId, covered) },
        onClosed: closed => { if (this.sessions.get(peerId) === closed) this.sessions.delete(peerId) }
      })
      this.sessions.set(peerId, session)
      return session
    }).finally(() => { this.opening.delete(peerId) })
    this.opening.set(peerId, opening)
    return await opening
  }
}
