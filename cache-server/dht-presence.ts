import { Heartbeat } from '../node/protocol/peerpost.js'
import { presenceInfoFromRecord, presenceRecordKey, PresenceRecordError, selectNewestPresenceRecord, verifyPresenceRecord } from '../node/protocol/presence-record.js'
import type { PresenceBeyond } from '../node/protocol/presence.js'
import type { PresenceInfo } from '../node/protocol/peerpost.js'
import type { Logger } from '@libp2p/interface'
import type { QueryEvent } from '@libp2p/kad-dht'

/** What DhtPresence needs of kad-dht. */
export interface PresenceDht {
  put(key: Uint8Array, value: Uint8Array, options?: { signal?: AbortSignal }): AsyncIterable<QueryEvent>
  get(key: Uint8Array, options?: { signal?: AbortSignal }): AsyncIterable<QueryEvent>
  /** Other servers in the routing table (0: alone, nothing to ask or tell). */
  peers(): number
}

export interface DhtPresenceInit {
  republishMs: number
  recordMaxAgeMs: number
  maxPutsPerSecond: number
  maxPendingPuts: number
  putTimeoutMs: number
  lookupTimeoutMs: number
  maxConcurrentLookups: number
  lookupCacheMs: number
  /** Nodes tracked for puts at most (the presence directory's own bound); more are not put. */
  maxTracked: number
}

/** Puts running at once: the rate limit spaces them, this bounds slow ones. */
export const DHT_PUT_CONCURRENCY = 4
/** Lookup answers kept (positive and negative), the oldest dropped first. */
export const DHT_LOOKUP_CACHE_ENTRIES = 10_000

export class DhtPresenceStats {
  putsOk = 0
  putsFailed = 0
  /** Heartbeats not queued for a put because the queue was full (re-offered at the next one). */
  putsDropped = 0
  lookupsFound = 0
  lookupsNotFound = 0
  /** Lookups not made because maxConcurrentLookups were running: answered from this server alone. */
  lookupsBusy = 0
  recordsRefused = 0
}

interface Heard {
  /** The newest heartbeat timestamp (the node's own clock) this server took from the peer. */
  ts: bigint
  /** When it last went into the DHT (0: not yet), and what it said then. */
  publishedAt: number
  published: string
  /** The newest heartbeat, kept until it is put. */
  latest?: Heartbeat
}

/**
 * Node presence in the cache servers' DHT. A home server puts each node's signed heartbeat
 * (the record: node/protocol/presence-record.ts) when what it says changes, or when the last
 * put is `republishMs` old, so a record stays fresh while the node heartbeats and goes stale
 * `recordMaxAgeMs` after it stops. Puts wait in a queue bounded in entries (one per node:
 * a newer heartbeat replaces a waiting one), leave at `maxPutsPerSecond` at most, a few at
 * a time, each with a deadline.
 *
 * As `PresenceBeyond`, it answers queries about peers this server has no online entry
 * for: a DHT lookup with a deadline, at most `maxConcurrentLookups` at once (beyond that,
 * the local answer), answers cached for `lookupCacheMs`. A record no newer than the last
 * heartbeat this server took from the peer itself loses to the local entry: a node that
 * went silent here must not come back online from the record this server put.
 */
export class DhtPresence implements PresenceBeyond {
  readonly stats = new DhtPresenceStats()
  private readonly heard = new Map<string, Heard>()
  /** Peers with a put waiting, in arrival order. */
  private readonly queue = new Set<string>()
  private running = 0
  /** Token bucket: up to one second's worth of puts at once, then maxPutsPerSecond. */
  private tokens: number
  private tokensAt: number
  private timer?: NodeJS.Timeout
  private readonly lookups = new Map<string, Promise<Heartbeat | undefined>>()
  private readonly cache = new Map<string, { at: number, hb?: Heartbeat }>()
  private stopped = false
  private readonly shutdown = new AbortController()

  constructor (private readonly c: { dht: PresenceDht, log: Logger, now: () => number }, private readonly init: DhtPresenceInit) {
    this.tokens = init.maxPutsPerSecond
    this.tokensAt = c.now()
  }

  /** A verified heartbeat from a node homed here. */
  heartbeat (peerId: string, hb: Heartbeat): void {
    if (this.stopped) return
    const now = this.c.now()
    let entry = this.heard.get(peerId)
    if (entry == null) {
      if (this.heard.size >= this.init.maxTracked) { this.stats.putsDropped++; return }
      entry = { ts: hb.timestamp, publishedAt: 0, published: '' }
      this.heard.set(peerId, entry)
    }
    if (hb.timestamp < entry.ts) return
    entry.ts = hb.timestamp
    const says = `${hb.status} ${hb.addrs.join(' ')}`
    if (says === entry.published && now - entry.publishedAt < this.init.republishMs) return
    entry.latest = hb
    if (!this.queue.has(peerId)) {
      if (this.queue.size >= this.init.maxPendingPuts) { this.stats.putsDropped++; return }
      this.queue.add(peerId)
    }
    this.pump()
  }

  /** Forget peers not heard from for longer than a record lives (call it periodically). */
  sweep (): void {
    const cutoff = BigInt(this.c.now() - this.init.recordMaxAgeMs)
    for (const [peerId, entry] of this.heard) {
      if (entry.ts < cutoff && !this.queue.has(peerId)) this.heard.delete(peerId)
    }
    const stale = this.c.now() - this.init.lookupCacheMs
    for (const [peerId, cached] of this.cache) if (cached.at < stale) this.cache.delete(peerId)
  }

  async lookup (peerId: string, local: PresenceInfo): Promise<PresenceInfo> {
    const hb = await this.find(peerId)
    const heardTs = this.heard.get(peerId)?.ts
    if (hb == null || (heardTs != null && hb.timestamp <= heardTs)) return { ...local, routed: true }
    return presenceInfoFromRecord(hb)
  }

  stop (): void {
    this.stopped = true
    this.shutdown.abort()
    clearTimeout(this.timer)
    this.queue.clear()
  }

  private pump (): void {
    if (this.timer != null) return
    while (!this.stopped && this.running < DHT_PUT_CONCURRENCY && this.queue.size > 0) {
      const now = this.c.now()
      const rate = this.init.maxPutsPerSecond
      this.tokens = Math.min(rate, this.tokens + Math.max(0, now - this.tokensAt) * rate / 1000)
      this.tokensAt = now
      if (this.tokens < 1) {
        this.timer = setTimeout(() => { this.timer = undefined; this.pump() }, Math.ceil((1 - this.tokens) * 1000 / rate))
        this.timer.unref()
        return
      }
      this.tokens -= 1
      const peerId = this.queue.values().next().value as string
      this.queue.delete(peerId)
      const entry = this.heard.get(peerId)
      const hb = entry?.latest
      if (entry == null || hb == null) continue
      entry.latest = undefined
      this.running++
      void this.put(peerId, entry, hb).finally(() => { this.running--; this.pump() })
    }
  }

  private async put (peerId: string, entry: Heard, hb: Heartbeat): Promise<void> {
    const value = Heartbeat.encode(hb)
    const key = presenceRecordKey(peerId)
    try {
      // What other servers would refuse (an address too long, a clock far ahead) is not sent.
      verifyPresenceRecord(key, value, { now: this.c.now(), maxAgeMs: this.init.recordMaxAgeMs })
    } catch (err) {
      this.c.log('not putting the presence of %s: %s', peerId, (err as Error).message)
      return
    }
    // Alone (no other server known yet): nothing to put to; the next heartbeat tries again.
    if (this.c.dht.peers() === 0) return
    let stored = 0
    const signal = AbortSignal.any([AbortSignal.timeout(this.init.putTimeoutMs), this.shutdown.signal])
    try {
      for await (const event of this.c.dht.put(key, value, { signal })) {
        // The put's own query yields FIND_NODE answers too: only PUT_VALUE answers mean stored.
        if (event.name === 'PEER_RESPONSE' && event.messageName === 'PUT_VALUE') stored++
      }
    } catch (err) {
      this.c.log('put of the presence of %s ended early: %s', peerId, (err as Error).message)
    }
    if (stored > 0) {
      this.stats.putsOk++
      entry.publishedAt = this.c.now()
      entry.published = `${hb.status} ${hb.addrs.join(' ')}`
    } else {
      this.stats.putsFailed++
    }
  }

  /** The newest valid record for `peerId` in the DHT, through the cache and the concurrency bound. */
  private async find (peerId: string): Promise<Heartbeat | undefined> {
    if (this.stopped || this.c.dht.peers() === 0) return undefined
    const cached = this.cache.get(peerId)
    if (cached != null && this.c.now() - cached.at < this.init.lookupCacheMs) return cached.hb
    const running = this.lookups.get(peerId)
    if (running != null) return running
    if (this.lookups.size >= this.init.maxConcurrentLookups) { this.stats.lookupsBusy++; return undefined }
    const lookup = this.get(peerId).finally(() => { this.lookups.delete(peerId) })
    this.lookups.set(peerId, lookup)
    const hb = await lookup
    if (hb != null) this.stats.lookupsFound++
    else this.stats.lookupsNotFound++
    this.cache.delete(peerId)
    this.cache.set(peerId, { at: this.c.now(), hb })
    for (const oldest of this.cache.keys()) {
      if (this.cache.size <= DHT_LOOKUP_CACHE_ENTRIES) break
      this.cache.delete(oldest)
    }
    return hb
  }

  private async get (peerId: string): Promise<Heartbeat | undefined> {
    const key = presenceRecordKey(peerId)
    const values: Uint8Array[] = []
    const signal = AbortSignal.any([AbortSignal.timeout(this.init.lookupTimeoutMs), this.shutdown.signal])
    try {
      // Records as peers answer (kad-dht validated each), and the final best value; the
      // query may end on its deadline or on a failed correction put: what came is used.
      for await (const event of this.c.dht.get(key, { signal })) {
        if (event.name === 'VALUE') values.push(event.value)
        else if (event.name === 'PEER_RESPONSE' && event.record != null) values.push(event.record.value)
        if (values.length >= 32) break
      }
    } catch (err) {
      this.c.log('lookup of the presence of %s ended early: %s', peerId, (err as Error).message)
    }
    if (values.length === 0) return undefined
    const best = values[selectNewestPresenceRecord(values)]!
    try {
      // Checked again here: freshness is measured now, not when a peer stored it.
      return verifyPresenceRecord(key, best, { now: this.c.now(), maxAgeMs: this.init.recordMaxAgeMs })
    } catch (err) {
      if (err instanceof PresenceRecordError) this.stats.recordsRefused++
      return undefined
    }
  }
}
