/**
 * Contracts of what a holder stores for others: sealed envelopes parked for offline
 * recipients (a cache server, or a co-recipient's node), notices, and the name directory.
 * Bytes and plain records only; wire encoding is the caller's.
 */
import type { ListOptions, Page } from './types.js'

export interface ParkedEnvelope {
  /** hex of the 16-byte envelope id */
  envelopeId: string
  /** recipient PeerId (the only peer that may list, fetch or ack it) */
  recipient: string
  /** PeerId of the connection that deposited it (for per-depositor quotas and expiry notices) */
  depositor: string
  size: number
  depositedAt: number
  expiresAt: number
}

export interface QuotaLimits {
  maxBytes: number
  maxCount: number
}

/**
 * Read on every deposit (never copied), so a holder whose quotas can change while it runs
 * (a node's `holding.*` config) may pass an object with getters.
 */
export interface ParkingLimits {
  maxEnvelopeBytes: number
  perRecipient: QuotaLimits
  perDepositor: QuotaLimits
  /** Whole-store bound, so a flood of distinct recipients cannot fill the disk. */
  total: QuotaLimits
  retentionMs: number
}

export interface Usage {
  count: number
  bytes: number
}

export interface ParkingStore {
  /**
   * Keep `bytes` for `recipient`. Resolves only when the envelope, its indexes and the
   * quota counters are durable (one synced batch, grouped with concurrent deposits).
   * Depositing the same envelope id for the same recipient again stores nothing and
   * resolves with `duplicate: true`. Throws QuotaExceededError (naming the quota) or
   * EnvelopeTooLargeError, and then nothing changes.
   */
  deposit(input: { envelopeId: string, recipient: string, depositor: string, bytes: Uint8Array, now: number }): Promise<{ envelope: ParkedEnvelope, duplicate: boolean }>
  /** What is held for `recipient`, oldest first, paged. Anyone else's view is simply empty. */
  list(recipient: string, options?: ListOptions): Promise<Page<ParkedEnvelope>>
  /** Recipients with something held, in key order, at most `limit` (for a holder that tells each one). */
  recipients(limit?: number): Promise<string[]>
  /** The bytes, only if this id is held for this recipient. */
  get(recipient: string, envelopeId: string): Promise<Uint8Array | undefined>
  /** Delete the listed ids held for `recipient` (synced); ids that are not theirs change nothing. Returns how many were deleted. */
  ack(recipient: string, envelopeIds: string[]): Promise<number>
  /**
   * The depositor takes back what it parked for `recipient` (synced, the same delete as an
   * ack or expiry). Returns the record, or undefined when it is not held, or was deposited
   * by another peer: the same answer, so nobody learns what others parked.
   */
  withdraw(depositor: string, recipient: string, envelopeId: string): Promise<ParkedEnvelope | undefined>
  /**
   * When `recipient` fetched (acked) `envelopeId`, if that was lately (FETCHED_MARK_MS) and
   * `depositor` deposited it; undefined otherwise (not fetched, long ago, the holder was
   * full of such marks, or another depositor's: the same answer).
   */
  fetchedAt(depositor: string, recipient: string, envelopeId: string): Promise<number | undefined>
  /** Delete up to `limit` envelopes whose retention ended by `now` (synced), and up to `limit` fetched marks past theirs; returns the envelopes. */
  expire(now: number, limit?: number): Promise<ParkedEnvelope[]>
  usage(): Usage
  usageOf(kind: 'recipient' | 'depositor', peerId: string): Promise<Usage>
  /** Recount from the records and compare with the counters (for tests and `fsck`). */
  audit(): Promise<{ consistent: boolean, counted: Usage, counters: Usage, problems: string[] }>
}

export interface StoredNotice {
  /** hex of the 16-byte notice id */
  noticeId: string
  /** PeerId the notice is for */
  recipient: string
  /** PeerId that posted it (bounded per poster) */
  poster: string
  /** The encoded wire notice, kept as it came */
  bytes: Uint8Array
  created: number
  expiresAt: number
}

export interface NoticeLimits {
  maxPerRecipient: number
  maxPerPoster: number
  maxNoticeBytes: number
  retentionMs: number
}

export interface NoticeStore {
  /** Durable before resolving; the same noticeId twice stores once. Throws QuotaExceededError. */
  add(notice: StoredNotice): Promise<{ duplicate: boolean }>
  /** Pending notices for `recipient`, oldest first (bounded by maxPerRecipient). */
  listFor(recipient: string): Promise<StoredNotice[]>
  /** Delete the recipient's notices with these ids; others change nothing. */
  ack(recipient: string, noticeIds: string[]): Promise<number>
  expire(now: number, limit?: number): Promise<StoredNotice[]>
  /**
   * Notices held (for the operator's metrics): read from the database on the first call,
   * kept up to date by this store's own writes after it (exact when nothing is written
   * during that first call: a server asks before it serves).
   */
  count(): Promise<number>
}

export interface NameRecord {
  /** lower-case name, [a-z0-9][a-z0-9._-]{0,63} */
  name: string
  peerId: string
  /** The registered identity card, encoded */
  card: Uint8Array
  cardCreated: number
  registeredAt: number
  updatedAt: number
}

export interface NameStore {
  /**
   * First come: registers `name` for `peerId`. The same PeerId may replace its card with a
   * newer one (cardCreated greater); another PeerId gets NameTakenError. Throws
   * InvalidNameError for a name outside the allowed syntax. Durable before resolving.
   */
  register(record: Omit<NameRecord, 'registeredAt' | 'updatedAt'>, now: number): Promise<NameRecord>
  resolve(name: string): Promise<NameRecord | undefined>
  /** Names registered (for the operator's metrics), counted like NoticeStore.count. */
  count(): Promise<number>
}
