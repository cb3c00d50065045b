import { FOLDERS } from './types.js'
import { UnknownFolderError } from './errors.js'
import { createKeyedLock } from './keyed-lock.js'
import { decodeRecord, isObject } from './records.js'
import { SEPARATOR, invertedTime, prefixRange, referencedIds, replyKey } from './keys.js'
import type { BatchOp, Database } from './database.js'
import type { KeyedLock } from './keyed-lock.js'
import type { CorruptHandler } from './records.js'
import type { Folder, FolderCounts, MessageSummary } from './types.js'

/** A change to one folder's counters, applied in the batch that causes it. */
export interface CountDelta {
  folder: Folder
  total: number
  unread: number
}

/** Operations for a mailbox change plus the counter changes that go with them. */
export interface MailboxChange {
  ops: BatchOp[]
  deltas: CountDelta[]
}

/**
 * The mailbox's write side, shared by the Mailbox and by the Outbox (which stores the Sent
 * copy in the same batch as its entry). There must be one per open database: it caches the
 * folder counters, and two caches would overwrite each other's counts.
 */
export interface MailboxWriter {
  readonly db: Database
  /** Serialises work per dedupe key and per message id. */
  readonly locks: KeyedLock
  readonly onCorrupt: CorruptHandler | undefined
  /** Store a new message: summary, raw, index, dedupe entry, thread index entries. */
  addChange(summary: MessageSummary, raw: Uint8Array, dedupeKey: string): MailboxChange
  /** Rewrite a summary whose folder or unread flag changed. */
  updateChange(before: MessageSummary, after: MessageSummary): MailboxChange
  /** Commit `ops` with the counters moved by `deltas`, in one synced batch. */
  commit(change: MailboxChange): Promise<void>
  /** The counters as stored, recounted from the index if the stored value is damaged. */
  readCounts(folder: Folder): Promise<FolderCounts>
}

export interface MailboxWriterInit {
  onCorrupt?: CorruptHandler
}

/** The folder/date index key: a forward read of `${folder}!` gives newest first. */
export function indexKey (summary: Pick<MessageSummary, 'folder' | 'receivedAt' | 'id'>): string {
  return [summary.folder, invertedTime(summary.receivedAt), summary.id].join(SEPARATOR)
}

export function assertFolder (folder: string): asserts folder is Folder {
  if (!(FOLDERS as readonly string[]).includes(folder)) throw new UnknownFolderError(folder)
}

function isCounts (value: unknown): value is FolderCounts {
  return isObject(value) && Number.isSafeInteger(value.total) && Number.isSafeInteger(value.unread)
}

/** Create the mailbox write side for `db`. */
export function createMailboxWriter (db: Database, init: MailboxWriterInit = {}): MailboxWriter {
  const subs = db.sublevels.mailbox
  const onCorrupt = init.onCorrupt
  // Counters are kept in memory once loaded and written as absolute values. Deltas are
  // applied to the cache and handed to db.commit in one synchronous step, so the order of
  // counter puts in the commit queue is the order of the cache changes: the last put to
  // land is always the newest value.
  const cache = new Map<Folder, FolderCounts>()
  const loading = new Map<Folder, Promise<void>>()

  async function recount (folder: Folder): Promise<FolderCounts> {
    const counts = { total: 0, unread: 0 }
    for await (const value of subs.index.values(prefixRange(folder))) {
      counts.total++
      if (value === '1') counts.unread++
    }
    return counts
  }

  async function readCounts (folder: Folder): Promise<FolderCounts> {
    const text = await subs.counts.get(folder)
    if (text === undefined) return { total: 0, unread: 0 }
    return decodeRecord(`mailbox/counts/${folder}`, text, isCounts, onCorrupt) ?? await recount(folder)
  }

  async function ensureLoaded (folders: Folder[]): Promise<void> {
    await Promise.all(folders.map(async folder => {
      if (cache.has(folder)) return
      let load = loading.get(folder)
      if (load === undefined) {
        load = readCounts(folder).then(counts => { cache.set(folder, counts) }).finally(() => loading.delete(folder))
        loading.set(folder, load)
      }
      await load
    }))
  }

  return {
    db,
    locks: createKeyedLock(),
    onCorrupt,
    readCounts,

    addChange (summary, raw, dedupeKey) {
      const unread = summary.unread ? 1 : 0
      return {
        ops: [
          { type: 'put', sublevel: subs.summaries, key: summary.id, value: JSON.stringify(summary) },
          { type: 'put', sublevel: subs.raw, key: summary.id, value: raw },
          { type: 'put', sublevel: subs.index, key: indexKey(summary), value: String(unread) },
          { type: 'put', sublevel: subs.dedupe, key: dedupeKey, value: summary.id },
          ...referencedIds(summary).map((ref): BatchOp => ({ type: 'put', sublevel: subs.replies, key: replyKey(ref, summary.id), value: '' }))
        ],
        deltas: [{ folder: summary.folder, total: 1, unread }]
      }
    },

    updateChange (before, after) {
      const ops: BatchOp[] = [{ type: 'put', sublevel: subs.summaries, key: after.id, value: JSON.stringify(after) }]
      const oldKey = indexKey(before)
      const newKey = indexKey(after)
      if (oldKey !== newKey) ops.push({ type: 'del', sublevel: subs.index, key: oldKey })
      ops.push({ type: 'put', sublevel: subs.index, key: newKey, value: after.unread ? '1' : '0' })
      const wasUnread = before.unread ? 1 : 0
      const isUnread = after.unread ? 1 : 0
      const deltas: CountDelta[] = before.folder === after.folder
        ? [{ folder: after.folder, total: 0, unread: isUnread - wasUnread }]
        : [{ folder: before.folder, total: -1, unread: -wasUnread }, { folder: after.folder, total: 1, unread: isUnread }]
      return { ops, deltas }
    },

    async commit ({ ops, deltas }) {
      await ensureLoaded(deltas.map(d => d.folder))
      // From here to db.commit there must be no await (see the cache comment above).
      const all = [...ops]
      const touched = new Set<Folder>()
      for (const d of deltas) {
        const counts = cache.get(d.folder) ?? { total: 0, unread: 0 }
        cache.set(d.folder, { total: counts.total + d.total, unread: counts.unread + d.unread })
        touched.add(d.folder)
      }
      for (const folder of touched) {
        all.push({ type: 'put', sublevel: subs.counts, key: folder, value: JSON.stringify(cache.get(folder)) })
      }
      try {
        await db.commit(all)
      } catch (err) {
        // The batch wrote nothing but the cache moved: reload from disk on next use.
        cache.clear()
        throw err
      }
    }
  }
}
