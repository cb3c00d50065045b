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
  }
  // The parking, notices and names sublevels (a holder's stores) and contacts/former need no
  // migration: they start empty and absent keys read as empty, so a v1 database simply gains them.
]

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length
