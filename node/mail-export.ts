/**
 * Export the mailbox to standard mail files: a Maildir per folder, or an mboxrd file per
 * folder. The bytes written are each message's raw RFC 5322 bytes exactly as stored. Folders
 * are read a page at a time (the mailbox's own paging), so memory holds one page of
 * summaries and one message whatever the mailbox's size.
 */
import { open, stat } from 'node:fs/promises'
import { makeDirs } from '../storage/make-dirs.js'
import type { FileHandle } from 'node:fs/promises'
import { isAbsolute, join } from 'node:path'
import { ExportTargetError, RelativePathError, TruncatedMboxError } from '../storage/mail-file-errors.js'
import { ensureMaildir, maildirFileName, maildirUnique, maildirUniques, writeMaildirMessage } from '../storage/maildir.js'
import { mboxFromLine, mboxrdEntry, readMboxrd } from '../storage/mboxrd.js'
import { UnknownFolderError } from '../storage/errors.js'
import { FOLDERS } from '../storage/types.js'
import type { BlobDownloads } from '../storage/blob-types.js'
import type { Folder, Mailbox, MessageSummary } from '../storage/types.js'

export const EXPORT_FORMATS = ['maildir', 'mbox'] as const
export type ExportFormat = typeof EXPORT_FORMATS[number]

/** Messages read per mailbox page (and progress reported per page). */
export const EXPORT_PAGE = 100
/** The summary lists at most this many large attachments one by one (all are counted). */
export const EXPORT_MAX_LISTED_ATTACHMENTS = 1000
/** The mbox `From ` line names a message as `ID@peerpost`: how a second export finds it. */
const MBOX_SENDER_SUFFIX = '@peerpost'
/** The most of one line kept while scanning an existing mbox for its From lines. */
const FROM_LINE_SCAN_BYTES = 64 * 1024

export interface ExportComponents {
  mailbox: Mailbox
  /** Where pulled large attachments are (absent: none are looked up). */
  downloads?: BlobDownloads
  /** My PeerId: large attachments of my own sent mail stay in my blob store. */
  self: string
}

export interface ExportRequest {
  dir: string
  /** Default: every folder. */
  folders?: Folder[]
  format?: ExportFormat
  /** Told after each page: messages done (written or skipped) of the total. */
  onProgress?: (progress: { done: number, total: number }) => void
}

/** A large attachment that is not inside the exported file. */
export interface ExportedLargeAttachment {
  id: string
  folder: Folder
  name: string
  size: number
  /** here: pulled whole, at `path`; sent: my own, the file I attached; missing: not (yet) pulled here. */
  state: 'here' | 'sent' | 'missing'
  path?: string
}

export interface ExportSummary {
  dir: string
  format: ExportFormat
  folders: Array<{ folder: Folder, path: string, written: number, skipped: number }>
  total: number
  written: number
  /** Already in the target (a previous export): not written again. */
  skipped: number
  /** Messages whose large attachments are not inside their exported file. */
  largeAttachments: { messages: number, files: number, here: number, listed: ExportedLargeAttachment[] }
}

/**
 * Export the folders of `request` into `request.dir`. Nothing that exists is overwritten:
 * a message already exported there (same local id) is skipped and counted.
 *
 * @throws RelativePathError, ExportTargetError, UnknownFolderError (nothing is written)
 * @example await exportMail({ mailbox, self }, { dir: '/backup/mail', format: 'maildir' })
 */
export async function exportMail (c: ExportComponents, request: ExportRequest): Promise<ExportSummary> {
  if (!isAbsolute(request.dir)) throw new RelativePathError(request.dir)
  const format = request.format ?? 'maildir'
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) throw new ExportTargetError(request.dir, `unknown format "${String(format)}": use maildir or mbox`)
  const folders = request.folders ?? [...FOLDERS]
  for (const f of folders) if (!(FOLDERS as readonly string[]).includes(f)) throw new UnknownFolderError(String(f))
  await prepareDir(request.dir)

  let total = 0
  for (const f of folders) total += (await c.mailbox.counts(f)).total
  const summary: ExportSummary = { dir: request.dir, format, folders: [], total, written: 0, skipped: 0, largeAttachments: { messages: 0, files: 0, here: 0, listed: [] } }
  // Every target is checked (and what it holds read) before anything is written: one that
  // cannot be written to fails the export with nothing changed.
  const targets = new Map<Folder, Target>()
  for (const folder of folders) {
    const target = format === 'maildir' ? new MaildirTarget(join(request.dir, folder)) : new MboxTarget(join(request.dir, `${folder}.mbox`))
    await target.open()
    targets.set(folder, target)
  }
  let done = 0
  for (const [folder, target] of targets) {
    const counts = { folder, path: target.path, written: 0, skipped: 0 }
    try {
      let cursor: string | undefined
      do {
        const page = await c.mailbox.list(folder, { limit: EXPORT_PAGE, cursor })
        for (const message of page.items) {
          // Gone since the page was read (deleted for good meanwhile): nothing to export.
          const raw = await c.mailbox.getRaw(message.id)
          if (raw === undefined) continue
          if (await target.write(message, raw)) counts.written++
          else counts.skipped++
          await noteLargeAttachments(c, message, summary.largeAttachments)
        }
        done += page.items.length
        // The total was counted at the start; mail arriving meanwhile may take done past it.
        if (page.items.length > 0) request.onProgress?.({ done, total: Math.max(total, done) })
        cursor = page.next
      } while (cursor !== undefined)
    } finally {
      await target.close()
    }
    summary.folders.push(counts)
    summary.written += counts.written
    summary.skipped += counts.skipped
  }
  summary.total = Math.max(total, done)
  return summary
}

async function prepareDir (dir: string): Promise<void> {
  try {
    await makeDirs(dir, 0o700)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EEXIST' || code === 'ENOTDIR') throw new ExportTargetError(dir, 'it is a file, not a folder')
    throw err
  }
}

async function noteLargeAttachments (c: ExportComponents, message: MessageSummary, into: ExportSummary['largeAttachments']): Promise<void> {
  const blobs = message.blobs ?? []
  if (blobs.length === 0) return
  into.messages++
  for (const b of blobs) {
    into.files++
    let state: ExportedLargeAttachment['state'] = 'missing'
    let path: string | undefined
    if (message.fromPeer === c.self) state = 'sent'
    else if ((await c.downloads?.get(b.blobId))?.state === 'complete') {
      state = 'here'
      path = c.downloads?.receivedPath(b.blobId)
    }
    if (state === 'here') into.here++
    if (into.listed.length >= EXPORT_MAX_LISTED_ATTACHMENTS) continue
    const item: ExportedLargeAttachment = { id: message.id, folder: message.folder, name: b.name, size: b.size, state }
    if (path !== undefined) item.path = path
    into.listed.push(item)
  }
}

/** Where one folder's messages go. */
interface Target {
  readonly path: string
  open(): Promise<void>
  /** false: the message is there already (not written again). */
  write(message: MessageSummary, raw: Uint8Array): Promise<boolean>
  close(): Promise<void>
}

/** A Maildir (made at its first message: an empty folder leaves nothing behind). */
class MaildirTarget implements Target {
  private existing = new Set<string>()
  private made = false
  constructor (readonly path: string) {}

  async open (): Promise<void> {
    // Names only (a few dozen bytes per message already there), whatever flags a mail client gave them since.
    this.existing = await maildirUniques(this.path)
  }

  async write (message: MessageSummary, raw: Uint8Array): Promise<boolean> {
    const unique = maildirUnique(message.id, message.receivedAt)
    if (this.existing.has(unique)) return false
    if (!this.made) { await ensureMaildir(this.path); this.made = true }
    return await writeMaildirMessage(this.path, maildirFileName(unique, { seen: !message.unread }), raw)
  }

  async close (): Promise<void> { this.existing.clear() }
}

/** An mboxrd file, appended to (made at its first message), never rewritten. */
class MboxTarget implements Target {
  private existing = new Set<string>()
  private handle: FileHandle | undefined
  constructor (readonly path: string) {}

  async open (): Promise<void> {
    const before = await stat(this.path).catch((err: NodeJS.ErrnoException) => { if (err.code === 'ENOENT') return undefined; throw err })
    if (before !== undefined && !before.isFile()) throw new ExportTargetError(this.path, 'it exists and is not a file')
    if (before === undefined || before.size === 0) return
    // A previous export: the local ids its From lines name are not written again.
    // Only From lines are read: a longer line is not one, and is not kept whole (memory stays flat).
    for await (const entry of readMboxrd(this.path, { maxMessageBytes: FROM_LINE_SCAN_BYTES, fromLinesOnly: true })) {
      // Appending after a cut message would leave it in the file as if whole: refuse, change nothing.
      if (entry.error instanceof TruncatedMboxError) throw new ExportTargetError(this.path, 'it ends in the middle of a message (an export that stopped mid-write?): move it away and export again')
      const sender = entry.fromLine.split(' ')[1] ?? ''
      if (sender.endsWith(MBOX_SENDER_SUFFIX)) this.existing.add(sender.slice(0, -MBOX_SENDER_SUFFIX.length))
    }
  }

  async write (message: MessageSummary, raw: Uint8Array): Promise<boolean> {
    if (this.existing.has(message.id)) return false
    this.handle ??= await open(this.path, 'a', 0o600)
    await this.handle.writev(mboxrdEntry(mboxFromLine(`${message.id}${MBOX_SENDER_SUFFIX}`, message.receivedAt), raw))
    return true
  }

  async close (): Promise<void> {
    this.existing.clear()
    if (this.handle === undefined) return
    try { await this.handle.datasync() } finally { await this.handle.close() }
  }
}
