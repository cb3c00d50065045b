/**
 * The mboxrd format (one file, many messages), as mutt, Thunderbird and Python's mailbox
 * read it: each message starts with a `From SENDER DATE` line and ends with a blank line;
 * a line of the message that starts with `From ` after any number of `>` gets one more `>`
 * (and loses it again when read), so every quoting round trip is exact.
 *
 * No npm package is used: the maintained ones (node-mbox, mbox-reader) only split, do not
 * undo mboxrd's quoting, bound nothing and write nothing.
 */
import { createReadStream } from 'node:fs'
import { MailFileTooLargeError, NotMboxError, TruncatedMboxError } from './mail-file-errors.js'

const LF = 0x0a
const CR = 0x0d
const GT = 0x3e
const FROM = Buffer.from('From ', 'latin1')
const NEWLINE = Buffer.from('\n', 'latin1')

/** Whether the line starting at `pos` of `buf` is `>*From ` (how many `>` come first: -1 if it is not). */
function fromQuoteDepth (buf: Uint8Array, pos: number): number {
  let i = pos
  while (i < buf.length && buf[i] === GT) i++
  if (i + FROM.length > buf.length) return -1
  for (let k = 0; k < FROM.length; k++) if (buf[i + k] !== FROM[k]) return -1
  return i - pos
}

/** The `From ` separator line of one message (asctime date, UTC, as mbox readers expect). */
export function mboxFromLine (sender: string, date: number): string {
  const d = new Date(date)
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
  const two = (n: number): string => String(n).padStart(2, '0')
  const asctime = `${days[d.getUTCDay()]} ${months[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} ${d.getUTCFullYear()}`
  // No spaces in the sender: readers take the first word after "From " as the sender.
  return `From ${sender.replace(/\s+/g, '_')} ${asctime}\n`
}

/**
 * One message as mboxrd bytes: its From line, the message with its `>*From ` lines quoted,
 * a newline if it did not end with one, and the blank line that ends it. The pieces are
 * slices of `raw` (nothing is copied but the quote marks).
 */
export function mboxrdEntry (fromLine: string, raw: Uint8Array): Buffer[] {
  const bytes = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength)
  const out: Buffer[] = [Buffer.from(fromLine, 'latin1')]
  let start = 0
  for (let line = 0; line < bytes.length;) {
    if (fromQuoteDepth(bytes, line) >= 0) {
      out.push(bytes.subarray(start, line), Buffer.from('>', 'latin1'))
      start = line
    }
    const nl = bytes.indexOf(LF, line)
    if (nl === -1) break
    line = nl + 1
  }
  out.push(bytes.subarray(start))
  // A message that does not end with a newline gets one: mbox cannot keep that difference.
  if (bytes.length === 0 || bytes[bytes.length - 1] !== LF) out.push(NEWLINE)
  out.push(NEWLINE)
  return out
}

/** One message read from an mbox file: its bytes, or why it is not imported. */
export interface MboxEntry {
  /** 1 for the file's first message. */
  index: number
  /** The `From ` line, without its newline. */
  fromLine: string
  raw?: Buffer
  error?: Error
}

export interface ReadMboxOptions {
  /** A message larger than this is skipped with MailFileTooLargeError (its bytes are not kept). */
  maxMessageBytes: number
  /** Only the From lines are wanted: no message bytes are kept. */
  fromLinesOnly?: boolean
}

/**
 * The messages of the mboxrd file at `path`, one at a time: memory holds at most one
 * message (bounded by `maxMessageBytes`) and one read chunk, whatever the file's size.
 * Throws NotMboxError (before yielding anything) when the file does not start with a
 * `From ` line. A last message the file ends inside (no final newline) comes with
 * TruncatedMboxError instead of bytes.
 */
export async function * readMboxrd (path: string, options: ReadMboxOptions): AsyncGenerator<MboxEntry> {
  let index = 0
  let fromLine: string | undefined
  let parts: Buffer[] = []
  let size = 0
  let tooLarge = false
  // The line read so far (pieces of chunks), and its length.
  let pending: Buffer[] = []
  let pendingLength = 0

  const finish = (atEnd: boolean): MboxEntry | undefined => {
    if (fromLine === undefined) return undefined
    const entry: MboxEntry = { index, fromLine }
    // Cut first: a file that ends without a newline ends inside its last message, whatever its size.
    if (atEnd && pendingLength > 0) entry.error = new TruncatedMboxError(path)
    else if (tooLarge) entry.error = new MailFileTooLargeError(`message ${index} of ${path}`, options.maxMessageBytes)
    else if (options.fromLinesOnly !== true) entry.raw = withoutSeparator(Buffer.concat(parts, size))
    parts = []
    size = 0
    tooLarge = false
    return entry
  }

  /** Take one whole line (with its newline); a new message's entry when it starts one. */
  const takeLine = (line: Buffer): MboxEntry | undefined => {
    const depth = fromQuoteDepth(line, 0)
    if (depth === 0) {
      const done = finish(false)
      index++
      fromLine = line.toString('latin1').replace(/\r?\n$/, '')
      return done
    }
    if (fromLine === undefined) throw new NotMboxError(path)
    if (tooLarge || options.fromLinesOnly === true) return undefined
    const body = depth > 0 ? line.subarray(1) : line
    size += body.length
    // The separator's blank line is counted too: allow it over the limit by its two bytes.
    if (size > options.maxMessageBytes + 2) { tooLarge = true; parts = []; return undefined }
    parts.push(body)
    return undefined
  }

  const stream = createReadStream(path, { highWaterMark: 256 * 1024 })
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let pos = 0
      while (pos < chunk.length) {
        const nl = chunk.indexOf(LF, pos)
        if (nl === -1) {
          // A line longer than any message may be is not kept whole, only its first bytes
          // (enough to tell a From line): the message it is in is too large anyway.
          if (pendingLength <= options.maxMessageBytes + 2) pending.push(chunk.subarray(pos))
          pendingLength += chunk.length - pos
          break
        }
        const piece = chunk.subarray(pos, nl + 1)
        const line = pending.length === 0 ? piece : Buffer.concat([...pending, piece])
        const overlong = pendingLength + piece.length > line.length
        pending = []
        pendingLength = 0
        pos = nl + 1
        if (fromLine === undefined && fromQuoteDepth(line, 0) !== 0) throw new NotMboxError(path)
        if (overlong && fromLine !== undefined) { tooLarge = true; parts = []; continue }
        const done = takeLine(line)
        if (done !== undefined) yield done
      }
    }
    if (fromLine === undefined) {
      if (pendingLength > 0 && fromQuoteDepth(Buffer.concat(pending), 0) === 0) {
        // A file of one From line without a newline: a message cut before its first byte.
        fromLine = Buffer.concat(pending).toString('latin1')
        index++
        const entry: MboxEntry = { index, fromLine, error: new TruncatedMboxError(path) }
        yield entry
        return
      }
      if (pendingLength > 0) throw new NotMboxError(path)
      return
    }
    const last = finish(true)
    if (last !== undefined) yield last
  } finally {
    stream.destroy()
  }
}

/** A message's bytes without the blank line the writer put after it (LF or CRLF). */
function withoutSeparator (message: Buffer): Buffer {
  const n = message.length
  if (n >= 3 && message[n - 3] === LF && message[n - 2] === CR && message[n - 1] === LF) return message.subarray(0, n - 2)
  if (n >= 2 && message[n - 2] === LF && message[n - 1] === LF) return message.subarray(0, n - 1)
  return message
}

/** Whether the file's first bytes are an mbox `From ` line. */
export function looksLikeMbox (head: Uint8Array): boolean {
  return fromQuoteDepth(head, 0) === 0
}
