import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { asError, PeerRefusedError, ProtocolViolationError } from '../errors.js'
import { errorReply, errorReplyFor } from './errors.js'
import { decodeFrame, FramedStream, FrameTooLargeError } from './framed.js'
import { ErrorCode } from './peerpost.js'
import { retryOnUpgrade } from './upgrade-retry.js'
import type { ErrorReply } from './peerpost.js'
import type { UpgradeWatch } from './upgrade-retry.js'
import type { Libp2p, Logger, Stream } from '@libp2p/interface'

/** A protons codec, as generated for each message. */
export interface MessageCodec<T> {
  encode(value: T): Uint8Array
  decode(bytes: Uint8Array): T
}

/** Every response message carries an optional error reply. */
export interface WithError { error?: ErrorReply }

export const DEFAULT_IDLE_TIMEOUT_MS = 60_000
export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000

export interface ServeInit<Req, Res extends WithError> {
  request: MessageCodec<Req>
  response: MessageCodec<Res>
  maxRequestBytes: number
  idleTimeoutMs?: number
  writeTimeoutMs?: number
  /** Build the response that carries only an error. */
  errorResponse(error: ErrorReply): Res
  log: Logger
}

/**
 * Serve one request/response stream: read a request, answer it, repeat until the peer
 * finishes. A handler's typed error becomes an error reply and the stream goes on; an
 * undecodable or oversized frame gets an error reply and the stream is closed.
 */
export async function serveRequests<Req, Res extends WithError> (stream: Stream, init: ServeInit<Req, Res>, handle: (request: Req) => Promise<Res>): Promise<void> {
  const framed = new FramedStream(stream, init.maxRequestBytes)
  const idle = init.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS
  const writeTimeout = init.writeTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS
  try {
    while (true) {
      let frame: Uint8Array | undefined
      try {
        frame = await framed.read(idle)
      } catch (err) {
        if (err instanceof FrameTooLargeError) await framed.write(init.response.encode(init.errorResponse(errorReply(ErrorCode.TOO_LARGE, err.message))), writeTimeout)
        break
      }
      if (frame == null) break
      let request: Req
      try {
        request = init.request.decode(frame)
      } catch {
        await framed.write(init.response.encode(init.errorResponse(errorReply(ErrorCode.MALFORMED, 'request did not decode'))), writeTimeout)
        break
      }
      let response: Res
      try {
        response = await handle(request)
      } catch (err) {
        const reply = errorReplyFor(err)
        if (reply.code === ErrorCode.INTERNAL) init.log.error('request failed - %e', err)
        response = init.errorResponse(reply)
      }
      await framed.write(init.response.encode(response), writeTimeout)
    }
    await framed.close()
  } catch (err) {
    framed.abort(asError(err))
  }
}

export interface DialTarget {
  peerId: string
  addrs?: string[]
}

/**
 * Open a stream to a peer, teaching the peer store its addresses first when there is no
 * connection. With more than one direct connection to the peer open, the stream goes on the
 * one open longest: libp2p would take any of them, and AutoNAT's dial-back connections
 * (which the dialer closes right after) are direct too: right after a DCUtR upgrade the
 * two peers verify each other's addresses, and a stream put on such a connection is cut
 * within milliseconds. `watch` is told the stream (whether it runs over a relayed
 * connection that DCUtR may replace: node/protocol/upgrade-retry.ts).
 */
export async function openStream (libp2p: Libp2p, target: DialTarget, protocol: string | string[], timeoutMs: number, signal?: AbortSignal, watch?: UpgradeWatch): Promise<Stream> {
  const peerId = peerIdFromString(target.peerId)
  const connections = libp2p.getConnections(peerId)
  if (connections.length === 0 && target.addrs != null && target.addrs.length > 0) {
    await libp2p.peerStore.merge(peerId, { multiaddrs: target.addrs.map(a => multiaddr(a)) })
  }
  const deadline = AbortSignal.timeout(timeoutMs)
  const options = { signal: signal == null ? deadline : AbortSignal.any([signal, deadline]), runOnLimitedConnection: true }
  const oldestDirect = connections.filter(c => c.status === 'open' && c.direct).sort((a, b) => a.timeline.open - b.timeline.open)[0]
  const stream = oldestDirect != null
    ? await oldestDirect.newStream(protocol, options)
    : await libp2p.dialProtocol(peerId, protocol, options)
  watch?.opened(stream)
  return stream
}

/**
 * The client side of a request/response stream: one request at a time, each with a
 * deadline; an error reply is thrown as PeerRefusedError.
 */
export class RpcSession<Req, Res extends WithError> {
  private readonly framed: FramedStream
  private queue: Promise<unknown> = Promise.resolve()

  constructor (stream: Stream, private readonly codecs: { request: MessageCodec<Req>, response: MessageCodec<Res> }, maxResponseBytes: number, private readonly timeoutMs = DEFAULT_REQUEST_TIMEOUT_MS) {
    this.framed = new FramedStream(stream, maxResponseBytes)
  }

  static async open<Req, Res extends WithError> (libp2p: Libp2p, target: DialTarget, protocol: string, codecs: { request: MessageCodec<Req>, response: MessageCodec<Res> }, options: { maxResponseBytes: number, timeoutMs?: number, signal?: AbortSignal, watch?: UpgradeWatch }): Promise<RpcSession<Req, Res>> {
    const timeout = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS
    const stream = await openStream(libp2p, target, protocol, timeout, options.signal, options.watch)
    return new RpcSession(stream, codecs, options.maxResponseBytes, timeout)
  }

  /** Send one request and wait for its response (requests on one session are serialised). */
  async request (request: Req, signal?: AbortSignal): Promise<Res> {
    const run = async (): Promise<Res> => {
      await this.framed.write(this.codecs.request.encode(request), this.timeoutMs, signal)
      const frame = await this.framed.read(this.timeoutMs, signal)
      if (frame == null) throw new ProtocolViolationError('the peer closed the stream without answering')
      const response = decodeFrame(this.codecs.response, frame, 'response')
      if (response.error != null) throw new PeerRefusedError(response.error.code, response.error.message, response.error.retryable)
      return response
    }
    const result = this.queue.then(run, run)
    this.queue = result.catch(() => {})
    return result
  }

  async close (): Promise<void> { await this.framed.close() }
  abort (err: Error): void { this.framed.abort(err) }
}

/**
 * One request on a fresh stream, then close. Cut by a DCUtR upgrade (the stream ran over
 * the relayed connection it closed), it is sent again at once on the direct connection:
 * the request is one a peer may get twice (a notice, a directory lookup or registration).
 */
export async function requestOnce<Req, Res extends WithError> (libp2p: Libp2p, target: DialTarget, protocol: string, codecs: { request: MessageCodec<Req>, response: MessageCodec<Res> }, request: Req, options: { maxResponseBytes: number, timeoutMs?: number, signal?: AbortSignal }): Promise<Res> {
  return await retryOnUpgrade(libp2p, target.peerId, async watch => {
    const session = await RpcSession.open(libp2p, target, protocol, codecs, { ...options, watch })
    try {
      return await session.request(request, options.signal)
    } finally {
      await session.close()
    }
  }, { signal: options.signal })
}
