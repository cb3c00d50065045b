/**
 * Cheap checks on the raw bytes, run before mailparser sees them: the top-level header block
 * must end with a blank line within `maxHeaderBytes` and consist of header fields, and the
 * multipart tree must stay within `maxParts` and `maxNesting`. The tree walk only follows
 * Content-Type headers and boundary lines, so a message nested 1,000 deep or split into
 * 10,000 parts is refused after a linear scan instead of being built as a tree.
 */

import {
  MalformedMimeError,
  MimeHeaderTooLargeError,
  MimeNestingTooDeepError,
  MimeTooManyPartsError
} from './errors.js'
import type { MimeLimits } from './limits.js'
import { parseHeaderValue } from 'nodemailer/lib/mime-funcs'

const LF = 0x0a
const CR = 0x0d
const DASH = 0x2d
const NEWLINE_DASHES = Buffer.from('\n--', 'latin1')
// mailsplit also takes a delimiter line that starts with a stray CR ("\r--b").
const NEWLINE_CR_DASHES = Buffer.from('\n\r--', 'latin1')
// Trailing "--", SP/HTAB and CRs that mailsplit accepts after a boundary on its delimiter line.
const MAX_DELIMITER_PADDING = 1010
// field-name = 1*ftext (printable ASCII but ":"); obsolete syntax allows WSP before the colon.
const FIELD = /^[\x21-\x39\x3b-\x7e]+[ \t]*:/

/**
 * Checks the top-level header block and returns the offset where the body starts.
 *
 * @throws MimeHeaderTooLargeError when no blank line appears within `maxHeaderBytes`
 * @throws MalformedMimeError when the message ends before a blank line, or a line is not a header field
 */
export function checkHeaderBlock (buf: Buffer, maxHeaderBytes: number): number {
  // Look no further than the limit (plus the blank line itself): a 2 MiB header costs a
  // bounded scan, never a read of the whole message.
  const window = buf.subarray(0, maxHeaderBytes + 2)
  let pos = 0
  let lineNo = 1
  while (pos < window.length) {
    const nl = window.indexOf(LF, pos)
    if (nl === -1) break
    const end = nl > pos && window[nl - 1] === CR ? nl - 1 : nl
    if (end === pos) {
      if (pos === 0) throw new MalformedMimeError('the message starts with a blank line, so it has no header')
      return nl + 1
    }
    const first = window[pos]
    const continuation = first === 0x20 || first === 0x09
    if (lineNo === 1 && continuation) throw new MalformedMimeError('the first header line is indented')
    if (!continuation && !FIELD.test(window.toString('latin1', pos, Math.min(end, pos + 1000)))) {
      throw new MalformedMimeError(`line ${lineNo} of the header is not a "Name: value" field`)
    }
    pos = nl + 1
    lineNo++
  }
  if (buf.length > maxHeaderBytes) throw new MimeHeaderTooLargeError(maxHeaderBytes)
  throw new MalformedMimeError('no blank line separates the header from the body')
}

interface Frame {
  /** The multipart boundary; absent for an embedded message/rfc822, which has none. */
  boundary?: string
}

/**
 * Walks the MIME tree by its boundaries, counting entities and depth.
 *
 * @throws MimeTooManyPartsError, MimeNestingTooDeepError, MimeHeaderTooLargeError
 */
export function checkStructure (buf: Buffer, limits: MimeLimits): void {
  const stack: Frame[] = []
  let parts = 1
  let pos = 0
  let inHeader = true
  const finder = new DelimiterFinder(buf)

  while (pos < buf.length) {
    if (inHeader) {
      const header = readHeader(buf, pos, limits.maxHeaderBytes)
      pos = header.next
      const type = contentType(header.text)
      if (type.boundary !== undefined) {
        stack.push({ boundary: type.boundary })
        inHeader = false
      } else if (type.mediaType === 'message/rfc822') {
        // The body is a whole message: its header block follows at once, one level deeper.
        stack.push({})
        if (++parts > limits.maxParts) throw new MimeTooManyPartsError(limits.maxParts)
      } else {
        inHeader = false
      }
      if (stack.length > limits.maxNesting) throw new MimeNestingTooDeepError(limits.maxNesting)
      continue
    }

    // In a body only a delimiter line of an open multipart changes anything.
    if (!stack.some(f => f.boundary !== undefined)) return
    const lineStart = atLineStart(buf, pos) && startsWithDashes(buf, pos) ? pos : finder.next(pos)
    if (lineStart === -1) return
    const nl = buf.indexOf(LF, lineStart)
    const lineEnd = nl === -1 ? buf.length : nl
    pos = lineEnd + 1
    const dashes = buf[lineStart] === CR ? lineStart + 1 : lineStart
    // Only a bounded prefix can matter: the longest open boundary, "--", and padding.
    const longest = Math.max(...stack.map(f => f.boundary?.length ?? 0))
    const match = matchDelimiter(buf.toString('latin1', dashes + 2, Math.min(lineEnd, dashes + 2 + longest + MAX_DELIMITER_PADDING)), stack)
    if (match === undefined) continue
    // A delimiter of an outer multipart implicitly closes everything opened inside it.
    stack.length = match.index + 1
    if (match.closing) {
      stack.pop()
    } else {
      if (++parts > limits.maxParts) throw new MimeTooManyPartsError(limits.maxParts)
      inHeader = true
    }
  }
}

function atLineStart (buf: Buffer, pos: number): boolean {
  return pos === 0 || buf[pos - 1] === LF
}

function startsWithDashes (buf: Buffer, pos: number): boolean {
  const at = buf[pos] === CR ? pos + 1 : pos
  return buf[at] === DASH && buf[at + 1] === DASH
}

/**
 * Finds the next line starting with "--" or "\r--". Each pattern's next hit is remembered,
 * so a pattern that never occurs is searched for once, not once per delimiter: the scan
 * stays linear in the message size.
 */
class DelimiterFinder {
  private readonly hits = [-2, -2]
  constructor (private readonly buf: Buffer) {}

  next (from: number): number {
    let best = -1
    const patterns = [NEWLINE_DASHES, NEWLINE_CR_DASHES]
    for (let i = 0; i < patterns.length; i++) {
      let hit = this.hits[i] ?? -1
      if (hit !== -1 && hit < from) {
        hit = this.buf.indexOf(patterns[i] as Buffer, from)
        this.hits[i] = hit
      }
      if (hit !== -1 && (best === -1 || hit < best)) best = hit
    }
    return best === -1 ? -1 : best + 1
  }
}

function matchDelimiter (rest: string, stack: Frame[]): { index: number, closing: boolean } | undefined {
  // Transport padding (trailing SP/HTAB) and the line's CRs are not part of the delimiter.
  const value = rest.replace(/[ \t]*\r*$/, '')
  for (let i = stack.length - 1; i >= 0; i--) {
    const boundary = stack[i]?.boundary
    if (boundary === undefined) continue
    if (value === boundary) return { index: i, closing: false }
    if (value === `${boundary}--`) return { index: i, closing: true }
  }
  return undefined
}

/** Reads one part's header block, unfolded, stopping at the blank line or the end. */
function readHeader (buf: Buffer, start: number, maxHeaderBytes: number): { text: string, next: number } {
  let pos = start
  while (pos < buf.length) {
    const nl = buf.indexOf(LF, pos)
    const lineEnd = nl === -1 ? buf.length : nl
    const blank = lineEnd === pos || (lineEnd === pos + 1 && buf[pos] === CR)
    if (blank) return { text: unfold(buf.toString('latin1', start, pos)), next: lineEnd + 1 }
    if (lineEnd - start > maxHeaderBytes) throw new MimeHeaderTooLargeError(maxHeaderBytes)
    pos = lineEnd + 1
  }
  return { text: unfold(buf.toString('latin1', start, buf.length)), next: buf.length }
}

function unfold (text: string): string {
  return text.replace(/\r?\n(?=[ \t])/g, '')
}

/**
 * The media type and, for a multipart, its boundary, from an unfolded header block. Read the
 * way mailsplit (mailparser's splitter) reads it: first Content-Type header, comments
 * stripped, RFC 2231 continuations joined, a non-ASCII boundary counted as none. Where the
 * two readings differed, a tree could look shallow here and be deep there.
 */
function contentType (header: string): { mediaType: string, boundary?: string } {
  const line = /^content-type[ \t]*:(.*)$/im.exec(header)
  if (line?.[1] === undefined) return { mediaType: 'text/plain' }
  const parsed = parseHeaderValue(line[1].trim(), { stripComments: true })
  const mediaType = parsed.value.trim().toLowerCase()
  if (!mediaType.startsWith('multipart/')) return { mediaType }
  const boundary = decodeQWord(parsed.params.boundary ?? '').trimEnd()
  // eslint-disable-next-line no-control-regex
  if (boundary === '' || !/^[\x00-\x7f]*$/.test(boundary)) return { mediaType }
  return { mediaType, boundary }
}

/**
 * nodemailer hands back an RFC 2231 `boundary*=utf-8''…` value as a Q encoded word where
 * libmime decodes it; decode it the same way so both name the same boundary.
 */
function decodeQWord (value: string): string {
  const word = /^=\?[^?]+\?q\?(.*)\?=$/i.exec(value)
  if (word?.[1] === undefined) return value
  const bytes = Buffer.from(word[1].replace(/_/g, ' ').replace(/=([0-9a-f]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1')
  return bytes.toString('utf8')
}
