/**
 * Reads a received RFC 5322 message into the fields peerpost shows and stores. The bytes
 * come from a peer, so limits are enforced before parsing (size, header block, tree shape;
 * see structure.ts) and while parsing (mailsplit's own node and header caps, our attachment
 * count), and every parser failure surfaces as a typed error.
 */

import { createHash } from 'node:crypto'
import { MailParser } from 'mailparser'
import type { AddressObject, AttachmentStream, HeaderLines, MessageText } from 'mailparser'
import { detectExtension } from 'nodemailer/lib/mime-funcs'
import { formatMailbox } from './address.js'
import {
  AttachmentReadError,
  MalformedMimeError,
  MimeHeaderTooLargeError,
  MimeTooLargeError,
  MimeTooManyPartsError,
  MissingMessageIdError
} from './errors.js'
import { resolveLimits } from './limits.js'
import type { MimeLimits } from './limits.js'
import { checkHeaderBlock, checkStructure } from './structure.js'

export interface ParsedAttachment {
  /** As the sender named it (unsanitized: use `sanitizeFilename` before touching a disk), or `attachment-N.ext`. */
  name: string
  /** Lowercase media type. */
  type: string
  size: number
  /** Hex sha256 of the decoded content. */
  sha256: string
  content: Uint8Array
}

export interface ParsedMessage {
  /** With angle brackets. */
  messageId: string
  /** `Name <address>` or a bare address; empty when the message has no From. */
  from: string
  to: string[]
  cc: string[]
  subject: string
  /** Milliseconds since the epoch; 0 when the Date header is missing or unreadable. */
  date: number
  text: string
  html?: string
  inReplyTo?: string
  references: string[]
  attachments: ParsedAttachment[]
}

/** The headers and attachment metadata, without bodies or content: what an index or a list view keeps. */
export interface MessageSummary {
  messageId: string
  from: string
  to: string[]
  cc: string[]
  subject: string
  date: number
  inReplyTo?: string
  references: string[]
  attachments: Array<Omit<ParsedAttachment, 'content'>>
}

export interface ParseOptions {
  /** Aborts the parse; the promise rejects with the signal's reason. */
  signal?: AbortSignal
}

// HTML beyond this is not converted to plain text: html-to-text is the slowest step of
// mailparser and a peer could otherwise make us spend seconds on one message.
const MAX_HTML_TO_TEXT_CHARS = 4 * 1024 * 1024

/**
 * Parses a message within limits.
 *
 * @example const msg = await parseMessage(raw, { maxBytes: 8 * 1024 * 1024 })
 * @throws MimeTooLargeError, MimeHeaderTooLargeError, MimeTooManyPartsError,
 *   MimeNestingTooDeepError, MalformedMimeError, MissingMessageIdError, AttachmentReadError
 */
export async function parseMessage (raw: Uint8Array, limits?: Partial<MimeLimits>, options: ParseOptions = {}): Promise<ParsedMessage> {
  const bounds = resolveLimits(limits)
  if (raw.byteLength > bounds.maxBytes) throw new MimeTooLargeError(raw.byteLength, bounds.maxBytes)
  if (raw.byteLength === 0) throw new MalformedMimeError('the message is empty')
  const buf = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength)
  checkHeaderBlock(buf, bounds.maxHeaderBytes)
  checkStructure(buf, bounds)
  options.signal?.throwIfAborted()
  return (await runParser(buf, bounds, options.signal)).parsed
}

/**
 * What `summarize(await parseMessage(raw))` gives, with the same checks and errors, for
 * less: a message that is one text part (the usual case) has no attachments and all of its
 * summary is in the header block, so only that is parsed; anything else is parsed whole.
 * What a receiver indexes a message by (the body is parsed when it is read).
 *
 * @throws as parseMessage
 */
export async function parseSummary (raw: Uint8Array, limits?: Partial<MimeLimits>, options: ParseOptions = {}): Promise<MessageSummary> {
  const bounds = resolveLimits(limits)
  if (raw.byteLength > bounds.maxBytes) throw new MimeTooLargeError(raw.byteLength, bounds.maxBytes)
  if (raw.byteLength === 0) throw new MalformedMimeError('the message is empty')
  const buf = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength)
  const bodyStart = checkHeaderBlock(buf, bounds.maxHeaderBytes)
  checkStructure(buf, bounds)
  options.signal?.throwIfAborted()
  const quick = plainHeaderSummary(buf.subarray(0, bodyStart))
  if (quick !== undefined) return quick
  const head = await runParser(buf.subarray(0, bodyStart), bounds, options.signal)
  // One Content-Type line (so the parser cannot pick another one than read here), a text
  // type, and nothing the parser took for an attachment (a disposition, a name): one
  // inline text part, whose body adds nothing to the summary.
  if (head.contentTypes.length <= 1 && TEXT_TYPES.has(head.rootType) && head.parsed.attachments.length === 0) return summarize(head.parsed)
  return summarize((await runParser(buf, bounds, options.signal)).parsed)
}

// mailparser's text types: a part of one of these without an attachment disposition is the message's text.
const TEXT_TYPES = new Set(['text/plain', 'text/html'])

// What plainHeaderSummary leaves to mailparser: 8-bit or control bytes, encoded words,
// quoted strings, comments, escapes.
const UNPLAIN_HEADER = /[^\x20-\x7e\r\n\t]|=\?|["(\\]/
const MSG_ID = /^<[^<>\s]+>$/
const PLAIN_SUBJECT = /^[\x21-\x7e]+(?: [\x21-\x7e]+)*$/
const NAMED_MAILBOX = /^(\w+(?: \w+)*) <([^<>\s]+)>$/
const BARE_MAILBOX = /^[^<>\s]+$/
// Lowercase domains without punycode: the parser lowercases domains and decodes xn-- labels.
const PLAIN_ADDR = /^[A-Za-z0-9._+-]+@[a-z0-9.-]+$/

/** "Name <addr>, addr" in the plain form, as formatMailbox writes each; undefined for anything else. */
function plainMailboxes (value: string): string[] | undefined {
  const out: string[] = []
  for (const item of value.split(',')) {
    const text = item.trim()
    const named = NAMED_MAILBOX.exec(text)
    const address = named?.[2] ?? (BARE_MAILBOX.test(text) ? text : undefined)
    if (address === undefined || !PLAIN_ADDR.test(address) || address.includes('xn--')) return undefined
    out.push(formatMailbox({ name: named?.[1], address }))
  }
  return out
}

/**
 * The summary of a one-part text message whose header block is plain (what composePlainText
 * writes, and much ordinary mail): ASCII, no encoded words, quotes or comments, each field
 * once, simple mailbox lists and msg-ids, no Content-Disposition. Read directly, it is what
 * mailparser gives for it (tests compare the two on fixtures, hand-made cases and random
 * composed messages); undefined hands anything else to mailparser. Even on the header block
 * alone mailparser cost ~0.1 ms per message, most of a receiver's MIME work (issue 8).
 */
export function plainHeaderSummary (head: Buffer): MessageSummary | undefined {
  const text = head.toString('latin1')
  if (UNPLAIN_HEADER.test(text)) return undefined
  const fields = new Map<string, { value: string, folded: boolean }>()
  let last: { value: string, folded: boolean } | undefined
  for (const line of text.split(/\r?\n/)) {
    if (line === '') continue
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (last === undefined) return undefined
      last.value = `${last.value} ${line.trim()}`
      last.folded = true
      continue
    }
    const colon = line.indexOf(':')
    const key = line.slice(0, colon).toLowerCase()
    if (colon <= 0 || !/^[a-z0-9-]+$/.test(key) || fields.has(key)) return undefined
    last = { value: line.slice(colon + 1).trim(), folded: false }
    fields.set(key, last)
  }
  const type = fields.get('content-type')
  if (type !== undefined && !TEXT_TYPES.has((type.value.split(';')[0] ?? '').trim().toLowerCase())) return undefined
  if (fields.has('content-disposition')) return undefined
  const messageId = fields.get('message-id')
  const inReplyTo = fields.get('in-reply-to')
  const subject = fields.get('subject')
  if (messageId === undefined || messageId.folded || !MSG_ID.test(messageId.value)) return undefined
  if (inReplyTo !== undefined && (inReplyTo.folded || !MSG_ID.test(inReplyTo.value))) return undefined
  if (subject !== undefined && (subject.folded || !PLAIN_SUBJECT.test(subject.value))) return undefined
  const references = (fields.get('references')?.value ?? '').split(/\s+/).filter(r => r !== '')
  if (!references.every(r => MSG_ID.test(r))) return undefined
  const lists = ['from', 'to', 'cc'].map(k => { const f = fields.get(k); return f === undefined ? [] : plainMailboxes(f.value) })
  const [from, to, cc] = lists
  if (from === undefined || to === undefined || cc === undefined) return undefined
  const dateField = fields.get('date')
  const date = dateField === undefined ? 0 : new Date(dateField.value).getTime()
  const summary: MessageSummary = {
    messageId: messageId.value,
    from: from[0] ?? '',
    to,
    cc,
    subject: subject?.value ?? '',
    date: Number.isNaN(date) ? 0 : date,
    references,
    attachments: []
  }
  if (inReplyTo !== undefined) summary.inReplyTo = inReplyTo.value
  return summary
}

/** Drops bodies and attachment content. */
export function summarize (parsed: ParsedMessage): MessageSummary {
  const summary: MessageSummary = {
    messageId: parsed.messageId,
    from: parsed.from,
    to: [...parsed.to],
    cc: [...parsed.cc],
    subject: parsed.subject,
    date: parsed.date,
    references: [...parsed.references],
    attachments: parsed.attachments.map(({ name, type, size, sha256 }) => ({ name, type, size, sha256 }))
  }
  if (parsed.inReplyTo !== undefined) summary.inReplyTo = parsed.inReplyTo
  return summary
}

/** A parse, with the root's media type (text/plain when it has none) and its Content-Type lines. */
interface ParserResult {
  parsed: ParsedMessage
  rootType: string
  contentTypes: string[]
}

function runParser (buf: Buffer, limits: MimeLimits, signal: AbortSignal | undefined): Promise<ParserResult> {
  return new Promise<ParserResult>((resolve, reject) => {
    const parser = new MailParser({
      maxHeadSize: limits.maxHeaderBytes,
      // mailsplit counts every node, containers included, as checkStructure does.
      maxChildNodes: limits.maxParts,
      maxHtmlLengthToParse: MAX_HTML_TO_TEXT_CHARS,
      // We hash with sha256 ourselves; the text-as-HTML rendering and cid: rewriting are UI work.
      checksumAlgo: false,
      skipTextToHtml: true,
      skipImageLinks: true
    })
    const attachments: ParsedAttachment[] = []
    let text: MessageText | undefined
    let settled = false

    const fail = (err: unknown): void => {
      if (settled) return
      settled = true
      signal?.removeEventListener('abort', onAbort)
      parser.destroy()
      reject(err)
    }
    const onAbort = (): void => { fail(signal?.reason) }
    signal?.addEventListener('abort', onAbort, { once: true })

    parser.on('error', (err: unknown) => { fail(typedParserError(err, limits)) })

    const readAttachment = (att: AttachmentStream): void => {
      const index = attachments.length + 1
      const name = att.filename !== undefined && att.filename.trim() !== ''
        ? att.filename
        : `attachment-${index}.${detectExtension(mediaType(att.contentType))}`
      if (index > limits.maxParts) {
        fail(new MimeTooManyPartsError(limits.maxParts))
        return
      }
      const chunks: Buffer[] = []
      att.content.on('data', (chunk: Buffer) => { chunks.push(chunk) })
      att.content.once('error', (err: unknown) => { fail(new AttachmentReadError(name, { cause: err })) })
      att.content.once('end', () => {
        // A throw here would escape as an uncaughtException and take the daemon down:
        // whatever goes wrong rejects this parse instead.
        try {
          const content = Buffer.concat(chunks)
          attachments.push({
            name,
            type: mediaType(att.contentType),
            size: content.byteLength,
            sha256: createHash('sha256').update(content).digest('hex'),
            content: new Uint8Array(content.buffer, content.byteOffset, content.byteLength)
          })
          att.release?.()
          drain()
        } catch (err) {
          fail(err)
        }
      })
    }

    // Pull one object at a time: an attachment holds the parser until it is released, so
    // reading on only after its 'end' keeps memory to one decoding attachment.
    let reading = false
    const drain = (): void => {
      reading = true
      for (;;) {
        if (settled) return
        const data = parser.read()
        if (data === null) { reading = false; return }
        if (data.type === 'text') { text = data; continue }
        readAttachment(data)
        return
      }
    }
    parser.on('readable', () => { if (!reading) drain() })

    parser.on('end', () => {
      if (settled) return
      try {
        const parsed = toParsedMessage(parser, text, attachments)
        const lines = parser.headerLines === false ? [] : parser.headerLines.filter(l => l.key === 'content-type').map(l => l.line)
        const type = (parser.headers === false ? undefined : parser.headers.get('content-type')) as { value?: unknown } | undefined
        const result = { parsed, rootType: typeof type?.value === 'string' ? type.value.trim().toLowerCase() : 'text/plain', contentTypes: lines }
        settled = true
        signal?.removeEventListener('abort', onAbort)
        resolve(result)
      } catch (err) {
        fail(err)
      }
    })

    parser.end(buf)
  })
}

/**
 * The lowercase media type of a part; mailparser leaves it unset (not a string) for an
 * empty Content-Type header, which a peer can send.
 */
function mediaType (value: unknown): string {
  return typeof value === 'string' && value.trim() !== '' ? value.trim().toLowerCase() : 'application/octet-stream'
}

/** mailsplit reports both of its caps as EMAXLEN; everything else is a malformed message. */
function typedParserError (err: unknown, limits: MimeLimits): Error {
  if (err instanceof Error && (err as Error & { code?: unknown }).code === 'EMAXLEN') {
    if (/child nodes/i.test(err.message)) return new MimeTooManyPartsError(limits.maxParts)
    if (/header/i.test(err.message)) return new MimeHeaderTooLargeError(limits.maxHeaderBytes)
  }
  const detail = err instanceof Error ? err.message : String(err)
  return new MalformedMimeError(`the parser failed: ${detail}`, { cause: err })
}

function toParsedMessage (parser: MailParser, text: MessageText | undefined, attachments: ParsedAttachment[]): ParsedMessage {
  const messageId = parser.messageId?.trim()
  if (messageId === undefined || messageId === '') throw new MissingMessageIdError()
  const references = parser.references === undefined ? [] : [parser.references].flat().flatMap(r => r.split(/\s+/)).filter(r => r !== '')
  const parsed: ParsedMessage = {
    messageId,
    from: addresses(parser.from)[0] ?? '',
    to: addresses(parser.to),
    cc: addresses(parser.cc),
    subject: parser.subject ?? '',
    date: headerDate(parser.headerLines),
    text: text?.text ?? '',
    references,
    attachments
  }
  if (text?.html !== undefined) parsed.html = text.html
  const inReplyTo = parser.inReplyTo?.trim()
  if (inReplyTo !== undefined && inReplyTo !== '') parsed.inReplyTo = inReplyTo
  return parsed
}

function addresses (value: AddressObject | AddressObject[] | undefined): string[] {
  if (value === undefined) return []
  const out: string[] = []
  const visit = (entries: AddressObject['value']): void => {
    for (const entry of entries) {
      // Groups are flattened: peerpost routes to mailboxes, a group name is decoration.
      if (entry.group !== undefined) visit(entry.group)
      else if (entry.address !== undefined && entry.address !== '') out.push(formatMailbox({ name: entry.name, address: entry.address }))
    }
  }
  for (const object of [value].flat()) visit(object.value)
  return out
}

/**
 * The Date header in ms, or 0. mailparser substitutes the current time for a date it cannot
 * read, which would make a message look newer than it is, so the raw line is read here.
 */
function headerDate (lines: HeaderLines | false): number {
  if (lines === false) return 0
  const line = lines.find(l => l.key === 'date')
  if (line === undefined) return 0
  const value = line.line.replace(/^[^:]*:/, '').replace(/\r?\n[ \t]*/g, ' ').trim()
  const ms = new Date(value).getTime()
  return Number.isNaN(ms) ? 0 : ms
}
