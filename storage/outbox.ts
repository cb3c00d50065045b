import { isTombstone } from './dedupe.js'
import { DuplicateMessageError, MissingEnvelopeError, NotCancellableError, OutboxEntryNotFoundError, RecipientNotFoundError } from './errors.js'
import { assertFolder } from './mailbox-writer.js'
import { SEPARATOR, assertId, decodeCursor, encodeCursor, invertedTime, pageSize } from './keys.js'
import { decodeRecord, decodeRecordOrThrow, isObject, plainBytes } from './records.js'
import type { BatchOp, Database } from './database.js'
import type { MailboxWriter } from './mailbox-writer.js'
import type { CorruptHandler } from './records.js'
import type { EnvelopeChange, ListOptions, Outbox, OutboxEntry, Page, RecipientState } from './types.js'

export interface OutboxComponents {
  db: Database
  /** The mailbox write side the Sent copies go through (the one the Mailbox uses). */
  mailbox: { writer: MailboxWriter }
}

export interface OutboxInit {
  /** Told about records that do not decode (they are skipped). */
  onCorrupt?: CorruptHandler
}

/** The recipient fields a change may set (envelopeId only with a replaced envelope). */
const MUTABLE_FIELDS = ['state', 'attempts', 'nextAttemptAt', 'lastError', 'deliveredAt', 'parkedAt', 'envelopeId'] as const

function isEntry (value: unknown): value is OutboxEntry {
  return isObject(value) && typeof value.id === 'string' && typeof value.createdAt === 'number' && Array.isArray(value.recipients)
}

const hasPending = (entry: OutboxEntry): boolean => entry.recipients.some(r => r.state === 'pending')
/** The entry write and its pending-index entry (kept or dropped), for one batch. */
const entryOps = (subs: Database['sublevels']['outbox'], entry: OutboxEntry): BatchOp[] => [
  { type: 'put', sublevel: subs.entries, key: entry.id, value: JSON.stringify(entry) },
  hasPending(entry)
    ? { type: 'put', sublevel: subs.pending, key: entry.id, value: '' }
    : { type: 'del', sublevel: subs.pending, key: entry.id }
]
const envelopeKey = (id: string, peerId: string): string => id + SEPARATOR + peerId
const timeKey = (entry: OutboxEntry): string => invertedTime(entry.createdAt) + SEPARATOR + entry.id
/** The whole byTime index: every key starts with 12 hex digits. */
const TIME_RANGE = { gte: '', lt: '~' }

/**
 * The outbox over `db`: entries with per-recipient state, one sealed envelope per
 * (entry, recipient), an index of entries with pending recipients, and a time index.
 *
 * @example
 * const outbox = createOutbox({ db, mailbox })
 * await outbox.enqueue(entry, envelopes, { message, raw, dedupeKey })
 * for (const entry of await outbox.pending()) { ... }
 */
export function createOutbox (components: OutboxComponents, init: OutboxInit = {}): Outbox {
  const { db } = components
  const writer = components.mailbox.writer
  const onCorrupt = init.onCorrupt ?? writer.onCorrupt
  const subs = db.sublevels.outbox
  const entryKey = (id: string): string => `outbox/entry/${id}`

  async function get (id: string): Promise<OutboxEntry | undefined> {
    const text = subs.entries.getSync(id)
    return text === undefined ? undefined : decodeRecord(entryKey(id), text, isEntry, onCorrupt)
  }

  async function getMany (ids: string[]): Promise<OutboxEntry[]> {
    if (ids.length === 0) return []
    const texts = await subs.entries.getMany(ids)
    const entries: OutboxEntry[] = []
    texts.forEach((text, i) => {
      const id = ids[i] ?? ''
      if (text === undefined) {
        onCorrupt?.(entryKey(id), new OutboxEntryNotFoundError(id))
        return
      }
      const entry = decodeRecord(entryKey(id), text, isEntry, onCorrupt)
      if (entry !== undefined) entries.push(entry)
    })
    return entries
  }

  /**
   * Change one recipient of entry `id` and write `ops` with it in one synced batch.
   * Concurrent changes of two recipients of one entry each rewrite the whole entry: they
   * run one after the other so neither is lost.
   */
  async function changeRecipient (id: string, peerId: string, change: EnvelopeChange, ops: BatchOp[], onlyIfPending = false): Promise<OutboxEntry> {
    return await writer.locks.run(`outbox:${id}`, async () => {
      const text = subs.entries.getSync(id)
      if (text === undefined) throw new OutboxEntryNotFoundError(id)
      const entry = decodeRecordOrThrow(entryKey(id), text, isEntry)
      const index = entry.recipients.findIndex(r => r.peerId === peerId)
      const recipient = entry.recipients[index]
      if (recipient === undefined) throw new RecipientNotFoundError(id, peerId)
      if (onlyIfPending && recipient.state !== 'pending') return entry

      const next: RecipientState = { ...recipient }
      for (const field of MUTABLE_FIELDS) {
        if (!(field in change)) continue
        const value = change[field]
        if (value !== undefined) Object.assign(next, { [field]: value })
        // `lastError: undefined` clears an optional field; required ones keep their value.
        else if (field === 'lastError' || field === 'deliveredAt' || field === 'parkedAt') delete next[field]
      }
      const updated: OutboxEntry = { ...entry, recipients: entry.recipients.map((r, i) => i === index ? next : r) }
      await db.commit([...ops, ...entryOps(subs, updated)])
      return updated
    })
  }

  return {
    get,

    async enqueue (entry, envelopes, sentCopy) {
      assertId(entry.id)
      assertFolder(sentCopy.message.folder)
      for (const r of entry.recipients) {
        if (!envelopes.has(r.peerId)) throw new MissingEnvelopeError(entry.id, r.peerId)
      }
      // The dedupe lock is the one Mailbox.add takes, so a Sent copy and an add of the same
      // message cannot both pass the check; the entry lock keeps recipient updates out.
      await writer.locks.run(`dedupe:${sentCopy.dedupeKey}`, async () => {
        await writer.locks.run(`outbox:${entry.id}`, async () => {
          // The Sent copy's dedupe key names the entry (the same batch writes both), so one
          // read tells both cases apart (a read less per message, issue 8): the same entry
          // enqueued again after a crash before the caller heard back is already done;
          // another message with this key is a duplicate.
          const existing = db.sublevels.mailbox.dedupe.getSync(sentCopy.dedupeKey)
          if (existing === entry.id) return
          if (existing !== undefined) throw new DuplicateMessageError(sentCopy.dedupeKey, isTombstone(existing) ? 'a message since deleted for good' : existing)

          const ops: BatchOp[] = [
            { type: 'put', sublevel: subs.entries, key: entry.id, value: JSON.stringify(entry) },
            { type: 'put', sublevel: subs.byTime, key: timeKey(entry), value: entry.id }
          ]
          if (hasPending(entry)) ops.push({ type: 'put', sublevel: subs.pending, key: entry.id, value: '' })
          for (const r of entry.recipients) {
            const bytes = envelopes.get(r.peerId)
            if (bytes !== undefined) ops.push({ type: 'put', sublevel: subs.envelopes, key: envelopeKey(entry.id, r.peerId), value: bytes })
          }
          const summary = { ...sentCopy.message, id: entry.id, size: sentCopy.raw.byteLength }
          const sent = writer.addChange(summary, sentCopy.raw, sentCopy.dedupeKey)
          await writer.commit({ ops: [...ops, ...sent.ops], deltas: sent.deltas })
        })
      })
    },

    async envelope (id, peerId) {
      return plainBytes(subs.envelopes.getSync(envelopeKey(id, peerId)))
    },

    async replaceEnvelope (id, peerId, bytes, change = {}, options = {}) {
      return await changeRecipient(id, peerId, change, [{ type: 'put', sublevel: subs.envelopes, key: envelopeKey(id, peerId), value: bytes }], options.onlyIfPending)
    },

    async pending () {
      const ids = await subs.pending.keys().all()
      // The index is kept in the same batch as the entry, but filter anyway: it is cheap.
      return (await getMany(ids)).filter(hasPending)
    },

    async list (options: ListOptions = {}): Promise<Page<OutboxEntry>> {
      const limit = pageSize(options.limit)
      const start = options.cursor === undefined ? { gte: TIME_RANGE.gte } : { gt: decodeCursor(options.cursor, TIME_RANGE) }
      const rows = await subs.byTime.iterator({ ...start, lt: TIME_RANGE.lt, limit: limit + 1 }).all()
      const pageRows = rows.slice(0, limit)
      const items = await getMany(pageRows.map(([, id]) => id))
      const last = pageRows[pageRows.length - 1]
      return rows.length > limit && last !== undefined ? { items, next: encodeCursor(last[0]) } : { items }
    },

    async updateRecipient (id, peerId, change, options = {}) {
      return await changeRecipient(id, peerId, change, [], options.onlyIfPending)
    },

    async cancel (id, peerIds, at) {
      return await writer.locks.run(`outbox:${id}`, async () => {
        const text = subs.entries.getSync(id)
        if (text === undefined) throw new OutboxEntryNotFoundError(id)
        const entry = decodeRecordOrThrow(entryKey(id), text, isEntry)
        for (const peerId of peerIds ?? []) {
          if (!entry.recipients.some(r => r.peerId === peerId)) throw new RecipientNotFoundError(id, peerId)
        }
        const named = peerIds == null ? entry.recipients : entry.recipients.filter(r => peerIds.includes(r.peerId))
        // A parked copy may still be withdrawn from its holders (the caller does that).
        const finished = named.filter(r => r.state !== 'pending' && r.state !== 'parked')
        // Named recipients are all taken back or none is; without names, whoever still waits.
        if ((peerIds != null && finished.length > 0) || finished.length === named.length) {
          throw new NotCancellableError(id, finished.map(r => ({ address: r.address, state: r.state })))
        }
        const parked = named.filter(r => r.state === 'parked').map(r => r.peerId)
        const cancelled = named.filter(r => r.state === 'pending').map(r => r.peerId)
        if (cancelled.length === 0) return { entry, cancelled, parked }
        const updated: OutboxEntry = {
          ...entry,
          recipients: entry.recipients.map(r => cancelled.includes(r.peerId) ? { ...r, state: 'cancelled' as const, cancelledAt: at } : r)
        }
        await db.commit(entryOps(subs, updated))
        return { entry: updated, cancelled, parked }
      })
    },

    async settleWithdrawal (id, peerId, answers, at) {
      return await writer.locks.run(`outbox:${id}`, async () => {
        const text = subs.entries.getSync(id)
        if (text === undefined) throw new OutboxEntryNotFoundError(id)
        const entry = decodeRecordOrThrow(entryKey(id), text, isEntry)
        const recipient = entry.recipients.find(r => r.peerId === peerId)
        if (recipient === undefined) throw new RecipientNotFoundError(id, peerId)
        // No longer parked (a concurrent cancel took it back, or its copy expired): its own
        // record stands; this call's answers (likely "not here") would only blur it.
        if (recipient.state !== 'parked') return { entry, cancelled: false }
        const gone = new Set(answers.filter(a => a.outcome === 'withdrawn' || a.outcome === 'not-here').map(a => a.peerId))
        // Read here, under the lock: an expiry notice may have dropped a holder meanwhile.
        const left = (recipient.parkedAt ?? []).filter(h => !gone.has(h))
        let next: RecipientState = { ...recipient, withdrawal: answers }
        let cancelled = false
        if (answers.some(a => a.outcome === 'fetched')) {
          // A holder saw the recipient fetch it: it has the message, as after a direct delivery.
          const { parkedAt: _, ...rest } = next
          next = { ...rest, state: 'delivered', deliveredAt: at }
        } else if (left.length > 0) next = { ...next, parkedAt: left }
        else {
          const { parkedAt: _, ...rest } = next
          next = { ...rest, state: 'cancelled', cancelledAt: at }
          cancelled = true
        }
        const updated: OutboxEntry = { ...entry, recipients: entry.recipients.map(r => r.peerId === peerId ? next : r) }
        await db.commit(entryOps(subs, updated))
        return { entry: updated, cancelled }
      })
    }
  }
}
