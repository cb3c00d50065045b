import { KEEP_ALIVE } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { InvalidServerAddressError, asError } from './errors.js'
import { backoffDelay } from './outbox-engine.js'
import { NoticeSubscription } from './protocol/notice.js'
import { PresenceSession, statusFromName } from './protocol/presence.js'
import type { PresenceStatusName } from './config.js'
import type { NodeEvents } from './events.js'
import type { Identity } from './identity/index.js'
import type { PeerpostLibp2p } from './network.js'
import type { Notice } from './protocol/notice.js'
import type { Logger, PeerId } from '@libp2p/interface'

/** A home server as configured: its multiaddr split into PeerId and dialable address. */
export interface ServerRef {
  /** As configured (`/ip4/…/tcp/…/p2p/<PeerId>`). */
  addr: string
  peerId: string
  /** The address without its `/p2p/<PeerId>` part. */
  dialAddrs: string[]
}

/** Split a configured home-server multiaddr (validated by the config schema) into its parts. */
export function serverRef (addr: string): ServerRef {
  let ma
  try {
    ma = multiaddr(addr)
  } catch (err) {
    throw new InvalidServerAddressError(addr, addr.startsWith('/') ? 'not a valid multiaddr' : 'a multiaddr starts with /', { cause: err })
  }
  const peerId = ma.getComponents().findLast(c => c.name === 'p2p')?.value
  if (peerId == null) throw new InvalidServerAddressError(addr, 'it names no /p2p/<PeerId>')
  const bare = ma.decapsulateCode(421).toString()
  return { addr, peerId, dialAddrs: bare === '/' || bare === '' ? [] : [bare] }
}

export interface HomeServerLinkComponents {
  libp2p: PeerpostLibp2p
  identity: Identity
  events: NodeEvents
  log: Logger
  now: () => number
  random: () => number
  /** My presence status right now (read at every heartbeat). */
  status: () => PresenceStatusName
  /** Addresses to advertise in heartbeats (listen addresses, relay addresses). */
  addrs: () => string[]
  /** Notices pushed by a server (pending ones first); `ack` deletes handled ones there. */
  onNotices: (server: ServerRef, notices: Notice[], ack: (noticeIds: Uint8Array[]) => Promise<void>) => void
  /** The link came up: a good moment to pull what the server holds. */
  onConnected: (server: ServerRef) => void
}

export interface HomeServerLinkInit {
  heartbeatMs: number
  reconnectBaseMs: number
  reconnectMaxMs: number
  /** Deadline for the dial and each session's opening. */
  connectTimeoutMs?: number
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000
/** A session that lasted this long counts as a success: the next reconnect starts from the base delay. */
const STABLE_SESSION_MS = 10_000

/**
 * The daemon's link to one home server. While running it keeps, forever and with bounded
 * backoff + jitter between attempts: a connection tagged KEEP_ALIVE (which also keeps the
 * circuit relay reservation when the daemon listens on `/p2p-circuit`: the relay transport
 * reserves on every connected relay), a presence session with a heartbeat every
 * `heartbeatMs`, and a notice subscription. When any of them ends (the server restarted, the
 * network dropped) the whole session is torn down and built again.
 */
export class HomeServerLink {
  private running = false
  private readonly stopController = new AbortController()
  private loop: Promise<void> | undefined
  private presence: PresenceSession | undefined
  private beatNow: (() => void) | undefined
  connected = false

  constructor (readonly server: ServerRef, private readonly c: HomeServerLinkComponents, private readonly init: HomeServerLinkInit) {}

  start (): void {
    if (this.running) return
    this.running = true
    this.loop = this.run()
  }

  async stop (): Promise<void> {
    this.running = false
    this.stopController.abort()
    await this.loop
    // Not a permanent peer any more: let the connection manager prune it.
    await this.c.libp2p.peerStore.merge(peerIdFromString(this.server.peerId), { tags: { [KEEP_ALIVE]: undefined } }).catch(() => {})
  }

  /** Send a heartbeat now (status or addresses changed) instead of at the next interval. */
  heartbeatNow (): void { this.beatNow?.() }

  private async run (): Promise<void> {
    let failures = 0
    while (this.running) {
      const started = this.c.now()
      try {
        await this.session()
      } catch (err) {
        if (this.running) this.c.log('link to %s failed - %s', this.server.peerId, asError(err).message)
      }
      if (!this.running) return
      failures = this.c.now() - started >= STABLE_SESSION_MS ? 1 : failures + 1
      const delay = backoffDelay(failures, this.init.reconnectBaseMs, this.init.reconnectMaxMs, this.c.random)
      await new Promise<void>(resolve => {
        const timer = setTimeout(resolve, delay)
        this.stopController.signal.addEventListener('abort', () => { clearTimeout(timer); resolve() }, { once: true })
      })
    }
  }

  /** One connected session; resolves or throws when it ends. */
  private async session (): Promise<void> {
    const { libp2p, identity, log } = this.c
    const timeout = this.init.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS
    const peerId = peerIdFromString(this.server.peerId)
    const target = { peerId: this.server.peerId, addrs: this.server.dialAddrs }
    const signal = AbortSignal.any([this.stopController.signal, AbortSignal.timeout(timeout)])
    // Our own config is the source of the server's address: the peer store forgets it after an hour.
    await libp2p.peerStore.merge(peerId, { multiaddrs: this.server.dialAddrs.map(a => multiaddr(a)), tags: { [KEEP_ALIVE]: { value: 1 } } })
    await libp2p.dial(peerId, { signal })

    let ended!: (reason: Error) => void
    const endedPromise = new Promise<Error>(resolve => { ended = resolve })
    const onDisconnect = (evt: CustomEvent<PeerId>): void => {
      if (evt.detail.toString() === this.server.peerId) ended(new Error('disconnected'))
    }
    libp2p.addEventListener('peer:disconnect', onDisconnect)
    let notices: NoticeSubscription | undefined
    let timer: NodeJS.Timeout | undefined
    try {
      const presence = await PresenceSession.open(libp2p, target, () => {}, { timeoutMs: timeout, signal })
      this.presence = presence
      void presence.ended.then(() => { ended(new Error('presence stream ended')) })
      const beat = async (): Promise<void> => {
        await presence.heartbeat(identity, this.c.addrs(), statusFromName(this.c.status()), this.c.now())
      }
      await beat()
      notices = await NoticeSubscription.open(libp2p, target, batch => {
        this.c.onNotices(this.server, batch, async ids => { await notices?.ack(ids) })
      }, { timeoutMs: timeout, signal })
      void notices.ended.then(() => { ended(new Error('notice stream ended')) })

      // Heartbeats: on the interval, or at once when asked (status or addresses changed).
      let beating = false
      const tick = (): void => {
        if (timer != null) clearTimeout(timer)
        timer = setTimeout(tick, this.init.heartbeatMs)
        if (beating) return
        beating = true
        beat().catch(err => { ended(asError(err)) }).finally(() => { beating = false })
      }
      timer = setTimeout(tick, this.init.heartbeatMs)
      this.beatNow = tick

      this.connected = true
      this.c.events.emit('servers:changed', { server: this.server.peerId, connected: true })
      log('linked to home server %s', this.server.peerId)
      this.c.onConnected(this.server)

      const stopped = new Promise<Error>(resolve => { this.stopController.signal.addEventListener('abort', () => { resolve(new Error('stopping')) }, { once: true }) })
      const reason = await Promise.race([endedPromise, stopped])
      log('link to home server %s ended: %s', this.server.peerId, reason.message)
    } finally {
      libp2p.removeEventListener('peer:disconnect', onDisconnect)
      if (timer != null) clearTimeout(timer)
      this.beatNow = undefined
      // On a clean stop, tell the server we are going: it marks us offline at once.
      if (this.stopController.signal.aborted && this.connected) {
        await this.presenceOffline().catch(() => {})
      }
      this.presence = undefined
      const wasConnected = this.connected
      this.connected = false
      await notices?.close().catch(() => {})
      notices?.abort(new Error('link closed'))
      if (wasConnected) this.c.events.emit('servers:changed', { server: this.server.peerId, connected: false })
    }
  }

  private async presenceOffline (): Promise<void> {
    const presence = this.presence
    if (presence == null) return
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      presence.heartbeat(this.c.identity, [], statusFromName('offline'), this.c.now()),
      new Promise(resolve => { timer = setTimeout(resolve, 1_000) })
    ]).finally(() => { clearTimeout(timer) })
    await presence.close().catch(() => {})
  }
}

/**
 * All my home servers: one HomeServerLink each, added and removed as the config changes.
 */
export class HomeServers {
  private readonly links = new Map<string, HomeServerLink>()
  private running = false

  constructor (private readonly c: HomeServerLinkComponents, private readonly init: HomeServerLinkInit) {}

  start (servers: string[]): void {
    this.running = true
    this.set(servers)
  }

  /** Follow a new list of configured servers: start links for new ones, stop removed ones. */
  set (servers: string[]): void {
    if (!this.running) return
    const wanted = new Map(servers.map(a => { const ref = serverRef(a); return [ref.peerId, ref] as const }))
    for (const [peerId, link] of this.links) {
      if (!wanted.has(peerId)) { this.links.delete(peerId); void link.stop() }
    }
    for (const [peerId, ref] of wanted) {
      if (this.links.has(peerId)) continue
      const link = new HomeServerLink(ref, this.c, this.init)
      this.links.set(peerId, link)
      link.start()
    }
  }

  heartbeatNow (): void { for (const link of this.links.values()) link.heartbeatNow() }

  list (): Array<{ addr: string, peerId: string, connected: boolean }> {
    return [...this.links.values()].map(l => ({ addr: l.server.addr, peerId: l.server.peerId, connected: l.connected }))
  }

  async stop (): Promise<void> {
    this.running = false
    await Promise.all([...this.links.values()].map(async l => { await l.stop() }))
    this.links.clear()
  }
}
