import { rm } from 'node:fs/promises'
import { messageDedupeKey, tombstoneOps } from './dedupe.js'
import { MessageNotFoundError, NotInTrashError, TooManyMessagesError } from './errors.js'
import { runLocked } from './keyed-lock.js'
import { assertId, prefixRange, referencedIds, replyKey } from './keys.js'
import { indexKey } from './mailbox-writer.js'
import { isSummary, SEARCH_TEXT_LOCK } from './mailbox.js'
import { decodeRecordOrThrow, plainBytes } from './records.js'
import type { BlobDownloads } from './blob-types.js'
import type { BatchOp } from './database.js'
import type { CountDelta, MailboxWriter } from './mailbox-writer.js'
import type { Folder, MessageSummary } from './types.js'

/** At most this many messages are deleted in one call (and one batch). */
export const MAX_PURGE_IDS = 1000
/** emptyFolder deletes this many messages per synced batch. */
export const PURGE_BATCH = 256

export interface PurgeComponents {
  writer: MailboxWriter
  /** The downloads of large attachments; a purged message's are forgotten with it. */
  downloads?: BlobDownloads
  now?: () => number
  /**
   * Called once the messages are checked, before anything is written, with the locks held:
   * the daemon stops the pulls of their large attachments here (an open download cannot
   * be forgotten).
   */
  beforeCommit?: (summaries: readonly MessageSummary[]) => Promise<void>
  /** Told the ids of each batch once it is durable (the daemon's event for the UI). */
  onPurged?: (ids: string[]) => void
}

export interface PurgeOptions {
  /**
   * Only messages in this folder are deleted. With `skip`, others (and ids that no longer
   * exist) are left out; without it, one such id fails the whole call (NotInTrashError for
   * trash, MessageNotFoundError) and nothing is deleted.
   */
  folder?: Folder
  skip?: boolean
}

/** Deleting messages for good (the trash's "delete forever" and "empty trash"). */
export interface Purger {
  /** Delete these messages for good; resolves to what was deleted. */
  purge(ids: readonly string[], options?: PurgeOptions): Promise<MessageSummary[]>
  /** Delete every message in `folder`, PURGE_BATCH per batch, at most the folder's count when called; resolves to how many. */
  emptyFolder(folder: Folder): Promise<number>
}

/**
 * Deletes messages for good: the summary, the raw MIME, the folder/date index entry, the
 * thread index entries, the cached search text, the folder counters and the downloads of
 * its large attachments go in one synced batch, and the dedupe entry becomes a tombstone
 * in that same batch (dedupe.ts), so a re-delivery is acknowledged but not stored again.
 * Files go after the batch is durable: a crash in between leaves files no record names
 * (swept at startup by BlobDownloads.removeOrphans), never a message whose attachment file
 * is gone. Large attachments of my own sent copies stay in the blob store, which serves
 * them to recipients until they have them or their retention ends.
 *
 * @example
 * const purger = createPurger({ writer: store.mailbox.writer, downloads })
 * await purger.purge([id], { folder: 'trash' })
 */
export function createPurger (c: PurgeComponents): Purger {
  const { writer } = c
  const subs = writer.db.sublevels.mailbox
  const now = c.now ?? Date.now

  async function read (id: string): Promise<MessageSummary | undefined> {
    const text = await subs.summaries.get(id)
    return text === undefined ? undefined : decodeRecordOrThrow(`mailbox/summary/${id}`, text, isSummary)
  }

  async function purge (ids: readonly string[], options: PurgeOptions = {}): Promise<MessageSummary[]> {
    const unique = [...new Set(ids)]
    if (unique.length > MAX_PURGE_IDS) throw new TooManyMessagesError(unique.length, MAX_PURGE_IDS)
    for (const id of unique) assertId(id)
    if (unique.length === 0) return []
    // The dedupe keys need the summaries, which are read again under the locks: a first read
    // names the locks, the second (under them) is what counts.
    const first = await Promise.all(unique.map(read))
    const dedupeLocks = await Promise.all(first.flatMap(s => s == null ? [] : [dedupeKeyOf(s).then(key => `dedupe:${key}`)]))
    return await runLocked(writer.locks, [...unique.map(id => `message:${id}`), ...dedupeLocks, SEARCH_TEXT_LOCK], async () => {
      const chosen: MessageSummary[] = []
      for (const id of unique) {
        const summary = await read(id)
        if (summary == null) {
          if (options.skip === true) continue
          throw new MessageNotFoundError(id)
        }
        if (options.folder != null && summary.folder !== options.folder) {
          if (options.skip === true) continue
          throw options.folder === 'trash' ? new NotInTrashError(id, summary.folder) : new MessageNotFoundError(id)
        }
        chosen.push(summary)
      }
      if (chosen.length === 0) return []
      await c.beforeCommit?.(chosen)
      const ops: BatchOp[] = []
      const deltas: CountDelta[] = []
      const files: string[] = []
      const deletedAt = now()
      for (const s of chosen) {
        ops.push(
          { type: 'del', sublevel: subs.summaries, key: s.id },
          { type: 'del', sublevel: subs.raw, key: s.id },
          { type: 'del', sublevel: subs.index, key: indexKey(s) },
          { type: 'del', sublevel: subs.text, key: s.id },
          ...referencedIds(s).map((ref): BatchOp => ({ type: 'del', sublevel: subs.replies, key: replyKey(ref, s.id) }))
        )
        const key = await dedupeKeyOf(s)
        const holder = subs.dedupe.getSync(key)
        // The key is this message's (or lost): it becomes a tombstone. One that names another
        // stored message is that message's, and stays.
        if (holder === undefined || holder === s.id) ops.push(...tombstoneOps(subs, key, deletedAt))
        deltas.push({ folder: s.folder, total: -1, unread: s.unread ? -1 : 0 })
        if (c.downloads != null && (s.blobs ?? []).length > 0) {
          const removal = await c.downloads.removalOf((s.blobs ?? []).map(b => b.blobId), s.id)
          ops.push(...removal.ops)
          files.push(...removal.files)
        }
      }
      await writer.commit({ ops, deltas })
      c.onPurged?.(chosen.map(m => m.id))
      // Durable: now the files. One that fails to go is an orphan the next start sweeps.
      await Promise.all(files.map(async f => { await rm(f, { force: true }).catch(() => {}) }))
      return chosen
    })
  }

  /** The dedupe key as the receiver made it (the raw MIME is read only for a message without a Message-ID). */
  async function dedupeKeyOf (s: MessageSummary): Promise<string> {
    if (s.messageId !== '') return messageDedupeKey(s.fromPeer, s.messageId, new Uint8Array(0))
    return messageDedupeKey(s.fromPeer, '', plainBytes(await subs.raw.get(s.id)) ?? new Uint8Array(0))
  }

  return {
    purge,

    async emptyFolder (folder) {
      const { total } = await writer.readCounts(folder)
      const range = prefixRange(folder)
      let deleted = 0
      // Bounded by the count when called: mail moved in meanwhile waits for the next call.
      for (let round = 0; round <= Math.ceil(total / PURGE_BATCH); round++) {
        const keys = await subs.index.keys({ ...range, limit: PURGE_BATCH }).all()
        if (keys.length === 0) break
        const ids = keys.map(key => key.slice(key.lastIndexOf('!') + 1))
        const done = await purge(ids, { folder, skip: true })
        deleted += done.length
        if (done.length === 0) break
      }
      return deleted
    }
  }
}
