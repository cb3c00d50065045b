import { decodeNotice, NOTICE_MAX_FRAME_BYTES, NoticeKind } from './protocol/notice.js'
import { errorReply, MessageRefusedError } from './protocol/errors.js'
import { ErrorCode, Notice, NoticeMessage, NoticeRequest } from './protocol/peerpost.js'
import { serveRequests } from './protocol/rpc.js'
import { peerIdBytesFromString } from './identity/index.js'
import type { ServerRef } from './home-servers.js'
import type { Connection, Logger, Stream } from '@libp2p/interface'

export interface DirectNoticeComponents {
  /** My PeerId: a node takes notices addressed to itself only. */
  self: string
  /** `holder` says it holds mail for me: list and fetch what it has (retrieval.onConnected). */
  onWaiting: (holder: ServerRef) => void
  /** `holder` deleted, unfetched, an envelope I parked there (retrieval.onNotices). */
  onExpired: (holder: ServerRef, notices: Notice[]) => void
  log: Logger
}

/**
 * `/peerpost/notice/1.0.0` served by a node: a co-recipient holding mail for me posts
 * "mail waits here" when it sees me online, and tells me when an envelope I parked on it
 * expired. Neither is taken on trust: a notice only ever names its poster (the
 * connection's remote PeerId) as the location, so a waiting notice makes me ask the poster
 * what it holds for me, and an expiry notice can only say the poster no longer holds it.
 */
export function directNoticeHandler (c: DirectNoticeComponents) {
  return async (stream: Stream, connection: Connection): Promise<void> => {
    const remote = connection.remotePeer.toString()
    const holder: ServerRef = { addr: `/p2p/${remote}`, peerId: remote, dialAddrs: [] }
    await serveRequests<NoticeRequest, NoticeMessage>(stream, {
      request: NoticeRequest,
      response: NoticeMessage,
      maxRequestBytes: NOTICE_MAX_FRAME_BYTES,
      errorResponse: error => ({ notices: [], ok: false, error }),
      log: c.log
    }, async request => {
      if (request.post == null) {
        return { notices: [], ok: false, error: errorReply(ErrorCode.REFUSED, 'a node takes notices for itself only: subscribe on a cache server') }
      }
      const notice = decodeNotice(Notice.encode(request.post))
      if (notice.recipientId !== c.self) throw new MessageRefusedError('this notice is for another peer')
      if (notice.kind === NoticeKind.MESSAGE_WAITING) {
        c.log('%s says mail waits there for me', remote)
        c.onWaiting(holder)
      } else if (notice.kind === NoticeKind.ENVELOPE_EXPIRED) {
        c.onExpired(holder, [{ ...notice, locations: [{ peerId: peerIdBytesFromString(remote), addrs: [] }] }])
      }
      return { notices: [], ok: true }
    })
  }
}
