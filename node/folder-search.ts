import { DEFAULT_SEARCH_BODY_PARSE_LIMIT } from './config.js'
import { parseText } from './mime/index.js'
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
 * Messages whose headers match, or whose text is cached, are not parsed and do not count.
 */
export const SEARCH_BODY_PARSE_LIMIT = DEFAULT_SEARCH_BODY_PARSE_LIMIT
/**
 * Raw bytes of the bodies parsed per search call at most (one body is always parsed, and a
 * message is at most limits.maxMimeBytes, 32 MiB). The count bound assumes text mail; a
 * message with attachments costs by its size, as mailparser decodes them though parseText
 * keeps and hashes none (~200 MB/s here: 65 ms for a 14 MB message, 99 when they were
 * kept and hashed), so 128 MiB keep a call under a second too.
 */
export const SEARCH_BODY_BYTE_LIMIT = 128 * 1024 * 1024

/** A search for nothing (an empty or blank text). */
export class EmptySearchError extends Error {
  static readonly NAME = 'EmptySearchError'
  override readonly name = EmptySearchError.NAME
  constructor () { super('give some text to search for (it is matched against senders, recipients, subjects and the text of messages)') }
}

export interface SearchPage extends Page<MessageSummary> {
  /** Summaries read by this call. */
  scanned: number
  /** Bodies parsed by this call (messages whose headers did not match and whose text was not cached). */
  bodies: number
  /** Messages whose stored body is missing or does not parse: left out of the results. */
  skipped: number
}

export interface FolderSearchComponents {
  mailbox: Pick<Mailbox, 'list' | 'getRaw' | 'cursorAfter' | 'searchTexts' | 'putSearchTexts'>
  /** Told about each message skipped because its stored body could not be read. */
  log?: Logger
}

export interface FolderSearchOptions {
  limit?: number
  cursor?: string
  /** Bodies parsed per call at most; default SEARCH_BODY_PARSE_LIMIT. */
  bodyParseLimit?: number
  /** Raw bytes of the bodies parsed per call at most (past the first); default SEARCH_BODY_BYTE_LIMIT. */
  bodyByteLimit?: number
  /** Messages larger than this are not parsed (as when they were read: the config's limits.maxMimeBytes). */
  maxMimeBytes: number
}

/**
 * The messages of `folder` whose sender, recipients, subject or plain text contain `text`
 * (case does not matter), newest first: `limit` or more (the matches of whole read batches),
 * reading at most SEARCH_SCAN_LIMIT summaries and parsing at most `bodyParseLimit` bodies
 * (and SEARCH_BODY_BYTE_LIMIT bytes of them) per call. `next` continues right after the last message looked at, with or without a
 * full page, and is absent once the whole folder is read.
 *
 * Bodies are parsed here, at search time, from the stored raw MIME (the text mailparser
 * gives, derived from the HTML for HTML-only mail): delivery indexes a message by its
 * headers alone and must not pay for search (issue 8). Each text found is cached,
 * lower-cased and cut, in the mailbox, so searching again costs no parse. A stored message
 * whose body is missing or does not parse is skipped and counted, never fails the search.
 *
 * @example const page = await searchFolder({ mailbox }, 'inbox', 'invoice', { maxMimeBytes })
 */
export async function searchFolder (c: FolderSearchComponents, folder: Folder, text: string, options: FolderSearchOptions): Promise<SearchPage> {
  const needle = text.trim().toLowerCase()
  if (needle === '') throw new EmptySearchError()
  const { mailbox } = c
  const limit = Math.min(Math.max(1, Math.floor(options.limit ?? SEARCH_PAGE)), SEARCH_PAGE_MAX)
  const bodyLimit = Math.max(1, Math.floor(options.bodyParseLimit ?? SEARCH_BODY_PARSE_LIMIT))
  const byteLimit = options.bodyByteLimit ?? SEARCH_BODY_BYTE_LIMIT
  const items: MessageSummary[] = []
  let cursor = options.cursor
  let scanned = 0
  let bodies = 0
  let bodyBytes = 0
  let skipped = 0
  while (scanned < SEARCH_SCAN_LIMIT) {
    const readFrom = cursor
    const page = await mailbox.list(folder, { limit: SEARCH_READ_BATCH, cursor })
    const unmatched = page.items.filter(m => !matchesSearch(m, needle))
    const texts = await mailbox.searchTexts(unmatched.map(m => m.id))
    // The messages whose headers do not match, with their cached text if any.
    const byBody = new Map(unmatched.map((m, i) => [m.id, texts[i]]))
    const fresh: Array<{ id: string, text: string }> = []
    let looked = 0
    for (const m of page.items) {
      const known = byBody.get(m.id)
      if (!byBody.has(m.id)) items.push(m)
      else if (known !== undefined && (known.whole || known.text.includes(needle))) {
        if (known.text.includes(needle)) items.push(m)
      } else {
        // Not cached (or cached cut, without the word): parse, within the bound.
        if (bodies >= bodyLimit || (bodies > 0 && bodyBytes + m.size > byteLimit)) break
        bodies++
        bodyBytes += Number.isSafeInteger(m.size) ? m.size : 0
        const body = await searchableText(c, m, options.maxMimeBytes)
        if (body === undefined) skipped++
        else {
          if (known === undefined) fresh.push({ id: m.id, text: body })
          if (body.includes(needle)) items.push(m)
        }
      }
      looked++
    }
    await mailbox.putSearchTexts(fresh)
    scanned += looked
    if (looked < page.items.length) {
      // The bound fell inside this read: go on right after the last message looked at
      // (the first read always looks at one at least: it may parse a body).
      const last = page.items[looked - 1]
      cursor = last === undefined ? readFrom : mailbox.cursorAfter(last)
      break
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
    return (await parseText(raw, { maxBytes: maxMimeBytes })).text.toLowerCase()
  } catch (err) {
    // The stored bytes are damaged (or over today's limit): the message is left out of
    // this search, which goes on; reading it says what is wrong.
    c.log?.error('search: the body of message %s does not parse; skipped: %e', m.id, err)
    return undefined
  }
}
