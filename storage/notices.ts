import { EnvelopeTooLargeError, QuotaExceededError } from './holding-errors.js'
import { createKeyedLock } from './keyed-lock.js'
import { SEPARATOR, assertId, pageSize, prefixRange, sortableTime } from './keys.js'
import { createCounterLedger, DEFAULT_EXPIRE_LIMIT, isKeyId } from './parking.js'
import { decodeRecord, decodeRecordOrThrow, isObject, plainBytes } from './records.js'
import { runningCount } from './running-count.js'
import type { BatchOp, Database } from './database.js'
import type { NoticeLimits, NoticeStore, StoredNotice, Usage } from './holding-types.js'
import type { CounterDelta } from './parking.js'
import type { CorruptHandler } from './records.js'

/** Defaults for a holder's notices. */
export const DEFAULT_NOTICE_LIMITS: NoticeLimits = {
  maxPerRecipient: 1000,
  maxPerPoster: 1000,
  maxNoticeBytes: 16 * 1024,
  retentionMs: 30 * 24 * 60 * 60 * 1000
}

export interface NoticeInit {
  /** Told about records that do not decode (they are skipped). */
  onCorrupt?: CorruptHandler
}

/** StoredNotice as its JSON record: the bytes live in their own sublevel. */
type NoticeRecord = Omit<StoredNotice, 'bytes'>

function isNoticeRecord (value: unknown): value is NoticeRecord {
  return isObject(value) &&
    typeof value.noticeId === 'string' &&
    typeof value.recipient === 'string' &&
    typeof value.poster === 'string' &&
    typeof value.created === 'number' &&
    typeof value.expiresAt === 'number'
}

const recipientCounter = (peerId: string): string => 'recipient' + SEPARATOR + peerId
const posterCounter = (peerId: string): string => 'poster' + SEPARATOR + peerId
const recordKey = (recipient: string, noticeId: string): string => recipient + SEPARATOR + noticeId
const recipientIndexKey = (n: NoticeRecord): string => [n.recipient, sortableTime(n.created), n.noticeId].join(SEPARATOR)
const expiryIndexKey = (n: NoticeRecord): string => [sortableTime(n.expiresAt), n.recipient, n.noticeId].join(SEPARATOR)

function counterDeltas (n: NoticeRecord, size: number, sign: 1 | -1): CounterDelta[] {
  return [recipientCounter(n.recipient), posterCounter(n.poster)].map(key => ({ key, count: sign, bytes: sign * size }))
}

/**
 * The notice store over `db`: notices held for recipients, bounded per recipient and per
 * poster (counters that include adds in flight, kept in the batch with the notice), kept
 * at most `retentionMs` after `created`. Ids and PeerIds must be key-safe (InvalidIdError).
 * There must be one NoticeStore per open database: it caches its counters.
 *
 * @example
 * const notices = createNoticeStore(db, DEFAULT_NOTICE_LIMITS)
 * await notices.add({ noticeId, recipient, poster: remotePeer, bytes, created: Date.now(), expiresAt })
 * for (const n of await notices.listFor(recipient)) send(n.bytes)
 */
export function createNoticeStore (db: Database, limits: NoticeLimits, init: NoticeInit = {}): NoticeStore {
  const subs = db.sublevels.notices
  const onCorrupt = init.onCorrupt
  const locks = createKeyedLock()
  const label = (key: string): string => `notices/record/${key}`
  const held = runningCount(subs.records)

  async function recount (key: string): Promise<Usage> {
    const usage = { count: 0, bytes: 0 }
    const [kind = '', peerId = ''] = key.split(SEPARATOR)
    const keys: string[] = []
    for await (const [k, text] of kind === 'recipient' ? subs.records.iterator(prefixRange(peerId)) : subs.records.iterator()) {
      const record = decodeRecord(label(k), text, isNoticeRecord, onCorrupt)
      if (record !== undefined && (kind === 'recipient' || record.poster === peerId)) keys.push(k)
    }
    for (const bytes of keys.length === 0 ? [] : await subs.bytes.getMany(keys)) {
      usage.count++
      usage.bytes += bytes?.byteLength ?? 0
    }
    return usage
  }

  const ledger = createCounterLedger(db, subs.counts, { label: 'notices/counts', recount, onCorrupt })

  async function remove (key: string, shouldRemove: (n: NoticeRecord) => boolean, ifMissing?: () => Promise<void>): Promise<StoredNotice | undefined> {
    return await locks.run(key, async () => {
      const text = await subs.records.get(key)
      const record = text === undefined ? undefined : decodeRecord(label(key), text, isNoticeRecord, onCorrupt)
      if (record === undefined) {
        await ifMissing?.()
        return undefined
      }
      if (!shouldRemove(record)) return undefined
      const bytes = plainBytes(await subs.bytes.get(key)) ?? new Uint8Array(0)
      const release = await ledger.pin([recipientCounter(record.recipient), posterCounter(record.poster)])
      try {
        const ops: BatchOp[] = [
          { type: 'del', sublevel: subs.records, key },
          { type: 'del', sublevel: subs.bytes, key },
          { type: 'del', sublevel: subs.byRecipient, key: recipientIndexKey(record) },
          { type: 'del', sublevel: subs.byExpiry, key: expiryIndexKey(record) }
        ]
        await ledger.commit(ops, counterDeltas(record, bytes.byteLength, -1))
        held.add(-1)
        return { ...record, bytes }
      } finally {
        release()
      }
    })
  }

  return {
    count: held.get,

    async add (notice) {
      assertId(notice.noticeId)
      assertId(notice.recipient)
      assertId(notice.poster)
      if (!Number.isFinite(notice.created) || !Number.isFinite(notice.expiresAt)) throw new RangeError('notice times must be finite numbers of ms: this is a bug in the caller')
      if (notice.bytes.byteLength > limits.maxNoticeBytes) throw new EnvelopeTooLargeError(notice.bytes.byteLength, limits.maxNoticeBytes, 'notice')
      const key = recordKey(notice.recipient, notice.noticeId)
      return await locks.run(key, async () => {
        const text = await subs.records.get(key)
        if (text !== undefined) {
          decodeRecordOrThrow(label(key), text, isNoticeRecord)
          return { duplicate: true }
        }
        // The poster asks for a lifetime; this holder keeps it no longer than its retention.
        const record: NoticeRecord = {
          noticeId: notice.noticeId,
          recipient: notice.recipient,
          poster: notice.poster,
          created: notice.created,
          expiresAt: Math.min(notice.expiresAt, notice.created + limits.retentionMs)
        }
        const release = await ledger.pin([recipientCounter(record.recipient), posterCounter(record.poster)])
        try {
          // No await between the checks and ledger.commit's reservation.
          if (ledger.projected(recipientCounter(record.recipient)).count + 1 > limits.maxPerRecipient) throw new QuotaExceededError('notices-per-recipient', limits.maxPerRecipient)
          if (ledger.projected(posterCounter(record.poster)).count + 1 > limits.maxPerPoster) throw new QuotaExceededError('notices-per-poster', limits.maxPerPoster)
          await ledger.commit([
            { type: 'put', sublevel: subs.records, key, value: JSON.stringify(record) },
            { type: 'put', sublevel: subs.bytes, key, value: notice.bytes },
            { type: 'put', sublevel: subs.byRecipient, key: recipientIndexKey(record), value: '' },
            { type: 'put', sublevel: subs.byExpiry, key: expiryIndexKey(record), value: '' }
          ], counterDeltas(record, notice.bytes.byteLength, 1))
          held.add(1)
          return { duplicate: false }
        } finally {
          release()
        }
      })
    },

    async listFor (recipient) {
      if (!isKeyId(recipient)) return []
      // Bounded by the per-recipient quota, so one read serves the whole list.
      const keys = await subs.byRecipient.keys({ ...prefixRange(recipient), limit: limits.maxPerRecipient }).all()
      const ids = keys.map(k => recordKey(recipient, k.slice(k.lastIndexOf(SEPARATOR) + 1)))
      if (ids.length === 0) return []
      const [texts, bytes] = await Promise.all([subs.records.getMany(ids), subs.bytes.getMany(ids)])
      const notices: StoredNotice[] = []
      texts.forEach((text, i) => {
        const data = plainBytes(bytes[i])
        if (text === undefined || data === undefined) return
        const record = decodeRecord(label(ids[i] ?? ''), text, isNoticeRecord, onCorrupt)
        if (record !== undefined) notices.push({ ...record, bytes: data })
      })
      return notices
    },

    async ack (recipient, noticeIds) {
      if (!isKeyId(recipient)) return 0
      const ids = [...new Set(noticeIds)].filter(isKeyId)
      const removed = await Promise.all(ids.map(async id => await remove(recordKey(recipient, id), () => true)))
      return removed.filter(n => n !== undefined).length
    },

    async expire (now, limit = DEFAULT_EXPIRE_LIMIT) {
      const keys = await subs.byExpiry.keys({ lt: prefixRange(sortableTime(now)).lt, limit: pageSize(limit) }).all()
      const removed = await Promise.all(keys.map(async indexKey => {
        const [, recipient = '', noticeId = ''] = indexKey.split(SEPARATOR)
        return await remove(recordKey(recipient, noticeId), n => n.expiresAt <= now, async () => {
          await db.commit([{ type: 'del', sublevel: subs.byExpiry, key: indexKey }])
        })
      }))
      return removed.filter(n => n !== undefined)
    }
  }
}
