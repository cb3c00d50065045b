import { randomBytes } from 'node:crypto'
import { asError, ProtocolViolationError } from '../errors.js'
import { peerIdStringFromBytes } from '../identity/index.js'
import { errorReply, errorReplyFor } from './errors.js'
import { FramedStream } from './framed.js'
import { ErrorCode, Notice, NoticeKind, NoticeMessage, NoticeRequest } from './peerpost.js'
import { openStream, requestOnce } from './rpc.js'
import type { HeldEnvelopes } from './fetch.js'
import type { DialTarget } from './rpc.js'
import type { Location } from './peerpost.js'
import type { NoticeStore } from '../../storage/holding-types.js'
import type { Connection, Libp2p, Logger, Stream } from '@libp2p/interface'

export const NOTICE_PROTOCOL = '/peerpost/notice/1.0.0'
export const NOTICE_MAX_FRAME_BYTES = 64 * 1024
/** A subscriber receives its pending notices in pages of this many. */
export const NOTICE_PAGE = 100
export const NOTICE_MAX_LOCATIONS = 16
export const NOTICE_WRITE_TIMEOUT_MS = 10_000
export const NOTICE_IDLE_TIMEOUT_MS = 24 * 60 * 60_000
/** Live pushes queued for one slow subscriber before its stream is cut (it gets them again on reconnect). */
export const NOTICE_MAX_PENDING_PUSHES = 1_000

export { Notice, NoticeKind }
export type { Location }

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')
/** Repeated-field limits on a request: acks for at most ten pages. */
export const NOTICE_REQUEST_LIMITS = { ack: NOTICE_PAGE * 10 }
export const NOTICE_LIMITS = { locations: NOTICE_MAX_LOCATIONS, blobLocations: NOTICE_MAX_LOCATIONS, locations$: { addrs: 8 }, blobLocations$: { addrs: 8 } }

export class InvalidNoticeError extends Error {
  static readonly NAME = 'InvalidNoticeError'
  override name = InvalidNoticeError.NAME
}

/** Decode and check a notice from the network; throws InvalidNoticeError. */
export function decodeNotice (bytes: Uint8Array): Notice & { recipientId: string } {
  let notice: Notice
  try {
    notice = Notice.decode(bytes, { limits: NOTICE_LIMITS })
  } catch {
    throw new InvalidNoticeError('notice did not decode')
  }
  const recipientId = peerIdStringFromBytes(notice.recipient)
  if (recipientId == null) throw new InvalidNoticeError('notice recipient is not a PeerId')
  if (notice.noticeId.byteLength !== 16 || notice.envelopeId.byteLength !== 16) throw new InvalidNoticeError('notice and envelope ids are 16 bytes')
  for (const l of [...notice.locations, ...notice.blobLocations]) {
    if (peerIdStringFromBytes(l.peerId) == null || l.addrs.some(a => a.length > 512)) throw new InvalidNoticeError('notice location is not a PeerId with sane addresses')
  }
  return { ...notice, recipientId }
}

export function newNotice (fields: Omit<Notice, 'noticeId' | 'created'> & { created: number }): Notice {
  return { ...fields, noticeId: new Uint8Array(randomBytes(16)), created: BigInt(fields.created) }
}

type Push = (notices: Notice[]) => void

/** Live subscribers by recipient, so a posted notice reaches a connected recipient at once. */
export class NoticeHub {
  private readonly subscribers = new Map<string, Set<Push>>()

  subscribe (recipient: string, push: Push): () => void {
    let set = this.subscribers.get(recipient)
    if (set == null) { set = new Set(); this.subscribers.set(recipient, set) }
    set.add(push)
    return () => {
      set.delete(push)
      if (set.size === 0) this.subscribers.delete(recipient)
    }
  }

  publish (recipient: string, notices: Notice[]): void {
    for (const push of this.subscribers.get(recipient) ?? []) push(notices)
  }

  connected (recipient: string): boolean { return this.subscribers.has(recipient) }
}

export interface NoticeServerComponents {
  store: NoticeStore
  hub: NoticeHub
  /** What this server holds itself: announced to the recipient on subscribe. */
  held?: HeldEnvelopes
  /** This server as a location (its PeerId and public addresses). */
  self: () => Location
  log: Logger
  now: () => number
  retentionMs: number
}

/**
 * Serve `/peerpost/notice/1.0.0`. A post is stored durably (bounded per recipient and per
 * poster) before it is acknowledged and pushed to the recipient if connected. A subscriber
 * (the connection's own peer) gets every pending notice and one for each envelope held
 * here, then new ones as they come; its acks delete notices.
 */
export function noticeHandler (c: NoticeServerComponents) {
  return async (stream: Stream, connection: Connection): Promise<void> => {
    const remote = connection.remotePeer.toString()
    const framed = new FramedStream(stream, NOTICE_MAX_FRAME_BYTES)
    let unsubscribe: (() => void) | undefined
    let pending = 0
    let writes: Promise<void> = Promise.resolve()
    const send = (message: NoticeMessage): void => {
      if (pending >= NOTICE_MAX_PENDING_PUSHES) { framed.abort(new Error('subscriber too slow')); return }
      pending++
      writes = writes.then(async () => { await framed.write(NoticeMessage.encode(message), NOTICE_WRITE_TIMEOUT_MS) }).finally(() => { pending-- })
      writes.catch(err => { framed.abort(asError(err)) })
    }
    try {
      while (true) {
        const frame = await framed.read(unsubscribe == null ? 30_000 : NOTICE_IDLE_TIMEOUT_MS)
        if (frame == null) break
        let req: NoticeRequest
        try {
          req = NoticeRequest.decode(frame, { limits: NOTICE_REQUEST_LIMITS })
        } catch {
          send({ notices: [], ok: false, error: errorReply(ErrorCode.MALFORMED, 'request did not decode') })
          break
        }
        if (req.post != null) {
          try {
            const bytes = Notice.encode(req.post)
            const notice = decodeNotice(bytes)
            const now = c.now()
            await c.store.add({ noticeId: hex(notice.noticeId), recipient: notice.recipientId, poster: remote, bytes, created: now, expiresAt: now + c.retentionMs })
            c.hub.publish(notice.recipientId, [req.post])
            send({ notices: [], ok: true })
          } catch (err) {
            send({ notices: [], ok: false, error: err instanceof InvalidNoticeError ? errorReply(ErrorCode.MALFORMED, err.message) : errorReplyFor(err) })
          }
        }
        if (req.ack.length > 0) {
          await c.store.ack(remote, req.ack.map(hex))
        }
        if (req.subscribe && unsubscribe == null) {
          unsubscribe = c.hub.subscribe(remote, notices => { send({ notices, ok: true }) })
          const stored = await c.store.listFor(remote)
          for (let i = 0; i < stored.length; i += NOTICE_PAGE) {
            send({ notices: stored.slice(i, i + NOTICE_PAGE).map(n => Notice.decode(n.bytes)), ok: true })
          }
          if (c.held != null) await announceHeld(c, remote, send)
          send({ notices: [], ok: true })
        }
      }
      await writes
      await framed.close()
    } catch (err) {
      framed.abort(asError(err))
    } finally {
      unsubscribe?.()
    }
  }
}

/** One MESSAGE_WAITING notice per envelope held here for `recipient` (their id is the envelope id, so acking them is harmless). */
async function announceHeld (c: NoticeServerComponents, recipient: string, send: (m: NoticeMessage) => void): Promise<void> {
  const self = c.self()
  let cursor: string | undefined
  for (let page = 0; page < 1_000; page++) {
    const held = await c.held!.list(recipient, cursor == null ? { limit: NOTICE_PAGE } : { limit: NOTICE_PAGE, cursor })
    if (held.items.length > 0) {
      send({
        notices: held.items.map(e => ({
          noticeId: new Uint8Array(Buffer.from(e.envelopeId, 'hex')),
          kind: NoticeKind.MESSAGE_WAITING,
          recipient: new Uint8Array(0),
          envelopeId: new Uint8Array(Buffer.from(e.envelopeId, 'hex')),
          locations: [self],
          blobLocations: [],
          created: BigInt(e.depositedAt)
        })),
        ok: true
      })
    }
    if (held.next == null) return
    cursor = held.next
  }
}

/** Post one notice to a server; resolves once the server has stored it. */
export async function postNotice (libp2p: Libp2p, server: DialTarget, notice: Notice, options: { timeoutMs?: number, signal?: AbortSignal } = {}): Promise<void> {
  const res = await requestOnce<NoticeRequest, NoticeMessage>(libp2p, server, NOTICE_PROTOCOL, { request: NoticeRequest, response: NoticeMessage }, { post: notice, subscribe: false, ack: [] }, { maxResponseBytes: NOTICE_MAX_FRAME_BYTES, ...options })
  if (!res.ok) throw new ProtocolViolationError('the server did not confirm the notice')
}

/**
 * A recipient's subscription to one server's notices. `onNotices` gets each batch as it
 * arrives (pending ones first); `ack` deletes handled ones on the server. `ended` resolves
 * when the stream is gone, so the owner can reconnect.
 */
export class NoticeSubscription {
  readonly ended: Promise<void>
  private constructor (private readonly framed: FramedStream, private readonly onNotices: (notices: Notice[]) => void) {
    this.ended = this.readLoop()
  }

  static async open (libp2p: Libp2p, server: DialTarget, onNotices: (notices: Notice[]) => void, options: { timeoutMs?: number, signal?: AbortSignal } = {}): Promise<NoticeSubscription> {
    const stream = await openStream(libp2p, server, NOTICE_PROTOCOL, options.timeoutMs ?? 10_000, options.signal)
    const framed = new FramedStream(stream, NOTICE_MAX_FRAME_BYTES)
    await framed.write(NoticeRequest.encode({ subscribe: true, ack: [] }), NOTICE_WRITE_TIMEOUT_MS)
    return new NoticeSubscription(framed, onNotices)
  }

  async ack (noticeIds: Uint8Array[]): Promise<void> {
    for (let i = 0; i < noticeIds.length; i += NOTICE_PAGE * 10) {
      await this.framed.write(NoticeRequest.encode({ subscribe: false, ack: noticeIds.slice(i, i + NOTICE_PAGE * 10) as Array<Uint8Array<ArrayBuffer>> }), NOTICE_WRITE_TIMEOUT_MS)
    }
  }

  async close (): Promise<void> { await this.framed.close() }
  abort (err: Error): void { this.framed.abort(err) }

  private async readLoop (): Promise<void> {
    try {
      while (true) {
        const frame = await this.framed.read(NOTICE_IDLE_TIMEOUT_MS)
        if (frame == null) return
        const message = NoticeMessage.decode(frame, { limits: { notices: NOTICE_PAGE } })
        if (message.notices.length > 0) this.onNotices(message.notices)
      }
    } catch {
      // The owner reconnects; nothing here to keep.
    }
  }
}
