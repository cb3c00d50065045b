import { ErrorCode, FetchOp, FetchRequest, FetchResponse } from './peerpost.js'
import { RpcSession, serveRequests } from './rpc.js'
import type { UpgradeWatch } from './upgrade-retry.js'
import type { DialTarget } from './rpc.js'
import type { HeldEnvelope } from './peerpost.js'
import type { ParkedEnvelope } from '../../storage/holding-types.js'
import type { ListOptions, Page } from '../../storage/types.js'
import type { Libp2p, Logger } from '@libp2p/interface'

export const FETCH_PROTOCOL = '/peerpost/fetch/1.0.0'
export const FETCH_MAX_REQUEST_BYTES = 64 * 1024
/** A GET answer carries envelopes up to about this many bytes; the rest wait for the next GET. */
export const FETCH_MAX_RESPONSE_BYTES = 48 * 1024 * 1024
export const FETCH_MAX_LIST = 500
export const FETCH_MAX_IDS = 500

/** What a holder keeps for recipients (a ParkingStore fits). */
export interface HeldEnvelopes {
  list(recipient: string, options?: ListOptions): Promise<Page<ParkedEnvelope>>
  get(recipient: string, envelopeId: string): Promise<Uint8Array | undefined>
  ack(recipient: string, envelopeIds: string[]): Promise<number>
}

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')
const bytes = (h: string): Uint8Array<ArrayBuffer> => new Uint8Array(Buffer.from(h, 'hex'))

/**
 * Serve `/peerpost/fetch/1.0.0`: the connection's remote PeerId is the recipient, so a
 * peer only ever sees, gets or acks what is held for itself; for anyone else the answer
 * is the same as for a recipient with nothing held.
 */
export function fetchHandler (held: HeldEnvelopes, log: Logger, events?: { onAck?(recipient: string, count: number): void, onGet?(recipient: string, count: number): void }) {
  return async (stream: import('@libp2p/interface').Stream, connection: import('@libp2p/interface').Connection): Promise<void> => {
    const recipient = connection.remotePeer.toString()
    await serveRequests<FetchRequest, FetchResponse>(stream, {
      request: FetchRequest,
      response: FetchResponse,
      maxRequestBytes: FETCH_MAX_REQUEST_BYTES,
      errorResponse: error => ({ held: [], next: new Uint8Array(0), envelopes: [], acked: 0, error }),
      log
    }, async request => {
      const empty: FetchResponse = { held: [], next: new Uint8Array(0), envelopes: [], acked: 0 }
      if (request.envelopeIds.length > FETCH_MAX_IDS) {
        return { ...empty, error: { code: ErrorCode.TOO_LARGE, message: `at most ${FETCH_MAX_IDS} ids per request`, retryable: false } }
      }
      switch (request.op) {
        case FetchOp.LIST: {
          const cursor = request.cursor.byteLength > 0 ? Buffer.from(request.cursor).toString('utf8') : undefined
          const limit = Math.min(Math.max(request.limit, 1), FETCH_MAX_LIST)
          const page = await held.list(recipient, cursor == null ? { limit } : { limit, cursor })
          return {
            ...empty,
            held: page.items.map((e): HeldEnvelope => ({ envelopeId: bytes(e.envelopeId), size: BigInt(e.size), depositedAt: BigInt(e.depositedAt), expiresAt: BigInt(e.expiresAt) })),
            next: page.next == null ? new Uint8Array(0) : new Uint8Array(Buffer.from(page.next, 'utf8'))
          }
        }
        case FetchOp.GET: {
          const envelopes: Array<Uint8Array<ArrayBuffer>> = []
          let total = 0
          for (const id of request.envelopeIds) {
            const found = await held.get(recipient, hex(id))
            if (found == null) continue
            if (total + found.byteLength > FETCH_MAX_RESPONSE_BYTES - 1024 && envelopes.length > 0) break
            total += found.byteLength
            envelopes.push(new Uint8Array(found))
          }
          events?.onGet?.(recipient, envelopes.length)
          return { ...empty, envelopes }
        }
        case FetchOp.ACK: {
          const acked = await held.ack(recipient, request.envelopeIds.map(hex))
          events?.onAck?.(recipient, acked)
          return { ...empty, acked }
        }
        default:
          return { ...empty, error: { code: ErrorCode.MALFORMED, message: 'unknown fetch operation', retryable: false } }
      }
    })
  }
}

/** The recipient's side: list, get and ack on one stream to a holder. */
export class FetchSession {
  private constructor (private readonly rpc: RpcSession<FetchRequest, FetchResponse>) {}

  static async open (libp2p: Libp2p, holder: DialTarget, options: { timeoutMs?: number, signal?: AbortSignal, watch?: UpgradeWatch } = {}): Promise<FetchSession> {
    return new FetchSession(await RpcSession.open<FetchRequest, FetchResponse>(libp2p, holder, FETCH_PROTOCOL, { request: FetchRequest, response: FetchResponse }, { maxResponseBytes: FETCH_MAX_RESPONSE_BYTES, ...options }))
  }

  /** Every envelope the holder keeps for me (paged internally, bounded by `max`). */
  async listAll (max = 100_000): Promise<Array<{ envelopeId: Uint8Array, size: number }>> {
    const out: Array<{ envelopeId: Uint8Array, size: number }> = []
    let cursor = new Uint8Array(0)
    while (out.length < max) {
      const page = await this.rpc.request({ op: FetchOp.LIST, envelopeIds: [], cursor, limit: FETCH_MAX_LIST })
      for (const h of page.held) out.push({ envelopeId: h.envelopeId, size: Number(h.size) })
      if (page.next.byteLength === 0 || page.held.length === 0) break
      cursor = page.next
    }
    return out
  }

  /** The encoded envelopes for these ids that the holder still has (maybe fewer, if the answer would be too large: ask again for the rest). */
  async get (envelopeIds: Uint8Array[]): Promise<Uint8Array[]> {
    return (await this.rpc.request({ op: FetchOp.GET, envelopeIds: envelopeIds as Array<Uint8Array<ArrayBuffer>>, cursor: new Uint8Array(0), limit: 0 })).envelopes
  }

  async ack (envelopeIds: Uint8Array[]): Promise<number> {
    return (await this.rpc.request({ op: FetchOp.ACK, envelopeIds: envelopeIds as Array<Uint8Array<ArrayBuffer>>, cursor: new Uint8Array(0), limit: 0 })).acked
  }

  async close (): Promise<void> { await this.rpc.close() }
}
