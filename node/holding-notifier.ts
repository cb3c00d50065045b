import { asError } from './errors.js'
import { backoffDelay } from './outbox-engine.js'
import { newNotice, NoticeKind, postNotice } from './protocol/notice.js'
import { peerIdBytesFromString } from './identity/index.js'
import type { PresenceView } from './presence-watch.js'
import type { PeerpostLibp2p } from './network.js'
import type { Location } from './protocol/notice.js'
import type { ParkingStore } from '../storage/holding-types.js'
import type { Contacts } from '../storage/types.js'
import type { Logger } from '@libp2p/interface'

export interface HoldingNotifierComponents {
  libp2p: PeerpostLibp2p
  parking: Pick<ParkingStore, 'list' | 'recipients'>
  contacts: Pick<Contacts, 'getByPeerId'>
  /** Presence of `peerId` on its home servers; also subscribes, so its coming online calls `online`. */
  presence: (peerId: string, servers: string[]) => Promise<PresenceView | undefined>
  /** This node as a location. */
  self: () => Location
  log: Logger
  now: () => number
  random: () => number
}

export interface HoldingNotifierInit {
  /** Deadline for one notice to the recipient. */
  timeoutMs: number
  /** A recipient that cannot be reached is tried again after this, doubling to `retryMaxMs`. */
  retryBaseMs: number
  retryMaxMs: number
}

interface Tracked {
  failures: number
  timer?: NodeJS.Timeout
  busy: boolean
}

/**
 * Tells each recipient I hold mail for that it waits here, directly: a MESSAGE_WAITING
 * notice pushed to its node over `/peerpost/notice/1.0.0`, which makes it fetch from me.
 * When its home servers answer, their presence decides when (a push saying it came online
 * calls `online`); when they do not (or it has none), I try its known addresses with
 * backoff. Either way I keep at it, at most every `retryMaxMs`, while I hold anything for
 * it: the loop per recipient ends with its last envelope (ack or retention).
 */
export class HoldingNotifier {
  private readonly tracked = new Map<string, Tracked>()
  private stopped = false

  constructor (private readonly c: HoldingNotifierComponents, private readonly init: HoldingNotifierInit) {}

  /** Pick up every recipient I already hold mail for (after a restart). */
  async start (): Promise<void> {
    for (const recipient of await this.c.parking.recipients()) this.track(recipient)
  }

  stop (): void {
    this.stopped = true
    for (const t of this.tracked.values()) clearTimeout(t.timer)
    this.tracked.clear()
  }

  /** Something is held for `recipient`: tell it now (if not already being told). */
  track (recipient: string): void {
    if (this.stopped || this.tracked.has(recipient)) return
    const t: Tracked = { failures: 0, busy: false }
    this.tracked.set(recipient, t)
    this.schedule(recipient, t, 0)
  }

  /** `peerId` is online (presence push, or it connected to me): tell it now if I hold mail for it. */
  online (peerId: string): void {
    const t = this.tracked.get(peerId)
    if (t == null || t.busy) return
    t.failures = 0
    this.schedule(peerId, t, 0)
  }

  /** The recipient acked: stop when nothing is left for it. */
  acked (recipient: string, left: number): void {
    if (left > 0) return
    clearTimeout(this.tracked.get(recipient)?.timer)
    this.tracked.delete(recipient)
  }

  private schedule (recipient: string, t: Tracked, delayMs: number): void {
    clearTimeout(t.timer)
    t.timer = setTimeout(() => { void this.tell(recipient, t) }, delayMs)
    t.timer.unref()
  }

  private async tell (recipient: string, t: Tracked): Promise<void> {
    if (this.stopped || t.busy || this.tracked.get(recipient) !== t) return
    t.busy = true
    let next = this.init.retryMaxMs
    try {
      const held = (await this.c.parking.list(recipient, { limit: 1 })).items[0]
      if (held == null) {
        this.tracked.delete(recipient)
        return
      }
      const contact = await this.c.contacts.getByPeerId(recipient)
      const servers = contact?.homeServers ?? []
      const presence = servers.length > 0 ? await this.c.presence(recipient, servers) : undefined
      if (presence?.online === false) {
        // Its servers say it is away: their push (online()) wakes me; retryMaxMs is the fallback.
        return
      }
      const addrs = [...new Set([...(presence?.addrs ?? []), ...(contact?.addrs ?? [])])]
      const notice = newNotice({
        kind: NoticeKind.MESSAGE_WAITING,
        recipient: peerIdBytesFromString(recipient),
        envelopeId: new Uint8Array(Buffer.from(held.envelopeId, 'hex')),
        locations: [this.c.self()],
        blobLocations: [],
        created: this.c.now()
      })
      try {
        await postNotice(this.c.libp2p, { peerId: recipient, addrs }, notice, { timeoutMs: this.init.timeoutMs })
        this.c.log('told %s that mail waits here', recipient)
        t.failures = 0
      } catch (err) {
        t.failures++
        next = backoffDelay(t.failures, this.init.retryBaseMs, this.init.retryMaxMs, this.c.random)
        this.c.log('%s not reachable to tell it mail waits here (try %d) - %s', recipient, t.failures, asError(err).message)
      }
    } catch (err) {
      this.c.log.error('telling %s about held mail failed - %e', recipient, err)
    } finally {
      t.busy = false
      if (!this.stopped && this.tracked.get(recipient) === t) this.schedule(recipient, t, next)
    }
  }
}
