/**
 * Builds the RFC 5322 message a peer sends, with nodemailer's MailComposer. The Message-ID
 * and Date are exactly those given (or a fresh Message-ID), because the Message-ID together
 * with the sender's PeerId is the message's identity everywhere (design section 3).
 */

import { randomBytes } from 'node:crypto'
import MailComposer from 'nodemailer/lib/mail-composer'
import type { MailComposerAttachment } from 'nodemailer/lib/mail-composer'
import type MimeNode from 'nodemailer/lib/mime-node'
import { toMailbox } from './address.js'
import { composedSummary } from './composed-summary.js'
import type { AddressInput, Mailbox } from './address.js'
import { InvalidMessageIdError, MimeTooLargeError, MimeTooManyPartsError } from './errors.js'
import { resolveLimits } from './limits.js'
import type { MimeLimits } from './limits.js'
import type { MessageSummary } from './parse.js'

/** One attachment riding inside the MIME. */
export interface ComposeAttachment {
  filename: string
  content: Uint8Array
  /** Detected from the filename when absent, `application/octet-stream` as the last resort. */
  contentType?: string
}

export interface ComposeInput {
  from: AddressInput
  to: AddressInput[]
  cc?: AddressInput[]
  subject: string
  /**
   * The Date header. RFC 5322 dates have one-second resolution, so milliseconds are dropped;
   * pass a whole second to read back exactly the same value.
   */
  date: Date | number
  /** `<left@right>` (brackets optional); a random `<hex@peerpost>` when absent. */
  messageId?: string
  inReplyTo?: string
  references?: string[]
  text: string
  html?: string
  attachments?: ComposeAttachment[]
}

export interface ComposedMessage {
  raw: Uint8Array
  /** With angle brackets, exactly as written in the header. */
  messageId: string
  /** What parseSummary(raw) gives, when that is certain without parsing (composed-summary.ts). */
  summary?: MessageSummary
}

// msg-id = "<" id-left "@" id-right ">": printable ASCII without spaces or brackets, so the
// header cannot be folded, injected into, or read differently by another parser.
const MESSAGE_ID = /^<[\x21-\x3b\x3d\x3f-\x7e]{1,250}@[\x21-\x3b\x3d\x3f-\x7e]{1,250}>$/
// The parts around the attachments: root multipart/mixed, multipart/alternative, text, html.
const STRUCTURAL_PARTS = 4

/**
 * Composes a message.
 *
 * @example
 * const { raw, messageId } = await composeMessage({
 *   from: { name: 'Alice', peerId: alicePeerId }, to: [{ peerId: bobPeerId }],
 *   subject: 'Hi', date: new Date(), text: 'Hello Bob'
 * })
 * @throws InvalidAddressError, InvalidMessageIdError, MimeTooManyPartsError, MimeTooLargeError
 */
export async function composeMessage (input: ComposeInput, limits?: Partial<MimeLimits>): Promise<ComposedMessage> {
  const bounds = resolveLimits(limits)
  const messageId = input.messageId === undefined ? generateMessageId() : normalizeMessageId(input.messageId)
  const inReplyTo = input.inReplyTo === undefined ? undefined : normalizeMessageId(input.inReplyTo)
  const references = (input.references ?? []).map(normalizeMessageId)
  const attachments = input.attachments ?? []
  const date = new Date(input.date)
  // An invalid date is a caller bug; nodemailer would write "Invalid Date" into the header.
  if (Number.isNaN(date.getTime())) throw new RangeError(`composeMessage: invalid date ${String(input.date)}`)

  // Refuse before building: a message the recipient's parser would refuse is no use, and
  // encoding 40 MiB of base64 only to throw it away is waste.
  if (attachments.length + STRUCTURAL_PARTS > bounds.maxParts) throw new MimeTooManyPartsError(bounds.maxParts)
  const contentBytes = attachments.reduce((sum, a) => sum + a.content.byteLength, 0)
  if (contentBytes > bounds.maxBytes) throw new MimeTooLargeError(contentBytes, bounds.maxBytes)

  const from = toMailbox(input.from)
  const to = input.to.map(toMailbox)
  const cc = (input.cc ?? []).map(toMailbox)
  const headers = { from, to, cc, subject: input.subject, date, messageId, inReplyTo, references }
  const raw = await composeWithNodemailer(headers, input.text, input.html, attachments)
  if (raw.byteLength > bounds.maxBytes) throw new MimeTooLargeError(raw.byteLength, bounds.maxBytes)
  const summary = composedSummary(headers, { html: input.html, attachments: attachments.length })
  return summary === undefined ? { raw, messageId } : { raw, messageId, summary }
}

/** The headers as composeMessage checked and normalized them. */
export interface ComposeHeaders {
  from: Mailbox
  to: Mailbox[]
  cc: Mailbox[]
  subject: string
  date: Date
  messageId: string
  inReplyTo: string | undefined
  references: string[]
}

/**
 * Builds the message with nodemailer's MailComposer: any content, encoded and folded as
 * needed. A one-part 7bit message (text only, the usual case) skips build()'s stream
 * pipeline (onePartBytes); anything else is built by it.
 */
export async function composeWithNodemailer (h: ComposeHeaders, text: string, html: string | undefined, attachments: ComposeAttachment[]): Promise<Uint8Array> {
  const root = compileMessage(h, text, html, attachments)
  return onePartBytes(root) ?? new Uint8Array(await root.build())
}

/** nodemailer's tree of the message (MailComposer.compile()), not built yet. */
export function compileMessage (h: ComposeHeaders, text: string, html: string | undefined, attachments: ComposeAttachment[]): MimeNode {
  return new MailComposer({
    from: nodemailerAddress(h.from),
    to: h.to.map(nodemailerAddress),
    cc: h.cc.map(nodemailerAddress),
    subject: h.subject,
    date: h.date,
    messageId: h.messageId,
    inReplyTo: h.inReplyTo,
    references: h.references.length > 0 ? h.references : undefined,
    text,
    html,
    attachments: attachments.map(toComposerAttachment),
    // Peers never fetch content on a message's behalf: no file paths, no URLs.
    disableFileAccess: true,
    disableUrlAccess: true,
    newline: 'windows'
  }).compile()
}

/**
 * What nodemailer's build() writes for a node without children whose content is a string it
 * sends as 7bit: its own header block (buildHeaders: nodemailer's encoding and folding), an
 * empty line, the content, then the two steps build() applies to such a node (a final line
 * end if there is none, CRLF line ends). build() streams it through a PassThrough per stage,
 * which cost ~0.2 ms per 4 KiB message here, more than the rest of composing (issue 8).
 * undefined for anything else (build() writes it). A property test checks the bytes equal build()'s.
 */
export function onePartBytes (node: MimeNode): Uint8Array | undefined {
  if (node.childNodes.length > 0 || typeof node.content !== 'string' || node.getTransferEncoding() !== '7bit') return undefined
  let message = `${node.buildHeaders()}\r\n\r\n${node.content}`
  if (!message.endsWith('\n')) message += message.endsWith('\r') ? '\n' : '\r\n'
  return new Uint8Array(Buffer.from(message.replace(/(?<!\r)\n/g, '\r\n')))
}

/** A fresh `<32 hex digits@peerpost>`: 128 random bits, so collisions are not a concern. */
export function generateMessageId (): string {
  return `<${randomBytes(16).toString('hex')}@peerpost>`
}

/**
 * Adds missing angle brackets and checks the msg-id shape.
 *
 * @throws InvalidMessageIdError
 */
export function normalizeMessageId (value: string): string {
  const trimmed = value.trim()
  const bracketed = trimmed.startsWith('<') && trimmed.endsWith('>') ? trimmed : `<${trimmed}>`
  if (!MESSAGE_ID.test(bracketed)) throw new InvalidMessageIdError(value)
  return bracketed
}

function nodemailerAddress (mailbox: Mailbox): { name: string, address: string } {
  return { name: mailbox.name ?? '', address: mailbox.address }
}

function toComposerAttachment (a: ComposeAttachment): MailComposerAttachment {
  // Buffer view over the same memory: a 1 MiB attachment is not copied before encoding.
  const content = Buffer.from(a.content.buffer, a.content.byteOffset, a.content.byteLength)
  return a.contentType === undefined
    ? { filename: a.filename, content, contentTransferEncoding: 'base64' }
    : { filename: a.filename, content, contentType: a.contentType, contentTransferEncoding: 'base64' }
}
