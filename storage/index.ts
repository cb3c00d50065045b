/**
 * The storage layer's public API: the keystore file and the home database with its
 * mailbox, contacts and outbox. See types.ts for the contracts, errors.ts for what can go wrong.
 * What a holder keeps for others (parked envelopes, notices, names) works on any Database:
 * contracts in holding-types.ts, errors in holding-errors.ts.
 */
import { createContacts } from './contacts.js'
import { openDatabase } from './database.js'
import { createMailbox } from './mailbox.js'
import { createMailboxWriter } from './mailbox-writer.js'
import { createOutbox } from './outbox.js'
import type { Database, OpenDatabaseOptions } from './database.js'
import type { CorruptHandler } from './records.js'
import type { MailboxStore } from './mailbox.js'
import type { Contacts, Outbox } from './types.js'

export * from './types.js'
export * from './errors.js'
export { createKeystore, DEFAULT_SCRYPT, KEYSTORE_VERSION } from './keystore.js'
export type { KeystoreInit, ScryptParams } from './keystore.js'
export { openDatabase, SCHEMA_VERSION } from './database.js'
export type { BatchOp, Database, OpenDatabaseOptions, Sublevel, Sublevels } from './database.js'
export { MIGRATIONS } from './migrations.js'
export type { Migration } from './migrations.js'
export { createMailbox } from './mailbox.js'
export type { MailboxInit, MailboxStore } from './mailbox.js'
export { createMailboxWriter } from './mailbox-writer.js'
export type { MailboxWriter } from './mailbox-writer.js'
export { createContacts, FORMER_CONTACT_MS } from './contacts.js'
export type { ContactsInit } from './contacts.js'
export { createOutbox } from './outbox.js'
export type { OutboxComponents, OutboxInit } from './outbox.js'
export { newId } from './keys.js'
export { messageDedupeKey, isTombstone } from './dedupe.js'
export { createPurger, MAX_PURGE_IDS, PURGE_BATCH } from './purge.js'
export type { Purger, PurgeComponents, PurgeOptions } from './purge.js'
export { createTombstoneExpiry, TOMBSTONE_EXPIRY_BATCH } from './tombstones.js'
export type { TombstoneExpiry, TombstoneExpiryComponents, TombstoneExpiryInit, TombstonePass } from './tombstones.js'
export type { CorruptHandler } from './records.js'
// What a holder keeps for others (cache server, or a node holding for a co-recipient).
export * from './holding-types.js'
export * from './holding-errors.js'
export { createParkingStore, DEFAULT_PARKING_LIMITS, DEFAULT_EXPIRE_LIMIT, FETCHED_MARK_MS } from './parking.js'
export type { ParkingInit } from './parking.js'
export { createNoticeStore, DEFAULT_NOTICE_LIMITS } from './notices.js'
export type { NoticeInit } from './notices.js'
export { createNameStore, normalizeName } from './names.js'
export type { NameStoreInit } from './names.js'

/** Everything in a home's database, opened together. */
export interface HomeStore {
  db: Database
  /** With its write side, which a purge (purge.ts) shares. */
  mailbox: MailboxStore
  contacts: Contacts
  outbox: Outbox
  /** Wait for queued writes, then close the database. */
  close(): Promise<void>
}

export interface HomeStoreInit extends OpenDatabaseOptions {
  /** Clock for new message ids; default Date.now. */
  now?: () => number
  /** Told about records that do not decode (they are skipped, never crash a listing). */
  onCorrupt?: CorruptHandler
}

/**
 * Open the home database in `dir` and the stores over it. Throws HomeLockedError when
 * another process has it open, SchemaVersionError when a newer peerpost wrote it.
 *
 * @example
 * const store = await openHomeStore(join(home, 'db'), { onCorrupt: (key, err) => log.error('skipped %s: %e', key, err) })
 * try { await store.mailbox.list('inbox') } finally { await store.close() }
 */
export async function openHomeStore (dir: string, init: HomeStoreInit = {}): Promise<HomeStore> {
  const db = await openDatabase(dir, init)
  const writer = createMailboxWriter(db, { onCorrupt: init.onCorrupt })
  const mailbox = createMailbox(db, { writer, now: init.now, onCorrupt: init.onCorrupt })
  return {
    db,
    mailbox,
    contacts: createContacts(db, { onCorrupt: init.onCorrupt, now: init.now }),
    outbox: createOutbox({ db, mailbox }, { onCorrupt: init.onCorrupt }),
    close: async () => { await db.close() }
  }
}
// Large attachments: blobs this node holds for its recipients, and blobs it pulls.
export * from './blob-types.js'
export * from './blob-errors.js'
export { createBlobStore, isBlobId, MAX_BLOB_BYTES } from './blob-store.js'
export type { BlobStoreInit } from './blob-store.js'
export { createBlobDownloads, DEFAULT_SYNC_EVERY_BYTES } from './blob-download.js'
export type { BlobDownloadsInit } from './blob-download.js'
export { createHeldBlobs } from './held-blobs.js'
export type { HeldBlobsInit, ServableBlobs } from './held-blobs.js'
export { sealChunk, openChunk, openChunkParts, chunkCountFor, plainChunkSize, blobCipherName, DEFAULT_CHUNK_SIZE, MIN_CHUNK_SIZE, MAX_CHUNK_SIZE, BLOB_TAG_BYTES, BLOB_CIPHER_CHACHA20_POLY1305, BLOB_CIPHER_AES_256_GCM, DEFAULT_BLOB_CIPHER } from './blob-crypto.js'
