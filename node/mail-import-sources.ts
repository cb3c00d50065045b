/**
 * What an import path holds, as a list of mail sources each bound for a folder: one .eml or
 * mbox file; a Maildir (its own messages, and those of its Maildir++ subfolders `.Sent/`,
 * `.Archive/` ... as Dovecot and Courier lay them out); or a folder of mail folders as
 * `peerpost export` writes it (DIR/inbox/, DIR/sent.mbox ...), each going back into the folder
 * of its name. Only names and file heads are read here: nothing is stored.
 */
import { open, readdir, stat } from 'node:fs/promises'
import type { Dirent } from 'node:fs'
import { basename, join } from 'node:path'
import { ImportSourceMissingError, NotMailFileError, NotMaildirError, NotMboxError } from '../storage/mail-file-errors.js'
import { looksLikeMbox } from '../storage/mboxrd.js'
import type { Folder } from '../storage/types.js'

export type SourceKind = 'maildir' | 'mbox' | 'eml'
/** folders: a folder of Maildirs and .mbox files, one per mail folder (an export). */
export type ImportSource = SourceKind | 'folders'

/** One Maildir or file, and the folder its messages go to. */
export interface MailSource {
  /** Its mail folder name as the source spells it ('' for a Maildir's own messages, or a single file). */
  name: string
  path: string
  kind: SourceKind
  folder: Folder
  /** Why it goes where it goes, when that is not the folder of its name. */
  note?: string
}

/** Something in the path that is not imported, and why. */
export interface SourceSkip { path: string, error: Error }

export interface ImportPlan { source: ImportSource, sources: MailSource[], skips: SourceSkip[] }

/**
 * Mail folder names of other programs that mean one of peerpost's folders (lower case).
 * Junk and spam go to the quarantine: kept apart and shown with a warning, as peerpost does
 * with mail it does not trust. Drafts and anything else go to the default folder.
 */
const FOLDER_NAMES: Record<string, Folder> = {
  inbox: 'inbox',
  requests: 'requests',
  sent: 'sent',
  'sent messages': 'sent',
  'sent items': 'sent',
  'sent mail': 'sent',
  quarantine: 'quarantine',
  junk: 'quarantine',
  'junk e-mail': 'quarantine',
  spam: 'quarantine',
  archive: 'archive',
  archives: 'archive',
  trash: 'trash',
  'deleted messages': 'trash',
  'deleted items': 'trash'
}

/**
 * The folder a mail folder named `name` goes to, with a note when it is not its namesake.
 * With `separator` (Maildir++'s '.'), a subfolder peerpost has no name for goes where its
 * top folder goes: `Archive.2023` into archive, `Sent.Old` into sent, as the user filed it.
 */
export function folderForName (name: string, fallback: Folder, separator?: string): { folder: Folder, note?: string } {
  const folder = FOLDER_NAMES[name.toLowerCase()] ??
    (separator !== undefined && name.includes(separator) ? FOLDER_NAMES[name.slice(0, name.indexOf(separator)).toLowerCase()] : undefined)
  if (folder === undefined) return { folder: fallback, note: `no peerpost folder is called "${name}": into ${fallback}` }
  return folder === name.toLowerCase() ? { folder } : { folder, note: `"${name}" into ${folder}` }
}

/** Maildir++ separates a subfolder's name from its parent's with a dot (`.Archive.2023/`). */
const MAILDIRPP_SEPARATOR = '.'

/** What a directory entry is, following a symbolic link (a link to a Maildir is read as one; a dangling one is neither). */
async function entryKind (entry: Dirent, path: string): Promise<'dir' | 'file' | 'other'> {
  const info = entry.isSymbolicLink() ? await stat(path).catch(() => undefined) : entry
  return info?.isDirectory() === true ? 'dir' : info?.isFile() === true ? 'file' : 'other'
}
const isDir = async (path: string): Promise<boolean> => (await stat(path).catch(() => undefined))?.isDirectory() === true
/** A Maildir has cur/ or new/ (tmp/ only holds files still being written). */
export const isMaildir = async (path: string): Promise<boolean> => await isDir(join(path, 'cur')) || await isDir(join(path, 'new'))

/**
 * The sources at `path`; `fallback` is where a Maildir's own messages, a single file's and a
 * folder of no known name go.
 *
 * @throws ImportSourceMissingError, NotMaildirError (a folder with no Maildir or .mbox file in it)
 */
export async function planImport (path: string, fallback: Folder): Promise<ImportPlan> {
  const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') throw new ImportSourceMissingError(path)
    throw err
  })
  if (!info.isDirectory()) {
    const kind = await fileKind(path)
    return { source: kind, sources: [{ name: '', path, kind, folder: fallback }], skips: [] }
  }
  if (await isMaildir(path)) return { source: 'maildir', ...await maildirTree(path, fallback) }
  const plan = await mailFolders(path, fallback)
  if (plan.sources.length === 0) throw new NotMaildirError(path)
  return { source: 'folders', ...plan }
}

async function fileKind (path: string): Promise<'mbox' | 'eml'> {
  const head = Buffer.alloc(5)
  const file = await open(path, 'r')
  try { await file.read(head, 0, head.length, 0) } finally { await file.close() }
  return looksLikeMbox(head) ? 'mbox' : 'eml'
}

/** A Maildir's own messages, then each Maildir++ subfolder's (`.NAME/`, NAME being its folder name). */
async function maildirTree (root: string, fallback: Folder): Promise<Omit<ImportPlan, 'source'>> {
  const sources: MailSource[] = [{ name: '', path: root, kind: 'maildir', folder: fallback }]
  const skips: SourceSkip[] = []
  for (const entry of (await readdir(root, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.name.startsWith('.') || entry.name === '.' || entry.name === '..') continue
    const path = join(root, entry.name)
    if (await entryKind(entry, path) !== 'dir') continue
    const name = entry.name.slice(1)
    if (!(await isMaildir(path))) { skips.push({ path, error: new NotMaildirError(path, true) }); continue }
    sources.push({ name, path, kind: 'maildir', ...folderForName(name, fallback, MAILDIRPP_SEPARATOR) })
  }
  return { sources, skips }
}

/** Each Maildir (DIR/NAME/) and mbox file (DIR/NAME.mbox) in `dir`, bound for the folder NAME means. */
async function mailFolders (dir: string, fallback: Folder): Promise<Omit<ImportPlan, 'source'>> {
  const sources: MailSource[] = []
  const skips: SourceSkip[] = []
  for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    // Dot files are a program's own (.DS_Store, an index), not mail someone put there.
    if (entry.name.startsWith('.')) continue
    const path = join(dir, entry.name)
    const kind = await entryKind(entry, path)
    if (kind === 'dir') {
      if (await isMaildir(path)) sources.push({ name: entry.name, path, kind: 'maildir', ...folderForName(entry.name, fallback) })
      else skips.push({ path, error: new NotMaildirError(path, true) })
      continue
    }
    if (kind !== 'file' || !entry.name.endsWith('.mbox')) { skips.push({ path, error: new NotMailFileError(path) }); continue }
    const head = await fileKind(path).catch((err: Error) => err)
    if (head instanceof Error) { skips.push({ path, error: head }); continue }
    if (head !== 'mbox') { skips.push({ path, error: new NotMboxError(path) }); continue }
    const name = basename(entry.name, '.mbox')
    sources.push({ name, path, kind: 'mbox', ...folderForName(name, fallback) })
  }
  return { sources, skips }
}
