import { MessageNotFoundError } from './errors.js'
import { assertFolder, createMailboxWriter, indexKey } from './mailbox-writer.js'
import { decodeCursor, encodeCursor, newId, pageSize, prefixRange, replyRange } from './keys.js'
import { decodeRecord, decodeRecordOrThrow, isObject, plainBytes } from './records.js'
import { isTombstone } from './dedupe.js'
import { FOLDERS, MAX_SEARCH_TEXT_CHARS } from './types.js'
import type { Database } from './database.js'
import type { MailboxWriter } from './mailbox-writer.js'
import type { CorruptHandler } from './records.js'
import type { Folder, ListOptions, Mailbox, MessageSummary, NewMessage, Page, SearchText } from './types.js'

export interface MailboxInit {
  /** Clock for ids; default Date.now. */
  now?: () => number
  /** Told about records that do not decode (they are skipped). */
  onCorrupt?: CorruptHandler
  /**
   * The write side to use. Pass the same one to the Outbox so both keep one set of
   * folder counters; by default a new one is made.
   */
  writer?: MailboxWriter
}

/** A Mailbox plus its write side, which the Outbox needs to file Sent copies. */
export interface MailboxStore extends Mailbox {
  readonly writer: MailboxWriter
}

/** The runtime guard for a stored MessageSummary. */
export function isSummary (value: unknown): value is MessageSummary {
  return isObject(value) &&
    typeof value.id === 'string' &&
    (FOLDERS as readonly unknown[]).includes(value.folder) &&
    typeof value.unread === 'boolean' &&
    typeof value.receivedAt === 'number'
}

/**
 * The mailbox over `db`: summaries, raw MIME, a folder/date index, dedupe keys and
 * per-folder counters, every change to them in one synced batch.
 *
 * @example
 * const mailbox = createMailbox(db)
 * const { id } = await mailbox.add(message, raw, `${fromPeer}\n${messageId}`)
 * const page = await mailbox.list('inbox', { limit: 20 })
 */
export function createMailbox (db: Database, init: MailboxInit = {}): MailboxStore {
  const now = init.now ?? Date.now
  const writer = init.writer ?? createMailboxWriter(db, { onCorrupt: init.onCorrupt })
  const onCorrupt = init.onCorrupt ?? writer.onCorrupt
  const subs = db.sublevels.mailbox

  const summaryKey = (id: string): string => `mailbox/summary/${id}`

  return {
    writer,

    async add (message: NewMessage, raw: Uint8Array, dedupeKey: string) {
      assertFolder(message.folder)
      // Same dedupe key twice at once: the second waits, then finds the first's id.
      return await writer.locks.run(`dedupe:${dedupeKey}`, async () => {
        const existing = subs.dedupe.getSync(dedupeKey)
        // Deleted for good: acknowledged like any repeat, never stored again.
        if (isTombstone(existing)) return { id: '', duplicate: true, deleted: true }
        if (existing !== undefined) return { id: existing, duplicate: true }
        // The stored size is the bytes stored, whatever the caller computed.
        const summary: MessageSummary = { ...message, id: newId(now()), size: raw.byteLength }
        await writer.commit(writer.addChange(summary, raw, dedupeKey))
        return { id: summary.id, duplicate: false }
      })
    },

    async get (id) {
      const text = await subs.summaries.get(id)
      return text === undefined ? undefined : decodeRecord(summaryKey(id), text, isSummary, onCorrupt)
    },

    async getRaw (id) {
      return plainBytes(await subs.raw.get(id))
    },

    async list (folder: Folder, options: ListOptions = {}): Promise<Page<MessageSummary>> {
      assertFolder(folder)
      const limit = pageSize(options.limit)
      const range = prefixRange(folder)
      const start = options.cursor === undefined ? { gte: range.gte } : { gt: decodeCursor(options.cursor, range) }
      // One extra entry tells whether there is a next page without a second read.
      const entries = await subs.index.iterator({ ...start, lt: range.lt, limit: limit + 1 }).all()
      const pageEntries = entries.slice(0, limit)
      const ids = pageEntries.map(([key]) => key.slice(key.lastIndexOf('!') + 1))
      const texts = ids.length === 0 ? [] : await subs.summaries.getMany(ids)
      const items: MessageSummary[] = []
      texts.forEach((text, i) => {
        const id = ids[i] ?? ''
        if (text === undefined) {
          onCorrupt?.(summaryKey(id), new MessageNotFoundError(id))
          return
        }
        const summary = decodeRecord(summaryKey(id), text, isSummary, onCorrupt)
        if (summary !== undefined) items.push(summary)
      })
      const last = pageEntries[pageEntries.length - 1]
      return entries.length > limit && last !== undefined ? { items, next: encodeCursor(last[0]) } : { items }
    },

    async counts (folder) {
      assertFolder(folder)
      return await writer.readCounts(folder)
    },

    async update (id, change) {
      if (change.folder !== undefined) assertFolder(change.folder)
      // Two updates of one message must not both start from the same old summary.
      return await writer.locks.run(`message:${id}`, async () => {
        const text = await subs.summaries.get(id)
        if (text === undefined) throw new MessageNotFoundError(id)
        const before = decodeRecordOrThrow(summaryKey(id), text, isSummary)
        const after: MessageSummary = { ...before, unread: change.unread ?? before.unread, folder: change.folder ?? before.folder }
        if (after.unread === before.unread && after.folder === before.folder) return before
        await writer.commit(writer.updateChange(before, after))
        return after
      })
    },

    async hasDedupeKey (dedupeKey) {
      const value = await subs.dedupe.get(dedupeKey)
      return isTombstone(value) ? undefined : value
    },

    async repliesTo (messageId, limit) {
      const keys = await subs.replies.keys({ ...replyRange(messageId), limit }).all()
      return keys.map(key => key.slice(key.lastIndexOf('\0') + 1))
    },

    cursorAfter (message) {
      // What `list` hands out after a page ending with this message.
      return encodeCursor(indexKey(message))
    },

    async searchTexts (ids) {
      if (ids.length === 0) return []
      return (await subs.text.getMany(ids)).map(decodeSearchText)
    },

    async putSearchTexts (entries) {
      if (entries.length === 0) return
      // Under the lock a purge holds (purge.ts): a text parsed from a message deleted while the
      // search ran is not written back after its deletion, where nothing would remove it.
      await writer.locks.run(SEARCH_TEXT_LOCK, async () => {
        const kept = entries.filter(({ id }) => subs.summaries.getSync(id) !== undefined)
        if (kept.length === 0) return
        await subs.text.batch(kept.map(({ id, text }) => ({ type: 'put' as const, key: id, value: encodeSearchText(text) })))
      })
    }
  }
}

/** Held while search texts are written, and by a purge: the two never interleave. */
export const SEARCH_TEXT_LOCK = 'search-text'

// A cached search text is one marker character then the text: all of it, or cut.
const WHOLE = '='
const CUT = '+'

function encodeSearchText (text: string): string {
  return text.length <= MAX_SEARCH_TEXT_CHARS ? WHOLE + text : CUT + text.slice(0, MAX_SEARCH_TEXT_CHARS)
}

/** undefined for an absent entry, or one that is not of this format (parsed again, then overwritten). */
function decodeSearchText (value: string | undefined): SearchText | undefined {
  if (value === undefined || (value[0] !== WHOLE && value[0] !== CUT)) return undefined
  return { text: value.slice(1), whole: value[0] === WHOLE }
}
