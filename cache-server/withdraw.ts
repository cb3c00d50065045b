import { Notice, NoticeKind } from '../node/protocol/notice.js'
import type { NoticeStore, ParkedEnvelope } from '../storage/holding-types.js'

/**
 * On a withdraw by `depositor`: drop the MESSAGE_WAITING notices it posted here about
 * `envelopeId` for `recipient`, so the recipient is not sent looking for a copy that is
 * gone (it would find nothing, quietly, after a few tries on each reconnect, until the
 * notice's retention ended). Done whether or not the copy was parked here: a copy parked
 * on a co-recipient is announced on the recipient's home servers, which hold nothing.
 * Only the caller's own notices go (the poster is the connection's peer, as the depositor
 * is): anyone may post, and a notice someone else posted about the same id is theirs.
 * Bounded by the per-recipient notice quota (listFor reads at most that many). Resolves
 * to how many were dropped.
 */
export async function dropWaitingNotices (notices: NoticeStore, e: Pick<ParkedEnvelope, 'depositor' | 'recipient' | 'envelopeId'>): Promise<number> {
  const stale: string[] = []
  for (const n of await notices.listFor(e.recipient)) {
    if (n.poster !== e.depositor) continue
    let notice: Notice
    try {
      notice = Notice.decode(n.bytes)
    } catch {
      // Stored as it came, after it was checked: a notice that no longer decodes is not ours to judge here.
      continue
    }
    if (notice.kind === NoticeKind.MESSAGE_WAITING && Buffer.from(notice.envelopeId).toString('hex') === e.envelopeId) stale.push(n.noticeId)
  }
  return stale.length === 0 ? 0 : await notices.ack(e.recipient, stale)
}
