import { asError } from './errors.js'
import { serverRef } from './home-servers.js'
import { PresenceSession, statusName } from './protocol/presence.js'
import { peerIdStringFromBytes } from './identity/index.js'
import type { NodeEvents } from './events.js'
import type { ServerRef } from './home-servers.js'
import type { PeerpostLibp2p } from './network.js'
import type { PresenceInfo, StatusName } from './protocol/presence.js'
import type { Logger } from '@libp2p/interface'

/** What one server says about a peer, in plain types. */
export interface PresenceView {
  online: boolean
  status: StatusName
  addrs: string[]
  /** Online: since when (ms). */
  since?: number
  /** Offline: when a server last heard from it (ms; absent if never). */
  lastSeen?: number
  /** PeerId of the server that said so. */
  server: string
  /**
   * The server looked beyond itself (the cache servers' DHT) for this answer: it pushes no
   * change it does not see itself, so the view is asked for again rather than kept as live.
   */
  routed?: boolean
}

export interface PresenceWatchComponents {
  libp2p: PeerpostLibp2p
  events: NodeEvents
  log: Logger
  now: () => number
  /** A watched peer came online (or changed while online): the outbox tries it now. */
  onOnline: (peerId: string) => void
}

export interface PresenceWatchInit {
  /** Deadline for asking the servers. */
  timeoutMs: number
  /** Re-subscribe on a server whose stream ended after this long (doubling to `retryMaxMs`). */
  retryMs: number
  retryMaxMs: number
}

function toView (info: PresenceInfo, server: string): PresenceView {
  const view: PresenceView = { online: info.online, status: info.online ? statusName(info.status) : 'offline', addrs: info.addrs, server }
  if (info.online && info.since > 0n) view.since = Number(info.since)
  if (!info.online && info.lastSeen > 0n) view.lastSeen = Number(info.lastSeen)
  if (info.routed) view.routed = true
  return view
}

/** Several servers' answers about one peer: online if any says so, else the latest "last seen". */
export function mergeViews (views: PresenceView[]): PresenceView | undefined {
  const online = views.find(v => v.online)
  if (online != null) return online
  return views.reduce<PresenceView | undefined>((best, v) => best == null || (v.lastSeen ?? 0) > (best.lastSeen ?? 0) ? v : best, undefined)
}

interface ServerSession {
  ref: ServerRef
  session?: PresenceSession
  opening?: Promise<PresenceSession>
  /** Peers subscribed on this server (re-subscribed after the stream is rebuilt). */
  watched: Set<string>
  retryTimer?: NodeJS.Timeout
  failures: number
}

/**
 * The presence of other people, from their home servers: one long-lived presence stream
 * per server, a subscription for every peer asked about (so later changes are pushed, not
 * polled), and the latest answer per (peer, server) kept in memory. Pushed changes emit
 * `presence:changed`; a peer coming online calls `onOnline` (the outbox wakes for it).
 */
export class PresenceWatch {
  private readonly servers = new Map<string, ServerSession>()
  /** peerId -> server PeerId -> view */
  private readonly views = new Map<string, Map<string, PresenceView>>()
  private stopped = false

  constructor (private readonly c: PresenceWatchComponents, private readonly init: PresenceWatchInit) {}

  /** The latest known presence of `peerId` (no network). */
  cached (peerId: string): PresenceView | undefined {
    return mergeViews([...(this.views.get(peerId)?.values() ?? [])])
  }

  /** Subscribe requests sent to servers (a lookup answered from a live subscription sends none). */
  subscribeRequests = 0

  /**
   * The presence of `peerId` on `servers` (its home servers' multiaddrs). A server whose
   * stream already carries a subscription for the peer answers from memory: it pushes every
   * change, so the view is current, and the outbox asks before every delivery. Other servers
   * are asked, and subscribed to for later changes. Resolves to the merged answer, or
   * undefined when no server answered within the deadline.
   */
  async lookup (peerId: string, servers: string[]): Promise<PresenceView | undefined> {
    const refs = servers.flatMap(s => { try { return [serverRef(s)] } catch { return [] } })
    const answers = await Promise.all(refs.map(async ref => {
      const live = this.subscribed(ref.peerId, peerId)
      if (live != null) return live
      try {
        return await this.withDeadline(this.subscribeOn(ref, peerId))
      } catch (err) {
        this.c.log('presence of %s on %s: %s', peerId, ref.peerId, asError(err).message)
        return undefined
      }
    }))
    const views = answers.filter((v): v is PresenceView => v != null)
    return mergeViews(views)
  }

  /** The view of `peerId` that server `server` keeps current by pushes, if it does. */
  private subscribed (server: string, peerId: string): PresenceView | undefined {
    const entry = this.servers.get(server)
    if (entry?.session == null || !entry.watched.has(peerId)) return undefined
    const view = this.views.get(peerId)?.get(server)
    return view?.routed === true ? undefined : view
  }

  async stop (): Promise<void> {
    this.stopped = true
    for (const s of this.servers.values()) {
      if (s.retryTimer != null) clearTimeout(s.retryTimer)
      s.session?.abort(new Error('stopping'))
    }
    this.servers.clear()
  }

  private async withDeadline<T> (promise: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined
    try {
      return await Promise.race([promise, new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error(`no presence answer within ${this.init.timeoutMs} ms`)) }, this.init.timeoutMs) })])
    } finally {
      clearTimeout(timer)
    }
  }

  private async subscribeOn (ref: ServerRef, peerId: string): Promise<PresenceView | undefined> {
    let entry = this.servers.get(ref.peerId)
    if (entry == null) {
      entry = { ref, watched: new Set(), failures: 0 }
      this.servers.set(ref.peerId, entry)
    }
    entry.watched.add(peerId)
    let session: PresenceSession
    try {
      session = await this.session(entry)
    } catch (err) {
      // The server may come back: keep trying, so the subscription is there when it does.
      this.scheduleRetry(entry)
      throw err
    }
    this.subscribeRequests++
    const [info] = await session.subscribe([peerId])
    if (info == null) return undefined
    return this.record(info, ref.peerId, false)
  }

  private async session (entry: ServerSession): Promise<PresenceSession> {
    if (entry.session != null) return entry.session
    entry.opening ??= PresenceSession.open(this.c.libp2p, { peerId: entry.ref.peerId, addrs: entry.ref.dialAddrs }, info => { this.record(info, entry.ref.peerId, true) }, { timeoutMs: this.init.timeoutMs })
      .then(session => {
        entry.session = session
        entry.failures = 0
        void session.ended.then(() => { this.sessionEnded(entry, session) })
        return session
      })
      .finally(() => { entry.opening = undefined })
    return entry.opening
  }

  /** The stream to a server ended: what we knew from it is stale; re-subscribe after a while. */
  private sessionEnded (entry: ServerSession, session: PresenceSession): void {
    if (entry.session !== session) return
    entry.session = undefined
    for (const peerViews of this.views.values()) peerViews.delete(entry.ref.peerId)
    this.scheduleRetry(entry)
  }

  private scheduleRetry (entry: ServerSession): void {
    if (this.stopped || entry.watched.size === 0 || entry.retryTimer != null) return
    entry.failures++
    const delay = Math.min(this.init.retryMaxMs, this.init.retryMs * 2 ** Math.min(entry.failures - 1, 10))
    entry.retryTimer = setTimeout(() => {
      entry.retryTimer = undefined
      if (this.stopped) return
      this.session(entry)
        .then(async s => {
          for (const info of await s.subscribe([...entry.watched].slice(0, 256))) this.record(info, entry.ref.peerId, true)
        })
        .catch(() => { this.scheduleRetry(entry) })
    }, delay)
    entry.retryTimer.unref()
  }

  private record (info: PresenceInfo, server: string, pushed: boolean): PresenceView | undefined {
    const peerId = peerIdStringFromBytes(info.peerId)
    if (peerId == null) return undefined
    const view = toView(info, server)
    let perServer = this.views.get(peerId)
    if (perServer == null) { perServer = new Map(); this.views.set(peerId, perServer) }
    const before = perServer.get(server)
    perServer.set(server, view)
    const changed = before == null || before.online !== view.online || before.status !== view.status || before.addrs.join(' ') !== view.addrs.join(' ')
    if (pushed && changed) {
      this.c.events.emit('presence:changed', { peerId })
      if (view.online) this.c.onOnline(peerId)
    }
    return view
  }
}
