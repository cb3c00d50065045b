import { asError, isRetryable, NoAddressesError } from './errors.js'
import { serverRef } from './home-servers.js'
import { newNotice, NoticeKind, postNotice } from './protocol/notice.js'
import { peerIdBytesFromString } from './identity/index.js'
import { isStampRequired } from './restamp.js'
import type { ServerRef } from './home-servers.js'
import type { Deliverer } from './outbox-engine.js'
import type { PresenceView } from './presence-watch.js'
import type { PeerpostLibp2p } from './network.js'
import type { OutgoingEnvelope } from './protocol/deliver.js'
import type { ContactRecord } from '../storage/types.js'
import type { Logger } from '@libp2p/interface'

/** What became of one envelope on one attempt. */
export type RouteOutcome =
  /** `stampExempt`: the recipient said I am its contact (my envelopes to it need no stamp). */
  | { kind: 'delivered', stampExempt: boolean }
  | { kind: 'parked', holders: string[] }
  /** Try again later (temporary failure everywhere). */
  | { kind: 'retry', error: Error }
  /** The recipient refused it for good. */
  | { kind: 'failed', error: Error }
  /**
   * Refused for want of a proof-of-work stamp (STAMP_REQUIRED) by the recipient itself, or
   * by every holder that answered while none took it: mint one and try again at once.
   */
  | { kind: 'stamp', by: 'recipient' | 'holder', error: Error }

export interface RouterComponents {
  libp2p: PeerpostLibp2p
  /** Direct delivery to the recipient (`/peerpost/deliver/1.0.0`). */
  direct: Deliverer
  /** Deposit on a holder (`/peerpost/park/1.0.0`); receipts are checked against the holder's PeerId. */
  park: Deliverer
  /** Presence of `peerId` on its home servers (undefined: no server answered). */
  presence: (peerId: string, servers: string[]) => Promise<PresenceView | undefined>
  /** My own home servers right now. */
  myServers: () => string[]
  /** Where to dial a co-recipient (its card's addresses; a live connection is used first anyway). */
  addrsOf?: (peerId: string) => Promise<string[]>
  log: Logger
  now: () => number
}

export interface RouterInit {
  /** Deadline for posting one notice. */
  noticeTimeoutMs: number
}

/** A recipient as the router sees it. */
export interface RouteTarget {
  peerId: string
  contact: ContactRecord | undefined
  /**
   * Per envelope (same order): the other recipients of that message who got it directly,
   * so they may hold it for this one (co-recipient holding).
   */
  coRecipients?: string[][]
}

/** How many co-recipients hold a copy of an envelope that no cache server took. */
export const CO_RECIPIENT_COPIES = 2

/**
 * The cache servers a copy for `recipient` is parked on, and where its MESSAGE_WAITING
 * notice goes (even when the copy went to a co-recipient): the recipient's home servers,
 * or mine when it has none, never the recipient itself. A withdraw asks them too (recall.ts).
 */
export function parkingServers (theirServers: string[], myServers: string[], recipient: string): ServerRef[] {
  return (theirServers.length > 0 ? theirServers : myServers).map(serverRef).filter(ref => ref.peerId !== recipient)
}

/** A place an envelope may be parked. */
interface Holder { peerId: string, dialAddrs: string[] }

/**
 * The routing policy, in one place. Per recipient:
 * - it has home servers and they say it is online, or they do not answer and its card has
 *   addresses: deliver directly (the deliver protocol's dial timeout is the "short deadline");
 * - it has no home servers: deliver directly to its card's addresses (as before parking existed);
 * - what did not go directly, for a temporary reason, is parked on the recipient's home servers
 *   (all that take it: a copy on each), or on my own when it has none; a full quota or a
 *   server that is down just moves on to the next.
 * - what no cache server took (none reachable, or all full) is parked on co-recipients of
 *   the same message who got it directly and accept holding: up to CO_RECIPIENT_COPIES of
 *   them, so it has a holder whenever any is online. Servers come first because they are
 *   always on; a co-recipient is a person's node that may go away.
 * - then a MESSAGE_WAITING notice naming every holder goes to the recipient's home servers
 *   (or mine). A co-recipient holder also tells the recipient itself when it appears.
 * - nowhere to park: try again later.
 */
export class Router {
  constructor (private readonly c: RouterComponents, private readonly init: RouterInit) {}

  async route (target: RouteTarget, envelopes: OutgoingEnvelope[], signal?: AbortSignal): Promise<RouteOutcome[]> {
    const { peerId, contact } = target
    const outcomes: Array<RouteOutcome | undefined> = envelopes.map(() => undefined)
    const theirServers = contact?.homeServers ?? []
    let addrs = contact?.addrs ?? []
    let presence: PresenceView | undefined
    if (theirServers.length > 0) {
      presence = await this.c.presence(peerId, theirServers)
      if (presence?.online === true) addrs = [...new Set([...presence.addrs, ...addrs])]
    }
    const offline = presence != null && !presence.online
    // Made only when a direct attempt did not happen or did not settle an envelope: an Error
    // captures a stack, which cost ~30 µs per delivery on the sender (latency profile, issue 8).
    let directError: Error | undefined
    const noDirectError = (): Error => (directError ??= offline
      ? new Error(`offline (last seen ${presence?.lastSeen == null ? 'never' : new Date(presence.lastSeen).toISOString()})`)
      : new NoAddressesError(peerId))

    if (!offline && (addrs.length > 0 || this.c.libp2p.getConnections().some(c => c.remotePeer.toString() === peerId))) {
      const results = await this.c.direct.deliver({ peerId, addrs }, envelopes, { signal })
      results.forEach((r, i) => {
        if (r.ok) outcomes[i] = { kind: 'delivered', stampExempt: r.stampExempt === true }
        // Not parked: the recipient is online and takes it once stamped.
        else if (isStampRequired(r.error)) outcomes[i] = { kind: 'stamp', by: 'recipient', error: r.error }
        else if (!isRetryable(r.error)) outcomes[i] = { kind: 'failed', error: r.error }
        else directError = r.error
      })
    }

    const rest = envelopes.map((e, i) => ({ e, i })).filter(x => outcomes[x.i] == null)
    if (rest.length === 0 || signal?.aborted === true) return outcomes.map(o => o ?? { kind: 'retry', error: noDirectError() })

    const servers = parkingServers(theirServers, this.c.myServers(), peerId)
    const coRecipients = target.coRecipients ?? []
    if (servers.length === 0 && !rest.some(x => (coRecipients[x.i]?.length ?? 0) > 0)) return outcomes.map(o => o ?? { kind: 'retry', error: noDirectError() })

    const parkedAt = new Map<number, string[]>()
    const parkErrors: string[] = []
    const stampRefusals = new Map<number, Error>()
    const locationOf = new Map<string, string[]>()
    const parkOn = async (holder: Holder, items: typeof rest): Promise<void> => {
      const results = await this.c.park.deliver({ peerId: holder.peerId, addrs: holder.dialAddrs }, items.map(x => x.e), { signal })
      results.forEach((r, j) => {
        const i = items[j]!.i
        if (r.ok) {
          parkedAt.set(i, [...(parkedAt.get(i) ?? []), holder.peerId])
          locationOf.set(holder.peerId, holder.dialAddrs)
        } else {
          parkErrors.push(`${holder.peerId.slice(-8)}: ${r.error.message}`)
          if (isStampRequired(r.error)) stampRefusals.set(i, r.error)
        }
      })
    }
    for (const server of servers) await parkOn({ peerId: server.peerId, dialAddrs: server.dialAddrs }, rest)
    // Co-recipients, in the message's recipient order, for what no server took.
    const onServer = new Set([...parkedAt.keys()])
    const candidates = [...new Set(rest.flatMap(x => coRecipients[x.i] ?? []))].filter(p => p !== peerId)
    for (const co of candidates) {
      const items = rest.filter(x => !onServer.has(x.i) && (coRecipients[x.i] ?? []).includes(co) && (parkedAt.get(x.i)?.length ?? 0) < CO_RECIPIENT_COPIES)
      if (items.length === 0) continue
      await parkOn({ peerId: co, dialAddrs: await this.c.addrsOf?.(co) ?? [] }, items)
    }

    // Tell the recipient where its mail waits, on the servers it listens to.
    const noticeServers = servers
    for (const { e, i } of rest) {
      const at = parkedAt.get(i)
      const stampRefusal = stampRefusals.get(i)
      if (at == null && stampRefusal != null) {
        outcomes[i] = { kind: 'stamp', by: 'holder', error: stampRefusal }
        continue
      }
      if (at == null) {
        const why = [noDirectError().message, ...new Set(parkErrors)].join('; ')
        outcomes[i] = { kind: 'retry', error: new ParkingFailedError(`not delivered directly and no holder took it: ${why}`) }
        continue
      }
      outcomes[i] = { kind: 'parked', holders: at }
      const notice = newNotice({
        kind: NoticeKind.MESSAGE_WAITING,
        recipient: peerIdBytesFromString(peerId),
        envelopeId: e.envelopeId as Uint8Array<ArrayBuffer>,
        locations: at.map(h => ({ peerId: peerIdBytesFromString(h), addrs: locationOf.get(h) ?? [] })),
        // Large attachments stay here: the recipient pulls them from me (design section 5).
        blobLocations: e.carriesBlobs === true ? [this.selfLocation()] : [],
        created: this.c.now()
      })
      await Promise.all(noticeServers.map(async server => {
        try {
          await postNotice(this.c.libp2p, { peerId: server.peerId, addrs: server.dialAddrs }, notice, { timeoutMs: this.init.noticeTimeoutMs, signal })
        } catch (err) {
          // Not fatal: a holder announces what it holds when the recipient connects.
          this.c.log('notice for %s to %s failed - %s', peerId, server.peerId, asError(err).message)
        }
      }))
    }
    return outcomes.map(o => o ?? { kind: 'retry', error: noDirectError() })
  }

  /** This node as a notice location: its PeerId and the addresses it listens on now. */
  private selfLocation (): { peerId: Uint8Array<ArrayBuffer>, addrs: string[] } {
    const { libp2p } = this.c
    return { peerId: peerIdBytesFromString(libp2p.peerId.toString()), addrs: libp2p.getMultiaddrs().map(a => a.toString()).slice(0, 8) }
  }
}

export class ParkingFailedError extends Error {
  static readonly NAME = 'ParkingFailedError'
  override name = ParkingFailedError.NAME
  readonly retryable = true
}
