import { ProtocolViolationError } from '../errors.js'
import { ShuttingDownError } from './errors.js'
import { peerIdStringFromBytes } from '../identity/index.js'
import { requestOnce, serveRequests } from './rpc.js'
import { WithdrawRequest, WithdrawResponse, WithdrawResult } from './peerpost.js'
import type { DialTarget } from './rpc.js'
import type { ParkedEnvelope } from '../../storage/holding-types.js'
import type { Connection, Libp2p, Logger, Stream } from '@libp2p/interface'

/**
 * `/peerpost/withdraw/1.0.0`: the depositor takes back an envelope it parked, while its
 * recipient has not fetched it. A separate protocol (not an op of park or fetch), so a
 * holder that predates it fails protocol negotiation and the sender can say so.
 */
export const WITHDRAW_PROTOCOL = '/peerpost/withdraw/1.0.0'
/** A request is two ids (16 bytes and a PeerId of at most ~40): a few hundred bytes is plenty. */
export const WITHDRAW_MAX_FRAME_BYTES = 512
const ENVELOPE_ID_BYTES = 16

/** A withdraw request whose envelope id or recipient is not one: nothing was looked up. */
export class InvalidWithdrawRequestError extends Error {
  static readonly NAME = 'InvalidWithdrawRequestError'
  override name = InvalidWithdrawRequestError.NAME
}

/** What a holder keeps that a depositor may take back (a ParkingStore fits). */
export interface WithdrawableEnvelopes {
  withdraw(depositor: string, recipient: string, envelopeId: string): Promise<ParkedEnvelope | undefined>
  /** When its recipient fetched what `depositor` deposited, if the holder still knows (only for that depositor). */
  fetchedAt?(depositor: string, recipient: string, envelopeId: string): Promise<number | undefined>
}

/**
 * The holder's answer: `withdrawn` (deleted now, synced); `fetched` (its recipient fetched
 * it lately: told only to its depositor); `not-here` (fetched long ago, expired, never here,
 * or not the caller's; or fetched, from a holder that predates the `fetched` field).
 */
export type WithdrawAnswer = 'withdrawn' | 'fetched' | 'not-here'

/**
 * Serve `/peerpost/withdraw/1.0.0`: the connection's remote PeerId must be the envelope's
 * depositor; for anyone else the answer is NOT_HERE, as for an envelope that is not held.
 * To the depositor, NOT_HERE says `fetched` when the holder remembers its recipient
 * fetched it (held.fetchedAt).
 * A malformed request gets a MALFORMED error reply and deletes nothing.
 *
 * @param onWithdrawn told each envelope taken back (after its delete is on disk)
 */
export interface WithdrawHandlerOptions {
  log: Logger
  onWithdrawn?: (e: ParkedEnvelope) => void
  /**
   * While the holder stops: the refusal to give (ShuttingDownError, retryable on the wire).
   * A holder keeps this protocol served until libp2p stops, because a protocol gone from a
   * peer that served it reads to a depositor as a holder too old to withdraw, which it never
   * asks again, and the copy it cancelled would stay parked.
   */
  stopping?: () => string | undefined
}

export function withdrawHandler (held: WithdrawableEnvelopes, options: WithdrawHandlerOptions) {
  return async (stream: Stream, connection: Connection): Promise<void> => {
    const depositor = connection.remotePeer.toString()
    await serveRequests<WithdrawRequest, WithdrawResponse>(stream, {
      request: WithdrawRequest,
      response: WithdrawResponse,
      maxRequestBytes: WITHDRAW_MAX_FRAME_BYTES,
      errorResponse: error => ({ result: WithdrawResult.WITHDRAW_UNSPECIFIED, error, fetched: false }),
      log: options.log
    }, async request => {
      const recipient = peerIdStringFromBytes(request.recipient)
      if (request.envelopeId.byteLength !== ENVELOPE_ID_BYTES) throw new InvalidWithdrawRequestError(`an envelope id is ${ENVELOPE_ID_BYTES} bytes, not ${request.envelopeId.byteLength}`)
      if (recipient == null) throw new InvalidWithdrawRequestError('the recipient is not a PeerId')
      const envelopeId = Buffer.from(request.envelopeId).toString('hex')
      const stopping = options.stopping?.()
      if (stopping != null) throw new ShuttingDownError(stopping)
      const removed = await held.withdraw(depositor, recipient, envelopeId)
      if (removed == null) {
        // Looked up by the caller as depositor, so anyone else hears plain NOT_HERE.
        const fetched = await held.fetchedAt?.(depositor, recipient, envelopeId) !== undefined
        return { result: WithdrawResult.NOT_HERE, fetched }
      }
      options.log('%s withdrew %s parked for %s', depositor, envelopeId, recipient)
      options.onWithdrawn?.(removed)
      return { result: WithdrawResult.WITHDRAWN, fetched: false }
    })
  }
}

/**
 * Ask `holder` to delete the envelope I parked there for `recipient`. Throws what the dial
 * throws (UnsupportedProtocolError from a holder without the protocol), and
 * PeerRefusedError for an error reply.
 */
export async function withdrawEnvelope (libp2p: Libp2p, holder: DialTarget, request: { envelopeId: Uint8Array, recipient: Uint8Array }, options: { timeoutMs?: number, signal?: AbortSignal } = {}): Promise<WithdrawAnswer> {
  const res = await requestOnce<WithdrawRequest, WithdrawResponse>(libp2p, holder, WITHDRAW_PROTOCOL, { request: WithdrawRequest, response: WithdrawResponse }, {
    envelopeId: request.envelopeId as Uint8Array<ArrayBuffer>,
    recipient: request.recipient as Uint8Array<ArrayBuffer>
  }, { maxResponseBytes: WITHDRAW_MAX_FRAME_BYTES, ...options })
  if (res.result === WithdrawResult.WITHDRAWN) return 'withdrawn'
  if (res.result === WithdrawResult.NOT_HERE) return res.fetched ? 'fetched' : 'not-here'
  throw new ProtocolViolationError('the holder answered a withdraw with neither WITHDRAWN nor NOT_HERE')
}
