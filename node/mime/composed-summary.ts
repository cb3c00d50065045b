/**
 * The summary a parse of a message we just composed would give, read from what was put
 * into it, for the messages where that is certain: the sender indexes its Sent copy as a
 * receiver indexes mail (parseSummary), and that parse was ~7% of a sender's CPU per
 * message, on the thread that limits delivery throughput (issue 8). Certain means: one
 * text part, no attachments, and every header value plain ASCII that nodemailer writes
 * as it is and mailparser reads back as it was (no encoded words, quoting, specials or
 * folding). Anything else returns undefined and is parsed. A property test checks the
 * result equals parseSummary of the composed bytes.
 */
import { formatMailbox } from './address.js'
import type { Mailbox } from './address.js'
import type { ComposeHeaders } from './compose.js'
import type { MessageSummary } from './parse.js'

// Words of letters and digits, single spaces between: nothing nodemailer quotes or encodes.
const PLAIN_NAME = /^(?:[A-Za-z0-9]+(?: [A-Za-z0-9]+)*)?$/
const PLAIN_ADDRESS = /^[A-Za-z0-9._+-]{1,64}@[A-Za-z0-9.-]{1,128}$/
// Printable ASCII words, single spaces, short enough never to be folded; "=?" could read
// as the start of an encoded word.
const PLAIN_SUBJECT = /^(?:[\x21-\x7e]+(?: [\x21-\x7e]+)*)?$/
const MAX_PLAIN_SUBJECT = 60

const plainMailbox = (m: Mailbox): boolean => PLAIN_NAME.test(m.name ?? '') && PLAIN_ADDRESS.test(m.address)

/**
 * The summary of a text-only message composed from `h`, or undefined when it has to be
 * parsed to be sure.
 */
export function composedSummary (h: ComposeHeaders, parts: { html: string | undefined, attachments: number }): MessageSummary | undefined {
  if (parts.html !== undefined || parts.attachments > 0) return undefined
  if (!plainMailbox(h.from) || !h.to.every(plainMailbox) || !h.cc.every(plainMailbox)) return undefined
  if (h.subject.length > MAX_PLAIN_SUBJECT || !PLAIN_SUBJECT.test(h.subject) || h.subject.includes('=?')) return undefined
  const summary: MessageSummary = {
    messageId: h.messageId,
    from: formatMailbox(h.from),
    to: h.to.map(formatMailbox),
    cc: h.cc.map(formatMailbox),
    subject: h.subject,
    // The Date header has one-second resolution.
    date: Math.floor(h.date.getTime() / 1000) * 1000,
    references: [...h.references],
    attachments: []
  }
  if (h.inReplyTo !== undefined) summary.inReplyTo = h.inReplyTo
  return summary
}
