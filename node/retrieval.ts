import { asError } from './errors.js'
import { backoffDelay } from './outbox-engine.js'
import { PassScheduler } from './pass-scheduler.js'
import { errorReplyFor } from './protocol/errors.js'
import { FetchSession } from './protocol/fetch.js'
import { cutByUpgrade, retryOnUpgrade, UpgradeWatch } from './protocol/upgrade-retry.js'
import { NoticeKind } from './protocol/notice.js'
import { SealedEnvelope } from './protocol/peerpost.js'
import { peerIdStringFromBytes } from './identity/index.js'
import type { ServerRef } from './home-servers.js'
import type { PeerpostLibp2p } from './network.js'
import type { Notice } from './protocol/notice.js'
import type { Logger } from '@libp2p/interface'

export interface RetrievalComponents {
  libp2p: PeerpostLibp2p
  /** The inbox side: stores the envelope once (durably) or throws a typed error. */
  receive: (envelopeBytes: Uint8Array) => Promise<unknown>
  /** An envelope I parked expired unfetched on `holder` (PeerId); resolves once recorded. */
  onExpired: (envelopeIdHex: string, holder: string) => Promise<void>
  log: Logger
  now: () => number
  random: () => number
}

export interface RetrievalInit {
  /** Deadline for opening a fetch session and each request on it. */
  timeoutMs: number
  retryBaseMs?: number
  retryMaxMs?: number
}

/** Envelopes asked for in one GET (the holder may answer fewer if they are large). */
export const FETCH_BATCH = 64
/** Envelopes taken in one pass. */
const PASS_SIZE = 512
/** An envelope no location answered for is tried again this many times, then left to the next notice or reconnect. */
const MAX_TRIES = 8

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')

interface Wanted {
  id: Uint8Array
  /** Holder PeerId -> addresses to dial it at. */
  locations: Map<string, string[]>
  /** Notices that pointed here, acked once the envelope has landed. */
  notices: Array<{ noticeId: Uint8Array, ack: (ids: Uint8Array[]) => Promise<void> }>
  tries: number
  notBefore: number
}

/**
 * The pull side of offline delivery. Notices (and what a home server says it holds) name
 * envelopes and their locations; for each envelope this fetches from any location that
 * answers, hands the bytes to the receiver (which stores a message once, by sender +
 * Message-ID, durably), then acks to every location that listed it, then acks the notices.
 * An ack only ever follows the durable store, so a crash in between means the envelope
 * comes again and lands once.
 */
export class Retrieval {
  private readonly wanted = new Map<string, Wanted>()
  private readonly passes: PassScheduler

  constructor (private readonly c: RetrievalComponents, private readonly init: RetrievalInit) {
    this.passes = new PassScheduler({
      pass: async () => { await this.pass() },
      waiting: () => this.wanted.values(),
      now: c.now,
      onError: err => { c.log.error('retrieval pass failed - %e', err) }
    })
  }

  /** Notices pushed by a home server; `ack` deletes them there. */
  onNotices (server: ServerRef, notices: Notice[], ack: (ids: Uint8Array[]) => Promise<void>): void {
    const expired: Notice[] = []
    for (const n of notices) {
      if (n.kind === NoticeKind.ENVELOPE_EXPIRED) { expired.push(n); continue }
      if (n.kind !== NoticeKind.MESSAGE_WAITING || n.envelopeId.byteLength === 0) continue
      const locations = n.locations.length > 0
        ? n.locations.flatMap(l => { const p = peerIdStringFromBytes(l.peerId); return p == null ? [] : [[p, l.addrs] as const] })
        : [[server.peerId, server.dialAddrs] as const]
      this.want(n.envelopeId, locations, { noticeId: n.noticeId, ack })
    }
    if (expired.length > 0) void this.handleExpired(server, expired, ack)
    this.passes.wake()
  }

  /** A holder is (back) online: pull everything it holds for me. */
  onConnected (holder: ServerRef): void {
    void this.listHeld(holder)
  }

  async stop (): Promise<void> {
    await this.passes.stop()
  }

  /** Resolves when no pass runs (for tests and shutdown). */
  async idle (): Promise<void> {
    await this.passes.idle()
  }

  private want (id: Uint8Array, locations: ReadonlyArray<readonly [string, string[]]>, notice?: Wanted['notices'][number]): void {
    const key = hex(id)
    let w = this.wanted.get(key)
    if (w == null) {
      w = { id, locations: new Map(), notices: [], tries: 0, notBefore: 0 }
      this.wanted.set(key, w)
    }
    for (const [peerId, addrs] of locations) {
      const known = w.locations.get(peerId) ?? []
      w.locations.set(peerId, [...new Set([...known, ...addrs])])
    }
    if (notice != null) w.notices.push(notice)
    // New information: try now.
    w.notBefore = 0
  }

  private async listHeld (holder: ServerRef): Promise<void> {
    try {
      // Cut by a DCUtR upgrade, the listing is asked again at once on the direct connection.
      const held = await retryOnUpgrade(this.c.libp2p, holder.peerId, async watch => {
        const session = await FetchSession.open(this.c.libp2p, { peerId: holder.peerId, addrs: holder.dialAddrs }, { timeoutMs: this.init.timeoutMs, watch })
        try {
          return await session.listAll()
        } finally {
          await session.close().catch(() => {})
        }
      })
      for (const h of held) this.want(h.envelopeId, [[holder.peerId, holder.dialAddrs]])
      if (held.length > 0) this.c.log('%s holds %d envelope(s) for me', holder.peerId, held.length)
    } catch (err) {
      this.c.log('listing what %s holds failed - %s', holder.peerId, asError(err).message)
    }
    this.passes.wake()
  }

  private async handleExpired (server: ServerRef, notices: Notice[], ack: (ids: Uint8Array[]) => Promise<void>): Promise<void> {
    const done: Uint8Array[] = []
    for (const n of notices) {
      const holder = n.locations.map(l => peerIdStringFromBytes(l.peerId)).find(p => p != null) ?? server.peerId
      try {
        await this.c.onExpired(hex(n.envelopeId), holder)
        done.push(n.noticeId)
      } catch (err) {
        this.c.log.error('recording the expiry of %s failed - %e', hex(n.envelopeId), err)
      }
    }
    if (done.length > 0) await ack(done).catch(() => {})
  }

  private due (): Wanted[] {
    const now = this.c.now()
    return [...this.wanted.values()].filter(w => w.notBefore <= now).slice(0, PASS_SIZE)
  }

  /** One pass: fetch what is due from its locations, store, ack everywhere, ack notices. */
  private async pass (): Promise<void> {
    const batch = this.due()
    if (batch.length === 0) return
    const landed = new Set<string>()
    /** One session per holder for the pass; `watch` is absent on one opened again after an upgrade. */
    const sessions = new Map<string, { session: FetchSession, watch?: UpgradeWatch } | null>()
    const open = async (peerId: string, addrs: string[], again = false): Promise<{ session: FetchSession, watch?: UpgradeWatch } | undefined> => {
      if (!again && sessions.has(peerId)) return sessions.get(peerId) ?? undefined
      const watch = again ? undefined : new UpgradeWatch(this.c.libp2p, peerId)
      try {
        const entry = { session: await FetchSession.open(this.c.libp2p, { peerId, addrs }, { timeoutMs: this.init.timeoutMs, watch }), watch }
        sessions.set(peerId, entry)
        return entry
      } catch (err) {
        this.c.log('holder %s does not answer - %s', peerId, asError(err).message)
        sessions.set(peerId, null)
        return undefined
      }
    }
    /**
     * Run `use` on the holder's session. Cut by a DCUtR upgrade (upgrade-retry.ts), it runs
     * once more at once on a new session, whose stream goes over the direct connection;
     * any other failure (or a cut of that one) is logged and left to the backoff.
     */
    const withHolder = async (peerId: string, addrs: string[], what: string, use: (session: FetchSession) => Promise<void>): Promise<void> => {
      const entry = await open(peerId, addrs)
      if (entry == null) return
      try {
        await use(entry.session)
        return
      } catch (err) {
        if (!await cutByUpgrade(err, entry.watch)) {
          this.c.log('%s %s failed - %s', what, peerId, asError(err).message)
          return
        }
        this.c.log('%s %s cut by the upgrade to a direct connection, again on it', what, peerId)
        await entry.session.close().catch(() => {})
      }
      const again = await open(peerId, addrs, true)
      if (again == null) return
      await use(again.session).catch(err => { this.c.log('%s %s failed - %s', what, peerId, asError(err).message) })
    }

    try {
      // Locations that list the most envelopes first: fewest sessions for the most mail.
      const byLocation = new Map<string, { addrs: string[], ids: Wanted[] }>()
      for (const w of batch) {
        for (const [peerId, addrs] of w.locations) {
          const entry = byLocation.get(peerId) ?? { addrs: [], ids: [] }
          entry.addrs = [...new Set([...entry.addrs, ...addrs])]
          entry.ids.push(w)
          byLocation.set(peerId, entry)
        }
      }
      const order = [...byLocation].sort((a, b) => b[1].ids.length - a[1].ids.length)
      for (const [peerId, { addrs, ids }] of order) {
        if (ids.every(w => landed.has(hex(w.id)))) continue
        // Again after a cut: only what has not landed meanwhile.
        await withHolder(peerId, addrs, 'fetch from', async session => { await this.fetchFrom(session, peerId, ids.filter(w => !landed.has(hex(w.id))), landed) })
      }

      // Ack to every location that listed a landed envelope (a holder that does not have
      // it acks nothing; one that is down keeps its copy and offers it again later, when
      // it lands once more as a duplicate and is acked then).
      for (const [peerId, { addrs, ids }] of order) {
        const toAck = ids.filter(w => landed.has(hex(w.id))).map(w => w.id)
        if (toAck.length === 0) continue
        // Acking one twice (again after a cut) deletes nothing more.
        await withHolder(peerId, addrs, 'ack to', async session => {
          for (let i = 0; i < toAck.length; i += FETCH_BATCH) await session.ack(toAck.slice(i, i + FETCH_BATCH))
        })
      }
    } finally {
      await Promise.all([...sessions.values()].map(async s => { await s?.session.close().catch(() => {}) }))
    }

    // Notices last: they only go once the envelope is stored and its holders told.
    const noticeAcks = new Map<(ids: Uint8Array[]) => Promise<void>, Uint8Array[]>()
    for (const w of batch) {
      const key = hex(w.id)
      if (landed.has(key)) {
        this.wanted.delete(key)
        for (const n of w.notices) noticeAcks.set(n.ack, [...(noticeAcks.get(n.ack) ?? []), n.noticeId])
        continue
      }
      w.tries++
      if (w.tries >= MAX_TRIES) {
        // Its notice stays on the server: it comes again on the next reconnect.
        this.c.log('giving up on %s for now: no location answered', key)
        this.wanted.delete(key)
      } else {
        w.notBefore = this.c.now() + backoffDelay(w.tries, this.init.retryBaseMs ?? 1_000, this.init.retryMaxMs ?? 60_000, this.c.random)
      }
    }
    for (const [ack, ids] of noticeAcks) await ack(ids).catch(err => { this.c.log('notice ack failed - %s', asError(err).message) })
  }

  private async fetchFrom (session: FetchSession, holder: string, todo: Wanted[], landed: Set<string>): Promise<void> {
    let rest = todo.map(w => w.id)
    // One GET ahead: the holder reads and sends batch n+1 while batch n is being stored.
    const ask = (): { ids: Uint8Array[], got: Promise<Uint8Array[]> } | undefined => {
      if (rest.length === 0) return undefined
      const ids = rest.slice(0, FETCH_BATCH)
      rest = rest.slice(FETCH_BATCH)
      const got = session.get(ids)
      // Awaited below; if we stop first, the session closes and this one fails unheard.
      got.catch(() => {})
      return { ids, got }
    }
    let next = ask()
    while (next != null) {
      const current = next
      // A failed GET ends the fetch from this holder (the caller logs it, or asks again
      // on the direct connection after a DCUtR cut); what landed before it stays landed.
      const got = await current.got
      next = ask()
      const asked = new Set(current.ids.map(hex))
      const answered = new Set<string>()
      // Stored concurrently: their synced writes share fsyncs (group commit), where one
      // after the other cost an fsync each (a backlog of 1,000 took seconds).
      await Promise.all(got.map(async bytes => {
        let id: string
        try {
          id = hex(SealedEnvelope.decode(bytes).envelopeId)
        } catch {
          this.c.log.error('%s served an envelope that does not decode', holder)
          return
        }
        if (!asked.has(id) || answered.has(id)) return
        answered.add(id)
        try {
          await this.c.receive(bytes)
          landed.add(id)
        } catch (err) {
          const reply = errorReplyFor(err)
          if (reply.retryable) {
            this.c.log.error('storing %s failed, will retry - %e', id, err)
          } else {
            // It can never be opened or stored (not for me, tampered, over my limits):
            // ack it so the holder stops keeping it, and say so in the log.
            this.c.log.error('dropping envelope %s from %s: %s', id, holder, asError(err).message)
            landed.add(id)
          }
        }
      }))
      // The holder answers fewer when the answer would be too large: ask again for the rest,
      // but stop if it answered none (it does not have them).
      const missing = current.ids.filter(i => !answered.has(hex(i)))
      if (answered.size > 0 && missing.length < current.ids.length) rest = [...missing, ...rest]
      next ??= ask()
    }
  }
}
