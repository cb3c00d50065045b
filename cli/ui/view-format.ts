import { createHash } from 'node:crypto'
import { convert } from 'html-to-text'
import type { AttachmentView, MessageView, TransferView } from './ui-api.js'
import type { ContactView } from '../../node/mail-service.js'

/** Pure text helpers for the screens: dates, sizes, progress bars, presence, attachment states. */

const pad2 = (n: number): string => String(n).padStart(2, '0')
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** Today: `14:05`; this year: `Mar 02`; older: `2024-03-02` (UTC, so tests and captures are stable). */
export function shortDate (ms: number, now: number): string {
  const d = new Date(ms)
  const n = new Date(now)
  if (d.toISOString().slice(0, 10) === n.toISOString().slice(0, 10)) return `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`
  if (d.getUTCFullYear() === n.getUTCFullYear()) return `${MONTHS[d.getUTCMonth()]} ${pad2(d.getUTCDate())}`
  return d.toISOString().slice(0, 10)
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

/** The display name part of `Name <id@peerpost>`, else the address. */
export function senderName (from: string): string {
  const m = /^\s*"?([^"<]*?)"?\s*<([^>]+)>/.exec(from)
  if (m != null && m[1] !== '') return m[1]!
  return m?.[2] ?? from
}

/**
 * What the reader says about an attachment: here, waiting for <holder>, or n% with a bar.
 * Fields the daemon does not send are taken as "it came inside the message".
 */
export function attachmentState (a: AttachmentView): string {
  const state = a.state ?? 'here'
  if (a.received != null && a.size > 0 && a.received < a.size) {
    return `${Math.floor(100 * a.received / a.size)}% ${progressBar(a.received / a.size, 16)}`
  }
  if (state === 'here' || state === 'complete' || state === 'done') return 'here'
  if (state === 'waiting' || state === 'pending') return `waiting for ${a.holder ?? 'the sender'}`
  return state
}

export function transferLine (t: TransferView): string {
  const name = t.name ?? t.id ?? 'transfer'
  const who = t.peer != null ? ` ${t.direction === 'up' || t.direction === 'send' ? 'to' : 'from'} ${shortPeer(t.peer)}` : ''
  const progress = t.size != null && t.size > 0 && t.received != null
    ? ` ${Math.floor(100 * t.received / t.size)}% ${progressBar(t.received / t.size, 20)} ${bytes(t.received)}/${bytes(t.size)}`
    : ''
  const speed = t.bytesPerSecond != null ? ` ${bytes(t.bytesPerSecond)}/s` : ''
  return `${name}${who}${progress}${speed}${t.state != null ? ` ${t.state}` : ''}`
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
