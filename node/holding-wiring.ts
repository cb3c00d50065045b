import { asError } from './errors.js'
import { directNoticeHandler } from './direct-notice.js'
import { Holding, holdingLimits } from './holding.js'
import { HoldingNotifier } from './holding-notifier.js'
import { peerIdBytesFromString } from './identity/index.js'
import { NOTICE_PROTOCOL } from './protocol/notice.js'
import { createParkingStore } from '../storage/index.js'
import { DiskReserve, statfsFreeBytes } from '../storage/disk-reserve.js'
import type { NodeConfig } from './config.js'
import type { NodeEvents } from './events.js'
import type { Identity } from './identity/index.js'
import type { PeerpostLibp2p } from './network.js'
import type { PresenceWatch } from './presence-watch.js'
import type { Location } from './protocol/notice.js'
import type { Retrieval } from './retrieval.js'
import type { Contacts, Database } from '../storage/index.js'
import type { ComponentLogger } from '@libp2p/interface'

/** Streams one peer may hold open on the notice protocol of a node. */
const NOTICE_MAX_INBOUND_STREAMS = 8

export interface HoldingWiring {
  libp2p: PeerpostLibp2p
  identity: Identity
  db: Database
  contacts: Contacts
  events: NodeEvents
  retrieval: Retrieval
  presence: PresenceWatch
  config: () => NodeConfig
  logger: ComponentLogger
  now: () => number
  /** Free bytes on the file system holding a path (default statfs). */
  freeDiskBytes?: (path: string) => Promise<number>
}

export interface RunningHolding {
  holding: Holding
  /** A peer is online (presence push or a connection): tell it about mail held for it. */
  online(peerId: string): void
  stop(): Promise<void>
}

/**
 * The daemon's co-recipient holding, in one place: the parking store over the home
 * database, the holder's park and fetch protocols, the notifier that tells recipients their
 * mail waits here, and the notice protocol through which holders tell me the same.
 * Called before libp2p starts (handlers are registered on the registrar).
 */
export async function startHolding (w: HoldingWiring): Promise<RunningHolding> {
  const { libp2p, identity, config, logger, now } = w
  const log = logger.forComponent('peerpost:holding')
  const parking = await createParkingStore(w.db, holdingLimits(config), { now, onCorrupt: (key, err) => { log.error('skipped damaged held record %s - %e', key, err) } })
  const self = (): Location => ({
    peerId: peerIdBytesFromString(identity.peerIdString),
    addrs: libp2p.getMultiaddrs().map(a => a.toString().replace(/\/p2p\/[^/]+$/, '')).slice(0, 8)
  })
  const { outbox } = config()
  const notifier = new HoldingNotifier({
    libp2p,
    parking,
    contacts: w.contacts,
    presence: async (peerId, servers) => await w.presence.lookup(peerId, servers),
    self,
    log: logger.forComponent('peerpost:holding:notify'),
    now,
    random: Math.random
  }, { timeoutMs: outbox.dialTimeoutMs, retryBaseMs: outbox.retryBaseMs, retryMaxMs: outbox.retryMaxMs })
  // The reserve is read from the live config at each deposit, like the quotas.
  const disk = new DiskReserve({ freeBytes: w.freeDiskBytes ?? statfsFreeBytes, now }, w.db.location, () => config().holding.minFreeDiskBytes, 'this node')
  const holding = new Holding({
    libp2p,
    identity,
    parking,
    disk,
    events: w.events,
    config,
    self,
    onHeld: recipient => { notifier.track(recipient) },
    onAcked: (recipient, left) => { notifier.acked(recipient, left) },
    homeServersOf: async peerId => (await w.contacts.getByPeerId(peerId))?.homeServers ?? [],
    log,
    now
  }, { noticeTimeoutMs: outbox.dialTimeoutMs })
  await holding.start()

  const serveNotices = directNoticeHandler({
    self: identity.peerIdString,
    onWaiting: holder => { w.retrieval.onConnected(holder) },
    onExpired: (holder, notices) => { w.retrieval.onNotices(holder, notices, async () => {}) },
    log: logger.forComponent('peerpost:notice')
  })
  await libp2p.handle(NOTICE_PROTOCOL, (stream, connection) => {
    serveNotices(stream, connection).catch(err => { stream.abort(asError(err)) })
  }, { maxInboundStreams: NOTICE_MAX_INBOUND_STREAMS, runOnLimitedConnection: true })
  await notifier.start()

  return {
    holding,
    online: peerId => { notifier.online(peerId) },
    stop: async () => {
      notifier.stop()
      await libp2p.unhandle(NOTICE_PROTOCOL)
      await holding.stop()
    }
  }
}
