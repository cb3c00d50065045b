import { Level } from 'level'
import { DatabaseClosedError, DatabaseOpenError, HomeKindError, HomeLockedError, SchemaVersionError } from './errors.js'
import type { HomeKind } from './errors.js'
import { createGroupCommitter } from './group-commit.js'
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.js'
import type { Migration } from './migrations.js'
import type { BatchOperation } from 'level'
// Types only: abstract-level is what `level` is built on (a dependency of level itself).
import type { AbstractSublevel } from 'abstract-level'

type Root = Level<string, string>
/**
 * One namespace of the database with string keys and values of type V.
 *
 * Reads on the per-message paths (outbox entries and envelopes, dedupe keys) use
 * `getSync`: the records are small and recent (memtable or block cache), and an async
 * `get` cost ~15 µs of CPU in a microbenchmark and 0.1-0.3 ms of main-thread time per read
 * in the delivery profiles (a promise and a hop through libuv's pool, which the synced
 * batch writes keep busy), against ~1 µs for `getSync` (issue 8).
 */
export type Sublevel<V> = AbstractSublevel<Root, string | Buffer | Uint8Array, string, V>

/** One write in a (cross-sublevel) batch. */
export type BatchOp =
  | { type: 'put', sublevel: Sublevel<string>, key: string, value: string }
  | { type: 'put', sublevel: Sublevel<Uint8Array>, key: string, value: Uint8Array }
  | { type: 'del', sublevel: Sublevel<string> | Sublevel<Uint8Array>, key: string }

/**
 * Every namespace in the database, in one place, so the whole key layout can be read here.
 * JSON records are stored as utf8 text and parsed by the stores (not with level's 'json'
 * encoding) so a damaged record can be skipped instead of failing a whole iteration.
 */
export interface Sublevels {
  /** `schemaVersion` -> decimal string. */
  meta: Sublevel<string>
  mailbox: {
    /** id -> MessageSummary JSON */
    summaries: Sublevel<string>
    /** id -> raw MIME bytes */
    raw: Sublevel<Uint8Array>
    /** `${folder}!${invertedTime(receivedAt)}!${id}` -> '1' unread | '0' read */
    index: Sublevel<string>
    /** dedupeKey (dedupe.ts) -> id, or a tombstone once the message was deleted for good */
    dedupe: Sublevel<string>
    /**
     * `${sortableTime(deletedAt)}!${dedupeKey}` -> '': every tombstone in `dedupe`, oldest
     * first, so their expiry (tombstones.ts) reads only what expired (dedupe.ts writes both)
     */
    tombstones: Sublevel<string>
    /** folder -> FolderCounts JSON */
    counts: Sublevel<string>
    /** `${referencedMessageId}\0${id}` -> '': the thread index (replyKey), one entry per Message-ID a message's In-Reply-To and References name */
    replies: Sublevel<string>
    /**
     * id -> the message's plain text, lower-cased, for search (mailbox.ts, SearchText): a
     * cache written at search time, never when mail is stored (delivery stays as fast),
     * without sync (a lost entry is parsed again). Absent entries read as "not cached", so a
     * database without this sublevel needs no migration. A purge (purge.ts) deletes a
     * message's entry in the batch that deletes its raw.
     */
    text: Sublevel<string>
  }
  contacts: {
    /** name -> ContactRecord JSON (card as base64) */
    byName: Sublevel<string>
    /** peerId -> name */
    byPeer: Sublevel<string>
    /** peerId -> '': former contacts, removed and not pinned again (mail they sealed without a stamp may still come through a holder) */
    former: Sublevel<string>
  }
  outbox: {
    /** id -> OutboxEntry JSON */
    entries: Sublevel<string>
    /** `${id}!${peerId}` -> sealed envelope bytes */
    envelopes: Sublevel<Uint8Array>
    /** id -> '' while any recipient is pending */
    pending: Sublevel<string>
    /** `${invertedTime(createdAt)}!${id}` -> id */
    byTime: Sublevel<string>
  }
  /** Sealed envelopes this node holds for offline recipients (parking.ts). */
  parking: {
    /** `${recipient}!${envelopeId}` -> ParkedEnvelope JSON */
    records: Sublevel<string>
    /** `${recipient}!${envelopeId}` -> sealed envelope bytes */
    envelopes: Sublevel<Uint8Array>
    /** `${recipient}!${sortableTime(depositedAt)}!${envelopeId}` -> size (decimal): a recipient's envelopes, oldest first */
    byRecipient: Sublevel<string>
    /** `${sortableTime(expiresAt)}!${recipient}!${envelopeId}` -> '': everything, soonest expiry first */
    byExpiry: Sublevel<string>
    /** `total` | `recipient!${peerId}` | `depositor!${peerId}` | `fetched` -> Usage JSON {count, bytes}; absent means zero */
    usage: Sublevel<string>
    /** `${recipient}!${envelopeId}` -> FetchedMark JSON: fetched and acked lately, told only to its depositor (a withdraw) */
    fetched: Sublevel<string>
    /** `${sortableTime(expiresAt)}!${recipient}!${envelopeId}` -> '': fetched marks, soonest forgotten first */
    fetchedByExpiry: Sublevel<string>
  }
  /** Notices this node holds for others (notices.ts). */
  notices: {
    /** `${recipient}!${noticeId}` -> StoredNotice JSON without its bytes */
    records: Sublevel<string>
    /** `${recipient}!${noticeId}` -> the encoded wire notice */
    bytes: Sublevel<Uint8Array>
    /** `${recipient}!${sortableTime(created)}!${noticeId}` -> '': a recipient's notices, oldest first */
    byRecipient: Sublevel<string>
    /** `${sortableTime(expiresAt)}!${recipient}!${noticeId}` -> '': everything, soonest expiry first */
    byExpiry: Sublevel<string>
    /** `recipient!${peerId}` | `poster!${peerId}` -> Usage JSON {count, bytes}; absent means zero */
    counts: Sublevel<string>
  }
  /** The name directory (names.ts). */
  names: {
    /** name -> NameRecord JSON without its card */
    records: Sublevel<string>
    /** name -> the registered identity card, encoded */
    cards: Sublevel<Uint8Array>
    /** `${peerId}!${name}` -> '': the names each key holds (for the per-key bound) */
    byPeer: Sublevel<string>
  }
  /** Large attachments: blobs this node holds for its recipients, and blobs it is pulling (blob-store.ts, blob-download.ts). */
  blobs: {
    /** blobId (hex) -> BlobRecord JSON */
    records: Sublevel<string>
    /** `${sortableTime(expiresAt)}!${blobId}` -> '': soonest expiry first */
    byExpiry: Sublevel<string>
    /** blobId (hex) -> DownloadRecord JSON: a pull in progress, complete or failed */
    downloads: Sublevel<string>
  }
}

/** The home database: its namespaces and a durable, group-committed write. */
export interface Database {
  readonly location: string
  readonly sublevels: Sublevels
  /**
   * Write `ops` atomically and durably (synced). Calls made while a write is in flight are
   * gathered into the next single synced batch; each resolves once its batch is on disk.
   */
  commit(ops: BatchOp[]): Promise<void>
  /** Synced batches written since open (tests use it to see group commit at work). */
  readonly syncedBatches: number
  /** The schema version recorded in the database. */
  schemaVersion(): Promise<number>
  /** Wait for queued commits, then close. Idempotent. */
  close(): Promise<void>
}

export interface OpenDatabaseOptions {
  /** Migrations to run; the default is this code's MIGRATIONS. */
  migrations?: readonly Migration[]
  /**
   * Who opens it: a database is marked with the first kind that opens it, and refused
   * (HomeKindError, before anything is written) to the other. Absent: not checked.
   */
  kind?: HomeKind
}

const SCHEMA_VERSION_KEY = 'schemaVersion'
/**
 * LevelDB's memtable (and write-ahead log) size before it is written out as a table.
 * With the default 4 MiB, a daemon receiving mail flushed a table every ~400 messages and
 * spent its background thread compacting them (the delivery bench wrote ~300 MB to disk
 * for 5,000 messages of 4 KiB), and each read of an absent key probed every young table.
 * 16 MiB: delivery 1,149-1,153 -> 1,425-1,437 msgs/s over 20,000 messages (2 alternating
 * pairs), the sender's CPU per message 0.90 -> 0.65 ms, the recipient's 0.57 -> 0.49 ms;
 * 64 MiB gained little more (1,514). The cost is memory: up to this much of recent writes
 * held in memory (twice while one is written out), and as much log replayed at start.
 */
export const WRITE_BUFFER_BYTES = 16 * 1024 * 1024
const HOME_KIND_KEY = 'homeKind'

/**
 * Open (creating if needed) the level database in `dir`, bring its schema up to date and
 * return it. Throws HomeLockedError if another process has it open and SchemaVersionError
 * if it was written by a newer peerpost.
 *
 * @example
 * const db = await openDatabase(join(home, 'db'))
 * try { await db.commit([{ type: 'put', sublevel: db.sublevels.meta, key: 'k', value: 'v' }]) } finally { await db.close() }
 */
export async function openDatabase (dir: string, options: OpenDatabaseOptions = {}): Promise<Database> {
  const migrations = options.migrations ?? MIGRATIONS
  const root: Root = new Level<string, string>(dir, { keyEncoding: 'utf8', valueEncoding: 'utf8', writeBufferSize: WRITE_BUFFER_BYTES })
  try {
    await root.open()
  } catch (err) {
    if (isLockedError(err)) throw new HomeLockedError(dir, { cause: err })
    const cause = (err as Error).cause
    if ((err as { code?: unknown }).code === 'LEVEL_DATABASE_NOT_OPEN' && cause instanceof Error) throw new DatabaseOpenError(dir, cause.message.split('\n')[0] ?? cause.name, { cause: err })
    throw err
  }

  const text = (name: string[]): Sublevel<string> => root.sublevel<string, string>(name, { keyEncoding: 'utf8', valueEncoding: 'utf8' })
  const bytes = (name: string[]): Sublevel<Uint8Array> => root.sublevel<string, Uint8Array>(name, { keyEncoding: 'utf8', valueEncoding: 'view' })
  const sublevels: Sublevels = {
    meta: text(['meta']),
    mailbox: {
      summaries: text(['mailbox', 'summary']),
      raw: bytes(['mailbox', 'raw']),
      index: text(['mailbox', 'index']),
      dedupe: text(['mailbox', 'dedupe']),
      tombstones: text(['mailbox', 'tombstone']),
      counts: text(['mailbox', 'counts']),
      replies: text(['mailbox', 'replies']),
      text: text(['mailbox', 'text'])
    },
    contacts: {
      byName: text(['contacts', 'name']),
      byPeer: text(['contacts', 'peer']),
      former: text(['contacts', 'former'])
    },
    outbox: {
      entries: text(['outbox', 'entry']),
      envelopes: bytes(['outbox', 'envelope']),
      pending: text(['outbox', 'pending']),
      byTime: text(['outbox', 'time'])
    },
    parking: {
      records: text(['parking', 'record']),
      envelopes: bytes(['parking', 'envelope']),
      byRecipient: text(['parking', 'recipient']),
      byExpiry: text(['parking', 'expiry']),
      usage: text(['parking', 'usage']),
      fetched: text(['parking', 'fetched']),
      fetchedByExpiry: text(['parking', 'fetched-expiry'])
    },
    notices: {
      records: text(['notices', 'record']),
      bytes: bytes(['notices', 'bytes']),
      byRecipient: text(['notices', 'recipient']),
      byExpiry: text(['notices', 'expiry']),
      counts: text(['notices', 'counts'])
    },
    names: {
      records: text(['names', 'record']),
      cards: bytes(['names', 'card']),
      byPeer: text(['names', 'peer'])
    },
    blobs: {
      records: text(['blobs', 'record']),
      byExpiry: text(['blobs', 'expiry']),
      downloads: text(['blobs', 'download'])
    }
  }

  // level's types cannot express "each op's value matches its own sublevel's encoding";
  // BatchOp does, so widening here, at the one place ops reach level, is safe.
  const committer = createGroupCommitter<BatchOp>(async ops => { await root.batch(ops as Array<BatchOperation<Root, string, string>>, { sync: true }) })
  let closed = false

  const readVersion = async (): Promise<number> => {
    const value = await sublevels.meta.get(SCHEMA_VERSION_KEY)
    if (value === undefined) return 0
    const version = Number(value)
    if (!Number.isSafeInteger(version) || version < 0) throw new SchemaVersionError(value, migrations.length)
    return version
  }

  const db: Database = {
    location: dir,
    sublevels,
    async commit (ops) {
      if (closed) throw new DatabaseClosedError()
      await committer.commit(ops)
    },
    get syncedBatches () { return committer.syncedBatches },
    schemaVersion: readVersion,
    async close () {
      if (closed) return
      closed = true
      await committer.drain()
      await root.close()
    }
  }

  try {
    const kind = options.kind
    const stored = kind === undefined ? undefined : await sublevels.meta.get(HOME_KIND_KEY)
    if (kind !== undefined && stored !== undefined && stored !== kind) throw new HomeKindError(dir, stored === 'node' ? 'node' : 'cache-server', kind)
    await migrate(db, await readVersion(), migrations)
    if (kind !== undefined && stored === undefined) await db.commit([{ type: 'put', sublevel: sublevels.meta, key: HOME_KIND_KEY, value: kind }])
  } catch (err) {
    await root.close()
    throw err
  }
  return db
}

async function migrate (db: Database, from: number, migrations: readonly Migration[]): Promise<void> {
  if (from > migrations.length) throw new SchemaVersionError(String(from), migrations.length)
  for (const migration of migrations) {
    if (migration.version <= from) continue
    const ops = await migration.up(db)
    ops.push({ type: 'put', sublevel: db.sublevels.meta, key: SCHEMA_VERSION_KEY, value: String(migration.version) })
    await db.commit(ops)
  }
}

/** classic-level reports a held LOCK file as LEVEL_DATABASE_NOT_OPEN caused by LEVEL_LOCKED. */
function isLockedError (err: unknown): boolean {
  if (!(err instanceof Error)) return false
  const code = (err as { code?: unknown }).code
  const cause = err.cause as { code?: unknown } | undefined
  return code === 'LEVEL_DATABASE_NOT_OPEN' && cause?.code === 'LEVEL_LOCKED'
}

export { SCHEMA_VERSION }
