import { multiaddr } from '@multiformats/multiaddr'
import type { Libp2p, Logger, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/** Reconnecting to a bootstrap server backs off from this to BOOTSTRAP_RETRY_MAX_MS, with jitter. */
export const BOOTSTRAP_RETRY_BASE_MS = 1_000
export const BOOTSTRAP_RETRY_MAX_MS = 60_000
export const BOOTSTRAP_DIAL_TIMEOUT_MS = 10_000
/** Tag that keeps bootstrap servers' connections when the connection manager prunes. */
export const BOOTSTRAP_TAG = 'peerpost-dht-bootstrap'

interface Link { addr: Multiaddr, failures: number, timer?: NodeJS.Timeout, dialing: boolean }

/**
 * Keeps a connection to each configured bootstrap cache server: the DHT learns every other
 * server from them (identify hands a peer that speaks the DHT protocol to kad-dht's routing
 * table, and its queries find the rest). A dropped or failed connection is dialed again
 * with a bounded backoff; one timer per configured server, nothing else.
 */
export class DhtBootstrap {
  private readonly links = new Map<string, Link>()
  private stopped = false
  private readonly onDisconnect = (evt: CustomEvent<PeerId>): void => {
    const link = this.links.get(evt.detail.toString())
    if (link != null) this.schedule(link, BOOTSTRAP_RETRY_BASE_MS)
  }

  constructor (private readonly c: { libp2p: Libp2p, log: Logger, random: () => number }, addrs: string[]) {
    for (const text of addrs) {
      const addr = multiaddr(text)
      const peerId = addr.getComponents().findLast(p => p.name === 'p2p')?.value
      if (peerId == null) continue
      this.links.set(peerId, { addr, failures: 0, dialing: false })
    }
  }

  async start (): Promise<void> {
    this.c.libp2p.addEventListener('peer:disconnect', this.onDisconnect)
    for (const link of this.links.values()) this.dial(link)
  }

  stop (): void {
    this.stopped = true
    this.c.libp2p.removeEventListener('peer:disconnect', this.onDisconnect)
    for (const link of this.links.values()) clearTimeout(link.timer)
  }

  private schedule (link: Link, delayMs: number): void {
    if (this.stopped || link.timer != null || link.dialing) return
    link.timer = setTimeout(() => { link.timer = undefined; this.dial(link) }, delayMs)
    link.timer.unref()
  }

  private dial (link: Link): void {
    if (this.stopped || link.dialing) return
    link.dialing = true
    this.c.libp2p.dial(link.addr, { signal: AbortSignal.timeout(BOOTSTRAP_DIAL_TIMEOUT_MS) })
      .then(async connection => {
        link.failures = 0
        await this.c.libp2p.peerStore.merge(connection.remotePeer, { tags: { [BOOTSTRAP_TAG]: { value: 100 } } }).catch(() => {})
        this.c.log('joined the DHT through %p', connection.remotePeer)
      }, (err: Error) => {
        link.failures++
        const backoff = Math.min(BOOTSTRAP_RETRY_MAX_MS, BOOTSTRAP_RETRY_BASE_MS * 2 ** Math.min(link.failures, 10))
        this.c.log('bootstrap server %s not reachable (%s); again in %d ms', link.addr.toString(), err.message, backoff)
        link.dialing = false
        this.schedule(link, backoff * (0.75 + this.c.random() * 0.5))
      })
      .finally(() => { link.dialing = false })
  }
}
