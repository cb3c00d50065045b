import { withStamp } from './restamp.js'
import { isUnsealable, keyChangeWaitText, keyUnknownText } from './reseal.js'
import type { NodeEvents } from './events.js'
import type { DeliverOutcome, DeliverTarget, OutgoingEnvelope } from './protocol/deliver.js'
import type { RouteOutcome, RouteTarget } from './routing.js'
import type { Contacts, Outbox, OutboxEntry, RecipientState } from '../storage/types.js'
import type { Logger } from '@libp2p/interface'

/** What the engine needs from the network: deliver envelopes to one peer. */
export interface Deliverer {
  deliver(target: DeliverTarget, envelopes: OutgoingEnvelope[], options?: { signal?: AbortSignal }): Promise<DeliverOutcome[]>
}

/** Decides, per recipient, between direct delivery and parking (node/routing.ts). */
export interface EnvelopeRouter {
  route(target: RouteTarget, envelopes: OutgoingEnvelope[], signal?: AbortSignal): Promise<RouteOutcome[]>
}

export interface OutboxEngineComponents {
  outbox: Outbox
  contacts: Contacts
  router: EnvelopeRouter
  events: NodeEvents
  log: Logger
  now: () => number
  /** In [0, 1); injected so tests can fix the jitter. */
  random: () => number
}

export interface OutboxEngineInit {
  retryBaseMs: number
  retryMaxMs: number
  /** Envelopes handed to one peer in one pipelined batch. */
  batchSize?: number
}

export const DEFAULT_BATCH_SIZE = 256

/**
 * Retry delay after `attempts` failures: exponential from `base`, capped at `max`, with
 * ±20% jitter so many senders do not retry in lockstep.
 */
export function backoffDelay (attempts: number, base: number, max: number, random: () => number): number {
  const exp = Math.min(max, base * 2 ** Math.max(0, attempts - 1))
  return Math.round(exp * (0.8 + 0.4 * random()))
}

const hexToBytes = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex, 'hex'))

/** Whether `peerId` is (still) pending in `entry` as just written. */
const stillPending = (entry: OutboxEntry, peerId: string): boolean => entry.recipients.find(r => r.peerId === peerId)?.state === 'pending'

/** The other recipients of `entry` who got it directly: they may hold it for `peerId`. */
function deliveredDirectly (entry: OutboxEntry, peerId: string): string[] {
  return entry.recipients.filter(r => r.peerId !== peerId && r.state === 'delivered').map(r => r.peerId)
}

/**
 * The delivery engine: a durable queue like an MTA's. Per recipient it tries at the
 * recorded next-attempt time, marks delivered only on a valid receipt, backs off with
 * jitter on temporary failures, and gives up (tells the sender) on a permanent failure
 * or when the message's lifetime ends. All state is in the Outbox store; this holds only
 * a schedule that is rebuilt from it on start.
 */
export class OutboxEngine {
  /** peerId -> entryId -> next attempt (ms). */
  private readonly due = new Map<string, Map<string, number>>()
  private readonly busy = new Set<string>()
  /**
   * Peers whose last round reached nobody (no delivery, no parking): consecutive such
   * rounds and when the next may start. Backing off the peer, not each message, keeps an
   * unreachable peer to one dial per round however many messages wait for it (per-message
   * jitter alone spread 1,000 messages over hundreds of small rounds, each a dial).
   */
  private readonly peerBackoff = new Map<string, { failures: number, until: number }>()
  private timer: NodeJS.Timeout | undefined
  private running = false
  private readonly batchSize: number
  private readonly abort = new AbortController()
  private readonly inFlight = new Set<Promise<void>>()
  /**
   * Entries handed over before their outbox write is durable (add's `early`): their
   * envelopes, and whether the write succeeded. Delivery may start at once; nothing about
   * them is written (settled, rescheduled) until the entry itself is.
   */
  private readonly fresh = new Map<string, { entry: OutboxEntry, envelopes: Map<string, Uint8Array>, written: Promise<boolean> }>()
  /**
   * Per peer, the entries its current round took up (from the moment it picked them, before
   * it reads them) and when that round has settled its outcomes: what `cancel` waits for.
   */
  private readonly underWay = new Map<string, { ids: Set<string>, settled: Promise<void> }>()

  constructor (private readonly components: OutboxEngineComponents, private readonly init: OutboxEngineInit) {
    this.batchSize = init.batchSize ?? DEFAULT_BATCH_SIZE
  }

  async start (): Promise<void> {
    this.running = true
    for (const entry of await this.components.outbox.pending()) this.track(entry)
    this.reschedule()
  }

  async stop (): Promise<void> {
    this.running = false
    if (this.timer != null) clearTimeout(this.timer)
    this.abort.abort()
    await Promise.allSettled([...this.inFlight])
  }

  /**
   * Add a newly queued entry and try it now. With `early`, the entry's outbox write is still
   * under way (`durable` settles when it is synced): delivery starts from the envelopes
   * given, so the recipient's copy does not wait for the sender's fsync; if the write
   * fails, the entry is dropped again (a recipient may then hold a message its sender was
   * told failed: at least once, never lost).
   */
  add (entry: OutboxEntry, early?: { envelopes: Map<string, Uint8Array>, durable: Promise<unknown> }): void {
    if (early != null) {
      const written = early.durable.then(() => true, () => false)
      this.fresh.set(entry.id, { entry, envelopes: early.envelopes, written })
      void written.then(ok => {
        this.fresh.delete(entry.id)
        if (!ok) for (const r of entry.recipients) this.due.get(r.peerId)?.delete(entry.id)
      })
    }
    this.track(entry)
    // A new message to a peer that has been unreachable for long is tried within the base
    // delay, not after the long backoff; a burst of them still makes one round per base delay.
    const now = this.components.now()
    for (const r of entry.recipients) {
      const b = this.peerBackoff.get(r.peerId)
      if (r.state === 'pending' && b != null) b.until = Math.min(b.until, now + this.init.retryBaseMs)
    }
    this.reschedule()
  }

  /** Try every pending recipient on `peerId` now (e.g. it just connected), or everyone. */
  kick (peerId?: string): void {
    const now = this.components.now()
    for (const [peer, entries] of this.due) {
      if (peerId != null && peer !== peerId) continue
      for (const id of entries.keys()) entries.set(id, now)
      this.peerBackoff.delete(peer)
    }
    this.reschedule()
  }

  /**
   * The sender took entry `id` back from these recipients (the outbox already says
   * `cancelled`): drop them from the schedule, so no attempt starts for them any more, and
   * wait (at most `waitMs`) until a round already under way for them has settled its
   * outcome: one that delivered or parked the envelope records that (the recipient or a
   * holder has it); any other outcome leaves them cancelled. Resolves to the peers whose
   * round was still under way when the wait ended (normally none).
   */
  async cancel (id: string, peerIds: string[], waitMs: number): Promise<string[]> {
    const rounds: Array<Promise<void>> = []
    const peers: string[] = []
    for (const peerId of peerIds) {
      const entries = this.due.get(peerId)
      entries?.delete(id)
      if (entries?.size === 0 && !this.busy.has(peerId)) { this.due.delete(peerId); this.peerBackoff.delete(peerId) }
      const round = this.underWay.get(peerId)
      if (round?.ids.has(id) === true) { rounds.push(round.settled); peers.push(peerId) }
    }
    if (rounds.length === 0) return []
    const left = new Set(peers)
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      Promise.all(rounds.map(async (r, i) => { await r; left.delete(peers[i] ?? '') })),
      new Promise<void>(resolve => { timer = setTimeout(resolve, waitMs) })
    ])
    clearTimeout(timer)
    return [...left]
  }

  private track (entry: OutboxEntry): void {
    for (const r of entry.recipients) {
      if (r.state !== 'pending') continue
      let entries = this.due.get(r.peerId)
      if (entries == null) { entries = new Map(); this.due.set(r.peerId, entries) }
      entries.set(entry.id, r.nextAttemptAt)
    }
  }

  private reschedule (): void {
    if (!this.running) return
    if (this.timer != null) clearTimeout(this.timer)
    this.timer = undefined
    const now = this.components.now()
    let earliest = Infinity
    for (const [peer, entries] of this.due) {
      if (this.busy.has(peer)) continue
      let peerEarliest = Infinity
      for (const at of entries.values()) peerEarliest = Math.min(peerEarliest, at)
      peerEarliest = Math.max(peerEarliest, this.peerBackoff.get(peer)?.until ?? 0)
      if (peerEarliest <= now) this.runPeer(peer)
      else earliest = Math.min(earliest, peerEarliest)
    }
    if (earliest !== Infinity) {
      // Timers beyond ~24 days overflow; the cap keeps the loop bounded anyway.
      const delay = Math.min(Math.max(0, earliest - now), 2 ** 31 - 1)
      this.timer = setTimeout(() => { this.reschedule() }, delay)
      this.timer.unref()
    }
  }

  private runPeer (peerId: string): void {
    this.busy.add(peerId)
    const task = this.deliverDue(peerId)
      .catch(err => { this.components.log.error('outbox run for %s failed - %e', peerId, err) })
      .finally(() => {
        this.busy.delete(peerId)
        this.inFlight.delete(task)
        this.reschedule()
      })
    this.inFlight.add(task)
  }

  /** Deliver everything due for one peer, in batches, until nothing is due. */
  private async deliverDue (peerId: string): Promise<void> {
    const { now } = this.components
    while (this.running) {
      const entries = this.due.get(peerId)
      if (entries == null || entries.size === 0) { this.due.delete(peerId); this.peerBackoff.delete(peerId); return }
      const t = now()
      if ((this.peerBackoff.get(peerId)?.until ?? 0) > t) return
      // Longest waiting first, so a batch that keeps failing does not starve the ones behind it.
      const dueIds = [...entries].filter(([, at]) => at <= t).sort((a, b) => a[1] - b[1]).slice(0, this.batchSize).map(([id]) => id)
      if (dueIds.length === 0) return
      // Taken up now, in the same tick as picked: a cancel from here on waits for this round.
      const round = Promise.withResolvers<void>()
      this.underWay.set(peerId, { ids: new Set(dueIds), settled: round.promise })
      try {
        if (!await this.round(peerId, dueIds, entries)) return
      } finally {
        this.underWay.delete(peerId)
        round.resolve()
      }
    }
  }

  /**
   * One round for `peerId`: read the entries picked, deliver or park them, record each
   * outcome. Resolves to whether more may be due at once (false: the rest is scheduled later).
   */
  private async round (peerId: string, dueIds: string[], entries: Map<string, number>): Promise<boolean> {
    const { outbox, contacts, router, now } = this.components
    const t = now()
    // Read before the envelopes: accept-key seals them again before it pins the new key,
    // so a contact read without a pending change means the envelopes read after it are sealed to its key.
    const contact = await contacts.getByPeerId(peerId)
    const batch: Array<{ entry: OutboxEntry, recipient: RecipientState, envelope: OutgoingEnvelope }> = []
    for (const id of dueIds) {
      const early = this.fresh.get(id)
      const entry = early?.entry ?? await outbox.get(id)
      const recipient = entry?.recipients.find(r => r.peerId === peerId)
      const bytes = early != null ? early.envelopes.get(peerId) : entry == null ? undefined : await outbox.envelope(id, peerId)
      if (entry == null || recipient == null || recipient.state !== 'pending' || bytes == null) {
        entries.delete(id)
        continue
      }
      if (t >= entry.expiresAt) {
        await this.settle(entry.id, peerId, { state: 'failed', lastError: `gave up after ${recipient.attempts} attempts: ${recipient.lastError ?? 'never reachable'}` }, true)
        continue
      }
      const envelope: OutgoingEnvelope = { envelopeId: hexToBytes(recipient.envelopeId), bytes }
      if ((entry.blobIds?.length ?? 0) > 0) envelope.carriesBlobs = true
      batch.push({ entry, recipient, envelope })
    }
    if (batch.length === 0) return true
    if (contact?.pendingCard != null) {
      await this.holdForKeyChange(peerId, contact.name, batch.map(b => b.entry))
      return true
    }

    const coRecipients = batch.map(b => deliveredDirectly(b.entry, peerId))
    const outcomes = await router.route({ peerId, contact, coRecipients }, batch.map(b => b.envelope), this.abort.signal)
    if (!this.running) return false

    // Before the outcomes are settled (and announced): whoever sees "delivered" sees the mark too.
    await this.learnStampExemption(peerId, contact?.stampExempt === true, outcomes)
    await Promise.all(batch.map(async ({ entry, recipient, envelope }, i) => {
      const outcome = outcomes[i]
      if (outcome == null) return
      const attempts = recipient.attempts + 1
      if (outcome.kind === 'stamp' && await this.stampAndRetry(entry.id, peerId, envelope.bytes, attempts, outcome.error)) return
      switch (outcome.kind) {
        case 'delivered':
          await this.settle(entry.id, peerId, { state: 'delivered', deliveredAt: now(), attempts, lastError: undefined })
          this.newHolderFor(entry, peerId)
          return
        case 'parked':
          await this.settle(entry.id, peerId, { state: 'parked', parkedAt: outcome.holders, attempts, lastError: undefined })
          return
        case 'failed':
          // The recipient's own node cannot open what was sealed to the key I pinned: its key
          // changed and its new card has not reached me yet. Not final: it waits (backing off,
          // within its lifetime) for that card, then for `contacts accept-key` (reseal.ts).
          if (isUnsealable(outcome.error)) break
          await this.settle(entry.id, peerId, { state: 'failed', attempts, lastError: outcome.error.message }, true)
          return
        case 'stamp':
          // It carries all the stamp I mint: the recipient asks more (for good); a holder, park elsewhere later.
          if (outcome.by === 'recipient') {
            await this.settle(entry.id, peerId, { state: 'failed', attempts, lastError: outcome.error.message }, true)
            return
          }
      }
      const message = outcome.kind === 'failed' ? keyUnknownText(contact?.name ?? peerId, outcome.error) : outcome.error.message
      const next = now() + backoffDelay(attempts, this.init.retryBaseMs, this.init.retryMaxMs, this.components.random)
      if (!await this.written(entry.id)) return
      // Only while still pending: one cancelled during the attempt stays cancelled, and unscheduled.
      const updated = await outbox.updateRecipient(entry.id, peerId, { attempts, nextAttemptAt: next, lastError: message }, { onlyIfPending: true })
      if (!stillPending(updated, peerId)) { entries.delete(entry.id); return }
      entries.set(entry.id, next)
      this.components.events.emit('outbox:recipient', { id: entry.id, peerId, state: 'pending', error: message })
    }))
    if (outcomes.some(o => o.kind !== 'retry')) {
      this.peerBackoff.delete(peerId)
    } else if (outcomes.length > 0) {
      // Reached nobody: the whole peer waits, not only this batch.
      const failures = (this.peerBackoff.get(peerId)?.failures ?? 0) + 1
      this.peerBackoff.set(peerId, { failures, until: now() + backoffDelay(failures, this.init.retryBaseMs, this.init.retryMaxMs, this.components.random) })
    }
    // Anything that failed is now scheduled in the future; loop picks up only what is due.
    return !outcomes.some(o => o.kind === 'retry')
  }

  /**
   * The envelope was refused for want of a stamp: mint one on the stored envelope (durably,
   * so a restart sends the stamped one) and retry it at once rather than after a backoff.
   * False when it already carries all the stamp I mint (the caller then treats the refusal
   * as final, or as a holder's, for the backoff). Bounded: a restamped envelope is never
   * restamped again, so each envelope retries this way at most once.
   */
  private async stampAndRetry (id: string, peerId: string, bytes: Uint8Array, attempts: number, error: Error): Promise<boolean> {
    const stamped = withStamp(bytes)
    if (stamped == null) return false
    const due = this.due.get(peerId)
    // An early entry whose outbox write failed is gone: nothing to stamp or retry.
    if (!await this.written(id)) { due?.delete(id); return true }
    const now = this.components.now()
    const updated = await this.components.outbox.replaceEnvelope(id, peerId, stamped, { attempts, nextAttemptAt: now, lastError: error.message }, { onlyIfPending: true })
    if (!stillPending(updated, peerId)) { due?.delete(id); return true }
    due?.set(id, now)
    this.components.events.emit('outbox:recipient', { id, peerId, state: 'pending', error: error.message })
    return true
  }

  /**
   * The contact's card changed its encryption key and the change waits for `contacts
   * accept-key`: its envelopes, sealed to the old key, are neither sent (it could not open
   * them) nor parked, and nothing fails for it. They wait, pending, saying why; accept-key
   * seals them again (reseal.ts) and kicks the peer. Looked at again after retryMaxMs at the
   * latest (a bound, in case the change goes away otherwise), and at the end of the message's
   * lifetime, which applies as to any pending message.
   */
  private async holdForKeyChange (peerId: string, name: string, entries: OutboxEntry[]): Promise<void> {
    const lastError = keyChangeWaitText(name)
    const now = this.components.now()
    const due = this.due.get(peerId)
    await Promise.all(entries.map(async entry => {
      const next = Math.min(entry.expiresAt, now + this.init.retryMaxMs)
      if (!await this.written(entry.id)) { due?.delete(entry.id); return }
      const updated = await this.components.outbox.updateRecipient(entry.id, peerId, { nextAttemptAt: next, lastError }, { onlyIfPending: true })
      if (!stillPending(updated, peerId)) { due?.delete(entry.id); return }
      due?.set(entry.id, next)
      this.components.events.emit('outbox:recipient', { id: entry.id, peerId, state: 'pending', error: lastError })
    }))
  }

  /**
   * Remember (in the contact record) whether the recipient said, next to its receipts, that I
   * am its contact: later envelopes to it are sealed without a stamp (mail-service.ts). Its
   * refusal for want of a stamp clears the mark. Written only when it changes.
   */
  private async learnStampExemption (peerId: string, marked: boolean, outcomes: RouteOutcome[]): Promise<void> {
    let exempt = marked
    for (const o of outcomes) {
      if (o.kind === 'delivered') exempt = o.stampExempt
      else if (o.kind === 'stamp' && o.by === 'recipient') exempt = false
    }
    if (exempt !== marked) await this.components.contacts.setStampExempt(peerId, exempt)
  }

  /**
   * A holder deleted an envelope I parked, unfetched (its retention ended). The recipient
   * turns failed once no holder keeps a copy any more. Expiry is rare: a scan of the
   * outbox is fine.
   */
  async expired (envelopeIdHex: string, holder: string, holderName = holder): Promise<boolean> {
    let cursor: string | undefined
    do {
      const page = await this.components.outbox.list(cursor == null ? { limit: 500 } : { limit: 500, cursor })
      for (const entry of page.items) {
        const r = entry.recipients.find(x => x.envelopeId === envelopeIdHex)
        if (r == null) continue
        if (r.state !== 'parked') return false
        const left = (r.parkedAt ?? []).filter(h => h !== holder)
        if (left.length > 0) {
          await this.components.outbox.updateRecipient(entry.id, r.peerId, { parkedAt: left })
          this.components.events.emit('outbox:recipient', { id: entry.id, peerId: r.peerId, state: 'parked' })
        } else {
          await this.settle(entry.id, r.peerId, { state: 'failed', parkedAt: undefined, lastError: `expired unfetched on ${holderName}` })
        }
        return true
      }
      cursor = page.next
    } while (cursor != null)
    return false
  }

  /**
   * `peerId` got `entry` directly, so it may now hold it for the recipients still waiting
   * (co-recipient holding): try them within the base delay rather than after their backoff,
   * while I am still online to park it.
   */
  private newHolderFor (entry: OutboxEntry, peerId: string): void {
    const soon = this.components.now() + this.init.retryBaseMs
    for (const r of entry.recipients) {
      const due = this.due.get(r.peerId)
      const at = due?.get(entry.id)
      if (r.peerId === peerId || due == null || at == null) continue
      due.set(entry.id, Math.min(at, soon))
      const b = this.peerBackoff.get(r.peerId)
      if (b != null) b.until = Math.min(b.until, soon)
    }
  }

  /** Whether the entry is in the outbox: at once, or when its early write has synced (false if it failed). */
  private async written (id: string): Promise<boolean> {
    return await (this.fresh.get(id)?.written ?? true)
  }

  /**
   * Record a recipient's outcome and unschedule it. With `onlyIfPending` (an outcome that did
   * not hand the envelope to anyone), a recipient cancelled meanwhile stays as it is, unannounced.
   */
  private async settle (id: string, peerId: string, change: Partial<RecipientState>, onlyIfPending = false): Promise<void> {
    if (!await this.written(id)) {
      this.due.get(peerId)?.delete(id)
      return
    }
    const updated = await this.components.outbox.updateRecipient(id, peerId, change, { onlyIfPending })
    this.due.get(peerId)?.delete(id)
    // Not applied: it was cancelled (or settled) meanwhile, and says so already.
    if (onlyIfPending && updated.recipients.find(r => r.peerId === peerId)?.state !== change.state) return
    const event: { id: string, peerId: string, state: RecipientState['state'], error?: string } = { id, peerId, state: change.state ?? 'pending' }
    if (change.lastError != null) event.error = change.lastError
    this.components.events.emit('outbox:recipient', event)
  }
}
