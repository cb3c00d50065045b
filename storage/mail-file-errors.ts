/**
 * Errors of the mail files a user exports to or imports from (Maildir, mbox, .eml): one
 * class per condition, each message saying what is wrong with which file.
 */

/** The path to import from does not exist. */
export class ImportSourceMissingError extends Error {
  static readonly NAME = 'ImportSourceMissingError'
  override name = ImportSourceMissingError.NAME
  constructor (readonly path: string) { super(`${path} does not exist: give a Maildir folder, an mbox file or an .eml file`) }
}

/** A folder given to import from that is no Maildir. */
export class NotMaildirError extends Error {
  static readonly NAME = 'NotMaildirError'
  override name = NotMaildirError.NAME
  /** within: found inside the folder being imported (it is skipped, the rest imported), rather than given. */
  constructor (readonly path: string, within = false) {
    super(within
      ? `${path} is not a Maildir (it has neither cur/ nor new/): not imported`
      : `${path} is a folder but not a Maildir (it has neither cur/ nor new/) and holds no Maildir or .mbox file: give a Maildir, a folder of them (as an export writes), an mbox file or an .eml file`)
  }
}

/** A file in a folder of mail folders that is neither a Maildir nor an .mbox file: not imported. */
export class NotMailFileError extends Error {
  static readonly NAME = 'NotMailFileError'
  override name = NotMailFileError.NAME
  constructor (readonly path: string) { super(`${path} is neither a Maildir folder nor an .mbox file: not imported (import an .eml file by its own path)`) }
}

/** A file read as mbox whose first line is not a `From ` line. */
export class NotMboxError extends Error {
  static readonly NAME = 'NotMboxError'
  override name = NotMboxError.NAME
  constructor (readonly path: string) { super(`${path} is not an mbox file: it does not start with a "From " line`) }
}

/** The mbox file ends inside a message (no final newline): that message is cut. */
export class TruncatedMboxError extends Error {
  static readonly NAME = 'TruncatedMboxError'
  override name = TruncatedMboxError.NAME
  constructor (readonly path: string) { super(`${path} ends in the middle of its last message (the file is cut short): that message is not imported`) }
}

/** One message of a mail file is larger than the node takes (config limits.maxMimeBytes). */
export class MailFileTooLargeError extends Error {
  static readonly NAME = 'MailFileTooLargeError'
  override name = MailFileTooLargeError.NAME
  constructor (readonly where: string, readonly limit: number) { super(`${where} is larger than ${limit} bytes, the most a message may have here (limits.maxMimeBytes)`) }
}

/** The export target exists and is not a folder. */
export class ExportTargetError extends Error {
  static readonly NAME = 'ExportTargetError'
  override name = ExportTargetError.NAME
  constructor (readonly path: string, why: string) { super(`cannot export into ${path}: ${why}`) }
}

/** A path handed to the daemon must be absolute: it does not run in the caller's working folder. */
export class RelativePathError extends Error {
  static readonly NAME = 'RelativePathError'
  override name = RelativePathError.NAME
  constructor (readonly path: string) { super(`"${path}" is not an absolute path (the daemon does not share your working folder)`) }
}
