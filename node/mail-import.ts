/**
 * Import mail files into the mailbox, locally: nothing is sent. The path is one .eml or mbox
 * file, a Maildir (with its Maildir++ subfolders) or a folder of mail folders as an export
 * writes it, each folder's messages going to the folder of its name (node/mail-import-sources.ts).
 * Each message is checked and parsed within the node's MIME limits before anything is stored,
 * and stored whole through the mailbox's add (one synced batch), so a message that does not
 * parse is skipped with its reason and nothing of it is kept; a folder or file that cannot be
 * read is skipped the same way and the others are imported. A dedupe key made of the
 * message's bytes makes a second import of the same files store nothing again.
 */
import { createHash } from 'node:crypto'
import { open } from 'node:fs/promises'
import { isAbsolute } from 'node:path'
import { MailFileTooLargeError, RelativePathError } from '../storage/mail-file-errors.js'
import { maildirEntries } from '../storage/maildir.js'
import { readMboxrd } from '../storage/mboxrd.js'
import { assertFolder } from '../storage/mailbox-writer.js'
import { messageDedupeKey } from '../storage/dedupe.js'
import { parseSummary, peerIdFromAddress } from './mime/index.js'
import { toNewMessage } from './receiver.js'
import { planImport } from './mail-import-sources.js'
import type { ImportSource, MailSource, SourceKind } from './mail-import-sources.js'
import type { Folder, Mailbox } from '../storage/types.js'

export type { ImportSource } from './mail-import-sources.js'

/** Default folder: imported mail is kept apart from what arrives, never in the inbox unless asked. */
export const DEFAULT_IMPORT_FOLDER: Folder = 'archive'
/** Progress is reported every this many messages (and at the end). */
export const IMPORT_PROGRESS_EVERY = 100
/** The summary lists at most this many skipped messages one by one (all are counted). */
export const IMPORT_MAX_LISTED_SKIPS = 1000
/** Shown with every imported message: nothing vouches for who sent it. */
export const IMPORTED_WARNING = 'imported from a file (peerpost import): the sender is not verified'

export interface ImportComponents {
  mailbox: Mailbox
  now: () => number
}

export interface ImportRequest {
  path: string
  /** Where the messages go; from a folder of mail folders or Maildir++ subfolders, those whose name is no peerpost folder. */
  folder?: Folder
  /** The most bytes one message may have (config limits.maxMimeBytes). */
  maxMimeBytes: number
  /** Told every IMPORT_PROGRESS_EVERY messages: messages read so far over the whole path, of `total` when known (not with mbox: that takes a whole read). */
  onProgress?: (progress: { done: number, total?: number }) => void
}

export interface ImportSkip {
  /** Which file (and which message of an mbox), or which folder. */
  where: string
  /** The error's name, e.g. MalformedMimeError. */
  error: string
  reason: string
}

/** What one mail folder (Maildir or file) of the path gave. */
export interface ImportFolderSummary {
  /** Its name as the source spells it ('' for a Maildir's own messages or a single file). */
  name: string
  path: string
  source: SourceKind
  folder: Folder
  /** Why it went where it went, when not to the folder of its name. */
  note?: string
  read: number
  stored: number
  duplicates: number
  skipped: number
}

export interface ImportSummary {
  path: string
  source: ImportSource
  /** The default folder (--folder). */
  folder: Folder
  /** Per mail folder of the path, in the order read. */
  folders: ImportFolderSummary[]
  /** Messages read from the source. */
  read: number
  stored: number
  /** Already in the mailbox (an earlier import, or the same message as it arrived here). */
  duplicates: number
  /** Messages, and whole folders or files, not imported (each reason in skips). */
  skipped: number
  skips: ImportSkip[]
}

/** One message from the source: its bytes, or why they could not be read. */
interface SourceMessage { where: string, raw?: Uint8Array, error?: Error, seen: boolean }

/**
 * Import the mail at `request.path` into `request.folder` (default archive), or each mail
 * folder in it into the folder of its name.
 *
 * @example await importMail({ mailbox, now: Date.now }, { path: '/backup/mail', maxMimeBytes })
 * @throws RelativePathError, ImportSourceMissingError, NotMaildirError, NotMboxError, UnknownFolderError (nothing is stored)
 */
export async function importMail (c: ImportComponents, request: ImportRequest): Promise<ImportSummary> {
  if (!isAbsolute(request.path)) throw new RelativePathError(request.path)
  const folder = request.folder ?? DEFAULT_IMPORT_FOLDER
  assertFolder(folder)
  const plan = await planImport(request.path, folder)
  const summary: ImportSummary = { path: request.path, source: plan.source, folder, folders: [], read: 0, stored: 0, duplicates: 0, skipped: 0, skips: [] }
  const skip = (where: string, err: unknown): void => {
    summary.skipped++
    if (summary.skips.length >= IMPORT_MAX_LISTED_SKIPS) return
    const e = err instanceof Error ? err : new Error(String(err))
    summary.skips.push({ where, error: e.name, reason: e.message })
  }
  for (const s of plan.skips) skip(s.path, s.error)
  // Counted first (names only), so progress has a total and a folder that cannot be listed is skipped before anything of it is stored.
  const readable: Array<{ source: MailSource, count?: number }> = []
  for (const source of plan.sources) {
    try {
      readable.push({ source, count: await countMessages(source) })
    } catch (err) {
      if (!isFileError(err)) throw err
      skip(source.path, err)
    }
  }
  const total = readable.some(r => r.count === undefined) ? undefined : readable.reduce((n, r) => n + (r.count ?? 0), 0)
  const progress = (): void => { request.onProgress?.(total === undefined ? { done: summary.read } : { done: summary.read, total: Math.max(total, summary.read) }) }
  for (const { source } of readable) {
    const counts: ImportFolderSummary = { name: source.name, path: source.path, source: source.kind, folder: source.folder, read: 0, stored: 0, duplicates: 0, skipped: 0 }
    if (source.note !== undefined) counts.note = source.note
    summary.folders.push(counts)
    try {
      for await (const m of messagesOf(source, request.maxMimeBytes)) {
        summary.read++
        counts.read++
        const outcome = await importOne(c, m, source.folder, request.maxMimeBytes)
        if (outcome instanceof Error) { skip(m.where, outcome); counts.skipped++ } else if (outcome === 'stored') { summary.stored++; counts.stored++ } else { summary.duplicates++; counts.duplicates++ }
        if (summary.read % IMPORT_PROGRESS_EVERY === 0) progress()
      }
    } catch (err) {
      // A folder that stops being readable midway: what was stored of it stays (each message whole), the rest is skipped.
      if (!isFileError(err)) throw err
      skip(source.path, err)
    }
  }
  progress()
  return summary
}

/** Store one message; an Error when the message is the problem (the import goes on), thrown when storage is. */
async function importOne (c: ImportComponents, m: SourceMessage, folder: Folder, maxBytes: number): Promise<'stored' | 'duplicate' | Error> {
  if (m.raw === undefined) return m.error ?? new Error('unreadable')
  try {
    return await storeOne(c, m.raw, folder, !m.seen, maxBytes)
  } catch (err) {
    // Only what the parse refuses is this message's fault; a storage failure stops the import.
    if (!isMimeError(err)) throw err
    return err as Error
  }
}

/** How many messages the source has, when a cheap look tells (a Maildir's file names). */
async function countMessages (source: MailSource): Promise<number | undefined> {
  if (source.kind === 'eml') return 1
  if (source.kind === 'mbox') return undefined
  let n = 0
  for await (const _ of maildirEntries(source.path)) n++
  return n
}

async function * messagesOf (source: MailSource, maxBytes: number): AsyncGenerator<SourceMessage> {
  const { kind, path } = source
  if (kind === 'mbox') {
    // mbox keeps no read flag peerpost writes: its messages come in as read, like an archive.
    for await (const entry of readMboxrd(path, { maxMessageBytes: maxBytes })) {
      yield { where: `${path} message ${entry.index}`, raw: entry.raw, error: entry.error, seen: true }
    }
    return
  }
  if (kind === 'eml') {
    yield { ...await readMessageFile(path, maxBytes), seen: true }
    return
  }
  for await (const entry of maildirEntries(path)) yield { ...await readMessageFile(entry.path, maxBytes), seen: entry.seen }
}

/** One message file, read only if it is within the size limit. */
async function readMessageFile (path: string, maxBytes: number): Promise<Omit<SourceMessage, 'seen'>> {
  let file
  try {
    file = await open(path, 'r')
  } catch (err) {
    if (!isFileError(err)) throw err
    return { where: path, error: err as Error }
  }
  try {
    const { size } = await file.stat()
    if (size > maxBytes) return { where: path, error: new MailFileTooLargeError(path, maxBytes) }
    return { where: path, raw: new Uint8Array(await file.readFile()) }
  } finally {
    await file.close()
  }
}

/**
 * Parse and store one message. Already here: the same bytes imported before (the import's
 * dedupe key is their sha256), or the same bytes stored as they arrived (under the key of
 * the sender the From header names). An import never takes a sender's own dedupe key:
 * nothing verifies a file's sender, and that key would make its real mail be refused.
 */
async function storeOne (c: ImportComponents, raw: Uint8Array, folder: Folder, unread: boolean, maxBytes: number): Promise<'stored' | 'duplicate'> {
  const parsed = await parseSummary(raw, { maxBytes })
  const digest = createHash('sha256').update(raw).digest()
  const peer = peerIdFromAddress(parsed.from)
  if (peer !== undefined) {
    const id = await c.mailbox.hasDedupeKey(messageDedupeKey(peer, parsed.messageId, raw))
    const stored = id === undefined ? undefined : await c.mailbox.getRaw(id)
    if (stored !== undefined && createHash('sha256').update(stored).digest().equals(digest)) return 'duplicate'
  }
  const message = { ...toNewMessage(parsed, raw.byteLength, '', { folder, warning: IMPORTED_WARNING }, c.now()), unread }
  const { duplicate } = await c.mailbox.add(message, raw, `import\n${digest.toString('hex')}`)
  return duplicate ? 'duplicate' : 'stored'
}

/** The MIME layer's refusals (node/mime/errors.ts): the message is bad, not the node. */
const MIME_ERRORS = new Set(['MimeTooLargeError', 'MimeHeaderTooLargeError', 'MimeTooManyPartsError', 'MimeNestingTooDeepError', 'MalformedMimeError', 'MissingMessageIdError', 'InvalidMessageIdError', 'InvalidAddressError', 'AttachmentReadError'])
function isMimeError (err: unknown): boolean {
  return err instanceof Error && MIME_ERRORS.has(err.name)
}

/** A file system refusal (permissions, a file where a folder should be, gone meanwhile): that folder's fault, not the node's. */
const FILE_ERRORS = new Set(['EACCES', 'EPERM', 'ENOTDIR', 'ENOENT', 'ELOOP', 'EISDIR'])
function isFileError (err: unknown): boolean {
  return err instanceof Error && FILE_ERRORS.has((err as NodeJS.ErrnoException).code ?? '')
}
