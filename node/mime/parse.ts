/**
 * Reads a received RFC 5322 message into the fields peerpost shows and stores. The bytes
 * come from a peer, so limits are enforced before parsing (size, header block, tree shape;
 * see structure.ts) and while parsing (mailsplit's own node and header caps, our attachment
 * count), and every parser failure surfaces as a typed error.
 */

import { createHash } from 'node:crypto'
import { MimeNode as SplitNode } from '@zone-eu/mailsplit'
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
 * The checks every parse makes before the parser sees a byte (size, header block, tree
 * shape): the bytes as a Buffer, the limits, and where the body starts.
 */
function checkedMessage (raw: Uint8Array, limits: Partial<MimeLimits> | undefined, options: ParseOptions): { buf: Buffer, bounds: MimeLimits, bodyStart: number } {
  const bounds = resolveLimits(limits)
  if (raw.byteLength > bounds.maxBytes) throw new MimeTooLargeError(raw.byteLength, bounds.maxBytes)
  if (raw.byteLength === 0) throw new MalformedMimeError('the message is empty')
  const buf = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength)
  const bodyStart = checkHeaderBlock(buf, bounds.maxHeaderBytes)
  checkStructure(buf, bounds)
  options.signal?.throwIfAborted()
  return { buf, bounds, bodyStart }
}

/**
 * Parses a message within limits.
 *
 * @example const msg = await parseMessage(raw, { maxBytes: 8 * 1024 * 1024 })
 * @throws MimeTooLargeError, MimeHeaderTooLargeError, MimeTooManyPartsError,
 *   MimeNestingTooDeepError, MalformedMimeError, MissingMessageIdError, AttachmentReadError
 */
export async function parseMessage (raw: Uint8Array, limits?: Partial<MimeLimits>, options: ParseOptions = {}): Promise<ParsedMessage> {
  const { buf, bounds } = checkedMessage(raw, limits, options)
  return (await runParser(buf, bounds, options.signal)).parsed
}

/**
 * The message's text (and HTML) only, with the same checks and errors as parseMessage:
 * attachments are decoded by the parser as it goes but neither kept nor hashed, so
 * searching a folder of messages with attachments costs no copies of them (folder-search.ts).
 *
 * @throws as parseMessage
 */
export async function parseText (raw: Uint8Array, limits?: Partial<MimeLimits>, options: ParseOptions = {}): Promise<{ text: string, html?: string }> {
  const { buf, bounds } = checkedMessage(raw, limits, options)
  const { text, html } = (await runParser(buf, bounds, options.signal, { keepAttachments: false })).parsed
  return html === undefined ? { text } : { text, html }
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
  const { buf, bounds, bodyStart } = checkedMessage(raw, limits, options)
  const quick = headerBlockSummary(buf.subarray(0, bodyStart))
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

/**
 * The summary of a message whose root is one inline text part, from its header block
 * alone, read by mailparser's own pieces without its streams: mailsplit's MimeNode splits
 * the block and reads the structure headers (as mailparser's splitter does for the root),
 * and mailparser's processHeaders decodes every field (encoded words, addresses,
 * msg-ids) as a full parse does. undefined for anything that may hold more than text (a
 * disposition, a file name, a non-text or multipart type, two Content-Type lines): those
 * are parsed whole. Even on the header block alone a MailParser stream cost ~0.1 ms per
 * message, most of a receiver's MIME work (issue 8); this ~0.03.
 */
export function headerBlockSummary (head: Buffer): MessageSummary | undefined {
  const root = new SplitNode(false, {})
  root.addHeaderChunk(head)
  root.parseHeaders()
  const headers = root.headers
  if (headers === false || headers.get('Content-Type').length > 1) return undefined
  if (root.multipart !== false || root.disposition !== false || root.filename !== false || !TEXT_TYPES.has(root.contentType === false ? 'text/plain' : root.contentType)) return undefined
  const lines = headers.getList()
  const fields = headerProcessor().processHeaders(lines)
  // The decoded values, as a MailParser sets them on itself for the root.
  const field = <T>(key: string): T | undefined => fields.get(key) as T | undefined
  return summarize(toParsedMessage({
    messageId: field<string>('message-id'),
    from: field<AddressObject>('from'),
    to: field<AddressObject | AddressObject[]>('to'),
    cc: field<AddressObject | AddressObject[]>('cc'),
    subject: field<string>('subject'),
    references: field<string | string[]>('references'),
    inReplyTo: field<string>('in-reply-to'),
    headerLines: lines
  }, undefined, []))
}

/** mailparser's header decoding, one parser kept for it (processHeaders keeps no state between calls). */
let processor: { processHeaders: (lines: unknown) => Map<string, unknown> } | undefined
function headerProcessor (): { processHeaders: (lines: unknown) => Map<string, unknown> } {
  // processHeaders is mailparser's own step from header lines to decoded values (its types
  // mark it internal); never written to, this parser reads nothing.
  processor ??= new MailParser({ skipTextToHtml: true, skipImageLinks: true }) as unknown as { processHeaders: (lines: unknown) => Map<string, unknown> }
  return processor
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

/** `keepAttachments: false`: attachments are read through and dropped (parsed.attachments stays empty). */
function runParser (buf: Buffer, limits: MimeLimits, signal: AbortSignal | undefined, options: { keepAttachments: boolean } = { keepAttachments: true }): Promise<ParserResult> {
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
    let attachmentsSeen = 0
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
      const index = ++attachmentsSeen
      const name = att.filename !== undefined && att.filename.trim() !== ''
        ? att.filename
        : `attachment-${index}.${detectExtension(mediaType(att.contentType))}`
      if (index > limits.maxParts) {
        fail(new MimeTooManyPartsError(limits.maxParts))
        return
      }
      if (!options.keepAttachments) {
        att.content.once('error', (err: unknown) => { fail(new AttachmentReadError(name, { cause: err })) })
        att.content.once('end', () => { att.release?.(); drain() })
        att.content.resume()
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

/** The root's decoded header fields, as a MailParser has them after a parse. */
interface RootFields {
  messageId?: string
  from?: AddressObject | AddressObject[]
  to?: AddressObject | AddressObject[]
  cc?: AddressObject | AddressObject[]
  subject?: string
  references?: string | string[]
  inReplyTo?: string
  headerLines: HeaderLines | false
}

function toParsedMessage (parser: RootFields, text: MessageText | undefined, attachments: ParsedAttachment[]): ParsedMessage {
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
