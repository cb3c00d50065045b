import { stat } from 'node:fs/promises'
import { homedir } from 'node:os'
import { basename, join, resolve } from 'node:path'

/** A path typed into the composer's Attach field that names no readable file; the message says which and why. */
export class AttachmentPathError extends Error {
  static readonly NAME = 'AttachmentPathError'
  override name = AttachmentPathError.NAME
  constructor (readonly path: string, reason: string) {
    super(`${reason}; check the path in Attach (Tab completes it)`)
  }
}

/** `~/x` as the person means it. */
export function expandHome (path: string): string {
  return path === '~' ? homedir() : path.startsWith('~/') ? join(homedir(), path.slice(2)) : path
}

/**
 * A typed path as the person means it, absolute: the daemon that reads or writes it runs in
 * another folder (wherever it was started), so a relative path would name another file there.
 */
export function absolutePath (path: string): string {
  return resolve(expandHome(path))
}

/**
 * The size of the file at `path`, checked when it is added to a draft and again when the
 * draft is sent (so a typo is said at once in words, not as the daemon's ENOENT at send).
 */
export async function checkAttachment (path: string): Promise<number> {
  const full = expandHome(path)
  // The status line is short and the whole path is on screen in the draft: name the file only.
  const name = basename(path) === '' ? path : basename(path)
  let info
  try {
    info = await stat(full)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const reason = code === 'ENOENT' || code === 'ENOTDIR'
      ? `no file ${name} there`
      : code === 'EACCES' ? `no permission to read ${name}` : `cannot read ${name} (${code ?? (err as Error).message})`
    throw new AttachmentPathError(path, reason)
  }
  if (info.isDirectory()) throw new AttachmentPathError(path, `${name} is a folder: attach its files one by one`)
  if (!info.isFile()) throw new AttachmentPathError(path, `${name} is not a regular file`)
  return info.size
}

/** A folder typed to save attachments into that names something else (a file). */
export class SaveFolderError extends Error {
  static readonly NAME = 'SaveFolderError'
  override name = SaveFolderError.NAME
}

/** Before saving: a folder that does not exist yet is made by the daemon; a file there cannot be. */
export async function checkSaveFolder (path: string): Promise<void> {
  const info = await stat(absolutePath(path)).catch(() => undefined)
  if (info != null && !info.isDirectory()) throw new SaveFolderError(`${basename(path)} is a file, not a folder: give the folder to save into`)
}
