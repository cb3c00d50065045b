import { peerIdFromAddress } from '../../node/mime/address.js'
import { longDate, senderName } from './view-format.js'
import type { Draft } from './state.js'
import type { MessageView } from './ui-api.js'
import type { ContactView } from '../../node/mail-service.js'

/** Drafts for new mail, replies and forwards: pure functions of the message and contacts. */

export function newDraft (to = ''): Draft {
  return { kind: 'new', to, cc: '', subject: '', body: '', attachments: [], attachInput: '', field: to === '' ? 'to' : 'subject', references: [], completions: [], sending: false }
}

/** How a peer is written in To/Cc: the contact's name when pinned, else the PeerId. */
function addressOf (peerId: string, contacts: ContactView[]): string {
  return contacts.find(c => c.peerId === peerId)?.name ?? peerId
}

function prefixed (prefix: string, subject: string): string {
  return subject.toLowerCase().startsWith(prefix.toLowerCase()) ? subject : `${prefix} ${subject}`
}

function quoted (m: MessageView): string {
  const lines = m.text.replace(/\n+$/, '').split('\n').map(l => `> ${l}`)
  // The sender by name (their address is a 60-character PeerId), the date as people write it.
  return `On ${longDate(m.date)}, ${senderName(m.from)} wrote:\n${lines.join('\n')}\n\n`
}

/** Reply (to the verified sender) or reply-all (also every other To/Cc, less me), quoting the body. */
export function replyDraft (m: MessageView, all: boolean, me: string, contacts: ContactView[]): Draft {
  // An imported message has no verified sender: the peerpost address its From header names, if any.
  const sender = m.fromPeer === me ? (peerIdFromAddress(m.to[0] ?? '') ?? m.fromPeer) : m.fromPeer === '' ? (peerIdFromAddress(m.from) ?? '') : m.fromPeer
  const others = all
    ? [...m.to, ...m.cc].map(a => peerIdFromAddress(a)).filter((p): p is string => p != null && p !== me && p !== sender)
    : []
  return {
    ...newDraft(addressOf(sender, contacts)),
    kind: all ? 'replyAll' : 'reply',
    cc: [...new Set(others)].map(p => addressOf(p, contacts)).join(', '),
    subject: prefixed('Re:', m.subject),
    body: quoted(m),
    field: 'body',
    inReplyTo: m.messageId,
    references: [...m.references, m.messageId]
  }
}

/** The attachments of `m` a forward can carry: those inside it, and large ones already here. */
export function forwardable (m: MessageView): string[] {
  return m.attachments.filter(a => a.blobId == null || a.state === 'here').map(a => a.name)
}

/**
 * Forward: the body quoted under a header block, carrying the attachments saved from the
 * message (`saved`: their paths, in `tempDir`); large ones not here yet are named as left out.
 */
export function forwardDraft (m: MessageView, saved: { paths: string[], tempDir?: string } = { paths: [] }): Draft {
  const header = ['', '', '---------- Forwarded message ----------', `From: ${m.from}`, `Date: ${longDate(m.date)}`, `Subject: ${m.subject}`, `To: ${m.to.join(', ')}`, '']
  const carried = new Set(forwardable(m))
  const left = m.attachments.filter(a => !carried.has(a.name)).map(a => a.name)
  const note = left.length > 0 ? [`[not here yet, so not forwarded: ${left.join(', ')}]`, ''] : []
  const draft: Draft = { ...newDraft(), kind: 'forward', subject: prefixed('Fwd:', m.subject), body: [...header, m.text, ...note].join('\n'), attachments: saved.paths, field: 'to' }
  if (saved.tempDir != null) draft.tempDir = saved.tempDir
  return draft
}

/** Comma-separated addresses as the send request wants them. */
export function splitAddresses (text: string): string[] {
  return text.split(',').map(s => s.trim()).filter(s => s !== '')
}
