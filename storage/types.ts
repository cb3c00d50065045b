/**
 * The storage contracts. Everything on disk sits behind these small interfaces so the
 * node, the daemon and tests can be handed a temp home. Storage knows bytes and plain
 * records only: it never imports node/ (wire types) or cli/.
 */

/** Mail folders. `quarantine` holds mail that claims a contact's address but is signed by another key. */
export const FOLDERS = ['inbox', 'requests', 'sent', 'quarantine', 'archive', 'trash'] as const
export type Folder = typeof FOLDERS[number]

export interface AttachmentSummary {
  name: string
  type: string
  size: number
  /** hex sha256 of the attachment's bytes */
  sha256: string
}

/**
 * A large attachment that is not inside the MIME: the sender keeps it and the recipient
 * pulls it (storage/blob-*.ts). Its state lives in the blob store or the downloads.
 */
export interface BlobAttachmentSummary {
  /** 32 hex digits. */
  blobId: string
  name: string
  type: string
  size: number
  /** hex sha256 of the attachment's bytes */
  sha256: string
}

/** What a mail list shows without reading the body. */
export interface MessageSummary {
  /** Local id, unique in this home, sortable by arrival. */
  id: string
  folder: Folder
  /** RFC 5322 Message-ID, as the sender set it (with angle brackets). */
  messageId: string
  /** Verified sender PeerId (from the signed envelope); for mail we sent, our own PeerId. */
  fromPeer: string
  /** The From header as written. */
  from: string
  to: string[]
  cc: string[]
  subject: string
  /** Header Date, ms since epoch. */
  date: number
  /** When this home stored it, ms since epoch. */
  receivedAt: number
  unread: boolean
  attachments: AttachmentSummary[]
  /** Large attachments kept by the sender (absent when there are none). */
  blobs?: BlobAttachmentSummary[]
  inReplyTo?: string
  references: string[]
  /** Size of the raw MIME in bytes. */
  size: number
  /** Why the message is not where it would normally be (e.g. quarantine reason). */
  warning?: string
}

export type NewMessage = Omit<MessageSummary, 'id'>

export interface ListOptions {
  /** Page size; default 50, at most 1000. */
  limit?: number
  /** Opaque cursor from a previous page's `next`. */
  cursor?: string
}

export interface Page<T> {
  items: T[]
  /** Pass back as `cursor` for the next page; absent at the end. */
  next?: string
}

export interface FolderCounts {
  total: number
  unread: number
}

export interface Mailbox {
  /**
   * Store a message once, keyed for dedupe by `dedupeKey` (sender PeerId + Message-ID).
   * Durable (synced) before it resolves. A second add with the same key stores nothing
   * and returns the first id with `duplicate: true`. A key whose message was deleted for
   * good (purge.ts keeps its tombstone) stores nothing either: `duplicate` and `deleted`
   * are true and `id` is ''.
   */
  add(message: NewMessage, raw: Uint8Array, dedupeKey: string): Promise<{ id: string, duplicate: boolean, deleted?: boolean }>
  get(id: string): Promise<MessageSummary | undefined>
  getRaw(id: string): Promise<Uint8Array | undefined>
  /** Newest first, paged from the folder/date index; never loads the folder whole. */
  list(folder: Folder, options?: ListOptions): Promise<Page<MessageSummary>>
  counts(folder: Folder): Promise<FolderCounts>
  /** Mark read/unread or move to another folder; indexes and counters move in one batch. */
  update(id: string, change: { unread?: boolean, folder?: Folder }): Promise<MessageSummary>
  /** The local id stored under `dedupeKey`; undefined when none is, or when its message was deleted for good. */
  hasDedupeKey(dedupeKey: string): Promise<string | undefined>
  /** Local ids of the messages whose In-Reply-To or References name `messageId` (the thread index), at most `limit`. */
  repliesTo(messageId: string, limit: number): Promise<string[]>
  /** The `list` cursor that continues right after `message` (as listed in its folder). */
  cursorAfter(message: MessageSummary): string
  /** The cached search texts of these messages, in order; undefined where none is cached. */
  searchTexts(ids: string[]): Promise<Array<SearchText | undefined>>
  /**
   * Cache the plain texts (lower-cased) of these messages for search, each cut to
   * MAX_SEARCH_TEXT_CHARS. Not synced: the cache is rebuilt from the raw message.
   */
  putSearchTexts(entries: Array<{ id: string, text: string }>): Promise<void>
}

/** A message's cached search text: all of it (`whole`), or its first MAX_SEARCH_TEXT_CHARS. */
export interface SearchText {
  text: string
  whole: boolean
}

/**
 * A cached search text holds at most this many characters (UTF-16 units): most mail text
 * is a few KiB, and the cache must not grow to the size of the attachments. A longer text
 * is kept cut (a search that does not find its word in the cut part parses the message).
 */
export const MAX_SEARCH_TEXT_CHARS = 32 * 1024

export interface ContactRecord {
  /** Local name, unique in this home (e.g. "bob"). */
  name: string
  peerId: string
  /** The pinned identity card, encoded. */
  card: Uint8Array
  /** `created` of the pinned card, so a newer card from the same key can refresh addresses. */
  cardCreated: number
  /** hex of the pinned X25519 box key: a card from the same PeerId with another box key is a key change. */
  boxPublicKey: string
  addrs: string[]
  homeServers: string[]
  pinnedAt: number
  updatedAt: number
  /**
   * A card from this PeerId with another box key, seen in its mail and not yet accepted
   * (`peerpost contacts accept-key NAME`); sending to the contact is refused until then.
   */
  pendingCard?: Uint8Array
  /**
   * They told us (in their answer on the deliver stream) that we are in their contacts, so
   * our envelopes to them carry no proof-of-work stamp. Cleared when they answer otherwise
   * or refuse an envelope with STAMP_REQUIRED; absent means mint, as for anyone.
   */
  stampExempt?: boolean
}

export interface Contacts {
  /** Pin a card under a name. Throws ContactExistsError if the name or PeerId is pinned to something else. */
  add(contact: ContactRecord): Promise<void>
  /** Replace the stored record for the same name and PeerId (newer card: addresses, home servers); the stored `stampExempt` mark stays (setStampExempt changes it). */
  update(contact: ContactRecord): Promise<void>
  get(name: string): Promise<ContactRecord | undefined>
  getByPeerId(peerId: string): Promise<ContactRecord | undefined>
  list(): Promise<ContactRecord[]>
  /** Unpin; the PeerId is remembered as a former contact (wasContact). */
  remove(name: string): Promise<void>
  /**
   * Whether `peerId` was a contact until at most FORMER_CONTACT_MS (30 days) ago and is not
   * one again. Mail it sealed without a stamp while it still was one may arrive later
   * through a holder; after that window it is a stranger again.
   */
  wasContact(peerId: string): Promise<boolean>
  /** Set the contact's `stampExempt` mark under the write lock; resolves to whether it changed (false also when `peerId` is no contact). */
  setStampExempt(peerId: string, exempt: boolean): Promise<boolean>
}

/**
 * `parked`: a holder (cache server) signed a receipt for the envelope and keeps it until the
 * recipient fetches it; not pending (nothing more for the sender to do) but not delivered.
 * `cancelled`: the sender took it back while it was pending (`peerpost outbox cancel`): no
 * attempt starts any more. An attempt already under way that delivers or parks it still
 * turns it delivered or parked (the recipient or a holder has it then), keeping `cancelledAt`.
 */
export type RecipientStateName = 'pending' | 'delivered' | 'failed' | 'parked' | 'cancelled'

export interface RecipientState {
  peerId: string
  /** What the user typed (contact name or PeerId), for display. */
  address: string
  state: RecipientStateName
  attempts: number
  /** ms since epoch; meaningful while pending. */
  nextAttemptAt: number
  lastError?: string
  deliveredAt?: number
  /** While parked: the PeerIds of the holders that gave a receipt for the envelope. */
  parkedAt?: string[]
  /** hex id of the sealed envelope for this recipient. */
  envelopeId: string
  /** When the sender cancelled it (set while `cancelled`, and kept if an attempt under way then delivered or parked it). */
  cancelledAt?: number
  /** What the holders of its parked copy answered when the sender last tried to take it back (`outbox cancel`). */
  withdrawal?: HolderWithdrawal[]
}

/**
 * One holder's answer to "delete the copy I parked": `withdrawn`; `fetched` (the recipient
 * fetched it from there: it has the message); `not-here` (fetched by the recipient, expired,
 * or never there: the holder cannot tell); `unsupported` (a holder without the withdraw
 * protocol: the copy stays until fetched or expired); `unreachable` (no answer, or not tried).
 */
export interface HolderWithdrawal {
  peerId: string
  outcome: 'withdrawn' | 'fetched' | 'not-here' | 'unsupported' | 'unreachable'
  error?: string
}

export interface OutboxEntry {
  /** Outbox id; the sent copy in the mailbox has the same id. */
  id: string
  messageId: string
  subject: string
  createdAt: number
  /** After this, pending recipients turn failed (the sender is told). */
  expiresAt: number
  recipients: RecipientState[]
  /** Large attachments this message refers to, held in this node's blob store (absent when none). */
  blobIds?: string[]
}

export interface Outbox {
  /**
   * Put a message in the outbox with one sealed envelope per recipient, and its copy in
   * the Sent folder, in one synced batch: when this resolves the message survives a crash.
   */
  enqueue(entry: OutboxEntry, envelopes: Map<string, Uint8Array>, sentCopy: { message: NewMessage, raw: Uint8Array, dedupeKey: string }): Promise<void>
  get(id: string): Promise<OutboxEntry | undefined>
  envelope(id: string, peerId: string): Promise<Uint8Array | undefined>
  /**
   * Replace the stored envelope of one recipient, and change its state in the same synced
   * batch: the same envelope with a stamp minted on it, or the message sealed again to a
   * contact's new key under a new envelope id. With `onlyIfPending`, a recipient that is no
   * longer pending (delivered or parked meanwhile: its envelope id is what receipts and
   * expiry notices name) is left as it is. Throws OutboxEntryNotFoundError /
   * RecipientNotFoundError. Resolves to the whole entry as it now is.
   */
  replaceEnvelope(id: string, peerId: string, bytes: Uint8Array, change?: EnvelopeChange, options?: { onlyIfPending?: boolean }): Promise<OutboxEntry>
  /** Every entry that still has a pending recipient. */
  pending(): Promise<OutboxEntry[]>
  /** Entries newest first (paged). */
  list(options?: ListOptions): Promise<Page<OutboxEntry>>
  /**
   * Change one recipient's state (synced). Resolves to the whole updated entry. With
   * `onlyIfPending`, a recipient no longer pending (e.g. cancelled meanwhile) is left as it is.
   */
  updateRecipient(id: string, peerId: string, change: RecipientChange, options?: { onlyIfPending?: boolean }): Promise<OutboxEntry>
  /**
   * Take back entry `id` from its pending recipients, or only from `peerIds`: they turn
   * `cancelled` in one synced batch. Checked and written under the entry's lock, so a
   * recipient delivered or parked a moment before is not cancelled. Parked recipients are
   * not changed here but listed in `parked` (the caller withdraws their copies, then
   * settleWithdrawal). Throws OutboxEntryNotFoundError, RecipientNotFoundError (a PeerId not
   * among its recipients), and NotCancellableError, changing nothing, when a named recipient
   * is neither pending nor parked or, with none named, no recipient is. Resolves to the
   * entry as it now is, the PeerIds cancelled and the parked ones.
   */
  cancel(id: string, peerIds: string[] | undefined, at: number): Promise<{ entry: OutboxEntry, cancelled: string[], parked: string[] }>
  /**
   * Record what the holders of parked recipient `peerId` answered to a withdraw, in one
   * synced write: when a holder says the recipient fetched it, it turns `delivered` (it has
   * the message); else once no holder may still have the copy (each answered withdrawn or
   * not-here) it turns `cancelled`; otherwise it stays `parked` at the holders that did not
   * answer. A recipient no longer parked (taken back by a concurrent cancel, or its copy
   * expired meanwhile) is left as it is, and nothing is written.
   * Resolves to the entry as it now is and whether the recipient turned cancelled.
   */
  settleWithdrawal(id: string, peerId: string, answers: HolderWithdrawal[], at: number): Promise<{ entry: OutboxEntry, cancelled: boolean }>
}

/** What updateRecipient may change of a recipient. */
export type RecipientChange = Partial<Omit<RecipientState, 'peerId' | 'envelopeId' | 'address' | 'cancelledAt'>>

/** What replaceEnvelope may change with the envelope: its id too, for an envelope sealed anew. */
export type EnvelopeChange = RecipientChange & { envelopeId?: string }

/** The keys of one identity, as stored in the keystore. */
export interface KeyMaterial {
  /** The PeerId derived from identityKey (stored in clear so it can be shown without the passphrase). */
  peerId: string
  /** libp2p private key in its protobuf encoding (Ed25519). */
  identityKey: Uint8Array
  /** X25519 secret key, 32 bytes. */
  boxSecretKey: Uint8Array
  /** X25519 public key, 32 bytes. */
  boxPublicKey: Uint8Array
  displayName?: string
  created: number
}

export interface Keystore {
  exists(): Promise<boolean>
  /** Create the keystore file (mode 0600), sealed when a passphrase is given. Fails if one exists. */
  create(keys: KeyMaterial, passphrase?: Uint8Array): Promise<void>
  /** Throws PassphraseRequiredError or WrongPassphraseError. */
  load(passphrase?: Uint8Array): Promise<KeyMaterial>
  /** The PeerId in clear, readable without the passphrase. */
  peerId(): Promise<string>
}
