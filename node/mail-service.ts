import { randomBytes } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import { OfflineError, AttachmentTooLargeError, NotARecipientError, ContactKeyChangedError, NoPendingKeyError, dialFailureReason, errorName, NameKeyChangedError, NameUnavailableError, NoRecipientsError, EmlFileError, InvalidContactNameError, NameNotRegisteredError, OwnCardError, SelfRecipientError, ServerNotFoundError, ServerUnreachableError, UnknownRecipientError } from './errors.js'
import { ConfigError, configValue, PRESENCE_STATUSES, updateNodeConfig, withConfigValue } from './config.js'
import { serverRef } from './home-servers.js'
import { waitForServerLink } from './server-link-wait.js'
import { connectDirectory, directoryServer, parseNameAddress } from './name-resolver.js'
import { createNetwork } from './network.js'
import { registerName, resolveName } from './protocol/directory.js'
import { IdentityCard } from './protocol/peerpost.js'
import { resealPending, sealMessageFor } from './reseal.js'
import type { ResealResult, SealRecipient } from './reseal.js'
import { cardFromText, cardToText, CONTROL_CHARS, makeCard, MAX_CARD_ADDRS, MAX_DISPLAY_NAME_CHARS, verifyCardBytes } from './identity/index.js'
import { composeMessage, formatAddress, parseMessage, parseSummary, peerIdFromAddress, readEmlForSend, saveAttachmentFiles, saveAttachments } from './mime/index.js'
import type { MessageSummary as ComposedSummary } from './mime/index.js'
import { toNewMessage } from './receiver.js'
import { prepareAttachments } from './attachments.js'
import type { PreparedAttachments } from './attachments.js'
import { ContactNotFoundError, MessageNotFoundError, OutboxEntryNotFoundError, UnknownFolderError } from '../storage/errors.js'
import { FOLDERS } from '../storage/types.js'
import { searchFolder } from './folder-search.js'
import type { SearchPage } from './folder-search.js'
import type { Logger } from '@libp2p/interface'
import type { NodeConfig, PresenceStatusName } from './config.js'
import type { HomeServers } from './home-servers.js'
import type { Holding, HoldingView } from './holding.js'
import type { PresenceView, PresenceWatch } from './presence-watch.js'
import type { VerifiedCard } from './identity/index.js'
import type { NodeEvent, NodeEvents } from './events.js'
import type { Identity } from './identity/index.js'
import type { OutboxEngine } from './outbox-engine.js'
import type { Recaller } from './recall.js'
import { viewOfDownload } from './transfers.js'
import type { LargeAttachmentView, TransferView, Transfers, UploadView } from './transfers.js'
import type { PeerpostLibp2p } from './network.js'
import type { BlobDownloads, BlobStore } from '../storage/blob-types.js'
import type { ContactRecord, Contacts, Folder, HolderWithdrawal, Mailbox, MessageSummary, Outbox, OutboxEntry, Page, RecipientStateName } from '../storage/types.js'
import type { Purger } from '../storage/purge.js'
import { exportMail } from './mail-export.js'
import type { ExportFormat, ExportSummary } from './mail-export.js'
import { importMail } from './mail-import.js'
import type { ImportSummary } from './mail-import.js'

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
  /** Attachments kept by the sender and pulled by this node (or, on my sent copy, kept by me). */
  largeAttachments?: LargeAttachmentView[]
}

/** `status ID`: one outbox entry and, per large attachment, who has it and who still waits. */
export interface MessageStatusView {
  entry: OutboxEntry
  attachments: Array<{
    blobId: string
    name: string
    size: number
    /** Whether I still keep it (I drop it once every recipient has it, or when its retention ends). */
    held: boolean
    /** Recipients (as addressed) that have the whole attachment, verified. */
    have: string[]
    /** Recipients that have not pulled it yet (empty once I no longer hold it). */
    waiting: string[]
    /**
     * Of those, the ones that pulled part of it from me since the daemon started (it serves
     * the chunks, so it knows): how many of its chunks, and when the last one went out.
     * Without the daemon, none.
     */
    pulling?: Array<{ recipient: string, chunksServed: number, chunkCount: number, lastAt: number }>
    expiresAt?: number
  }>
}

/** What `outbox cancel` did for one recipient it was asked about. */
export interface CancelledRecipientView {
  address: string
  peerId: string
  /** Its state now: `cancelled`; or `delivered` / `parked` when an attempt under way got there first (or had before). */
  state: RecipientStateName
  /** This call took it back (it was pending, or parked and every holder answered); false: it had finished before, or a holder may still have its copy. */
  cancelled: boolean
  /** An attempt to it was still under way when the wait ended: its outcome is recorded when it ends. */
  underWay?: boolean
  /** Its copy was parked: what each holder answered to the withdraw (node/recall.ts). */
  withdrawal?: HolderWithdrawal[]
  /** Cancelled, but a holder no longer had the copy: the recipient may already have fetched it (there, or anywhere: a fetch is acked only to the holders the recipient knew of). A holder that says it was fetched makes the recipient `delivered` instead. */
  mayHaveBeenFetched?: boolean
}

/** `outbox cancel`: per recipient what happened, and the large attachments dropped. */
export interface CancelView {
  id: string
  recipients: CancelledRecipientView[]
  /** Large attachments removed from my blob store: no recipient can pull them any more. */
  releasedBlobs: string[]
  entry: OutboxEntry
}

/**
 * Some holder no longer had the copy: the recipient may have fetched it, even when another
 * holder still had one to withdraw (the recipient acks only to the holders it was told of).
 */
export function mayHaveBeenFetched (answers: HolderWithdrawal[]): boolean {
  return answers.some(a => a.outcome === 'not-here')
}

/**
 * How long `outbox cancel` waits for an attempt already under way to a recipient it takes
 * back (an attempt is bounded by the dial and deliver deadlines, well below this).
 */
export const CANCEL_WAIT_MS = 60_000

/** `transfers`: large attachments I pull, and the ones recipients pull from me. */
export interface TransfersView {
  downloads: TransferView[]
  uploads: UploadView[]
  /** Contact names of the senders and pullers named above (PeerId -> name), for people to read. */
  names?: Record<string, string>
}

export interface ContactView {
  name: string
  peerId: string
  displayName?: string
  addrs: string[]
  homeServers: string[]
  pinnedAt: number
  /** Their mail carried a card with another encryption key; sending waits for `contacts accept-key`. */
  keyChanged?: boolean
  /** They told my node they have me as a contact: my mail to them carries no proof-of-work stamp. */
  stampExempt?: boolean
  /** From the contact's home servers (absent: it has none, or the daemon is not running). */
  presence?: PresenceView
  /** `contacts add` of a contact already pinned with the same keys: its newer card was taken, or it was not newer. */
  card?: 'updated' | 'unchanged'
}

/** `contacts accept-key`: the contact as now pinned, and what happened to the mail queued for it. */
export interface AcceptKeyView extends ContactView {
  /** Queued messages sealed again to the new key (they go now). */
  resealed: number
  /** Queued messages that could not be (their Sent copy is gone): marked failed. */
  failed: number
}

export interface ServerView {
  addr: string
  peerId: string
  /** Whether the daemon's link to it is up (false when no daemon runs). */
  connected: boolean
}

export interface StatusView {
  peerId: string
  addrs: string[]
  running: boolean
  presence: PresenceStatusName
  servers: ServerView[]
  outbox: OutboxEntry[]
  /** What I hold for offline co-recipients (while the daemon runs). */
  holding?: HoldingView
  /** Listen addresses of config.json whose port another program held when the daemon started (it listens on a new port instead). */
  portsTaken?: string[]
}

export interface MailServiceComponents {
  identity: Identity
  mailbox: Mailbox
  contacts: Contacts
  outbox: Outbox
  /** Large attachments I hold for my recipients, and the ones I pull. */
  blobs?: BlobStore
  downloads?: BlobDownloads
  /** Deletes messages for good (the trash's delete forever and empty trash). */
  purger?: Purger
  events: NodeEvents
  config: NodeConfig
  /** The home's config.json: `servers add` and `presence --status` change it. */
  configPath: string
  now: () => number
  /** Told what the service skips (a stored message whose body does not parse, in a search). */
  log?: Logger
  /** Present when the daemon runs; absent when a command works on the home directly. */
  network?: { libp2p: PeerpostLibp2p, engine: OutboxEngine, servers?: HomeServers, presence?: PresenceWatch, holding?: Holding, transfers?: Transfers, recaller?: Recaller }
  /** Told the bytes of each chunk of a large attachment stored while sending. */
  onBlobBytes?: (bytes: number) => void
  /** The daemon's: listen addresses of the config whose port was taken at start (node/listen-port.ts). */
  portsTaken?: string[]
  /** Told after the config file changed (the daemon follows new home servers and status). */
  onConfigChange?: (config: NodeConfig) => void
}

/** A folder with its counters. */
export interface FolderView { folder: Folder, total: number, unread: number }

/** Folders a conversation is looked for in. */
export const THREAD_FOLDERS: readonly Folder[] = ['inbox', 'sent', 'archive', 'requests']
// The search's bounds and its error live with it (folder-search.ts); exported here as before.
export { EmptySearchError, SEARCH_BODY_PARSE_LIMIT, SEARCH_PAGE, SEARCH_PAGE_MAX, SEARCH_SCAN_LIMIT } from './folder-search.js'
export type { SearchPage } from './folder-search.js'

/** `read --raw` carries a message in parts of at most this many bytes (base64 on the control socket: 5.3 MiB a line). */
export const RAW_CHUNK_BYTES = 4 * 1024 * 1024

/** A conversation shows at most this many messages (the bound on the thread index walk). */
export const THREAD_MAX_MESSAGES = 500
/** Bounds on the exact lookups of referenced messages (References lists can be long). */
export const THREAD_MAX_REFERENCES = 50
export const THREAD_MAX_PEERS = 20

/** A resolved recipient of a message being sent; `stampExempt`: it said I am its contact, so no stamp. */
interface Recipient { address: string, name: string, peerId: string, boxPublicKey: Uint8Array, stampExempt: boolean }

/** A card's addresses are read from libp2p at most this often (they are dialing hints). */
export const CARD_ADDRS_TTL_MS = 1_000

/** How long a directory lookup or registration may take. */
export const DIRECTORY_TIMEOUT_MS = 10_000

const hex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')

/**
 * Everything a user can do with a home, in one place: the daemon serves it over the
 * control socket, and commands use it directly when no daemon runs. No UI here.
 */
export class MailService {
  /**
   * The last card made, and what it was made from. Every envelope carries my card: signing
   * (and checking) a fresh one per send cost 11% of a sender's CPU, and a fresh `created`
   * made every recipient rewrite my contact record, with an fsync, on every message.
   */
  private cardCache: { key: string, card: IdentityCard } | undefined
  /**
   * My addresses as the last card read them, and when (performance.now()). Reading them
   * from libp2p (address manager, multiaddr strings) and keying the card by them was ~3%
   * of a sender's CPU per message; a card's addresses are dialing hints, so reading them at
   * most every CARD_ADDRS_TTL_MS is enough (issue 8).
   */
  private cardAddrs: { at: number, addrs: string[], homeServers: string[], key: string } | undefined

  constructor (private readonly c: MailServiceComponents) {}

  get peerId (): string { return this.c.identity.peerIdString }

  /** The effective config, as changed by `servers add` and `presence --status`. */
  currentConfig (): NodeConfig { return this.c.config }

  addrs (): string[] {
    return this.c.network?.libp2p.getMultiaddrs().map(a => a.toString()) ?? []
  }

  /** My current signed card, with the addresses I can be dialed at right now. */
  card (): IdentityCard {
    // A card carries at most MAX_CARD_ADDRS addresses; the first ones are the ones libp2p prefers.
    const homeServers = this.c.config.homeServers
    const t = performance.now()
    let seen = this.cardAddrs
    if (seen == null || seen.homeServers !== homeServers || t - seen.at > CARD_ADDRS_TTL_MS) {
      const addrs = this.addrs().slice(0, MAX_CARD_ADDRS)
      // No addresses yet (not listening): read them again next time.
      seen = this.cardAddrs = { at: addrs.length > 0 ? t : -Infinity, addrs, homeServers, key: JSON.stringify([addrs, homeServers]) }
    }
    const { addrs, key } = seen
    // Re-signed only when what it says changes (created = when it last changed).
    if (this.cardCache?.key !== key) this.cardCache = { key, card: makeCard(this.c.identity, { addrs, homeServers, now: this.c.now() }) }
    return this.cardCache.card
  }

  cardText (): string { return cardToText(this.card()) }

  async status (): Promise<StatusView> {
    const page = await this.c.outbox.list({ limit: 100 })
    const view: StatusView = { peerId: this.peerId, addrs: this.addrs(), running: this.c.network != null, presence: this.c.config.presence.status, servers: this.listServers(), outbox: page.items }
    const holding = this.c.network?.holding?.view()
    if (holding != null) view.holding = holding
    if ((this.c.portsTaken ?? []).length > 0) view.portsTaken = this.c.portsTaken
    return view
  }

  /** One key of the effective config (dotted, e.g. `holding.enabled`); the whole config without a key. */
  getConfig (key?: string): unknown {
    return key == null || key === '' ? this.c.config : configValue(this.c.config, key)
  }

  /**
   * Set one key in config.json (validated by the schema; the file keeps only what was set)
   * and apply it: the daemon reads holding, presence and servers from the live config.
   */
  async setConfig (key: string, value: unknown): Promise<unknown> {
    const current = this.c.config
    await this.changeConfig(raw => withConfigValue(raw, current, key, value))
    return configValue(this.c.config, key)
  }

  /** My home servers, with whether the daemon's link to each is up. */
  listServers (): ServerView[] {
    const live = new Map((this.c.network?.servers?.list() ?? []).map(s => [s.peerId, s.connected]))
    return this.c.config.homeServers.map(addr => {
      const peerId = serverRef(addr).peerId
      return { addr, peerId, connected: live.get(peerId) ?? false }
    })
  }

  /**
   * Add a home server (a multiaddr naming its PeerId) to config.json; the same server
   * (PeerId) given again replaces its address. With `register`, also register that name
   * on the server's directory for my card (which now lists the server).
   */
  async addServer (addr: string, register?: string): Promise<{ servers: ServerView[], registered?: string }> {
    const peerId = serverRef(addr.trim()).peerId
    await this.changeConfig(raw => {
      const list = Array.isArray(raw.homeServers) ? (raw.homeServers as unknown[]).filter((a): a is string => typeof a === 'string') : []
      const kept = list.filter(a => { try { return serverRef(a).peerId !== peerId } catch { return true } })
      return { ...raw, homeServers: [...kept, addr.trim()] }
    })
    const card = register == null ? undefined : await this.registerName(addr.trim(), register)
    // The daemon joins the server at once: report it connected, not "not connected, check
    // the address", when it is reachable (a bounded wait; the link keeps retrying after).
    const servers = this.c.network?.servers
    if (servers != null) await waitForServerLink(this.c.events, peerId, () => servers.list().some(s => s.peerId === peerId && s.connected))
    if (register == null || card == null) return { servers: this.listServers() }
    return { servers: this.listServers(), registered: `${register.toLowerCase()}@${serverHost(addr) ?? card.peerId}` }
  }

  async removeServer (addrOrPeerId: string): Promise<ServerView[]> {
    const named = (a: string): boolean => { try { return a === addrOrPeerId || serverRef(a).peerId === addrOrPeerId } catch { return false } }
    if (!this.c.config.homeServers.some(named)) throw new ServerNotFoundError(addrOrPeerId)
    await this.changeConfig(raw => {
      const list = Array.isArray(raw.homeServers) ? (raw.homeServers as unknown[]).filter((a): a is string => typeof a === 'string') : []
      return { ...raw, homeServers: list.filter(a => !named(a)) }
    })
    return this.listServers()
  }

  /** Register `name` for my card on one server's directory (first come; NAME_TAKEN otherwise). */
  async registerName (serverAddr: string, name: string): Promise<VerifiedCard> {
    const ref = serverRef(serverAddr)
    const cardBytes = IdentityCard.encode(this.card())
    return await this.withLibp2p(async libp2p => {
      try {
        return await registerName(libp2p, { peerId: ref.peerId, addrs: ref.dialAddrs }, name, cardBytes, { timeoutMs: DIRECTORY_TIMEOUT_MS })
      } catch (err) {
        if (errorName(err) === 'PeerRefusedError') {
          const refused = err as Error & { code: string }
          const detail = String(refused.code) === 'NAME_TAKEN' ? 'the name is already registered by another key (first come, first served)' : refused.message
          throw new NameUnavailableError(name, serverAddr, detail)
        }
        const unreachable = dialFailureReason(err)
        if (unreachable != null) throw new ServerUnreachableError(serverAddr, unreachable, { cause: err })
        throw err
      }
    })
  }

  presenceStatus (): PresenceStatusName { return this.c.config.presence.status }

  /** Set my presence status (persisted in config.json; the daemon heartbeats it at once). */
  async setPresence (status: string): Promise<PresenceStatusName> {
    if (!(PRESENCE_STATUSES as readonly string[]).includes(status)) {
      throw new ConfigError(`unknown status "${status}": use one of ${PRESENCE_STATUSES.join(', ')}`)
    }
    await this.changeConfig(raw => ({ ...raw, presence: { ...(typeof raw.presence === 'object' && raw.presence != null ? raw.presence : {}), status } }))
    return this.c.config.presence.status
  }

  private async changeConfig (edit: (raw: Record<string, unknown>) => Record<string, unknown>): Promise<void> {
    this.c.config = await updateNodeConfig(this.c.configPath, edit)
    this.c.onConfigChange?.(this.c.config)
  }

  /** Run `fn` on the daemon's libp2p node, or on a short-lived one when no daemon runs. */
  private async withLibp2p<T> (fn: (libp2p: PeerpostLibp2p) => Promise<T>): Promise<T> {
    if (this.c.network != null) return await fn(this.c.network.libp2p)
    const libp2p = await createNetwork({ privateKey: this.c.identity.privateKey, listen: [] })
    await libp2p.start()
    try {
      return await fn(libp2p)
    } finally {
      await libp2p.stop()
    }
  }

  /**
   * Resolve `name@server` on that server's directory and pin the card as a contact of that
   * name (trust on first use). Already pinned: the directory must still name the same key,
   * or this throws NameKeyChangedError.
   */
  async addNamedContact (text: string): Promise<ContactView> {
    const parsed = parseNameAddress(text)
    if (parsed == null) throw new UnknownRecipientError(text)
    const card = await this.resolveNameCard(parsed.address)
    const pinned = await this.c.contacts.get(parsed.address)
    if (pinned != null) {
      if (pinned.peerId !== card.peerId || pinned.boxPublicKey !== hex(card.boxPublicKey)) throw new NameKeyChangedError(parsed.address, pinned.peerId, card.peerId)
      return contactView(pinned)
    }
    // The same keys pinned already under another name (from a card): that contact is this
    // name, as `send --to name@server` takes it; its card is refreshed if this one is newer.
    const sameKey = await this.c.contacts.getByPeerId(card.peerId)
    if (sameKey != null && sameKey.boxPublicKey === hex(card.boxPublicKey)) return await this.refreshCard(sameKey, card)
    return await this.pinCard(card, parsed.address)
  }

  private async resolveNameCard (address: string): Promise<VerifiedCard> {
    const parsed = parseNameAddress(address)
    if (parsed == null) throw new UnknownRecipientError(address)
    return await this.withLibp2p(async libp2p => {
      const server = directoryServer(parsed, this.c.config.homeServers)
      try {
        const target = await connectDirectory(libp2p, server, DIRECTORY_TIMEOUT_MS)
        return await resolveName(libp2p, target, parsed.name, { timeoutMs: DIRECTORY_TIMEOUT_MS })
      } catch (err) {
        if (errorName(err) === 'PeerRefusedError' && String((err as Error & { code: string }).code) === 'NOT_FOUND') throw new NameNotRegisteredError(address)
        const unreachable = dialFailureReason(err)
        if (unreachable != null) throw new ServerUnreachableError(server.addr, unreachable, { cause: err })
        throw err
      }
    })
  }

  private async pinCard (card: VerifiedCard, name: string): Promise<ContactView> {
    if (card.peerId === this.peerId) throw new OwnCardError()
    const now = this.c.now()
    const record: ContactRecord = {
      name,
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
    // Messages still queued for this peer were sealed to the key of a card pinned before
    // (a contact removed and added again, say after a key change): they are sealed again to
    // this card's key, as accept-key does, or its node could not open them.
    const queued = await this.resealQueued({ peerId: card.peerId, boxPublicKey: card.boxPublicKey, stampExempt: false })
    if (queued.resealed.length > 0) this.c.network?.engine.kick(card.peerId)
    return contactView(record)
  }

  /** Seal the messages queued for one peer again to `recipient`'s key (node/reseal.ts); the caller kicks the engine. */
  private async resealQueued (recipient: SealRecipient): Promise<ResealResult> {
    const { identity, outbox, mailbox, blobs, events, now } = this.c
    return await resealPending({ identity, card: () => this.card(), outbox, mailbox, blobs, events, now }, recipient)
  }

  /**
   * Pin the changed card a contact's mail carried (after the person checked it): its box
   * key replaces the old one, the messages queued for the contact (held meanwhile) are
   * sealed again to it, and sending to the contact works again.
   */
  async acceptContactKey (name: string): Promise<AcceptKeyView> {
    const contact = await this.c.contacts.get(name)
    if (contact == null) throw new ContactNotFoundError(name)
    if (contact.pendingCard == null) throw new NoPendingKeyError(name)
    const card = verifyCardBytes(contact.pendingCard)
    // Re-seal before the new key is pinned: while the changed card is still pending the
    // engine holds the contact's envelopes, so none of the old ones goes out in between, and
    // a crash in between leaves the change pending, to be accepted (and re-sealed) again.
    const queued = await this.resealQueued({ peerId: contact.peerId, boxPublicKey: card.boxPublicKey, stampExempt: contact.stampExempt === true })
    const { pendingCard: _accepted, ...rest } = contact
    const record: ContactRecord = { ...rest, card: card.encoded, cardCreated: card.created, boxPublicKey: hex(card.boxPublicKey), addrs: card.addrs, homeServers: card.homeServers, updatedAt: this.c.now() }
    await this.c.contacts.update(record)
    // The re-sealed envelopes are due now; a running engine tries them at once.
    this.c.network?.engine.kick(contact.peerId)
    return { ...contactView(record), resealed: queued.resealed.length, failed: queued.failed.length }
  }

  async removeContact (name: string): Promise<void> {
    await this.c.contacts.remove(name)
  }

  async addContact (cardText: string, name?: string): Promise<ContactView> {
    if (!cardText.startsWith('peerpost') && parseNameAddress(cardText) != null) {
      return await this.addNamedContact(cardText)
    }
    if (name != null) checkContactName(name)
    const card = cardFromText(cardText)
    if (card.peerId === this.peerId) throw new OwnCardError()
    const pinned = await this.c.contacts.getByPeerId(card.peerId)
    if (pinned != null && (name == null || name === pinned.name) && pinned.boxPublicKey === hex(card.boxPublicKey)) return await this.refreshCard(pinned, card)
    return await this.pinCard(card, name ?? card.displayName ?? card.peerId)
  }

  /**
   * The card of a contact already pinned, given again (a friend who added a home server or
   * moved sends a fresh one): same keys, so it only brings addresses and home servers, taken
   * when it is newer than the pinned card, as the receiver does with the card inside mail.
   */
  private async refreshCard (pinned: ContactRecord, card: VerifiedCard): Promise<ContactView> {
    if (card.created <= pinned.cardCreated) return { ...contactView(pinned), card: 'unchanged' }
    const record: ContactRecord = { ...pinned, card: card.encoded, cardCreated: card.created, addrs: card.addrs, homeServers: card.homeServers, updatedAt: this.c.now() }
    await this.c.contacts.update(record)
    // Mail waiting for them is tried again at the new addresses now, not at the next backoff.
    this.c.network?.engine.kick(card.peerId)
    return { ...contactView(record), card: 'updated' }
  }

  /** Contacts, each with its presence from its home servers while the daemon runs. */
  async listContacts (): Promise<ContactView[]> {
    const contacts = await this.c.contacts.list()
    const presence = this.c.network?.presence
    return await Promise.all(contacts.map(async c => {
      const view = contactView(c)
      if (presence != null && c.homeServers.length > 0) {
        const p = await presence.lookup(c.peerId, c.homeServers) ?? presence.cached(c.peerId)
        if (p != null) view.presence = p
      }
      return view
    }))
  }

  /**
   * Compose (or take an .eml), seal one envelope per recipient and queue it durably.
   * Attachments above `maxParkedAttachmentBytes` are streamed into the blob store first and
   * the envelopes carry references to them; if queueing fails they are removed again.
   */
  async send (request: SendRequest, options: { job?: string } = {}): Promise<SendResult> {
    const addresses = [...request.to, ...(request.cc ?? [])]
    if (request.to.length === 0) throw new NoRecipientsError()
    const recipients = await this.resolveRecipients(addresses)
    const paths = request.emlPath != null ? [] : request.attachmentPaths ?? []
    const prepared = await this.prepareAttachments(paths, recipients.map(r => r.peerId), options.job)
    try {
      return await this.queue(request, recipients, prepared)
    } catch (err) {
      for (const blob of prepared.blobs) await this.c.blobs?.remove(blob.blobId).catch(() => {})
      throw err
    }
  }

  private async queue (request: SendRequest, recipients: Recipient[], prepared: PreparedAttachments): Promise<SendResult> {
    const { identity, config, now } = this.c
    const date = now()
    let raw: Uint8Array
    let messageId: string
    let summary: ComposedSummary | undefined
    if (request.emlPath != null) {
      // Sized before it is read: a file given by mistake (a video, a disk image) is not loaded whole.
      const size = (await stat(request.emlPath)).size
      if (size > config.limits.maxMimeBytes) throw new EmlFileError(request.emlPath, `it is ${size} bytes, over the ${config.limits.maxMimeBytes} bytes a message may have (limits.maxMimeBytes)`)
      raw = new Uint8Array(await readFile(request.emlPath))
      try {
        messageId = (await readEmlForSend(raw, { maxBytes: config.limits.maxMimeBytes })).messageId
      } catch (err) {
        // What the parser says about the file's content, said about the file the person named.
        if (EML_CONTENT_ERRORS.has(errorName(err))) throw new EmlFileError(request.emlPath, (err as Error).message, { cause: err })
        throw err
      }
    } else {
      const attachments = prepared.inline
      const total = attachments.reduce((n, a) => n + a.content.byteLength, 0)
      if (total * 4 / 3 > config.limits.maxMimeBytes) {
        throw new AttachmentTooLargeError(`attachments total ${total} bytes; a message carries at most about ${Math.floor(config.limits.maxMimeBytes * 3 / 4)} bytes of attachments inline (files over ${config.maxParkedAttachmentBytes} bytes stay on this node)`)
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
      summary = composed.summary
    }
    if (raw.byteLength > config.limits.maxMimeBytes) throw new AttachmentTooLargeError(`the message is ${raw.byteLength} bytes; the limit is ${config.limits.maxMimeBytes}`)

    const senderCard = this.card()
    const envelopes = new Map<string, Uint8Array>()
    const states = recipients.map(r => {
      const sealed = sealMessageFor(identity, senderCard, r, raw, prepared.blobRefs, date)
      envelopes.set(r.peerId, sealed.bytes)
      return { peerId: r.peerId, address: r.address, state: 'pending' as const, attempts: 0, nextAttemptAt: date, envelopeId: hex(sealed.envelopeId) }
    })
    const id = newOutboxId(date)
    const entry: OutboxEntry = { id, messageId, subject: request.subject ?? '', createdAt: date, expiresAt: date + config.outbox.lifetimeMs, recipients: states }
    if (prepared.blobs.length > 0) entry.blobIds = prepared.blobs.map(b => b.blobId)
    // Delivery starts now, while the Sent copy is parsed and the outbox write syncs: the
    // engine records nothing about the entry until that write is durable (issue 8, latency).
    const queued = Promise.withResolvers<void>()
    queued.promise.catch(() => {}) // the failure is thrown to the caller below
    this.c.network?.engine.add(entry, { envelopes, durable: queued.promise })
    // Let the engine put the envelope on the wire first: its way there is a chain of
    // microtasks, which the Sent copy's indexing and the outbox write below would otherwise
    // run ahead of. Latency
    // bench, marks in both daemons (200 messages, twice each way): envelope written 0.67 ->
    // 0.47-0.51 ms after the send call came in, stored on the recipient 2.49-2.51 -> 2.27-2.38 ms
    // (p50); delivery throughput unchanged or better (3 pairs: 972/946/961 -> 1065/950/996 msgs/s).
    if (this.c.network != null) await new Promise<void>(resolve => { setImmediate(resolve) })
    try {
      // The Sent copy is indexed as a receiver indexes mail: from what was composed when
      // that is certain (node/mime/composed-summary.ts), else from a parse.
      const parsed = summary ?? await parseSummary(raw, { maxBytes: config.limits.maxMimeBytes })
      const sentCopy = { ...toNewMessage(parsed, raw.byteLength, identity.peerIdString, { folder: 'sent' }, date), unread: false }
      if (prepared.blobs.length > 0) sentCopy.blobs = prepared.blobs
      await this.c.outbox.enqueue(entry, envelopes, { message: sentCopy, raw, dedupeKey: `${identity.peerIdString}\n${messageId}` })
    } catch (err) {
      queued.reject(err)
      throw err
    }
    queued.resolve()
    // Before the engine hears that the write is done, so `queued` comes before any outcome.
    this.c.events.emit('outbox:queued', { id })
    return { id, messageId, recipients: recipients.map(r => ({ address: r.address, peerId: r.peerId })) }
  }

  /**
   * Small attachments to inline, large ones into the blob store (streamed) with their refs.
   * With a `job`, `send:progress` events tell how far each large one is (a 1 GiB file takes
   * seconds to seal and write, and the sender would otherwise see nothing meanwhile).
   */
  private async prepareAttachments (paths: string[], recipients: string[], job?: string): Promise<PreparedAttachments> {
    const { config, blobs, events, now } = this.c
    if (paths.length === 0) return { inline: [], blobRefs: [], blobs: [] }
    if (blobs == null) throw new TypeError('MailService: a blob store is needed to send attachments')
    let last = -Infinity
    const onProgress = job == null
      ? undefined
      : (p: { name: string, done: number, total: number }): void => {
          // The start and the end of each file always; between them a few a second at most.
          const at = now()
          if (p.done !== 0 && p.done < p.total && at - last < config.blobs.progressIntervalMs) return
          last = at
          events.emit('send:progress', { job, ...p })
        }
    return await prepareAttachments(paths, { threshold: config.maxParkedAttachmentBytes, store: blobs, recipients, self: this.peerId, retentionMs: config.blobs.retentionMs, onChunk: this.c.onBlobBytes, onProgress })
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

  /**
   * The messages of `folder` whose sender, recipients, subject or text contain `text` (case
   * does not matter), newest first, a bounded part of the folder per call (folder-search.ts).
   */
  async search (folder: Folder, text: string, options: { limit?: number, cursor?: string } = {}): Promise<SearchPage> {
    const { mailbox, config, log } = this.c
    // Only the page's size and cursor come from the caller (the control method passes its params whole).
    return await searchFolder({ mailbox, log }, folder, text, { limit: options.limit, cursor: options.cursor, bodyParseLimit: config.search.bodyParseLimit, maxMimeBytes: config.limits.maxMimeBytes })
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
      attachments: parsed.attachments.map(a => ({ name: a.name, type: a.type, size: a.size, sha256: a.sha256 })),
      largeAttachments: await this.largeAttachments(summary)
    }
    if (parsed.html != null) result.html = parsed.html
    if (parsed.inReplyTo != null) result.inReplyTo = parsed.inReplyTo
    if (summary.warning != null) result.warning = summary.warning
    return result
  }

  /**
   * A part of a message's raw RFC 5322 bytes as stored (`read --raw`), base64, at most
   * RAW_CHUNK_BYTES from `offset`: a reply line of the control socket stays under its
   * bound whatever the message's size. Does not mark the message read.
   */
  async rawChunk (id: string, offset: number, length: number = RAW_CHUNK_BYTES): Promise<{ size: number, offset: number, data: string }> {
    await this.requireMessage(id)
    const raw = (await this.c.mailbox.getRaw(id))!
    const start = Math.min(Math.max(0, Math.floor(offset) || 0), raw.byteLength)
    const end = Math.min(raw.byteLength, start + Math.min(Math.max(0, Math.floor(length) || 0), RAW_CHUNK_BYTES))
    return { size: raw.byteLength, offset: start, data: Buffer.from(raw.buffer, raw.byteOffset + start, end - start).toString('base64') }
  }

  /**
   * Save a message's attachments into `dir` (names sanitised, nothing overwritten): the
   * ones inside the message, and the large ones that are here (pulled whole and verified);
   * with `only`, just the attachments of those names.
   */
  async saveAttachments (id: string, dir: string, only?: string[]): Promise<string[]> {
    const summary = await this.requireMessage(id)
    const raw = (await this.c.mailbox.getRaw(id))!
    const parsed = await parseMessage(raw, { maxBytes: this.c.config.limits.maxMimeBytes })
    const chosen = only == null ? parsed.attachments : parsed.attachments.filter(a => only.includes(a.name))
    const saved = await saveAttachments(dir, chosen.map(a => ({ name: a.name, content: a.content })))
    const downloads = this.c.downloads
    if (downloads == null || summary.fromPeer === this.peerId) return saved
    const here = (await this.largeAttachments(summary)).filter(a => a.state === 'here' && (only == null || only.includes(a.name)))
    return [...saved, ...await saveAttachmentFiles(dir, here.map(a => ({ name: a.name, path: downloads.receivedPath(a.blobId) })))]
  }

  /** The large attachments of a message with their state: here, pulling n%, waiting for whom, failed why; or, sent by me, who has them. */
  private async largeAttachments (summary: MessageSummary): Promise<LargeAttachmentView[]> {
    const { blobs, downloads } = this.c
    const transfers = this.c.network?.transfers
    return await Promise.all((summary.blobs ?? []).map(async b => {
      const percent = (done: number): number => b.size === 0 ? 100 : Math.floor(done * 100 / b.size)
      if (summary.fromPeer === this.peerId) {
        const record = await blobs?.get(b.blobId)
        if (record == null) return { ...b, state: 'gone', bytesDone: b.size, percent: 100 }
        return { ...b, state: 'held', bytesDone: b.size, percent: 100, have: record.completed, waiting: record.recipients.filter(r => !record.completed.includes(r)) }
      }
      const record = await downloads?.get(b.blobId)
      if (record == null) return { ...b, state: 'failed', bytesDone: 0, percent: 0, reason: 'no download is recorded for it' }
      const view = transfers?.view(record) ?? viewOfDownload(record)
      const out: LargeAttachmentView = { ...b, state: view.state === 'complete' ? 'here' : view.state, bytesDone: view.bytesDone, percent: percent(view.bytesDone) }
      if (view.waitingFor != null) out.waitingFor = view.waitingFor
      if (view.waitingForName != null) out.waitingForName = view.waitingForName
      if (view.reason != null) out.reason = view.reason
      return out
    }))
  }

  /** One sent message: its recipients' states and, per large attachment, who has it and who waits. */
  async messageStatus (id: string): Promise<MessageStatusView> {
    const entry = await this.c.outbox.get(id)
    if (entry == null) throw new OutboxEntryNotFoundError(id)
    const sent = await this.c.mailbox.get(id)
    const addressOf = (peerId: string): string => entry.recipients.find(r => r.peerId === peerId)?.address ?? peerId
    const uploads = this.c.network?.transfers?.listUploads() ?? []
    const attachments = await Promise.all((sent?.blobs ?? []).map(async b => {
      const record = await this.c.blobs?.get(b.blobId)
      if (record == null) return { blobId: b.blobId, name: b.name, size: b.size, held: false, have: [], waiting: [] }
      const waiting = record.recipients.filter(r => !record.completed.includes(r))
      const pulling = waiting.flatMap(peer => {
        const u = uploads.find(u => u.blobId === b.blobId && u.peer === peer && !u.completed && u.chunksServed > 0)
        return u == null ? [] : [{ recipient: addressOf(peer), chunksServed: u.chunksServed, chunkCount: record.chunkCount, lastAt: u.updatedAt }]
      })
      return {
        blobId: b.blobId,
        name: b.name,
        size: b.size,
        held: true,
        have: record.completed.map(addressOf),
        waiting: waiting.map(addressOf),
        ...(pulling.length > 0 ? { pulling } : {}),
        expiresAt: record.expiresAt
      }
    }))
    return { entry, attachments }
  }

  /** Pull a failed large attachment again (needs the daemon). */
  async retryTransfer (blobId: string): Promise<TransferView> {
    const transfers = this.c.network?.transfers
    if (transfers == null) throw new OfflineError('retrying a transfer')
    return await transfers.retry(blobId)
  }

  /** Large attachments being pulled (or waiting, done, failed) and the ones served to recipients. */
  async transfers (): Promise<TransfersView> {
    const transfers = this.c.network?.transfers
    const records = transfers != null ? [] : await this.c.downloads?.list() ?? []
    const view: TransfersView = transfers != null
      ? { downloads: await transfers.list(), uploads: transfers.listUploads() }
      : { downloads: records.filter(r => r.info != null).map(r => viewOfDownload(r)), uploads: [] }
    const names: Record<string, string> = {}
    for (const peerId of new Set([...view.downloads.map(d => d.from), ...view.uploads.map(u => u.peer)])) {
      const contact = await this.c.contacts.getByPeerId(peerId)
      if (contact != null) names[peerId] = contact.name
    }
    return Object.keys(names).length > 0 ? { ...view, names } : view
  }

  /**
   * Write the mailbox's messages, as stored, into `dir` (a Maildir per folder, or an mbox
   * file per folder); `job` names the `mailfiles:progress` events told along the way.
   * Paths are the caller's: the daemon runs as the same user.
   */
  async exportMail (request: { dir: string, folders?: Folder[], format?: ExportFormat, job?: string }): Promise<ExportSummary> {
    const job = request.job
    return await exportMail({ mailbox: this.c.mailbox, downloads: this.c.downloads, self: this.peerId }, {
      dir: request.dir,
      folders: request.folders,
      format: request.format,
      onProgress: job == null ? undefined : p => { this.c.events.emit('mailfiles:progress', { job, ...p }) }
    })
  }

  /** Store the messages of a Maildir (with its Maildir++ subfolders), mbox or .eml file at `path` in `folder` (default archive), or each mail folder of an export in its namesake; nothing is sent. */
  async importMail (request: { path: string, folder?: Folder, job?: string }): Promise<ImportSummary> {
    const job = request.job
    return await importMail({ mailbox: this.c.mailbox, now: this.c.now }, {
      path: request.path,
      folder: request.folder,
      maxMimeBytes: this.c.config.limits.maxMimeBytes,
      onProgress: job == null ? undefined : p => { this.c.events.emit('mailfiles:progress', { job, ...p }) }
    })
  }

  /** Total and unread counts of every folder, from the stored counters (no folder is read). */
  async folders (): Promise<FolderView[]> {
    return await Promise.all(FOLDERS.map(async folder => ({ folder, ...await this.c.mailbox.counts(folder) })))
  }

  /** Mark a message read/unread or move it to another folder (e.g. archive, trash). */
  async updateMessage (id: string, change: { unread?: boolean, folder?: Folder }): Promise<MessageSummary> {
    const update: { unread?: boolean, folder?: Folder } = {}
    if (typeof change.unread === 'boolean') update.unread = change.unread
    if (change.folder != null) update.folder = change.folder
    const after = await this.c.mailbox.update(id, update)
    // Moved out of requests (or the trash): a large attachment waiting to be accepted starts now.
    if (change.folder != null && after.blobs != null) this.c.network?.transfers?.messageMoved(id)
    return after
  }

  /**
   * Move several messages to one folder (`peerpost delete` moves to the trash). Every id is
   * checked first: an unknown one (MessageNotFoundError) fails the call before anything moves.
   */
  async moveMessages (ids: string[], folder: Folder): Promise<MessageSummary[]> {
    if (!(FOLDERS as readonly string[]).includes(folder)) throw new UnknownFolderError(String(folder))
    for (const id of new Set(ids)) await this.requireMessage(id)
    const moved: MessageSummary[] = []
    for (const id of new Set(ids)) moved.push(await this.updateMessage(id, { folder }))
    return moved
  }

  /**
   * Delete messages for good. Only mail in the trash is taken (a slip of an id cannot erase
   * mail elsewhere): one id that is unknown (MessageNotFoundError) or not in the trash
   * (NotInTrashError) fails the call and nothing is deleted. The message, its indexes, its
   * cached search text and its large attachments pulled here go in one synced batch; its
   * dedupe key stays as a tombstone, so a re-delivery is acknowledged and not stored again,
   * until no copy can come any more (node/envelope-age.ts, storage/tombstones.ts).
   */
  async deleteForever (ids: string[]): Promise<{ deleted: string[] }> {
    return { deleted: (await this.requirePurger().purge(ids, { folder: 'trash' })).map(m => m.id) }
  }

  /** Delete every message in the trash for good (as deleteForever, a few hundred per batch). */
  async emptyTrash (): Promise<{ deleted: number }> {
    return { deleted: await this.requirePurger().emptyFolder('trash') }
  }

  private requirePurger (): Purger {
    if (this.c.purger == null) throw new TypeError('MailService: deleting for good needs a purger')
    return this.c.purger
  }

  /**
   * Take back a queued message from its recipients still pending (or from `addresses`
   * only: as sent to, PeerIds or contact names). The outbox marks them cancelled in one
   * synced write, then the engine drops them from its schedule and waits for an attempt
   * already under way, whose delivered or parked outcome is recorded as such. A copy
   * parked on holders (before, or by that attempt) is withdrawn from them
   * (`/peerpost/withdraw/1.0.0`, node/recall.ts): the recipient turns cancelled once no
   * holder may still have it, and stays parked at the holders that did not answer otherwise
   * (those that could not be reached are asked again in the background). Large
   * attachments that no recipient can pull any more (each has it or was cancelled) are
   * dropped. Throws OutboxEntryNotFoundError, NotARecipientError, and NotCancellableError
   * when a named recipient (or, with none named, every one) is neither pending nor parked:
   * nothing changes then.
   */
  async cancelOutbox (id: string, addresses: string[] = []): Promise<CancelView> {
    const { outbox, events, now } = this.c
    const before = await outbox.get(id)
    if (before == null) throw new OutboxEntryNotFoundError(id)
    const peerIds = addresses.length === 0 ? undefined : await Promise.all(addresses.map(async a => await this.recipientOf(before, a)))
    const { entry, cancelled } = await outbox.cancel(id, peerIds == null ? undefined : [...new Set(peerIds)], now())
    for (const peerId of cancelled) events.emit('outbox:recipient', { id, peerId, state: 'cancelled' })
    const underWay = await this.c.network?.engine.cancel(id, cancelled, CANCEL_WAIT_MS) ?? []
    // Read again: an attempt under way may have delivered or parked some meanwhile.
    let after = (await outbox.get(id)) ?? entry
    // Parked copies (before, or by an attempt under way just now): ask their holders to delete them.
    const parked = after.recipients.filter(r => r.state === 'parked' && (peerIds == null || peerIds.includes(r.peerId)))
    const withdrawn = parked.length === 0 ? new Map<string, boolean>() : await this.c.network?.recaller?.recall(id, parked) ?? new Map<string, boolean>()
    if (withdrawn.size > 0) after = (await outbox.get(id)) ?? after
    const asked = after.recipients.filter(r => peerIds == null || peerIds.includes(r.peerId))
    const recipients = asked.map(r => {
      const view: CancelledRecipientView = { address: r.address, peerId: r.peerId, state: r.state, cancelled: cancelled.includes(r.peerId) || withdrawn.get(r.peerId) === true }
      if (underWay.includes(r.peerId)) view.underWay = true
      if (withdrawn.has(r.peerId) && r.withdrawal != null) {
        view.withdrawal = r.withdrawal
        if (r.state === 'cancelled' && mayHaveBeenFetched(r.withdrawal)) view.mayHaveBeenFetched = true
      }
      return view
    })
    // An attempt still under way may yet deliver: its attachments stay (to their retention).
    const releasedBlobs = underWay.length === 0 ? await this.releaseCancelledBlobs(after) : []
    return { id, recipients, releasedBlobs, entry: after }
  }

  /** The PeerId of the recipient of `entry` that `address` names (as sent to, PeerId, or contact name). */
  private async recipientOf (entry: OutboxEntry, address: string): Promise<string> {
    const direct = entry.recipients.find(r => r.address === address || r.peerId === address)
    if (direct != null) return direct.peerId
    const contact = await this.c.contacts.get(address)
    const named = contact == null ? undefined : entry.recipients.find(r => r.peerId === contact.peerId)
    if (named == null) throw new NotARecipientError(entry.id, address, entry.recipients.map(r => r.address))
    return named.peerId
  }

  /**
   * Drop the large attachments of `entry` that no recipient can pull any more: each listed
   * recipient has it whole or was cancelled (a cancelled one never got the envelope naming
   * it). Failed recipients keep it to its retention, as before.
   */
  private async releaseCancelledBlobs (entry: OutboxEntry): Promise<string[]> {
    const { blobs } = this.c
    // One whose parked copy a holder no longer had may have fetched it, and may pull its attachments yet.
    const cancelled = new Set(entry.recipients.filter(r => r.state === 'cancelled' && !mayHaveBeenFetched(r.withdrawal ?? [])).map(r => r.peerId))
    if (blobs == null || cancelled.size === 0) return []
    const released: string[] = []
    for (const blobId of entry.blobIds ?? []) {
      const record = await blobs.get(blobId)
      if (record == null || !record.recipients.every(p => record.completed.includes(p) || cancelled.has(p))) continue
      if (await blobs.remove(blobId)) released.push(blobId)
    }
    return released
  }

  async outboxEntry (id: string): Promise<OutboxEntry | undefined> {
    return await this.c.outbox.get(id)
  }

  /**
   * The conversation of message `id`: it and the messages linked to it by Message-ID,
   * In-Reply-To and References, oldest first, at most THREAD_MAX_MESSAGES. The messages it
   * refers to are found by their dedupe keys (sender + Message-ID, for each peer of the
   * conversation); replies to any message of the conversation, and replies to those, from
   * the mailbox's thread index, however deep in a folder they are.
   */
  async thread (id: string): Promise<MessageSummary[]> {
    const { mailbox } = this.c
    const root = await this.requireMessage(id)
    const ids = new Set([root.messageId, ...root.references, ...(root.inReplyTo != null ? [root.inReplyTo] : [])])
    const found = new Map<string, MessageSummary>([[root.id, root]])
    const peers = new Set([root.fromPeer, this.peerId, ...[...root.to, ...root.cc].map(a => peerIdFromAddress(a)).filter((p): p is string => p != null)])
    for (const messageId of [...ids].slice(0, THREAD_MAX_REFERENCES)) {
      for (const peer of [...peers].slice(0, THREAD_MAX_PEERS)) {
        const localId = await mailbox.hasDedupeKey(`${peer}\n${messageId}`)
        const m = localId == null ? undefined : await mailbox.get(localId)
        if (m != null && THREAD_FOLDERS.includes(m.folder)) found.set(m.id, m)
      }
    }
    // Replies, breadth first: each Message-ID of the conversation is looked up once.
    const queue = [...ids, ...[...found.values()].map(m => m.messageId)]
    const asked = new Set<string>()
    while (queue.length > 0 && found.size < THREAD_MAX_MESSAGES) {
      const messageId = queue.shift()!
      if (asked.has(messageId)) continue
      asked.add(messageId)
      for (const localId of await mailbox.repliesTo(messageId, THREAD_MAX_MESSAGES)) {
        if (found.has(localId) || found.size >= THREAD_MAX_MESSAGES) continue
        const m = await mailbox.get(localId)
        if (m == null || !THREAD_FOLDERS.includes(m.folder)) continue
        if (m.inReplyTo !== messageId && !m.references.includes(messageId)) continue
        found.set(m.id, m)
        queue.push(m.messageId)
      }
    }
    return [...found.values()].sort((a, b) => a.date - b.date || a.receivedAt - b.receivedAt)
  }

  private async requireMessage (id: string): Promise<MessageSummary> {
    const summary = await this.c.mailbox.get(id)
    if (summary == null) throw new MessageNotFoundError(id)
    return summary
  }

  private async resolveRecipients (addresses: string[]): Promise<Recipient[]> {
    const seen = new Set<string>()
    const out: Recipient[] = []
    for (const address of addresses) {
      let contact = (await this.c.contacts.get(address)) ?? (await this.c.contacts.getByPeerId(address))
      const named = contact == null ? parseNameAddress(address) : undefined
      if (contact == null && named != null) {
        contact = await this.c.contacts.get(named.address)
        if (contact == null) {
          // First use of name@server: resolve it and pin the card (trust on first use). The
          // same key already pinned under another name is that contact.
          const card = await this.resolveNameCard(named.address)
          if (card.peerId === this.peerId) throw new SelfRecipientError(address)
          contact = await this.c.contacts.getByPeerId(card.peerId)
          if (contact == null) {
            await this.pinCard(card, named.address)
            contact = await this.c.contacts.get(named.address)
          }
        }
      }
      if (contact == null) throw new UnknownRecipientError(address)
      if (contact.peerId === this.peerId) throw new SelfRecipientError(address)
      if (contact.pendingCard != null) throw new ContactKeyChangedError(contact.name)
      if (seen.has(contact.peerId)) continue
      seen.add(contact.peerId)
      out.push({ address, name: contact.name, peerId: contact.peerId, boxPublicKey: new Uint8Array(Buffer.from(contact.boxPublicKey, 'hex')), stampExempt: contact.stampExempt === true })
    }
    return out
  }
}

/** Errors of readEmlForSend that are about the file's content (node/mime/errors.ts), not about this node. */
const EML_CONTENT_ERRORS = new Set(['MalformedMimeError', 'MissingMessageIdError', 'MimeTooLargeError', 'MimeHeaderTooLargeError', 'MimeTooManyPartsError', 'MimeNestingTooDeepError', 'InvalidAddressError', 'InvalidMessageIdError'])

/** The longest contact name `contacts add --as` takes: a card's display name has the same bound. */
const MAX_CONTACT_NAME_CHARS = MAX_DISPLAY_NAME_CHARS

/** A name given with --as must be one a person can type back in --to. */
function checkContactName (name: string): void {
  if (name.trim() === '') throw new InvalidContactNameError(name, 'it is empty')
  if (name !== name.trim()) throw new InvalidContactNameError(name, 'it starts or ends with a space')
  if (CONTROL_CHARS.test(name)) throw new InvalidContactNameError(name, 'it has control characters (a tab, a line break)')
  if (name.length > MAX_CONTACT_NAME_CHARS) throw new InvalidContactNameError(name, `it is ${name.length} characters long, over ${MAX_CONTACT_NAME_CHARS}`)
}

function contactView (c: ContactRecord): ContactView {
  const view: ContactView = { name: c.name, peerId: c.peerId, addrs: c.addrs, homeServers: c.homeServers, pinnedAt: c.pinnedAt }
  if (c.pendingCard != null) view.keyChanged = true
  if (c.stampExempt === true) view.stampExempt = true
  return view
}

/** The host part of a server multiaddr, for `name@host`. */
function serverHost (addr: string): string | undefined {
  const m = /^\/(?:ip4|ip6|dns|dns4|dns6)\/([^/]+)\/tcp\/(\d+)/.exec(addr)
  if (m == null) return undefined
  return m[2] === '4455' ? m[1] : `${m[1]}:${m[2]}`
}

/** Sortable by time, unique: 12 hex digits of ms, 8 random. */
export function newOutboxId (now: number): string {
  return now.toString(16).padStart(12, '0') + randomBytes(4).toString('hex')
}
