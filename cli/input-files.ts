import { realpath, stat } from 'node:fs/promises'
import { makeDirs } from '../storage/make-dirs.js'

/**
 * Files named on the command line (`send --attach`, `--body-file`, `--html-file`, `--eml`):
 * checked here, before anything is queued, so a mistyped path is a usage error (exit 2)
 * that names the option, not a bare ENOENT or EISDIR from deep inside the send.
 */

/** The option names a file that does not exist. */
export class InputFileMissingError extends Error {
  static readonly NAME = 'InputFileMissingError'
  override name = InputFileMissingError.NAME
  constructor (readonly option: string, readonly path: string) {
    super(`${option} ${path}: no such file (nothing was sent): check the path`)
  }
}

/** The option names a file (or a path through one) where a folder is needed. */
export class OutputNotFolderError extends Error {
  static readonly NAME = 'OutputNotFolderError'
  override name = OutputNotFolderError.NAME
  constructor (readonly option: string, readonly path: string) {
    super(`${option} ${path} is a file, not a folder: give a folder to save into (it is made if missing)`)
  }
}

/** The option names a folder where a file is needed. */
export class InputFileIsFolderError extends Error {
  static readonly NAME = 'InputFileIsFolderError'
  override name = InputFileIsFolderError.NAME
  constructor (readonly option: string, readonly path: string) {
    super(`${option} ${path} is a folder, not a file (nothing was sent)${option === '--attach' ? ': attach its files one by one (--attach is repeatable), or pack it first (tar, zip)' : ''}`)
  }
}

/** The real path of the file `option` names; throws one of the errors above when it is missing or a folder. */
export async function inputFile (option: string, path: string): Promise<string> {
  let real: string
  try {
    real = await realpath(path)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new InputFileMissingError(option, path)
    throw err
  }
  if ((await stat(real)).isDirectory()) throw new InputFileIsFolderError(option, path)
  return real
}

/** Make the folder `option` names (and its parents) if missing; throws OutputNotFolderError when a file is in the way. */
export async function outputFolder (option: string, path: string): Promise<void> {
  try {
    await makeDirs(path)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EEXIST' || code === 'ENOTDIR') throw new OutputNotFolderError(option, path)
    throw err
  }
}
