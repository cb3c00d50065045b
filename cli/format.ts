import { isHeldForKeyChange } from '../node/reseal.js'
import type { AcceptKeyView, CancelledRecipientView, CancelView, ContactView, FolderView, ReadResult, ServerView, StatusView } from '../node/mail-service.js'
import type { HolderWithdrawal, MessageSummary, OutboxEntry, RecipientState } from '../storage/types.js'

/** Human-readable renderings of command results (the `--json` forms are the raw objects). */

const short = (peerId: string): string => peerId.length > 16 ? `${peerId.slice(0, 8)}…${peerId.slice(-6)}` : peerId

/** `in 20s`, `5m ago`, `3h ago`, `2d ago`: in the units the mail UI uses, not 93784s. */
function when (ms: number, now: number): string {
  const d = Math.round((ms - now) / 1000)
  if (Math.abs(d) < 1) return 'now'
  const s = Math.abs(d)
  const span = s < 60 ? `${s}s` : s < 3600 ? `${Math.round(s / 60)}m` : s < 86400 ? `${Math.round(s / 3600)}h` : `${Math.round(s / 86400)}d`
  return d > 0 ? `in ${span}` : `${span} ago`
}

/** When a waiting recipient is tried next; one already due (the daemon was off, or is at it) is not "1s ago". */
const nextAttempt = (at: number, now: number): string => at <= now ? 'due now' : when(at, now)

/**
 * @param names PeerId -> name of the other recipients: a co-recipient holding the mail is
 * shown by the name it was sent to ("parked at bob"), a cache server by its PeerId.
 */
export function formatRecipient (r: RecipientState, now: number, names: ReadonlyMap<string, string> = new Map()): string {
  switch (r.state) {
    case 'delivered': return `${r.address}: delivered${r.withdrawal != null ? ` (fetched before a cancel could take it back - ${formatWithdrawal(r.withdrawal, names)})` : r.cancelledAt != null ? ' (by an attempt under way when it was cancelled)' : ''}`
    case 'cancelled': return r.withdrawal != null
      ? `${r.address}: cancelled after it was parked - ${formatWithdrawal(r.withdrawal, names)}`
      : `${r.address}: cancelled (not sent)`
    case 'failed': return `${r.address}: failed - ${r.lastError ?? 'unknown error'}`
    case 'parked': return `${r.address}: parked at ${(r.parkedAt ?? []).map(h => names.get(h) ?? short(h)).join(', ')} (waiting for them to fetch it)${r.withdrawal != null ? `; a cancel has not taken it back yet: ${formatWithdrawal(r.withdrawal, names)}` : ''}`
    default: {
      // Held for a key change: no attempt is made, so none is counted (node/reseal.ts).
      if (isHeldForKeyChange(r)) return `${r.address}: ${r.lastError ?? ''} (looked at again ${nextAttempt(r.nextAttemptAt, now)})`
      const why = r.lastError != null ? ` (${r.lastError})` : ''
      return `${r.address}: waiting, attempt ${r.attempts + 1} ${nextAttempt(r.nextAttemptAt, now)}${why}`
    }
  }
}

/** Names for PeerIds on screen: my home servers by host:port, contacts by name. */
export function peerNames (servers: readonly ServerView[], contacts: readonly ContactView[] = []): Map<string, string> {
  const names = new Map<string, string>()
  for (const c of contacts) names.set(c.peerId, c.name)
  for (const s of servers) {
    const m = /^\/(?:ip4|ip6|dns|dns4|dns6)\/([^/]+)\/tcp\/(\d+)/.exec(s.addr)
    names.set(s.peerId, m != null ? `server ${m[1]}:${m[2]}` : `server ${short(s.peerId)}`)
  }
  return names
}

/** @param known names for other PeerIds (my home servers: `peerNames`), so a holder reads "server 203.0.113.7:4455". */
export function formatOutboxEntry (e: OutboxEntry, now: number, known: ReadonlyMap<string, string> = new Map()): string {
  const lines = [`${e.id}  ${e.subject === '' ? '(no subject)' : e.subject}  ${e.messageId}`]
  const names = new Map([...known, ...e.recipients.map(r => [r.peerId, r.address] as const)])
  for (const r of e.recipients) lines.push(`  ${formatRecipient(r, now, names)}`)
  return lines.join('\n')
}

/** What each holder of a parked copy answered to the withdraw, in words. */
export function formatWithdrawal (answers: readonly HolderWithdrawal[], names: ReadonlyMap<string, string> = new Map()): string {
  const named = (peerId: string): string => names.get(peerId) ?? short(peerId)
  return answers.map(a => {
    switch (a.outcome) {
      case 'withdrawn': return `withdrawn from ${named(a.peerId)}`
      case 'fetched': return `already fetched from ${named(a.peerId)}`
      case 'not-here': return `not found on ${named(a.peerId)} (it may already have been fetched, or expired)`
      case 'unsupported': return `${named(a.peerId)} does not support withdrawing (the copy stays there until fetched or expired)`
      default: return `${named(a.peerId)} could not be reached${a.error != null ? ` (${a.error})` : ''}`
    }
  }).join('; ')
}

/**
 * What `outbox cancel` did for one recipient, in words: what they have, what stays where.
 * @param names PeerId -> name of the message's recipients (a co-recipient holder by its address, a server by PeerId).
 */
export function formatCancelledRecipient (r: CancelledRecipientView, names: ReadonlyMap<string, string> = new Map(), parkedAt: readonly string[] = []): string {
  if (r.underWay === true) return `${r.address}: cancelled, but an attempt to it was still under way: if it gets there, \`peerpost status\` shows it delivered or parked`
  if (r.withdrawal != null) {
    const answers = formatWithdrawal(r.withdrawal, names)
    if (r.state === 'cancelled' && r.mayHaveBeenFetched === true) return `${r.address}: cancelled, but ${r.address} may already have fetched it - ${answers}`
    if (r.state === 'cancelled') return `${r.address}: taken back - ${answers}`
    if (r.state === 'delivered') return `${r.address}: delivered - ${r.address} already fetched it, so it cannot be taken back - ${answers}`
    if (r.state === 'parked') return `${r.address}: still parked at ${parkedAt.map(h => names.get(h) ?? short(h)).join(', ')} - ${answers}; one that could not be reached is asked again in the background`
    return `${r.address}: ${r.state} - ${answers}`
  }
  if (r.cancelled) {
    switch (r.state) {
      case 'cancelled': return `${r.address}: cancelled (no attempt will be made)`
      case 'delivered': return `${r.address}: delivered - an attempt under way when you cancelled reached ${r.address}; it cannot be taken back`
      case 'parked': return `${r.address}: parked - an attempt under way parked it first`
      default: return `${r.address}: ${r.state}`
    }
  }
  switch (r.state) {
    case 'delivered': return `${r.address}: already delivered (it cannot be taken back)`
    case 'parked': return `${r.address}: still parked (the daemon could not ask its holders)`
    case 'failed': return `${r.address}: already failed (nothing more was tried)`
    case 'cancelled': return `${r.address}: cancelled already`
    default: return `${r.address}: ${r.state}`
  }
}

export function formatCancel (c: CancelView, known: ReadonlyMap<string, string> = new Map()): string {
  const names = new Map([...known, ...c.entry.recipients.map(r => [r.peerId, r.address] as const)])
  const parkedAt = new Map(c.entry.recipients.map(r => [r.peerId, r.parkedAt ?? []]))
  const lines = [`${c.id}  ${c.entry.subject === '' ? '(no subject)' : c.entry.subject}`]
  for (const r of c.recipients) lines.push(`  ${formatCancelledRecipient(r, names, parkedAt.get(r.peerId))}`)
  if (c.releasedBlobs.length > 0) lines.push(`  ${c.releasedBlobs.length} large attachment(s) dropped: no recipient can pull them any more`)
  return lines.join('\n')
}

/** Outbox entries `status` shows besides the pending ones. */
export const STATUS_RECENT_SHOWN = 5

export function formatStatus (s: StatusView, now: number): string {
  const lines = [`PeerId:  ${s.peerId}`, `Daemon:  ${s.running ? 'running' : 'not running'}`]
  lines.push(`Addrs:   ${s.addrs.length === 0 ? '(none)' : s.addrs.join('\n         ')}`)
  // A daemon the mail UI started writes its notes to a log nobody reads: say it here too.
  if ((s.portsTaken ?? []).length > 0) lines.push(`         (not on ${(s.portsTaken ?? []).join(', ')} of config.json "listen": another program held the port when the daemon started, so a port forward to it does not reach this node until the port is free and the daemon restarts)`)
  lines.push(`Status:  ${s.presence}${s.running ? '' : ' (the daemon is not running: you appear offline)'}`)
  lines.push(`Servers: ${s.servers.length === 0 ? '(none: `peerpost servers add MULTIADDR`)' : s.servers.map(v => `${v.addr} ${v.connected ? 'connected' : 'not connected'}`).join('\n         ')}`)
  if (s.holding != null) {
    const h = s.holding
    lines.push(`Holding: ${h.envelopes} envelope(s), ${h.bytes} bytes for offline co-recipients (${h.enabled ? 'on' : 'off'}; quota ${h.maxCount} envelopes, ${h.maxBytes} bytes)`)
  }
  const pending = s.outbox.filter(e => e.recipients.some(r => r.state === 'pending'))
  lines.push(`Outbox:  ${pending.length} message(s) pending, ${s.outbox.length} recent`)
  // Every message still pending, and the newest few others: not a screenful of 'delivered'.
  const shown = s.outbox.filter((e, i) => i < STATUS_RECENT_SHOWN || pending.includes(e))
  const servers = peerNames(s.servers)
  for (const e of shown) lines.push(formatOutboxEntry(e, now, servers))
  if (shown.length < s.outbox.length) lines.push(`(${s.outbox.length - shown.length} older, none of them pending: \`peerpost list --folder outbox\` lists them all)`)
  return lines.join('\n')
}

/** `alice <12D3KooW…@peerpost>` as a list shows it: the name when there is one, else the address. */
export function displayName (address: string): string {
  const m = /^\s*"?(.*?)"?\s*<([^>]*)>\s*$/.exec(address)
  if (m == null) return address.trim()
  return m[1]!.trim() !== '' ? m[1]!.trim() : m[2]!.trim()
}

/**
 * One line of `list`: who wrote it (in sent, whom it went to: the sender is always you),
 * by name, so the column is not a cut-off PeerId.
 */
export function formatSummaryLine (m: MessageSummary): string {
  const flag = m.unread ? 'N' : ' '
  const att = m.attachments.length > 0 || (m.blobs ?? []).length > 0 ? '@' : ' '
  const date = new Date(m.date).toISOString().slice(0, 16).replace('T', ' ')
  const subject = m.subject === '' ? '(no subject)' : m.subject
  const who = m.folder === 'sent' ? `to ${[...m.to, ...m.cc].map(displayName).join(', ')}` : displayName(m.from)
  const column = who.length > 30 ? `${who.slice(0, 29)}…` : who.padEnd(30)
  return `${m.id}  ${flag}${att} ${date}  ${column}  ${subject}${m.warning != null ? `  [!] ${m.warning}` : ''}`
}

export function formatMessage (m: ReadResult): string {
  const lines: string[] = []
  if (m.warning != null) lines.push(`WARNING: ${m.warning}`, '')
  lines.push(`From:     ${m.from}`, `Verified: ${m.fromPeer === '' ? 'no (imported from a file)' : m.fromPeer}`, `To:       ${m.to.join(', ')}`)
  if (m.cc.length > 0) lines.push(`Cc:       ${m.cc.join(', ')}`)
  lines.push(`Date:     ${m.date}`, `Subject:  ${m.subject}`, `Folder:   ${m.folder}`, `Message-ID: ${m.messageId}`)
  if (m.inReplyTo != null) lines.push(`In-Reply-To: ${m.inReplyTo}`)
  lines.push('', m.text)
  if (m.attachments.length > 0) {
    lines.push('', 'Attachments:')
    for (const a of m.attachments) lines.push(`  ${a.name}  ${a.type}  ${a.size} bytes  sha256 ${a.sha256.slice(0, 16)}…`)
  }
  return lines.join('\n')
}

/** `contacts accept-key`: the key is pinned, and what became of the mail queued for the contact. */
export function formatAcceptedKey (r: AcceptKeyView): string {
  const lines = [`accepted the new key of ${r.name}`]
  if (r.resealed > 0) lines.push(`${r.resealed} queued message(s) sealed to the new key, going now`)
  if (r.failed > 0) lines.push(`${r.failed} queued message(s) could not be sealed again (their Sent copy is missing): marked failed`)
  return lines.join('\n')
}

export function formatContact (c: ContactView, now = Date.now()): string {
  let presence = ''
  if (c.presence != null) {
    const p = c.presence
    presence = p.online
      ? `  online, ${p.status}${p.since != null ? ` since ${when(p.since, now)}` : ''}`
      : `  offline${p.lastSeen != null ? `, last seen ${when(p.lastSeen, now)}` : ''}`
  }
  const changed = c.keyChanged === true ? `  KEY CHANGED: check with them, then \`peerpost contacts accept-key ${c.name}\`` : ''
  return `${c.name.padEnd(20)} ${c.peerId}  ${c.addrs.length} addr(s)${presence}${changed}`
}

/** @param daemonRunning without a daemon nothing is connected, and that is all there is to say. */
export function formatServers (servers: ServerView[], daemonRunning = true): string {
  if (servers.length === 0) return '(no home servers: `peerpost servers add MULTIADDR`)'
  const down = daemonRunning ? 'not connected (the daemon keeps retrying: check the address, that the server runs and its port is open)' : 'not connected (the daemon is not running)'
  return servers.map(s => `${s.addr}  ${s.connected ? 'connected' : down}`).join('\n')
}

export { short }

/** Under the inbox: unread mail waiting in requests (strangers) or quarantine (impostors, changed keys), which the inbox never shows. */
export function formatElsewhere (folders: readonly FolderView[]): string | undefined {
  const unread = (folder: string): number => folders.find(f => f.folder === folder)?.unread ?? 0
  const parts: string[] = []
  if (unread('requests') > 0) parts.push(`${unread('requests')} unread in requests (from people who are not your contacts): \`peerpost list --folder requests\``)
  if (unread('quarantine') > 0) parts.push(`${unread('quarantine')} unread in quarantine (a sender's key does not match): \`peerpost list --folder quarantine\``)
  return parts.length === 0 ? undefined : parts.map(p => `(${p})`).join('\n')
}
