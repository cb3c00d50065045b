import { inspectEnvelope, sha256, toHex } from './crypto/index.js'
import { asError, HoldingDisabledError } from './errors.js'
import { DeliverProtocol, PARK_PROTOCOL } from './protocol/deliver.js'
import { MessageRefusedError } from './protocol/errors.js'
import { fetchHandler, FETCH_PROTOCOL } from './protocol/fetch.js'
import { newNotice, NoticeKind, postNotice } from './protocol/notice.js'
import { withdrawHandler, WITHDRAW_PROTOCOL } from './protocol/withdraw.js'
import { serverRef } from './home-servers.js'
import { peerIdBytesFromString } from './identity/index.js'
import type { NodeConfig } from './config.js'
import type { NodeEvents } from './events.js'
import type { Identity } from './identity/index.js'
import type { PeerpostLibp2p } from './network.js'
import type { EnvelopeHandler } from './protocol/deliver.js'
import type { Location } from './protocol/notice.js'
import type { DiskReserve } from '../storage/disk-reserve.js'
import type { ParkedEnvelope, ParkingLimits, ParkingStore } from '../storage/holding-types.js'
import type { Logger } from '@libp2p/interface'

/** Streams one peer may hold open on the fetch protocol. */
export const HOLDING_MAX_INBOUND_STREAMS = 32
/** Home servers of a depositor tried, in order, for an expiry notice it cannot take itself. */
const MAX_NOTICE_SERVERS = 4
/** Envelopes removed per expiry batch (a sweep repeats batches until none is left). */
export const HOLDING_EXPIRY_BATCH = 100

/**
 * The parking limits of a node holding for co-recipients, read from the live config at
 * every deposit, so `peerpost config set holding.maxBytes …` applies at once. The node has
 * a quota for everything held (`holding.maxBytes` / `maxCount`) and a smaller one per
 * depositor (`holding.maxBytesPerDepositor` / `maxCountPerDepositor`), so one sender
 * cannot fill it for everyone else.
 */
export function holdingLimits (config: () => NodeConfig): ParkingLimits {
  // Per recipient nothing tighter than the whole: a co-recipient holds for the few people
  // who share mail with it, and the depositor quota already bounds each sender.
  const unbounded = { maxBytes: Number.MAX_SAFE_INTEGER, maxCount: Number.MAX_SAFE_INTEGER }
  const holding = (): NodeConfig['holding'] => config().holding
  return {
    get maxEnvelopeBytes () { return config().limits.maxEnvelopeBytes },
    perRecipient: unbounded,
    get perDepositor () { return { maxBytes: holding().maxBytesPerDepositor, maxCount: holding().maxCountPerDepositor } },
    get total () { return { maxBytes: holding().maxBytes, maxCount: holding().maxCount } },
    get retentionMs () { return config().holding.retentionMs }
  }
}

/** What `status` shows about holding. */
export interface HoldingView {
  enabled: boolean
  envelopes: number
  bytes: number
  maxBytes: number
  maxCount: number
}

export interface HoldingComponents {
  libp2p: PeerpostLibp2p
  identity: Identity
  /** Over the home database, with holdingLimits(config). */
  parking: ParkingStore
  /** Refuses deposits while the disk under the home is nearly full (`holding.minFreeDiskBytes`); absent: no check. */
  disk?: DiskReserve
  events: NodeEvents
  /** The live config (holding.* may change while the daemon runs). */
  config: () => NodeConfig
  /** This node as a location, for expiry notices. */
  self: () => Location
  /** Something new is held for `recipient`: tell it (holding-notifier.ts). */
  onHeld: (recipient: string) => void
  /** The recipient acked what it fetched (`left` is what is still held for it). */
  onAcked: (recipient: string, left: number) => void
  /** A peer's home servers as I know them (its card, if it is my contact): where a notice waits for it while it is offline. */
  homeServersOf?: (peerId: string) => Promise<string[]>
  log: Logger
  now: () => number
}

export interface HoldingInit {
  /** Deadline for telling a depositor that its envelope expired unfetched. */
  noticeTimeoutMs: number
}

/**
 * A node holding sealed envelopes for offline co-recipients (design sections 4-5): the
 * holder half of `/peerpost/park/1.0.0` and `/peerpost/fetch/1.0.0`, over the same
 * parking store a cache server uses. A deposit is durable before its receipt; the holder
 * never opens an envelope (it sees the recipient PeerId, the depositor's PeerId and the
 * size); only the recipient (the connection's remote PeerId) can list, fetch or ack what
 * is held for it; an ack, the end of retention, or its depositor withdrawing it
 * (`/peerpost/withdraw/1.0.0`) deletes it.
 */
export class Holding {
  private readonly park: DeliverProtocol
  private sweepTimer: NodeJS.Timeout | undefined
  private sweeping: Promise<void> | undefined
  private stopped = false

  constructor (private readonly c: HoldingComponents, private readonly init: HoldingInit) {
    this.park = new DeliverProtocol({ libp2p: c.libp2p, log: c.log, handler: this.deposit, signer: { identity: c.identity, now: c.now } }, {
      protocol: PARK_PROTOCOL,
      maxEnvelopeBytes: c.config().limits.maxEnvelopeBytes
    })
  }

  async start (): Promise<void> {
    await this.park.start()
    const serveFetch = fetchHandler(this.c.parking, this.c.log, {
      onAck: (recipient, n) => {
        if (n === 0) return
        this.c.log('%s acked %d held envelope(s)', recipient, n)
        this.removedFor(recipient)
      }
    })
    await this.c.libp2p.handle(FETCH_PROTOCOL, (stream, connection) => {
      serveFetch(stream, connection).catch(err => {
        this.c.log.error('fetch stream from %p failed - %e', connection.remotePeer, err)
        stream.abort(asError(err))
      })
    }, { maxInboundStreams: HOLDING_MAX_INBOUND_STREAMS, runOnLimitedConnection: true })
    // The depositor takes back what it parked here (its `outbox cancel`): as for an ack, the
    // recipient's view changes and its notifier stops once nothing is left for it.
    const serveWithdraw = withdrawHandler(this.c.parking, {
      log: this.c.log,
      onWithdrawn: e => { this.removedFor(e.recipient) },
      stopping: () => this.stopped ? 'this node is stopping: withdraw again once it is back (nothing was deleted)' : undefined
    })
    await this.c.libp2p.handle(WITHDRAW_PROTOCOL, (stream, connection) => {
      serveWithdraw(stream, connection).catch(err => {
        this.c.log.error('withdraw stream from %p failed - %e', connection.remotePeer, err)
        stream.abort(asError(err))
      })
    }, { maxInboundStreams: HOLDING_MAX_INBOUND_STREAMS, runOnLimitedConnection: true })
    this.scheduleSweep()
  }

  /**
   * Stop holding. Withdraw stays served, refusing with ShuttingDownError (withdrawHandler's
   * `stopping`), until libp2p stops (the daemon stops it last).
   */
  async stop (): Promise<void> {
    this.stopped = true
    clearTimeout(this.sweepTimer)
    await this.park.stop()
    await this.c.libp2p.unhandle(FETCH_PROTOCOL)
    await this.sweeping
  }

  /** Something held for `recipient` was deleted (ack or withdraw): tell the UI, and the notifier what is left. */
  private removedFor (recipient: string): void {
    this.c.events.emit('holding:changed', { recipient })
    void this.c.parking.list(recipient, { limit: 1 }).then(page => { this.c.onAcked(recipient, page.items.length) }, () => {})
  }

  view (): HoldingView {
    const { holding } = this.c.config()
    const usage = this.c.parking.usage()
    return { enabled: holding.enabled, envelopes: usage.count, bytes: usage.bytes, maxBytes: holding.maxBytes, maxCount: holding.maxCount }
  }

  /**
   * The park handler: refuse when holding is off or the disk is under its reserve
   * (DiskReserveError, on the wire QUOTA_EXCEEDED: the depositor tries its next holder),
   * else store durably (the protocol then signs the receipt).
   */
  private readonly deposit: EnvelopeHandler = async (bytes, depositor) => {
    const { config, parking, identity, now } = this.c
    if (!config().holding.enabled) throw new HoldingDisabledError()
    const { recipient, envelopeId } = inspectEnvelope(bytes, { maxBytes: config().limits.maxEnvelopeBytes })
    if (recipient === identity.peerIdString) throw new MessageRefusedError('this envelope is addressed to me: deliver it, do not park it')
    await this.c.disk?.check(bytes.byteLength)
    const { duplicate } = await parking.deposit({ envelopeId: toHex(envelopeId), recipient, depositor, bytes, now: now() })
    this.c.log('holding %s for %s from %s (%d bytes%s)', toHex(envelopeId), recipient, depositor, bytes.byteLength, duplicate ? ', duplicate' : '')
    if (!duplicate) this.c.events.emit('holding:changed', { recipient })
    this.c.onHeld(recipient)
    return { envelopeId, envelopeSha256: sha256(bytes) }
  }

  private scheduleSweep (): void {
    if (this.stopped) return
    this.sweepTimer = setTimeout(() => {
      this.sweeping = this.sweep().then(() => {}, err => { this.c.log.error('holding expiry pass failed - %e', err) })
        .finally(() => { this.sweeping = undefined; this.scheduleSweep() })
    }, this.c.config().holding.sweepIntervalMs)
    this.sweepTimer.unref()
  }

  /** Delete what reached the end of its retention; tell each depositor (directly, else through its home servers). */
  async sweep (): Promise<number> {
    let total = 0
    for (let round = 0; round < 1_000 && !this.stopped; round++) {
      const expired = await this.c.parking.expire(this.c.now(), HOLDING_EXPIRY_BATCH)
      total += expired.length
      for (const e of expired) {
        this.c.log('held %s for %s expired unfetched', e.envelopeId, e.recipient)
        this.c.events.emit('holding:changed', { recipient: e.recipient })
        void this.tellDepositor(e)
      }
      if (expired.length < HOLDING_EXPIRY_BATCH) break
    }
    return total
  }

  private async tellDepositor (e: ParkedEnvelope): Promise<void> {
    const notice = newNotice({
      kind: NoticeKind.ENVELOPE_EXPIRED,
      recipient: peerIdBytesFromString(e.depositor),
      envelopeId: new Uint8Array(Buffer.from(e.envelopeId, 'hex')),
      locations: [this.c.self()],
      blobLocations: [],
      created: this.c.now()
    })
    try {
      await postNotice(this.c.libp2p, { peerId: e.depositor }, notice, { timeoutMs: this.init.noticeTimeoutMs })
      return
    } catch (err) {
      this.c.log('could not tell %s directly that %s expired - %s', e.depositor, e.envelopeId, asError(err).message)
    }
    // Offline: its home servers keep the notice until it connects (as they keep theirs).
    const servers = (await this.c.homeServersOf?.(e.depositor).catch(() => []) ?? []).slice(0, MAX_NOTICE_SERVERS)
    for (const addr of servers) {
      try {
        const server = serverRef(addr)
        await postNotice(this.c.libp2p, { peerId: server.peerId, addrs: server.dialAddrs }, notice, { timeoutMs: this.init.noticeTimeoutMs })
        this.c.log('left the expiry of %s for %s on its home server %s', e.envelopeId, e.depositor, server.peerId)
        return
      } catch (err) {
        this.c.log('could not leave the expiry of %s on %s - %s', e.envelopeId, addr, asError(err).message)
      }
    }
  }
}

