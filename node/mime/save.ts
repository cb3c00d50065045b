/**
 * Writing received attachments to disk. The names come from the sender, so they are made
 * safe for any file system, files are created exclusively (`wx`) so nothing existing is ever
 * overwritten even by a concurrent writer, and every path is checked to stay inside the
 * target directory.
 */

import { constants } from 'node:fs'
import { copyFile, open, unlink } from 'node:fs/promises'
import { makeDirs } from '../../storage/make-dirs.js'
import path from 'node:path'
import { NoFreeFilenameError, UnsafeAttachmentPathError } from './errors.js'

/** What {@link sanitizeFilename} returns for a name with nothing usable left. */
export const FALLBACK_FILENAME = 'attachment'
/** Longest file name written, in UTF-8 bytes; common file systems allow 255. */
export const MAX_FILENAME_BYTES = 200
/** Most ` (n)` suffixes tried before giving up on a name. */
export const MAX_NAME_ATTEMPTS = 10_000

// Extensions longer than this are treated as part of the name when shortening.
const MAX_EXTENSION_BYTES = 32
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g
// Bidi controls let "evil\u202Etxt.exe" display as "evilexe.txt"; zero-width and BOM
// characters hide in names the same way.
const INVISIBLE = /[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g
// Characters Windows forbids in names (the path separators are handled before).
const WINDOWS_FORBIDDEN = /[<>:"|?*]/g
// Device names Windows reserves whatever the extension ("con.txt" is the console too).
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])[ ]*(\..*)?$/i

/**
 * Makes a sender-supplied name safe to create in a directory: no directory parts, no
 * control, bidi or Windows-forbidden characters, not hidden (a leading dot becomes `_`), not a
 * Windows device name, no trailing dots or spaces, at most {@link MAX_FILENAME_BYTES} bytes
 * with the extension kept, never empty.
 *
 * @example sanitizeFilename('../../.bashrc') // '_bashrc'
 * @example sanitizeFilename('C:\\x')         // 'x'
 */
export function sanitizeFilename (name: string): string {
  let s = name.normalize('NFC').replace(CONTROL, '').replace(INVISIBLE, '')
  // Both separators count: a name written on Windows uses backslashes.
  s = s.split(/[/\\]/).pop() ?? ''
  s = s.replace(WINDOWS_FORBIDDEN, '_')
  s = trimName(s)
  s = truncateUtf8(s, MAX_FILENAME_BYTES)
  s = trimName(s)
  if (s === '') return FALLBACK_FILENAME
  if (WINDOWS_RESERVED.test(s)) s = `_${s}`
  return s
}

/**
 * Writes each attachment into `dir` (created if missing) under its sanitized name, adding
 * ` (1)`, ` (2)`… before the extension when the name is taken. Never overwrites.
 *
 * @returns the paths written, in input order
 */
export async function saveAttachments (dir: string, attachments: ReadonlyArray<{ name: string, content: Uint8Array }>): Promise<string[]> {
  const root = path.resolve(dir)
  await makeDirs(root)
  const written: string[] = []
  for (const attachment of attachments) {
    written.push(await writeExclusive(root, sanitizeFilename(attachment.name), attachment.content))
  }
  return written
}

/**
 * Like {@link saveAttachments}, for attachments that are files already (large attachments
 * pulled into the blob store): each is copied by the kernel, never read into memory.
 *
 * @returns the paths written, in input order
 */
export async function saveAttachmentFiles (dir: string, files: ReadonlyArray<{ name: string, path: string }>): Promise<string[]> {
  const root = path.resolve(dir)
  await makeDirs(root)
  const written: string[] = []
  for (const file of files) {
    written.push(await copyExclusive(root, sanitizeFilename(file.name), file.path))
  }
  return written
}

/**
 * Create `name` in `root` with `create(target)`, which must fail with EEXIST when the entry
 * exists; on EEXIST try ` (1)`, ` (2)`… before the extension.
 */
async function createExclusive (root: string, name: string, create: (target: string) => Promise<void>): Promise<string> {
  const { base, ext } = splitExtension(name)
  for (let n = 0; n < MAX_NAME_ATTEMPTS; n++) {
    const candidate = n === 0 ? name : `${truncateUtf8(base, MAX_FILENAME_BYTES - byteLength(` (${n})${ext}`))} (${n})${ext}`
    const target = path.join(root, candidate)
    assertInside(root, target)
    try {
      await create(target)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue
      throw err
    }
    return target
  }
  throw new NoFreeFilenameError(name, root, MAX_NAME_ATTEMPTS)
}

async function writeExclusive (root: string, name: string, content: Uint8Array): Promise<string> {
  return await createExclusive(root, name, async target => {
    // 'wx' is O_CREAT|O_EXCL: it fails on any existing entry, a symlink included, so a
    // race or a planted link can never make us write somewhere else. 0o600: mail is private.
    const handle = await open(target, 'wx', 0o600)
    try {
      await handle.writeFile(content)
      await handle.close()
    } catch (err) {
      // A half-written file would look like a complete attachment; remove it.
      await handle.close().catch(() => {})
      await unlink(target).catch(() => {})
      throw err
    }
  })
}

async function copyExclusive (root: string, name: string, source: string): Promise<string> {
  return await createExclusive(root, name, async target => {
    try {
      // COPYFILE_EXCL creates the target with O_EXCL (no existing entry, no planted link);
      // the kernel copies the data, so a large attachment never passes through memory.
      await copyFile(source, target, constants.COPYFILE_EXCL)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') await unlink(target).catch(() => {})
      throw err
    }
  })
}

function assertInside (root: string, target: string): void {
  const rel = path.relative(root, target)
  // sanitizeFilename already removed separators; this is the belt to its braces.
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel) || rel.includes(path.sep)) {
    throw new UnsafeAttachmentPathError(root, target)
  }
}

/** Removes trailing dots and spaces (Windows drops them) and hides nothing: a leading dot becomes `_`. */
function trimName (s: string): string {
  let out = s.trim().replace(/[. ]+$/, '')
  const withoutDots = out.replace(/^\.+/, '')
  if (withoutDots !== out) out = withoutDots === '' ? '' : `_${withoutDots}`
  return out
}

function splitExtension (name: string): { base: string, ext: string } {
  const dot = name.lastIndexOf('.')
  if (dot <= 0 || byteLength(name.slice(dot)) > MAX_EXTENSION_BYTES) return { base: name, ext: '' }
  return { base: name.slice(0, dot), ext: name.slice(dot) }
}

/** Shortens to `max` UTF-8 bytes, cutting the base name and keeping the extension, never splitting a character. */
function truncateUtf8 (name: string, max: number): string {
  if (byteLength(name) <= max) return name
  const { base, ext } = splitExtension(name)
  const keepExt = byteLength(ext) < max ? ext : ''
  let budget = max - byteLength(keepExt)
  let out = ''
  for (const ch of keepExt === '' ? name : base) {
    const size = byteLength(ch)
    if (size > budget) break
    out += ch
    budget -= size
  }
  return out + keepExt
}

function byteLength (s: string): number {
  return Buffer.byteLength(s, 'utf8')
}
