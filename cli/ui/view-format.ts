import { createHash } from 'node:crypto'
import { convert } from 'html-to-text'
import type { AttachmentView, MessageView, TransferView } from './ui-api.js'
import { formatRecipient } from '../format.js'
import type { CancelView, ContactView } from '../../node/mail-service.js'
import type { RecipientState } from '../../storage/types.js'

/** Pure text helpers for the screens: dates, sizes, progress bars, presence, attachment states. */

const pad2 = (n: number): string => String(n).padStart(2, '0')
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']

/**
 * Today: `14:05`; this year: `Mar 02`; older: `2024-03-02`. In the person's local time, as
 * their clock shows it (the tests pin TZ for stable frames).
 */
export function shortDate (ms: number, now: number): string {
  const d = new Date(ms)
  const n = new Date(now)
  if (localDay(d) === localDay(n)) return `${pad2(d.getHours())}:${pad2(d.getMinutes())}`
  if (d.getFullYear() === n.getFullYear()) return `${MONTHS[d.getMonth()]} ${pad2(d.getDate())}`
  return localDay(d)
}

/** A message's date in full, local time: `Tue 10 Mar 2026 13:35`; a date that does not parse is shown as it is. */
export function longDate (date: string | number): string {
  const d = new Date(date)
  if (Number.isNaN(d.getTime())) return String(date)
  return `${DAYS[d.getDay()]} ${d.getDate()} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ${pad2(d.getHours())}:${pad2(d.getMinutes())}`
}

function localDay (d: Date): string {
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`
}

export function bytes (n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`
  return `${(n / 1024 ** 3).toFixed(2)} GiB`
}

/** `[#####.....]` for a fraction 0..1. */
export function progressBar (fraction: number, width = 20): string {
  const f = Math.min(Math.max(Number.isFinite(fraction) ? fraction : 0, 0), 1)
  const full = Math.round(f * width)
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}]`
}

/** Cut to `width` columns with an ellipsis; pad to exactly `width`. */
export function fit (text: string, width: number): string {
  if (width <= 0) return ''
  const flat = text.replace(/[\r\n\t]+/g, ' ')
  return flat.length > width ? `${flat.slice(0, Math.max(0, width - 1))}…` : flat.padEnd(width)
}

/**
 * Text broken into lines no wider than `width`: a long line (most mail clients send a
 * paragraph as one line) breaks at its last space that fits, a word longer than the width
 * is cut into pieces, and a quoted line's continuations keep its `> ` marks, so nothing is
 * lost at the screen's edge.
 */
export function wrapText (text: string, width: number, mark = ''): string[] {
  const w = Math.max(1, Math.floor(width))
  const out: string[] = []
  for (const line of text.replace(/\r\n?/g, '\n').split('\n')) {
    const flat = line.replace(/\t/g, '    ')
    if (flat.length <= w) { out.push(flat); continue }
    // A `mark` (the composer's cursor) before the quote marks stays on the first piece only.
    const lead = mark !== '' && flat.startsWith(mark) ? mark : ''
    // Quote marks carry onto every piece, unless they alone would fill the line.
    const quote = /^(?:> ?)+/.exec(flat.slice(lead.length))?.[0] ?? ''
    const prefix = quote.length < w / 2 ? quote : ''
    let rest = flat.slice(lead.length + prefix.length)
    let head = lead + prefix
    while (rest.length > w - head.length) {
      const room = Math.max(1, w - head.length)
      const space = rest.lastIndexOf(' ', room)
      const cut = space > 0 ? space : room
      out.push(head + rest.slice(0, cut).trimEnd())
      rest = rest.slice(cut).replace(/^ +/, '')
      head = prefix
    }
    out.push(head + rest)
  }
  return out
}

/** The display name part of `Name <id@peerpost>`, else the address. */
export function senderName (from: string): string {
  const m = /^\s*"?([^"<]*?)"?\s*<([^>]+)>/.exec(from)
  if (m != null && m[1] !== '') return m[1]!
  return m?.[2] ?? from
}

/**
 * What the reader says about an attachment: here, waiting for <holder>, n% with a bar,
 * failed and why; on my sent copy, who has it. No state means it came inside the message.
 */
export function attachmentState (a: AttachmentView): string {
  const state = a.state ?? 'here'
  switch (state) {
    case 'here': case 'complete': return 'here'
    case 'waiting': return a.reason ?? `waiting for ${a.holder ?? 'the sender'}`
    case 'pulling': {
      const done = a.received ?? 0
      return `${a.size > 0 ? Math.floor(100 * done / a.size) : 100}% ${progressBar(a.size > 0 ? done / a.size : 1, 16)}`
    }
    case 'failed': return `failed${a.reason != null ? `: ${a.reason}` : ''}`
    case 'held': return `kept here for the recipients: ${a.have ?? 0} have it, ${a.waiting ?? 0} waiting`
    case 'gone': return 'no longer kept here (every recipient has it, or it expired)'
    default: return state
  }
}

/** One line of the transfers list: name, direction and peer, progress with a bar and speed, state. */
export function transferLine (t: TransferView): string {
  const name = t.name ?? (t.id != null ? `attachment ${t.id.slice(0, 8)}` : 'transfer')
  const who = t.peer != null ? ` ${t.direction === 'up' ? 'to' : t.state === 'waiting' ? 'waiting for' : 'from'} ${shortPeer(t.peer)}` : ''
  const progress = t.size != null && t.size > 0 && t.received != null && t.state !== 'waiting'
    ? ` ${Math.floor(100 * t.received / t.size)}% ${progressBar(t.received / t.size, 20)} ${bytes(t.received)}/${bytes(t.size)}`
    : t.size != null ? ` ${bytes(t.size)}` : ''
  const speed = t.bytesPerSecond != null && t.bytesPerSecond > 0 ? ` ${bytes(Math.round(t.bytesPerSecond))}/s` : ''
  const state = t.state != null && t.state !== 'waiting' && t.state !== 'pulling' ? ` ${t.state}` : ''
  return `${t.direction === 'up' ? '↑' : '↓'} ${name}${who}${progress}${speed}${state}${t.reason != null ? ` (${t.reason})` : ''}`
}

export function shortPeer (peerId: string): string {
  return peerId.length > 16 ? `${peerId.slice(0, 8)}…${peerId.slice(-6)}` : peerId
}

/** A fingerprint to compare by voice: sha256 of the PeerId, 8 groups of 4 hex digits. */
export function fingerprint (peerId: string): string {
  const hex = createHash('sha256').update(peerId).digest('hex').slice(0, 32).toUpperCase()
  return hex.match(/.{4}/g)!.join(' ')
}

function ago (ms: number, now: number): string {
  const s = Math.max(0, Math.round((now - ms) / 1000))
  if (s < 60) return `${s}s ago`
  if (s < 3600) return `${Math.round(s / 60)}m ago`
  if (s < 86400) return `${Math.round(s / 3600)}h ago`
  return `${Math.round(s / 86400)}d ago`
}

/** Buddy-list presence: `● available`, `○ offline, last seen 5m ago`, `? unknown`. */
export function presenceText (c: ContactView, now: number): { mark: string, text: string, color: string } {
  const p = c.presence
  if (p == null) return { mark: '?', text: c.homeServers.length === 0 ? 'no home server' : 'unknown', color: 'gray' }
  if (!p.online) return { mark: '○', text: `offline${p.lastSeen != null ? `, last seen ${ago(p.lastSeen, now)}` : ''}`, color: 'gray' }
  const color = p.status === 'available' ? 'green' : p.status === 'away' ? 'yellow' : 'red'
  const label = p.status === 'dnd' ? 'do not disturb' : p.status
  return { mark: '●', text: `${label}${p.since != null ? ` since ${ago(p.since, now)}` : ''}`, color }
}

/** The body as text: the text part, else the HTML part rendered to text. */
export function bodyText (m: MessageView, width: number): string {
  if (m.text.trim() !== '' || m.html == null) return m.text
  return convert(m.html, { wordwrap: Math.max(20, width) })
}

/** The body as the reader shows it: wrapped to the screen, one entry per screen line (scrolling counts these). */
export function bodyLines (m: MessageView, width: number): string[] {
  return wrapText(bodyText(m, width), width)
}

/** Names for PeerIds on screen (shared with the command's output). */
export { peerNames } from '../format.js'

/** What cancelling did, short enough for the status line: who was stopped, who had it first. */
export function cancelSummary (c: CancelView): string {
  const parts = c.recipients.map(r => {
    if (r.underWay === true) return `${r.address}: cancelled, an attempt still under way`
    if (r.withdrawal != null) {
      if (r.state === 'cancelled') return r.mayHaveBeenFetched === true ? `${r.address}: cancelled, but may already have fetched it` : `${r.address}: taken back from its holders`
      if (r.state === 'parked') return `${r.address}: still parked (a holder could not be reached or cannot withdraw: see status)`
    }
    if (!r.cancelled) return `${r.address}: ${r.state} already`
    return r.state === 'cancelled' ? `${r.address}: cancelled` : `${r.address}: ${r.state} before the cancel took effect`
  })
  return parts.join('; ')
}

/** One recipient's outcome, holders named (which server, which co-recipient) where known. */
export function recipientLine (r: RecipientState, now: number, names: Map<string, string>): string {
  if (r.state === 'parked' && r.parkedAt != null && r.parkedAt.length > 0) {
    return `${r.address}: parked at ${r.parkedAt.map(p => names.get(p) ?? shortPeer(p)).join(', ')} (waiting for them to fetch it)`
  }
  return formatRecipient(r, now)
}
