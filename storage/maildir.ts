/**
 * Maildir (one file per message in `cur/` or `new/`, written through `tmp/`), as mutt,
 * Dovecot and offlineimap read it. A file in `cur/` is named `UNIQUE:2,FLAGS`, FLAGS being
 * letters in ASCII order; `S` (seen) marks a read message.
 */
import { link, mkdir, opendir, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

export const MAILDIR_SUBDIRS = ['cur', 'new', 'tmp'] as const

/** Separates the unique part of a `cur/` name from its flags. */
const INFO = ':2,'

/**
 * The unique part of an exported message's file name: its time of arrival (seconds, as
 * Maildir names start) and its local id (unique in the home), so the same message always
 * gets the same name and a second export finds it.
 */
export function maildirUnique (id: string, receivedAt: number): string {
  return `${Math.floor(receivedAt / 1000)}.${id}.peerpost`
}

/** The `cur/` file name for a message: `S` when it was read. */
export function maildirFileName (unique: string, flags: { seen: boolean }): string {
  return `${unique}${INFO}${flags.seen ? 'S' : ''}`
}

/** A Maildir file name's unique part and flags (none for a name without `:2,`, as in `new/`). */
export function parseMaildirName (name: string): { unique: string, flags: string } {
  const at = name.lastIndexOf(INFO)
  if (at === -1) return { unique: name, flags: '' }
  return { unique: name.slice(0, at), flags: name.slice(at + INFO.length) }
}

/** Lay `dir` out as a Maildir: `cur/`, `new/` and `tmp/`, made when missing, for the owner only (it is mail). */
export async function ensureMaildir (dir: string): Promise<void> {
  for (const sub of MAILDIR_SUBDIRS) await mkdir(join(dir, sub), { recursive: true, mode: 0o700 })
}

/** The unique parts of the messages already in `dir`'s `cur/` and `new/` (whatever their flags now). */
export async function maildirUniques (dir: string): Promise<Set<string>> {
  const found = new Set<string>()
  for await (const entry of maildirEntries(dir)) found.add(parseMaildirName(entry.name).unique)
  return found
}

/** One message file of a Maildir. */
export interface MaildirEntry {
  path: string
  name: string
  /** The `S` flag: read. A message in `new/` has not been seen by any client. */
  seen: boolean
}

/**
 * The message files of the Maildir `dir` (`cur/` then `new/`; `tmp/` holds files still
 * being written, and dot files are not messages), read as a stream of directory entries.
 */
export async function * maildirEntries (dir: string): AsyncGenerator<MaildirEntry> {
  for (const sub of ['cur', 'new']) {
    let handle
    try {
      handle = await opendir(join(dir, sub))
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue
      throw err
    }
    for await (const entry of handle) {
      if (!entry.isFile() || entry.name.startsWith('.')) continue
      const seen = sub === 'cur' && parseMaildirName(entry.name).flags.includes('S')
      yield { path: join(dir, sub, entry.name), name: entry.name, seen }
    }
  }
}

/**
 * Write one message into the Maildir `dir` as `cur/NAME`, the Maildir way: whole into
 * `tmp/` first, then linked into `cur/`, so a reader never sees half a file. Never
 * overwrites: resolves false when `cur/NAME` exists already.
 */
export async function writeMaildirMessage (dir: string, name: string, raw: Uint8Array): Promise<boolean> {
  const tmp = join(dir, 'tmp', name)
  await writeFile(tmp, raw, { flag: 'w', mode: 0o600 })
  try {
    await link(tmp, join(dir, 'cur', name))
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw err
  } finally {
    await unlink(tmp)
  }
}
