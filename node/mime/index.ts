/**
 * The MIME layer: composing, parsing and checking RFC 5322 messages, peer addresses in
 * headers, and saving attachments safely. Nothing here touches the network or the stores.
 */

export * from './errors.js'
export * from './limits.js'
export { formatAddress, formatMailbox, parseMailbox, peerIdFromAddress, toMailbox, PEERPOST_DOMAIN } from './address.js'
export type { AddressInput, Mailbox, PeerAddress } from './address.js'
export { composeMessage, generateMessageId, normalizeMessageId } from './compose.js'
export type { ComposeAttachment, ComposeInput, ComposedMessage } from './compose.js'
export { parseMessage, parseSummary, parseText, summarize } from './parse.js'
export type { MessageSummary, ParseOptions, ParsedAttachment, ParsedMessage } from './parse.js'
export { readEmlForSend } from './eml.js'
export { sanitizeFilename, saveAttachments, saveAttachmentFiles, FALLBACK_FILENAME, MAX_FILENAME_BYTES, MAX_NAME_ATTEMPTS } from './save.js'
