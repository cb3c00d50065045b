/**
 * Storage errors: one class per condition, each with a stable `name` to branch on
 * (`err.name === 'WrongPassphraseError'`), so callers never parse messages. Messages are
 * one line a person can act on. None of these are retryable by waiting: they need the
 * person (passphrase, home in use) or indicate bad input or a bug.
 */

/** The keystore is sealed and no passphrase was given. */
export class PassphraseRequiredError extends Error {
  override readonly name = 'PassphraseRequiredError'
  constructor (readonly path: string) {
    super(`the keystore ${path} is sealed with a passphrase: give the passphrase file to unlock it`)
  }
}

/** A zero-length passphrase was given, which would seal nothing worth having. */
export class EmptyPassphraseError extends Error {
  override readonly name = 'EmptyPassphraseError'
  constructor () {
    super('the passphrase is empty: put at least one character in the passphrase file, or create the keystore without one')
  }
}

/** The passphrase does not open the sealed keystore. */
export class WrongPassphraseError extends Error {
  override readonly name = 'WrongPassphraseError'
  constructor (readonly path: string) {
    super(`wrong passphrase: it does not unlock the keystore ${path}; check the passphrase file (a trailing newline is removed, nothing else)`)
  }
}

/** `create` found a keystore already there; it never overwrites an identity. */
export class KeystoreExistsError extends Error {
  override readonly name = 'KeystoreExistsError'
  constructor (readonly path: string) {
    super(`a keystore already exists at ${path}: use it, or move it away first if you really mean to make a new identity`)
  }
}

/** There is no keystore file. */
export class KeystoreMissingError extends Error {
  override readonly name = 'KeystoreMissingError'
  constructor (readonly path: string) {
    super(`no keystore at ${path}: run \`peerpost init\` to create an identity`)
  }
}

/** The keystore file exists but cannot be read as a keystore. */
export class KeystoreCorruptError extends Error {
  override readonly name = 'KeystoreCorruptError'
  constructor (readonly path: string, readonly reason: string, options?: ErrorOptions) {
    super(`the keystore ${path} is damaged (${reason}): restore it from a backup`, options)
  }
}

/** The home's database is open in another process (LevelDB's LOCK file is held). */
export class HomeLockedError extends Error {
  override readonly name = 'HomeLockedError'
  constructor (readonly location: string, options?: ErrorOptions) {
    super(`the database ${location} is in use by another peerpost process: stop it (or talk to the running daemon) and try again`, options)
  }
}

/**
 * LevelDB could not open the home's database for a reason other than a lock: a full disk
 * (it writes a new log and table on every open), a damaged or missing file, no
 * permission. Its own message ("Database failed to open") named none of them; the cause
 * it gives is said here, with what to do for the common ones.
 */
export class DatabaseOpenError extends Error {
  override readonly name = 'DatabaseOpenError'
  constructor (readonly location: string, reason: string, options?: ErrorOptions) {
    super(`cannot open the database ${location}: ${reason}${databaseOpenHint(reason)}`, options)
  }
}

function databaseOpenHint (reason: string): string {
  if (/No space left on device/i.test(reason)) return ': the disk is full; free space on it, then start again'
  if (/Permission denied/i.test(reason)) return ': the process cannot write there; check the owner and mode of the home'
  if (/Corruption|No such file or directory/i.test(reason)) return ': the database is damaged or a file of it is missing; restore the home from a backup'
  return ''
}

/** Who a home's database belongs to: a user's node or a cache server (they never share one). */
export type HomeKind = 'node' | 'cache-server'

/** The database belongs to the other kind of home: a node pointed at a cache server's home, or the reverse. */
export class HomeKindError extends Error {
  override readonly name = 'HomeKindError'
  constructor (readonly location: string, readonly found: HomeKind, readonly wanted: HomeKind) {
    super(`the database ${location} belongs to a ${found === 'node' ? 'node (a user\'s home)' : 'cache server'}, not a ${wanted === 'node' ? 'node' : 'cache server'}: nothing was changed; give this command another --home`)
  }
}

/** The database was written by a newer peerpost (or its version key is unreadable). */
export class SchemaVersionError extends Error {
  override readonly name = 'SchemaVersionError'
  constructor (readonly found: string, readonly supported: number) {
    super(`the database has schema version ${found} but this peerpost understands up to ${supported}: upgrade peerpost`)
  }
}

/** A write or read was attempted after `close()`. */
export class DatabaseClosedError extends Error {
  override readonly name = 'DatabaseClosedError'
  constructor () {
    super('the database is closed: this is a bug in the caller, which used the store after closing it')
  }
}

/** A stored record does not parse; it is skipped in listings and reported via `onCorrupt`. */
export class RecordCorruptError extends Error {
  override readonly name = 'RecordCorruptError'
  constructor (readonly key: string, options?: ErrorOptions) {
    super(`the stored record ${key} is damaged and was skipped: restore the home from a backup if it matters`, options)
  }
}

/** A contact name or PeerId is already pinned. */
export class ContactExistsError extends Error {
  override readonly name = 'ContactExistsError'
  constructor (readonly contactName: string, readonly conflict: 'name' | 'peerId', readonly existingName: string) {
    super(conflict === 'name'
      ? `a contact named "${contactName}" already exists: pick another name or remove the old one first`
      : `that PeerId is already pinned as contact "${existingName}": remove it first to pin it as "${contactName}"`)
  }
}

/** No contact with that name (and, for update, that PeerId). */
export class ContactNotFoundError extends Error {
  override readonly name = 'ContactNotFoundError'
  constructor (readonly contactName: string) {
    super(`no contact named "${contactName}": \`peerpost contacts list\` shows your contacts`)
  }
}

/** No message with that id in this home. */
export class MessageNotFoundError extends Error {
  override readonly name = 'MessageNotFoundError'
  constructor (readonly id: string) {
    super(`no message with id ${id}: list the folder to see current ids`)
  }
}

/** No outbox entry with that id. */
export class OutboxEntryNotFoundError extends Error {
  override readonly name = 'OutboxEntryNotFoundError'
  constructor (readonly id: string) {
    super(`no outbox entry with id ${id}: \`peerpost list --folder outbox\` shows the ids of what you sent (send prints one too)`)
  }
}

/** The outbox entry exists but has no recipient with that PeerId. */
export class RecipientNotFoundError extends Error {
  override readonly name = 'RecipientNotFoundError'
  constructor (readonly id: string, readonly peerId: string) {
    super(`outbox entry ${id} has no recipient ${peerId}: this is a bug in the caller`)
  }
}

/** Why a recipient that is not pending cannot be taken back, in words. */
function notPendingText (address: string, state: string): string {
  switch (state) {
    case 'delivered': return `${address} already has it (delivered: it cannot be taken back)`
    case 'failed': return `${address} failed already (nothing more is tried)`
    case 'cancelled': return `${address} is cancelled already`
    default: return `${address} is ${state}`
  }
}

/** `outbox cancel` found nothing it may take back: the recipients named (or all) are neither pending nor parked. */
export class NotCancellableError extends Error {
  override readonly name = 'NotCancellableError'
  constructor (readonly id: string, readonly recipients: ReadonlyArray<{ address: string, state: string }>) {
    super(`nothing cancelled in outbox entry ${id}: ${recipients.map(r => notPendingText(r.address, r.state)).join('; ')}`)
  }
}

/** `enqueue` was given a recipient without a sealed envelope for it. */
export class MissingEnvelopeError extends Error {
  override readonly name = 'MissingEnvelopeError'
  constructor (readonly id: string, readonly peerId: string) {
    super(`outbox entry ${id} has no sealed envelope for recipient ${peerId}: this is a bug in the caller`)
  }
}

/** `enqueue` was given a sent copy whose dedupe key already belongs to another message. */
export class DuplicateMessageError extends Error {
  override readonly name = 'DuplicateMessageError'
  constructor (readonly dedupeKey: string, readonly existingId: string) {
    super(`this message was already stored as ${existingId}: send it again with a new Message-ID`)
  }
}

/** A list cursor that did not come from this folder's (or this list's) previous page. */
export class InvalidCursorError extends Error {
  override readonly name = 'InvalidCursorError'
  constructor () {
    super('the list cursor is not valid here: start again from the first page')
  }
}

/** A folder name that is not one of FOLDERS. */
export class UnknownFolderError extends Error {
  override readonly name = 'UnknownFolderError'
  constructor (readonly folder: string) {
    super(`there is no folder "${folder}": use one of inbox, requests, sent, quarantine, archive, trash`)
  }
}

/** An id that cannot be used as part of a storage key. */
export class InvalidIdError extends Error {
  override readonly name = 'InvalidIdError'
  constructor (readonly id: string) {
    super(`"${id}" is not a valid id: ids are 1-64 letters, digits, '-' or '_'`)
  }
}

/** A file appender used after close(), or after a write of it failed (the error it failed with is the cause). */
export class AppenderClosedError extends Error {
  override readonly name = 'AppenderClosedError'
  constructor (readonly path: string, options?: ErrorOptions) {
    super(`the file ${path} is no longer open for appending`, options)
  }
}

/** An appender was asked to continue a file at a position past its end. */
export class AppendPositionError extends Error {
  override readonly name = 'AppendPositionError'
  constructor (readonly path: string, readonly position: number, readonly size: number) {
    super(`cannot continue ${path} at byte ${position}: it holds only ${size} bytes`)
  }
}

/** The file system took none of a write's bytes (regular files either write some or fail, so this is a broken file system). */
export class ShortWriteError extends Error {
  override readonly name = 'ShortWriteError'
  constructor (readonly path: string, readonly length: number, readonly offset: number) {
    super(`writing ${length} bytes at offset ${offset} of ${path} wrote nothing`)
  }
}

/** This platform has no O_DIRECT (only Linux and a few others do): files are written through the page cache. */
export class DirectIoUnavailableError extends Error {
  override readonly name = 'DirectIoUnavailableError'
  constructor () {
    super('O_DIRECT is not available on this platform')
  }
}

/** Deleting for good takes only mail in the trash: the message is elsewhere. */
export class NotInTrashError extends Error {
  override readonly name = 'NotInTrashError'
  constructor (readonly id: string, readonly folder: string) {
    super(`message ${id} is in ${folder}, not in trash: only mail in the trash is deleted for good; move it to the trash first, then delete it`)
  }
}

/** One purge was asked to delete more messages than it takes at once. */
export class TooManyMessagesError extends Error {
  override readonly name = 'TooManyMessagesError'
  constructor (readonly count: number, readonly limit: number) {
    super(`${count} messages were given at once; at most ${limit} are deleted in one go: give fewer (or empty the whole trash)`)
  }
}
