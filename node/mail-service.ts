import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { AttachmentTooLargeError, NoRecipientsError, UnknownRecipientError } from './errors.js'
import { sealEnvelope } from './crypto/index.js'
import { cardFromText, cardToText, makeCard, MAX_CARD_ADDRS } from './identity/index.js'
import { composeMessage, formatAddress, parseMessage, readEmlForSend, saveAttachments } from './mime/index.js'
import { toNewMessage } from './receiver.js'
import { MessageNotFoundError } from '../storage/errors.js'
import type { NodeConfig } from './config.js'
import type { NodeEvent, NodeEvents } from './events.js'
import type { Identity } from './identity/index.js'
import type { OutboxEngine } from './outbox-engine.js'
import type { PeerpostLibp2p } from './network.js'
import type { IdentityCard } from './protocol/peerpost.js'
import type { ContactRecord, Contacts, Folder, Mailbox, MessageSummary, Outbox, OutboxEntry, Page } from '../storage/types.js'

/** What `send` takes. Paths are read by the daemon, which runs as the same user. */
export interface SendRequest {
  to: string[]
  cc?: string[]
  subject?: string
  text?: string
  html?: string
  /** Send this RFC 5322 file as it is (its Message-ID is kept). */
  emlPath?: string
  attachmentPaths?: string[]
  inReplyTo?: string
  references?: string[]
}

export interface SendResult {
  id: string
  messageId: string
  recipients: Array<{ address: string, peerId: string }>
}

export interface ReadResult {
  id: string
  folder: Folder
  messageId: string
  from: string
  fromPeer: string
  to: string[]
  cc: string[]
  subject: string
  date: string
  text: string
  html?: string
  inReplyTo?: string
  references: string[]
  warning?: string
  attachments: Array<{ name: string, type: string, size: number, sha256: string }>
}

export interface ContactView {
  name: string
  peerId: string
  displayName?: string
  addrs: string[]
  pinnedAt: number
}

export interface StatusView {
  peerId: string
  addrs: string[]
  running: boolean
  outbox: OutboxEntry[]
}

export interface MailServiceComponents {
  identity: Identity
  mailbox: Mailbox
  contacts: Contacts
  outbox: Outbox
  events: NodeEvents
  config: NodeConfig
  now: () => number
  /** Present when the daemon runs; absent when a command works on the home directly. */
  network?: { libp2p: PeerpostLibp2p, engine: OutboxEngine }
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')

/**
 * Everything a user can do with a home, in one place: the daemon serves it over the
 * control socket, and commands use it directly when no daemon runs. No UI here.
 */
export class MailService {
  constructor (private readonly c: MailServiceComponents) {}

  get peerId (): string { return this.c.identity.peerIdString }

  addrs (): string[] {
    return this.c.network?.libp2p.getMultiaddrs().map(a => a.toString()) ?? []
  }

  /** My current signed card, with the addresses I can be dialed at right now. */
  card (): IdentityCard {
    // A card carries at most MAX_CARD_ADDRS addresses; the first ones are the ones libp2p prefers.
    return makeCard(this.c.identity, { addrs: this.addrs().slice(0, MAX_CARD_ADDRS), now: this.c.now() })
  }

  cardText (): string { return cardToText(this.card()) }

  async status (): Promise<StatusView> {
    const page = await this.c.outbox.list({ limit: 100 })
    return { peerId: this.peerId, addrs: this.addrs(), running: this.c.network != null, outbox: page.items }
  }

  async addContact (cardText: string, name?: string): Promise<ContactView> {
    const card = cardFromText(cardText)
    const now = this.c.now()
    const record: ContactRecord = {
      name: name ?? card.displayName ?? card.peerId,
      peerId: card.peerId,
      card: card.encoded,
      cardCreated: card.created,
      boxPublicKey: hex(card.boxPublicKey),
      addrs: card.addrs,
      homeServers: card.homeServers,
      pinnedAt: now,
      updatedAt: now
    }
    await this.c.contacts.add(record)
    return contactView(record)
  }

  async listContacts (): Promise<ContactView[]> {
    return (await this.c.contacts.list()).map(contactView)
  }

  /** Compose (or take an .eml), seal one envelope per recipient and queue it durably. */
  async send (request: SendRequest): Promise<SendResult> {
    const { identity, config, now } = this.c
    const addresses = [...request.to, ...(request.cc ?? [])]
    if (request.to.length === 0) throw new NoRecipientsError()
    const recipients = await this.resolveRecipients(addresses)
    const date = now()

    let raw: Uint8Array
    let messageId: string
    if (request.emlPath != null) {
      raw = new Uint8Array(await readFile(request.emlPath))
      messageId = (await readEmlForSend(raw, { maxBytes: config.limits.maxMimeBytes })).messageId
    } else {
      const attachments = await Promise.all((request.attachmentPaths ?? []).map(async path => {
        const content = new Uint8Array(await readFile(path))
        return { filename: path.split(/[\\/]/).pop() ?? 'attachment', content }
      }))
      const total = attachments.reduce((n, a) => n + a.content.byteLength, 0)
      if (total * 4 / 3 > config.limits.maxMimeBytes) {
        throw new AttachmentTooLargeError(`attachments total ${total} bytes; a message carries at most about ${Math.floor(config.limits.maxMimeBytes * 3 / 4)} bytes of attachments`)
      }
      const composed = await composeMessage({
        from: { name: identity.displayName, address: formatAddress({ name: undefined, peerId: identity.peerIdString }) },
        to: recipients.filter(r => request.to.includes(r.address)).map(r => ({ name: r.name, address: formatAddress({ name: undefined, peerId: r.peerId }) })),
        cc: recipients.filter(r => !request.to.includes(r.address)).map(r => ({ name: r.name, address: formatAddress({ name: undefined, peerId: r.peerId }) })),
        subject: request.subject ?? '',
        text: request.text ?? '',
        html: request.html,
        inReplyTo: request.inReplyTo,
        references: request.references,
        date: new Date(date),
        attachments
      })
      raw = composed.raw
      messageId = composed.messageId
    }
    if (raw.byteLength > config.limits.maxMimeBytes) throw new AttachmentTooLargeError(`the message is ${raw.byteLength} bytes; the limit is ${config.limits.maxMimeBytes}`)

    const senderCard = this.card()
    const envelopes = new Map<string, Uint8Array>()
    const states = recipients.map(r => {
      const sealed = sealEnvelope({ sender: identity, senderCard, recipient: { peerId: r.peerId, boxPublicKey: r.boxPublicKey }, mime: raw, timestamp: date })
      envelopes.set(r.peerId, sealed.bytes)
      return { peerId: r.peerId, address: r.address, state: 'pending' as const, attempts: 0, nextAttemptAt: date, envelopeId: hex(sealed.envelopeId) }
    })
    const id = newOutboxId(date)
    const entry: OutboxEntry = { id, messageId, subject: request.subject ?? '', createdAt: date, expiresAt: date + config.outbox.lifetimeMs, recipients: states }
    const parsed = await parseMessage(raw, { maxBytes: config.limits.maxMimeBytes })
    const sentCopy = { ...toNewMessage(parsed, raw.byteLength, identity.peerIdString, { folder: 'sent' }, date), unread: false }
    await this.c.outbox.enqueue(entry, envelopes, { message: sentCopy, raw, dedupeKey: `${identity.peerIdString}\n${messageId}` })
    this.c.events.emit('outbox:queued', { id })
    this.c.network?.engine.add(entry)
    return { id, messageId, recipients: recipients.map(r => ({ address: r.address, peerId: r.peerId })) }
  }

  /**
   * Resolves when every recipient of `id` is delivered or failed, or has had at least
   * one attempt that failed for now (until parking exists, that is as far as it goes).
   */
  async waitForOutcome (id: string, timeoutMs: number): Promise<OutboxEntry> {
    const settled = (e: OutboxEntry | undefined): boolean => e != null && e.recipients.every(r => r.state !== 'pending' || r.attempts > 0)
    return await new Promise<OutboxEntry>((resolve, reject) => {
      let done = false
      const finish = (err: Error | undefined, entry?: OutboxEntry): void => {
        if (done) return
        done = true
        clearTimeout(timer)
        unsubscribe()
        if (err != null) reject(err); else resolve(entry!)
      }
      const check = (): void => {
        this.c.outbox.get(id).then(entry => { if (settled(entry)) finish(undefined, entry) }, err => { finish(err) })
      }
      const unsubscribe = this.c.events.subscribe((event: NodeEvent) => {
        if (event.type === 'outbox:recipient' && (event.data as { id: string }).id === id) check()
      })
      const timer = setTimeout(() => {
        this.c.outbox.get(id).then(entry => { finish(undefined, entry) }, err => { finish(err) })
      }, timeoutMs)
      check()
    })
  }

  async list (folder: Folder, options: { limit?: number, cursor?: string } = {}): Promise<Page<MessageSummary>> {
    return this.c.mailbox.list(folder, options)
  }

  async listOutbox (options: { limit?: number, cursor?: string } = {}): Promise<Page<OutboxEntry>> {
    return this.c.outbox.list(options)
  }

  async read (id: string, options: { markRead?: boolean } = {}): Promise<ReadResult> {
    const { mailbox, config } = this.c
    const summary = await this.requireMessage(id)
    const raw = (await mailbox.getRaw(id))!
    const parsed = await parseMessage(raw, { maxBytes: config.limits.maxMimeBytes })
    if (options.markRead !== false && summary.unread) await mailbox.update(id, { unread: false })
    const result: ReadResult = {
      id,
      folder: summary.folder,
      messageId: summary.messageId,
      from: summary.from,
      fromPeer: summary.fromPeer,
      to: summary.to,
      cc: summary.cc,
      subject: summary.subject,
      date: new Date(summary.date).toISOString(),
      text: parsed.text,
      references: parsed.references,
      attachments: parsed.attachments.map(a => ({ name: a.name, type: a.type, size: a.size, sha256: a.sha256 }))
    }
    if (parsed.html != null) result.html = parsed.html
    if (parsed.inReplyTo != null) result.inReplyTo = parsed.inReplyTo
    if (summary.warning != null) result.warning = summary.warning
    return result
  }

  /** Save a message's attachments into `dir` (names sanitised, nothing overwritten). */
  async saveAttachments (id: string, dir: string): Promise<string[]> {
    await this.requireMessage(id)
    const raw = (await this.c.mailbox.getRaw(id))!
    const parsed = await parseMessage(raw, { maxBytes: this.c.config.limits.maxMimeBytes })
    return saveAttachments(dir, parsed.attachments.map(a => ({ name: a.name, content: a.content })))
  }

  private async requireMessage (id: string): Promise<MessageSummary> {
    const summary = await this.c.mailbox.get(id)
    if (summary == null) throw new MessageNotFoundError(id)
    return summary
  }

  private async resolveRecipients (addresses: string[]): Promise<Array<{ address: string, name: string, peerId: string, boxPublicKey: Uint8Array }>> {
    const seen = new Set<string>()
    const out: Array<{ address: string, name: string, peerId: string, boxPublicKey: Uint8Array }> = []
    for (const address of addresses) {
      const contact = (await this.c.contacts.get(address)) ?? (await this.c.contacts.getByPeerId(address))
      if (contact == null) throw new UnknownRecipientError(address)
      if (seen.has(contact.peerId)) continue
      seen.add(contact.peerId)
      out.push({ address, name: contact.name, peerId: contact.peerId, boxPublicKey: new Uint8Array(Buffer.from(contact.boxPublicKey, 'hex')) })
    }
    return out
  }
}

function contactView (c: ContactRecord): ContactView {
  const view: ContactView = { name: c.name, peerId: c.peerId, addrs: c.addrs, pinnedAt: c.pinnedAt }
  return view
}

/** Sortable by time, unique: 12 hex digits of ms, 8 random. */
export function newOutboxId (now: number): string {
  return now.toString(16).padStart(12, '0') + randomBytes(4).toString('hex')
}
