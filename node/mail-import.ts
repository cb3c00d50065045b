/**
 * Import mail files (a Maildir, an mboxrd file or one .eml file) into a folder of the
 * mailbox, locally: nothing is sent. Each message is checked and parsed within the node's
 * MIME limits before anything is stored, and stored whole through the mailbox's add (one
 * synced batch), so a message that does not parse is skipped with its reason and nothing
 * of it is kept. A dedupe key made of the message's bytes makes a second import of the
 * same files store nothing again.
 */
import { createHash } from 'node:crypto'
import { open, stat } from 'node:fs/promises'
import { isAbsolute, join } from 'node:path'
import { ImportSourceMissingError, MailFileTooLargeError, NotMaildirError, RelativePathError } from '../storage/mail-file-errors.js'
import { maildirEntries } from '../storage/maildir.js'
import { looksLikeMbox, readMboxrd } from '../storage/mboxrd.js'
import { assertFolder } from '../storage/mailbox-writer.js'
import { messageDedupeKey } from '../storage/dedupe.js'
import { parseSummary, peerIdFromAddress } from './mime/index.js'
import { toNewMessage } from './receiver.js'
import type { Folder, Mailbox } from '../storage/types.js'

export type ImportSource = 'maildir' | 'mbox' | 'eml'

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
  folder?: Folder
  /** The most bytes one message may have (config limits.maxMimeBytes). */
  maxMimeBytes: number
  /** Told every IMPORT_PROGRESS_EVERY messages: messages read so far, of `total` when known (not for mbox: that takes a whole read). */
  onProgress?: (progress: { done: number, total?: number }) => void
}

export interface ImportSkip {
  /** Which file (and which message of an mbox). */
  where: string
  /** The error's name, e.g. MalformedMimeError. */
  error: string
  reason: string
}

export interface ImportSummary {
  path: string
  source: ImportSource
  folder: Folder
  /** Messages read from the source. */
  read: number
  stored: number
  /** Already in the mailbox (an earlier import, or the same message as it arrived here). */
  duplicates: number
  skipped: number
  skips: ImportSkip[]
}

/** One message from the source: its bytes, or why they could not be read. */
interface SourceMessage { where: string, raw?: Uint8Array, error?: Error, seen: boolean }

/**
 * Import the mail at `request.path` into `request.folder` (default archive).
 *
 * @example await importMail({ mailbox, now: Date.now }, { path: '/backup/mail/inbox', maxMimeBytes })
 * @throws RelativePathError, ImportSourceMissingError, NotMaildirError, NotMboxError, UnknownFolderError (nothing is stored)
 */
export async function importMail (c: ImportComponents, request: ImportRequest): Promise<ImportSummary> {
  if (!isAbsolute(request.path)) throw new RelativePathError(request.path)
  const folder = request.folder ?? DEFAULT_IMPORT_FOLDER
  assertFolder(folder)
  const source = await detectSource(request.path)
  const summary: ImportSummary = { path: request.path, source, folder, read: 0, stored: 0, duplicates: 0, skipped: 0, skips: [] }
  const skip = (where: string, err: unknown): void => {
    summary.skipped++
    if (summary.skips.length >= IMPORT_MAX_LISTED_SKIPS) return
    const e = err instanceof Error ? err : new Error(String(err))
    summary.skips.push({ where, error: e.name, reason: e.message })
  }
  const total = await countMessages(source, request.path)
  const progress = (): void => { request.onProgress?.(total === undefined ? { done: summary.read } : { done: summary.read, total: Math.max(total, summary.read) }) }
  for await (const m of messagesOf(source, request.path, request.maxMimeBytes)) {
    summary.read++
    if (m.raw === undefined) skip(m.where, m.error)
    else {
      try {
        const outcome = await storeOne(c, m.raw, folder, !m.seen, request.maxMimeBytes)
        if (outcome === 'stored') summary.stored++
        else summary.duplicates++
      } catch (err) {
        // Only what the parse refuses is this message's fault; a storage failure stops the import.
        if (!isMimeError(err)) throw err
        skip(m.where, err)
      }
    }
    if (summary.read % IMPORT_PROGRESS_EVERY === 0) progress()
  }
  progress()
  return summary
}

async function detectSource (path: string): Promise<ImportSource> {
  const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') throw new ImportSourceMissingError(path)
    throw err
  })
  if (info.isDirectory()) {
    const has = async (sub: string): Promise<boolean> => (await stat(join(path, sub)).catch(() => undefined))?.isDirectory() === true
    if (!(await has('cur')) && !(await has('new'))) throw new NotMaildirError(path)
    return 'maildir'
  }
  const head = Buffer.alloc(5)
  const file = await open(path, 'r')
  try { await file.read(head, 0, head.length, 0) } finally { await file.close() }
  return looksLikeMbox(head) ? 'mbox' : 'eml'
}

/** How many messages the source has, when a cheap look tells (a Maildir's file names). */
async function countMessages (source: ImportSource, path: string): Promise<number | undefined> {
  if (source === 'eml') return 1
  if (source === 'mbox') return undefined
  let n = 0
  for await (const _ of maildirEntries(path)) n++
  return n
}

async function * messagesOf (source: ImportSource, path: string, maxBytes: number): AsyncGenerator<SourceMessage> {
  if (source === 'mbox') {
    // mbox keeps no read flag peerpost writes: its messages come in as read, like an archive.
    for await (const entry of readMboxrd(path, { maxMessageBytes: maxBytes })) {
      yield { where: `${path} message ${entry.index}`, raw: entry.raw, error: entry.error, seen: true }
    }
    return
  }
  if (source === 'eml') {
    yield { ...await readMessageFile(path, maxBytes), seen: true }
    return
  }
  for await (const entry of maildirEntries(path)) yield { ...await readMessageFile(entry.path, maxBytes), seen: entry.seen }
}

/** One message file, read only if it is within the size limit. */
async function readMessageFile (path: string, maxBytes: number): Promise<Omit<SourceMessage, 'seen'>> {
  const file = await open(path, 'r')
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
