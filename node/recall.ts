import { asError, errorName } from './errors.js'
import { serverRef } from './home-servers.js'
import { peerIdBytesFromString } from './identity/index.js'
import { backoffDelay } from './outbox-engine.js'
import { PassScheduler } from './pass-scheduler.js'
import { parkingServers } from './routing.js'
import { withdrawEnvelope, WITHDRAW_PROTOCOL } from './protocol/withdraw.js'
import { peerIdFromString } from '@libp2p/peer-id'
import type { NodeEvents } from './events.js'
import type { ServerRef } from './home-servers.js'
import type { PeerpostLibp2p } from './network.js'
import type { DialTarget } from './protocol/rpc.js'
import type { Contacts } from '../storage/index.js'
import type { HolderWithdrawal, Outbox, OutboxEntry, RecipientState } from '../storage/types.js'
import type { Logger } from '@libp2p/interface'

/**
 * Holders asked per recipient on one `outbox cancel`: a copy is parked on the recipient's
 * home servers (a few) or on at most two co-recipients; anything past this is reported
 * "not tried" and stays listed as a place that may still have it.
 */
export const MAX_WITHDRAW_HOLDERS = 8

export interface RecallComponents {
  libp2p: PeerpostLibp2p
  contacts: Contacts
  /** My own home servers right now (a copy for a recipient without servers is parked there). */
  myServers: () => string[]
  /** Deadline for one holder: dial, request and answer. */
  timeoutMs: () => number
}

/**
 * Where to dial `holder`: a cache server by the address it is configured under (the
 * recipient's home servers, or mine), a co-recipient by its card's addresses; a connection
 * already open is used first anyway.
 */
async function holderTarget (c: RecallComponents, holder: string, recipient: string): Promise<DialTarget> {
  const servers = [...(await c.contacts.getByPeerId(recipient))?.homeServers ?? [], ...c.myServers()]
  for (const addr of servers) {
    try {
      const ref = serverRef(addr)
      if (ref.peerId === holder) return { peerId: holder, addrs: ref.dialAddrs }
    } catch {
      // An address without /p2p/ cannot be this holder: look at the next.
    }
  }
  return { peerId: holder, addrs: (await c.contacts.getByPeerId(holder))?.addrs ?? [] }
}

/**
 * Ask every holder of a parked recipient's copy to delete it (`/peerpost/withdraw/1.0.0`),
 * all at once, each within the dial timeout, and say what each answered: `withdrawn`;
 * `not-here` (the recipient may already have fetched it, or it expired); `unsupported`
 * (a holder that never said it speaks the protocol: the copy stays until fetched or
 * expired); `unreachable` (no answer in time, a refusal such as a server shutting down,
 * the protocol refused by a holder that said it speaks it, or not tried: asked again
 * later). Never throws.
 */
export async function withdrawParked (c: RecallComponents, recipient: RecipientState, signal?: AbortSignal): Promise<HolderWithdrawal[]> {
  const holders = [...new Set(recipient.parkedAt ?? [])]
  const request = withdrawRequest(recipient)
  return await Promise.all(holders.map(async (holder, i): Promise<HolderWithdrawal> => {
    if (i >= MAX_WITHDRAW_HOLDERS) return { peerId: holder, outcome: 'unreachable', error: `not tried: at most ${MAX_WITHDRAW_HOLDERS} holders are asked at once` }
    try {
      const target = await holderTarget(c, holder, recipient.peerId)
      const answer = await withdrawEnvelope(c.libp2p, target, request, { timeoutMs: c.timeoutMs(), ...(signal != null ? { signal } : {}) })
      return { peerId: holder, outcome: answer }
    } catch (err) {
      if (errorName(err) === 'UnsupportedProtocolError') {
        if (!(await advertisesWithdraw(c.libp2p, holder))) return { peerId: holder, outcome: 'unsupported' }
        return { peerId: holder, outcome: 'unreachable', error: 'it no longer served withdrawing, which it said it does (stopping or restarting?): asked again later' }
      }
      return { peerId: holder, outcome: 'unreachable', error: asError(err).message }
    }
  }))
}

/**
 * Whether `holder` said it speaks the withdraw protocol: its protocols as identify last
 * told them (on each connection) and as streams to it were negotiated. A holder refuses a
 * protocol it speaks for a moment while it stops (an older cache server drops its handlers
 * before its connections close) or starts: that refusal is temporary, asked again later,
 * while one that never listed it is too old to withdraw, for good.
 */
async function advertisesWithdraw (libp2p: PeerpostLibp2p, holder: string): Promise<boolean> {
  try {
    return (await libp2p.peerStore.get(peerIdFromString(holder))).protocols.includes(WITHDRAW_PROTOCOL)
  } catch {
    // Not in the peer store (or not a PeerId): nothing says it speaks it.
    return false
  }
}

/**
 * Ask the servers that were sent the recipient's MESSAGE_WAITING notice but hold no copy
 * (it went to co-recipients, or that server was full) to drop it: there a withdraw finds
 * no envelope and deletes the notices I posted about it (cache-server/withdraw.ts), so the
 * recipient is not sent looking for a copy that is gone. Best effort, all at once: the
 * answers change nothing in the outbox (a server older than that keeps the notice to its
 * retention, and the recipient's look for the copy finds nothing). Resolves to the servers
 * asked and the error of each that could not be (undefined: it answered). Never throws.
 */
export async function withdrawNotices (c: RecallComponents, recipient: RecipientState, signal?: AbortSignal): Promise<Array<{ peerId: string, error?: string }>> {
  let servers: ServerRef[]
  try {
    servers = parkingServers((await c.contacts.getByPeerId(recipient.peerId))?.homeServers ?? [], c.myServers(), recipient.peerId)
  } catch (err) {
    return [{ peerId: recipient.peerId, error: `no servers to ask: ${asError(err).message}` }]
  }
  const holders = new Set(recipient.parkedAt ?? [])
  const request = withdrawRequest(recipient)
  return await Promise.all(servers.filter(s => !holders.has(s.peerId)).slice(0, MAX_WITHDRAW_HOLDERS).map(async server => {
    try {
      await withdrawEnvelope(c.libp2p, { peerId: server.peerId, addrs: server.dialAddrs }, request, { timeoutMs: c.timeoutMs(), ...(signal != null ? { signal } : {}) })
      return { peerId: server.peerId }
    } catch (err) {
      return { peerId: server.peerId, error: asError(err).message }
    }
  }))
}

const withdrawRequest = (r: RecipientState): { envelopeId: Uint8Array, recipient: Uint8Array } =>
  ({ envelopeId: new Uint8Array(Buffer.from(r.envelopeId, 'hex')), recipient: peerIdBytesFromString(r.peerId) })

/**
 * The holders of a parked recipient's copy that a withdraw should ask again: those still
 * listed in `parkedAt` that could not be reached last time (one that does not support
 * withdrawing is not asked again). Empty when nothing is wanted.
 */
export function holdersToAskAgain (r: RecipientState): string[] {
  if (r.state !== 'parked' || r.withdrawal == null) return []
  const unreachable = new Set(r.withdrawal.filter(a => a.outcome === 'unreachable').map(a => a.peerId))
  return (r.parkedAt ?? []).filter(h => unreachable.has(h))
}

/** Withdraws looked at in one background pass; the rest wait for the next. */
const RETRY_BATCH = 16
/** Parked recipients whose withdraw is retried at most (a bound on memory, not expected to be reached). */
const MAX_TRACKED = 10_000
/** Outbox pages read at start, newest first, for withdraws to pick up again (500 entries each). */
const MAX_SCAN_PAGES = 20

export interface RecallerComponents extends RecallComponents {
  outbox: Outbox
  events: NodeEvents
  log: Logger
  now: () => number
  random: () => number
}

export interface RecallerInit {
  retryBaseMs: number
  retryMaxMs: number
}

interface Retry { entryId: string, peerId: string, holders: string[], tries: number, notBefore: number }

/**
 * Takes parked copies back for `outbox cancel` (recall), and asks the holders that could
 * not be reached again in the background: with backoff (the outbox's retry base and
 * maximum), at once when such a holder connects, until each answered, or the message's
 * outbox lifetime ended. What is wanted is durable (a parked recipient with unreachable
 * holders in its withdrawal record), so a restart picks it up again at start.
 */
export class Recaller {
  private readonly retries = new Map<string, Retry>()
  private readonly passes: PassScheduler
  private scanning: Promise<void> | undefined
  private stopped = false

  constructor (private readonly c: RecallerComponents, private readonly init: RecallerInit) {
    this.passes = new PassScheduler({
      pass: async () => { await this.pass() },
      waiting: () => this.retries.values(),
      now: c.now,
      onError: err => { c.log.error('withdraw retry pass failed - %e', err) }
    })
  }

  /** Pick up the withdraws still wanted: a bounded scan of the outbox, newest first, in the background. */
  start (): void {
    this.scanning = this.scan().catch(err => { this.c.log.error('could not look for withdraws to retry - %e', err) })
  }

  async stop (): Promise<void> {
    this.stopped = true
    await this.passes.stop()
    await this.scanning
  }

  private async scan (): Promise<void> {
    let cursor: string | undefined
    for (let page = 0; page < MAX_SCAN_PAGES && !this.stopped; page++) {
      const found = await this.c.outbox.list(cursor == null ? { limit: 500 } : { limit: 500, cursor })
      for (const entry of found.items) for (const r of entry.recipients) this.want(entry, r.peerId)
      cursor = found.next
      if (cursor == null) break
    }
  }

  /**
   * Withdraw the parked copies of these recipients of entry `id` from their holders (and
   * their notices from the servers told of them, withdrawNotices) and record the answers
   * (one synced write per recipient, storage settleWithdrawal): the recipient turns
   * delivered when a holder saw it fetch the copy, cancelled once no holder may still have
   * it, else stays parked at the others, and those that could not be reached are asked
   * again later. Resolves to whether each recipient turned cancelled.
   */
  async recall (id: string, recipients: RecipientState[]): Promise<Map<string, boolean>> {
    const done = new Map<string, boolean>()
    await Promise.all(recipients.map(async r => {
      const [answers, noticed] = await Promise.all([withdrawParked(this.c, r), withdrawNotices(this.c, r)])
      for (const n of noticed) if (n.error != null) this.c.log('could not ask %s to drop its notice about %s for %s - %s', n.peerId, r.envelopeId, r.peerId, n.error)
      const { entry, cancelled } = await this.c.outbox.settleWithdrawal(id, r.peerId, answers, this.c.now())
      done.set(r.peerId, cancelled)
      const state = entry.recipients.find(x => x.peerId === r.peerId)?.state ?? r.state
      this.c.events.emit('outbox:recipient', { id, peerId: r.peerId, state })
      this.want(entry, r.peerId)
    }))
    return done
  }

  /** A peer is online: withdraws waiting for it as a holder go now. */
  kick (peerId: string): void {
    let any = false
    for (const r of this.retries.values()) {
      if (r.holders.includes(peerId)) { r.notBefore = 0; any = true }
    }
    if (any) this.passes.wake()
  }

  /** Track (or stop tracking) the withdraw of recipient `peerId` of `entry` as the entry now says. */
  private want (entry: OutboxEntry, peerId: string): void {
    const key = `${entry.id} ${peerId}`
    const r = entry.recipients.find(x => x.peerId === peerId)
    const holders = r == null || this.c.now() > entry.expiresAt ? [] : holdersToAskAgain(r)
    const known = this.retries.get(key)
    if (holders.length === 0) { this.retries.delete(key); return }
    if (known == null && this.retries.size >= MAX_TRACKED) {
      this.c.log('not retrying the withdraw of %s to %s: %d already waiting', entry.id, peerId, MAX_TRACKED)
      return
    }
    // Already waiting: its backoff (advanced by each pass) stands; only who to ask changes.
    if (known != null) known.holders = holders
    else this.retries.set(key, { entryId: entry.id, peerId, holders, tries: 1, notBefore: this.c.now() + backoffDelay(1, this.init.retryBaseMs, this.init.retryMaxMs, this.c.random) })
    this.passes.reschedule()
  }

  /** Ask again the holders of the withdraws that are due (a batch at a time). */
  private async pass (): Promise<void> {
    const now = this.c.now()
    const due = [...this.retries.values()].filter(r => r.notBefore <= now).slice(0, RETRY_BATCH)
    for (const retry of due) {
      if (this.stopped) return
      const entry = await this.c.outbox.get(retry.entryId)
      const r = entry?.recipients.find(x => x.peerId === retry.peerId)
      if (entry == null || r == null || holdersToAskAgain(r).length === 0 || now > entry.expiresAt) {
        this.retries.delete(`${retry.entryId} ${retry.peerId}`)
        continue
      }
      // Backed off first, so a recall that throws (a failed write) is not run again at once.
      retry.tries++
      retry.notBefore = now + backoffDelay(retry.tries, this.init.retryBaseMs, this.init.retryMaxMs, this.c.random)
      this.c.log('asking the holders of %s for %s again to withdraw it', retry.entryId, retry.peerId)
      await this.recall(entry.id, [r]).catch(err => { this.c.log('withdraw of %s for %s failed - %s', retry.entryId, retry.peerId, asError(err).message) })
    }
  }
}
