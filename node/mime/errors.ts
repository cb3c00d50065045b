/**
 * Errors of the MIME layer: one class per condition, each with a stable `name` that callers
 * branch on (the receiver maps them to wire replies, the CLI to exit codes and text). All of
 * them are permanent: parsing or composing the same bytes again gives the same answer.
 */

/** The whole message is larger than `maxBytes`. */
export class MimeTooLargeError extends Error {
  static readonly NAME = 'MimeTooLargeError'
  override name = MimeTooLargeError.NAME
  constructor (readonly size: number, readonly maxBytes: number) {
    super(`the message is ${formatBytes(size)}, over the ${formatBytes(maxBytes)} limit`)
  }
}

/** A header block (of the message or of one MIME part) is larger than `maxHeaderBytes`. */
export class MimeHeaderTooLargeError extends Error {
  static readonly NAME = 'MimeHeaderTooLargeError'
  override name = MimeHeaderTooLargeError.NAME
  constructor (readonly maxHeaderBytes: number) {
    super(`the message header is over the ${formatBytes(maxHeaderBytes)} limit`)
  }
}

/** The message has more MIME parts than `maxParts`. */
export class MimeTooManyPartsError extends Error {
  static readonly NAME = 'MimeTooManyPartsError'
  override name = MimeTooManyPartsError.NAME
  constructor (readonly maxParts: number) {
    super(`the message has more than ${maxParts} MIME parts`)
  }
}

/** Multipart or embedded messages nest deeper than `maxNesting`. */
export class MimeNestingTooDeepError extends Error {
  static readonly NAME = 'MimeNestingTooDeepError'
  override name = MimeNestingTooDeepError.NAME
  constructor (readonly maxNesting: number) {
    super(`the message nests MIME parts more than ${maxNesting} levels deep`)
  }
}

/** The bytes are not a readable RFC 5322 message (no header/body separator, a broken header, a parser failure). */
export class MalformedMimeError extends Error {
  static readonly NAME = 'MalformedMimeError'
  override name = MalformedMimeError.NAME
  constructor (reason: string, options?: ErrorOptions) {
    super(`malformed message: ${reason}`, options)
  }
}

/** The message has no Message-ID header, which peerpost needs as the message's identity. */
export class MissingMessageIdError extends Error {
  static readonly NAME = 'MissingMessageIdError'
  override name = MissingMessageIdError.NAME
  constructor (hint?: string) {
    super(hint === undefined ? 'the message has no Message-ID header' : `the message has no Message-ID header: ${hint}`)
  }
}

/** A Message-ID given to the composer is not of the form `<left@right>`. */
export class InvalidMessageIdError extends Error {
  static readonly NAME = 'InvalidMessageIdError'
  override name = InvalidMessageIdError.NAME
  constructor (value: string) {
    super(`invalid Message-ID ${quote(value)}: expected <unique-part@domain> without spaces`)
  }
}

/** An address is not a single `Name <local@domain>` mailbox, or a PeerId is not base58. */
export class InvalidAddressError extends Error {
  static readonly NAME = 'InvalidAddressError'
  override name = InvalidAddressError.NAME
  constructor (readonly address: string, reason: string) {
    super(`invalid address ${quote(address)}: ${reason}`)
  }
}

/** The content of one attachment could not be read or decoded. */
export class AttachmentReadError extends Error {
  static readonly NAME = 'AttachmentReadError'
  override name = AttachmentReadError.NAME
  constructor (readonly attachmentName: string, options?: ErrorOptions) {
    const detail = options?.cause instanceof Error ? `: ${options.cause.message}` : ''
    super(`could not read attachment ${quote(attachmentName)}${detail}`, options)
  }
}

/** Every `name (n).ext` up to the attempt limit already exists in the target directory. */
export class NoFreeFilenameError extends Error {
  static readonly NAME = 'NoFreeFilenameError'
  override name = NoFreeFilenameError.NAME
  constructor (filename: string, dir: string, attempts: number) {
    super(`no free file name for ${quote(filename)} in ${dir} after ${attempts} tries: clear out the directory or choose another`)
  }
}

/** A computed attachment path left the target directory. A bug: sanitizeFilename should make this impossible. */
export class UnsafeAttachmentPathError extends Error {
  static readonly NAME = 'UnsafeAttachmentPathError'
  override name = UnsafeAttachmentPathError.NAME
  constructor (dir: string, target: string) {
    super(`refusing to write ${quote(target)}: it is outside ${dir}`)
  }
}

/** Human size for messages: limits are powers of two, so KiB/MiB read exactly. */
function formatBytes (n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`
  return `${n} bytes`
}

/**
 * Quotes untrusted text for an error message: JSON escapes control characters so a hostile
 * value cannot forge lines in a log or a terminal, and long values are cut.
 */
function quote (value: string): string {
  const cut = value.length > 120 ? `${value.slice(0, 120)}…` : value
  return JSON.stringify(cut).replace(/[\u202a-\u202e\u2066-\u2069]/g, c => `\\u${c.charCodeAt(0).toString(16)}`)
}
