import { DEFAULT_SEARCH_BODY_PARSE_LIMIT } from './config.js'
import { parseMessage } from './mime/index.js'
import { matchesSearch } from './message-search.js'
import type { Logger } from '@libp2p/interface'
import type { Folder, Mailbox, MessageSummary, Page } from '../storage/types.js'

/** Search: matches per page by default and at most, messages read per call at most, and per read. */
export const SEARCH_PAGE = 50
export const SEARCH_PAGE_MAX = 500
export const SEARCH_SCAN_LIMIT = 20_000
export const SEARCH_READ_BATCH = 500
/**
 * Bodies parsed per search call at most. A body costs ~0.1-1 ms to parse (mailparser, on
 * the daemon's main thread), so 1,000 keep one call to about a second at worst: the
 * daemon goes on delivering and the UI gets an answer (or a `next` to page on) soon.
 * Messages whose headers match are not parsed and do not count.
 */
export const SEARCH_BODY_PARSE_LIMIT = DEFAULT_SEARCH_BODY_PARSE_LIMIT

/** A search for nothing (an empty or blank text). */
export class EmptySearchError extends Error {
  static readonly NAME = 'EmptySearchError'
  override readonly name = EmptySearchError.NAME
  constructor () { super('give some text to search for (it is matched against senders, recipients, subjects and the text of messages)') }
}

export interface SearchPage extends Page<MessageSummary> {
  /** Summaries read by this call. */
  scanned: number
  /** Bodies parsed by this call (messages whose headers did not match). */
  bodies: number
  /** Messages whose stored body is missing or does not parse: left out of the results. */
  skipped: number
}

export interface FolderSearchComponents {
  mailbox: Pick<Mailbox, 'list' | 'getRaw'>
  /** Told about each message skipped because its stored body could not be read. */
  log?: Logger
}

export interface FolderSearchOptions {
  limit?: number
  cursor?: string
  /** Bodies parsed per call at most; default SEARCH_BODY_PARSE_LIMIT. */
  bodyParseLimit?: number
  /** Messages larger than this are not parsed (as when they were read: the config's limits.maxMimeBytes). */
  maxMimeBytes: number
}

/**
 * The messages of `folder` whose sender, recipients, subject or plain text contain `text`
 * (case does not matter), newest first: `limit` or more (the matches of whole read batches,
 * so `next` never skips one). One call reads at most SEARCH_SCAN_LIMIT summaries and parses
 * at most `bodyParseLimit` bodies; `next` continues where it stopped, with or without a full
 * page, and is absent once the whole folder is read.
 *
 * Bodies are parsed here, at search time, from the stored raw MIME (the text mailparser
 * gives, derived from the HTML for HTML-only mail): delivery indexes a message by its
 * headers alone and must not pay for search (issue 8). A stored message whose body is
 * missing or does not parse is skipped and counted, never fails the search.
 *
 * @example const page = await searchFolder({ mailbox }, 'inbox', 'invoice', { maxMimeBytes })
 */
export async function searchFolder (c: FolderSearchComponents, folder: Folder, text: string, options: FolderSearchOptions): Promise<SearchPage> {
  const needle = text.trim().toLowerCase()
  if (needle === '') throw new EmptySearchError()
  const limit = Math.min(Math.max(1, Math.floor(options.limit ?? SEARCH_PAGE)), SEARCH_PAGE_MAX)
  const bodyLimit = Math.max(1, Math.floor(options.bodyParseLimit ?? SEARCH_BODY_PARSE_LIMIT))
  const items: MessageSummary[] = []
  let cursor = options.cursor
  let scanned = 0
  let bodies = 0
  let skipped = 0
  while (scanned < SEARCH_SCAN_LIMIT && bodies < bodyLimit) {
    // A read never holds more messages than bodies may still be parsed, so the bound is
    // met at a read's end and `next` (the mailbox's cursor after it) skips nothing.
    const page = await c.mailbox.list(folder, { limit: Math.min(SEARCH_READ_BATCH, bodyLimit - bodies), cursor })
    scanned += page.items.length
    for (const m of page.items) {
      if (matchesSearch(m, needle)) { items.push(m); continue }
      bodies++
      const body = await searchableText(c, m, options.maxMimeBytes)
      if (body === undefined) skipped++
      else if (body.includes(needle)) items.push(m)
    }
    cursor = page.next
    if (cursor == null || items.length >= limit) break
  }
  const found = { items, scanned, bodies, skipped }
  return cursor == null ? found : { ...found, next: cursor }
}

/** The message's plain text, lower-cased; undefined when its stored body is missing or does not parse. */
async function searchableText (c: FolderSearchComponents, m: MessageSummary, maxMimeBytes: number): Promise<string | undefined> {
  const raw = await c.mailbox.getRaw(m.id)
  if (raw === undefined) {
    c.log?.error('search: message %s has no stored body; skipped', m.id)
    return undefined
  }
  try {
    return (await parseMessage(raw, { maxBytes: maxMimeBytes })).text.toLowerCase()
  } catch (err) {
    // The stored bytes are damaged (or over today's limit): the message is left out of
    // this search, which goes on; reading it says what is wrong.
    c.log?.error('search: the body of message %s does not parse; skipped: %e', m.id, err)
    return undefined
  }
}
