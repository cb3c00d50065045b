import { dedupeKeyOfIndexKey, tombstoneIndexKey, tombstoneTime } from './dedupe.js'
import { runLocked } from './keyed-lock.js'
import { sortableTime } from './keys.js'
import type { BatchOp, Database } from './database.js'
import type { KeyedLock } from './keyed-lock.js'

/** At most this many tombstones are removed in one pass (and one synced batch). */
export const TOMBSTONE_EXPIRY_BATCH = 1000

export interface TombstoneExpiryComponents {
  db: Database
  /** The mailbox's locks (MailboxWriter.locks): a tombstone goes under its `dedupe:` lock, as Mailbox.add and a purge take it. */
  locks: KeyedLock
  now: () => number
}

export interface TombstoneExpiryInit {
  /** A tombstone made longer ago than this is removed; the caller says why it is long enough (node/envelope-age.ts). */
  lifetimeMs: number
  /** Tombstones per pass; default TOMBSTONE_EXPIRY_BATCH. */
  batch?: number
}

export interface TombstonePass {
  /** Tombstones removed. */
  removed: number
  /** The pass was full: more may have expired (run another). */
  more: boolean
}

export interface TombstoneExpiry {
  /** Remove up to `batch` tombstones older than the lifetime, oldest first, in one synced batch. */
  pass(): Promise<TombstonePass>
}

/**
 * Expiry of dedupe tombstones (dedupe.ts). A tombstone exists so that a copy of a message
 * deleted for good, delivered again, is acknowledged and not stored; once no copy can come
 * any more it is dead weight (~100 bytes a message). A pass reads the oldest entries of the
 * tombstone index, up to `batch`, so its cost is bounded by what expired, not by the size of
 * the mailbox. Under the dedupe locks it checks each entry again: a key that holds another
 * value than the tombstone the index names (a newer tombstone) keeps it, and only the stale
 * index entry goes.
 *
 * @example
 * const expiry = createTombstoneExpiry({ db: store.db, locks: store.mailbox.writer.locks, now: Date.now }, { lifetimeMs: 61 * DAY })
 * const { removed, more } = await expiry.pass()
 */
export function createTombstoneExpiry (c: TombstoneExpiryComponents, init: TombstoneExpiryInit): TombstoneExpiry {
  if (!Number.isSafeInteger(init.lifetimeMs) || init.lifetimeMs <= 0) throw new RangeError(`a tombstone lifetime of ${init.lifetimeMs} ms is not a positive whole number of ms`)
  const batch = Math.max(1, Math.min(init.batch ?? TOMBSTONE_EXPIRY_BATCH, TOMBSTONE_EXPIRY_BATCH))
  const { dedupe, tombstones } = c.db.sublevels.mailbox

  return {
    async pass () {
      const cutoff = c.now() - init.lifetimeMs
      if (cutoff <= 0) return { removed: 0, more: false }
      // Made strictly before the cutoff: index keys below its sortable time.
      const keys = await tombstones.keys({ lt: sortableTime(cutoff), limit: batch }).all()
      if (keys.length === 0) return { removed: 0, more: false }
      const dedupeKeys = keys.map(dedupeKeyOfIndexKey)
      return await runLocked(c.locks, dedupeKeys.map(key => `dedupe:${key}`), async () => {
        const ops: BatchOp[] = []
        let removed = 0
        keys.forEach((indexKey, i) => {
          const key = dedupeKeys[i]!
          ops.push({ type: 'del', sublevel: tombstones, key: indexKey })
          const at = tombstoneTime(dedupe.getSync(key))
          if (at !== undefined && tombstoneIndexKey(at, key) === indexKey) {
            ops.push({ type: 'del', sublevel: dedupe, key })
            removed++
          }
        })
        await c.db.commit(ops)
        return { removed, more: keys.length === batch }
      })
    }
  }
}
