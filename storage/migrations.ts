import { tombstoneIndexKey, tombstoneTime } from './dedupe.js'
import { referencedIds, replyKey } from './keys.js'
import { isObject } from './records.js'
import type { BatchOp, Database } from './database.js'

/**
 * Numbered schema migrations. A database records the version it is at (meta
 * `schemaVersion`); opening runs every migration above it, each in one synced batch with
 * the new version, so a crash mid-upgrade leaves a database at a version it claims.
 * Never edit a released migration: add the next one.
 */
export interface Migration {
  version: number
  description: string
  /** The operations that take the data from `version - 1` to `version`. */
  up(db: Database): Promise<BatchOp[]>
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'initial layout: mailbox, contacts, outbox sublevels',
    // Nothing to convert: v1 is the first layout, written by the stores as they go.
    up: async () => []
  },
  {
    version: 2,
    description: 'thread index: mailbox/replies entries for the messages already stored',
    up: async (db) => {
      const { summaries, replies } = db.sublevels.mailbox
      const ops: BatchOp[] = []
      for await (const [id, text] of summaries.iterator()) {
        // A damaged summary gets no entry (the mailbox skips it when listing anyway).
        let summary: unknown
        try { summary = JSON.parse(text) } catch { continue }
        if (!isObject(summary) || !Array.isArray(summary.references)) continue
        const references = summary.references.filter((r): r is string => typeof r === 'string')
        const inReplyTo = typeof summary.inReplyTo === 'string' ? summary.inReplyTo : undefined
        for (const ref of referencedIds({ inReplyTo, references })) ops.push({ type: 'put', sublevel: replies, key: replyKey(ref, id), value: '' })
      }
      return ops
    }
  },
  {
    version: 3,
    description: 'tombstone index: mailbox/tombstones entries for the dedupe tombstones already written, so they can expire',
    up: async (db) => {
      const { dedupe, tombstones } = db.sublevels.mailbox
      const ops: BatchOp[] = []
      // Deleting for good came one version of the code before this index: its tombstones
      // are few, but only a read of every dedupe entry finds them.
      for await (const [key, value] of dedupe.iterator()) {
        const at = tombstoneTime(value)
        if (at !== undefined) ops.push({ type: 'put', sublevel: tombstones, key: tombstoneIndexKey(at, key), value: '' })
      }
      return ops
    }
  }
  // The parking, notices and names sublevels (a holder's stores) and contacts/former need no
  // migration: they start empty and absent keys read as empty, so a v1 database simply gains them.
]

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length
