import { mkdir } from 'node:fs/promises'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayServer } from '@libp2p/circuit-relay-v2'
import { identify } from '@libp2p/identify'
import { defaultLogger } from '@libp2p/logger'
import { tcp } from '@libp2p/tcp'
import { webSockets } from '@libp2p/websockets'
import { createLibp2p } from 'libp2p'
import { peerIdBytesFromString } from '../node/identity/index.js'
import { DeliverProtocol, PARK_PROTOCOL } from '../node/protocol/deliver.js'
import { directoryHandler, DIRECTORY_PROTOCOL } from '../node/protocol/directory.js'
import { fetchHandler, FETCH_PROTOCOL } from '../node/protocol/fetch.js'
import { NoticeHub, noticeHandler, NOTICE_PROTOCOL } from '../node/protocol/notice.js'
import { IdleStreams } from '../node/protocol/idle-streams.js'
import { PresenceDirectory, presenceHandler, PRESENCE_PROTOCOL } from '../node/protocol/presence.js'
import { withdrawHandler, WITHDRAW_PROTOCOL } from '../node/protocol/withdraw.js'
import { createNameStore, createNoticeStore, createParkingStore, openDatabase } from '../storage/index.js'
import { noticeLimits, parkingLimits } from './config.js'
import { BoundedDhtDatastore, cacheServerDht, connectionPing } from './dht.js'
import { DhtBootstrap } from './dht-bootstrap.js'
import { DhtPresence } from './dht-presence.js'
import { DiskReserve, DiskReserveError, statfsFreeBytes } from '../storage/disk-reserve.js'
import { ExpiryLoop } from './expiry.js'
import { cacheHomePaths, loadOrCreateServerIdentity } from './home.js'
import { InFlight } from './in-flight.js'
import { jsonLinesLog, throttledEvent } from './lifecycle-log.js'
import { CacheMetrics, renderMetrics, startMetricsServer } from './metrics.js'
import { parkHandler } from './park.js'
import { RelayTraffic } from './relay-traffic.js'
import { dropWaitingNotices } from './withdraw.js'
import { quietLogger } from './quiet-logger.js'
import type { CacheConfig } from './config.js'
import type { LifecycleLog } from './lifecycle-log.js'
import type { MetricsServer } from './metrics.js'
import type { Location } from '../node/protocol/notice.js'
import type { NameStore, NoticeStore } from '../storage/holding-types.js'
import type { Identify } from '@libp2p/identify'
import type { CircuitRelayService } from '@libp2p/circuit-relay-v2'
import type { ComponentLogger, Libp2p } from '@libp2p/interface'
import type { KadDHT, SingleKadDHT } from '@libp2p/kad-dht'

/** How long shutdown waits for deposits and acks whose synced write is under way. */
export const SHUTDOWN_DRAIN_MS = 10_000
/** At most one lifecycle line per this long about deposits refused for disk space, or failed. */
export const REPEATED_EVENT_INTERVAL_MS = 60_000
/** Streams one peer may hold open per request/response protocol. */
export const MAX_INBOUND_STREAMS = 32

export type CacheLibp2p = Libp2p<{ identify: Identify, relay?: CircuitRelayService, dht?: KadDHT }>

export interface CacheServerOptions {
  home: string
  /** Overrides config.listen. */
  listen?: string[]
  /** Overrides config.announce. */
  announce?: string[]
  config: CacheConfig
  logger?: ComponentLogger
  /** One JSON line per lifecycle event; default: stderr. */
  lifecycle?: LifecycleLog
  now?: () => number
  /** Free bytes on the file system holding a path (tests hand in their own); default statfs. */
  freeDiskBytes?: (path: string) => Promise<number>
}

export interface RunningCacheServer {
  peerId: string
  /** The addresses nodes should use (announce ones if configured, else what we listen on). */
  addrs: string[]
  /** `http://host:port` of /metrics and /health, or undefined when metrics are off. */
  metricsUrl?: string
  libp2p: CacheLibp2p
  metrics: CacheMetrics
  /** Stop accepting, let in-flight synced writes finish, close the database. Idempotent. */
  stop(): Promise<void>
}

/**
 * Start a cache server in `home`: its own identity (made on first start), its database,
 * and a libp2p node serving park, fetch, withdraw, presence, notice and directory, plus circuit
 * relay v2 with the configured limits, metrics and health over HTTP.
 *
 * @example
 * const server = await startCacheServer({ home, config: parseCacheConfig({}) })
 * process.once('SIGTERM', () => { void server.stop() })
 */
export async function startCacheServer (options: CacheServerOptions): Promise<RunningCacheServer> {
  const { config } = options
  const logger = options.logger ?? defaultLogger()
  const lifecycle = options.lifecycle ?? jsonLinesLog()
  const now = options.now ?? Date.now
  const paths = cacheHomePaths(options.home)
  const log = logger.forComponent('peerpost:cache')

  const cleanup: Array<{ what: string, run: () => Promise<void> }> = []
  const stopAll = async (): Promise<void> => {
    for (const step of cleanup.reverse()) {
      await step.run().catch(err => {
        log.error('shutdown: %s failed - %e', step.what, err)
        lifecycle('shutdown-step-failed', { level: 'error', step: step.what, error: (err as Error).message })
      })
    }
  }

  try {
    // The database first: it refuses a user's node home (HomeKindError) before the server
    // would take the keystore there for its own identity.
    await mkdir(paths.home, { recursive: true, mode: 0o700 })
    const db = await openDatabase(paths.db, { kind: 'cache-server' })
    const inFlight = new InFlight()
    // Last to run at shutdown: whatever synced write is under way finishes first.
    cleanup.push({
      what: 'close the database',
      run: async () => {
        if (!(await inFlight.drain(SHUTDOWN_DRAIN_MS))) lifecycle('shutdown-drain-timeout', { level: 'warn', pending: inFlight.size })
        await db.close()
      }
    })
    const { identity, created } = await loadOrCreateServerIdentity(paths, now())
    if (created) lifecycle('keystore-created', { peerId: identity.peerIdString, keystore: paths.keystore, sealed: false })
    const onCorrupt = (key: string, err: Error): void => { log.error('skipped damaged record %s - %e', key, err) }
    const parking = await createParkingStore(db, parkingLimits(config), { onCorrupt, now })
    const notices = createNoticeStore(db, noticeLimits(config), { onCorrupt })
    const names = createNameStore(db, { onCorrupt })
    const metrics = new CacheMetrics()
    const disk = new DiskReserve({ freeBytes: options.freeDiskBytes ?? statfsFreeBytes, now }, paths.db, config.parking.minFreeDiskBytes)
    // A quota larger than the disk can hold is refused for disk space first: say so once,
    // at start, while the operator is looking.
    // Counted once here, before anything is served, then kept by the stores' own writes.
    await Promise.all([names.count(), notices.count()])
    const parkedAtStart = parking.usage().bytes
    const freeAtStart = await disk.free()
    if (config.parking.minFreeDiskBytes > 0 && config.parking.total.maxBytes > parkedAtStart + freeAtStart - config.parking.minFreeDiskBytes) {
      lifecycle('disk-smaller-than-quota', {
        level: 'warn',
        totalMaxBytes: config.parking.total.maxBytes,
        parkedBytes: parkedAtStart,
        freeDiskBytes: freeAtStart,
        minFreeDiskBytes: config.parking.minFreeDiskBytes,
        hint: 'parking.total.maxBytes is more than this disk holds: deposits will be refused for disk space (parking.minFreeDiskBytes) before the quota; lower it or add disk'
      })
    }

    // Names and notices keep the disk reserve too: a name or a notice from ever new keys
    // (each within its per-key bounds) would otherwise fill the disk where deposits cannot.
    // Expiry's own notices to depositors are not checked: expiry is what frees the disk.
    const diskFullEvent = throttledEvent(lifecycle, 'deposits-refused-disk-full', REPEATED_EVENT_INTERVAL_MS, now)
    const keepingReserve = async (bytes: number): Promise<void> => {
      await disk.check(bytes).catch((err: unknown) => {
        if (err instanceof DiskReserveError) diskFullEvent({ level: 'warn', freeBytes: err.freeBytes, minFreeBytes: err.minFreeBytes })
        throw err
      })
    }
    const guardedNames: NameStore = {
      resolve: async name => await names.resolve(name),
      register: async (record, at) => { await keepingReserve(record.card.byteLength); return await names.register(record, at) },
      count: async () => await names.count()
    }
    const guardedNotices: NoticeStore = {
      add: async notice => { await keepingReserve(notice.bytes.byteLength); return await notices.add(notice) },
      listFor: async recipient => await notices.listFor(recipient),
      ack: async (recipient, ids) => await notices.ack(recipient, ids),
      expire: async (at, limit) => await notices.expire(at, limit),
      count: async () => await notices.count()
    }

    const relay = config.relay
    // What a server holding many mostly idle connections does not run (bench presence,
    // docs/benchmarks.md): it sends nothing on a connection of its own accord. No
    // connection monitor (a ping stream to every peer every 10 s, the largest share of
    // the per-node memory), no yamux keep-alive (a timer and a ping per connection every
    // 30 s, which never aborts a dead one anyway), no ping service (nodes' own monitors
    // ping the server every 10 s; an unsupported protocol still tells them it is alive,
    // and @libp2p/ping keeps each finished stream for its 10 s timeout). Dead connections
    // are closed by the TCP transport after 2 min without a byte either way; live nodes
    // keep theirs busy with their monitor's pings and presence heartbeats. No AutoNAT
    // either (a departure from design.md, see README): answering it would take a stream
    // and a dial-back connection per connecting node; nodes verify each other instead.
    // DCUtR is the nodes' business (they upgrade what this server relays for them).
    // The DHT among cache servers (design section 4) runs when `dht.enabled`; nodes do not
    // speak it, so they cost it nothing (cache-server/dht.ts).
    const dhtConfig = config.dht
    const dhtDatastore = dhtConfig.enabled ? new BoundedDhtDatastore(dhtConfig.maxStoredRecords) : undefined
    let dhtPresence: DhtPresence | undefined
    // Circuits and bytes relayed, counted from the relay's streams (cache-server/relay-traffic.ts).
    const relayTraffic = relay.enabled ? new RelayTraffic() : undefined
    const libp2p: CacheLibp2p = await createLibp2p({
      ...(dhtDatastore != null ? { datastore: dhtDatastore } : {}),
      ...(relayTraffic != null ? { metrics: () => relayTraffic.metrics() } : {}),
      privateKey: identity.privateKey,
      addresses: { listen: options.listen ?? config.listen, announce: options.announce ?? config.announce },
      // WebSockets for `/ws` listen addresses (behind an HTTPS proxy: see deploy/); TCP otherwise.
      transports: [tcp(), webSockets()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux({ maxEarlyStreams: config.connections.maxEarlyStreams, enableKeepAlive: false })],
      connectionManager: {
        maxConnections: config.connections.maxConnections,
        inboundConnectionThreshold: config.connections.inboundConnectionThreshold,
        maxIncomingPendingConnections: config.connections.maxIncomingPendingConnections
      },
      connectionMonitor: { enabled: false },
      logger: quietLogger(logger),
      start: false,
      services: {
        identify: identify(),
        ...(dhtConfig.enabled
          ? {
              ping: connectionPing(),
              dht: cacheServerDht({ recordMaxAgeMs: dhtConfig.recordMaxAgeMs, now, onRefused: () => { if (dhtPresence != null) dhtPresence.stats.recordsRefused++ } })
            }
          : {}),
        ...(relay.enabled
          ? {
              relay: circuitRelayServer({
                reservations: {
                  maxReservations: relay.maxReservations,
                  defaultDataLimit: BigInt(relay.dataLimitBytes),
                  defaultDurationLimit: relay.durationLimitMs,
                  reservationTtl: relay.reservationTtlMs
                }
              })
            }
          : {})
      }
    })
    cleanup.push({ what: 'stop libp2p', run: async () => { await libp2p.stop() } })
    // Counted from events, not libp2p.getPeers(): that concatenates every peer's connection
    // list one peer at a time (quadratic: ~4 MB of garbage per call at 1,000 peers) and
    // decodes every PeerId again, on each metrics scrape or health check.
    let connectedPeers = 0
    libp2p.addEventListener('peer:connect', () => { connectedPeers++ })
    libp2p.addEventListener('peer:disconnect', () => { connectedPeers-- })

    const addrs = (): string[] => libp2p.getMultiaddrs().map(a => a.toString())
    const self = (): Location => ({ peerId: peerIdBytesFromString(identity.peerIdString), addrs: addrs().map(a => a.replace(/\/p2p\/[^/]+$/, '')) })

    // Park: the deliver protocol's receiving half, storing for others instead of opening.
    const park = new DeliverProtocol({
      libp2p,
      log: logger.forComponent('peerpost:cache:park'),
      handler: parkHandler({
        parking,
        metrics,
        inFlight,
        log: logger.forComponent('peerpost:cache:park'),
        now,
        disk,
        events: {
          diskFull: diskFullEvent,
          depositFailed: throttledEvent(lifecycle, 'deposit-failed', REPEATED_EVENT_INTERVAL_MS, now)
        }
      }, { maxEnvelopeBytes: config.parking.maxEnvelopeBytes, stampBits: config.parking.stampBits }),
      signer: { identity, now }
    }, { protocol: PARK_PROTOCOL, maxEnvelopeBytes: config.parking.maxEnvelopeBytes })

    const fetchLog = logger.forComponent('peerpost:cache:fetch')
    const serveFetch = fetchHandler({
      list: async (recipient, listOptions) => parking.list(recipient, listOptions),
      get: async (recipient, id) => parking.get(recipient, id),
      // Tracked: an ack's synced delete finishes before shutdown closes the database.
      ack: async (recipient, ids) => inFlight.track(parking.ack(recipient, ids))
    }, fetchLog, {
      onGet: (_recipient, n) => { metrics.fetches += n },
      onAck: (recipient, n) => { metrics.acks += n; if (n > 0) fetchLog('%s acked %d envelopes', recipient, n) }
    })

    // Withdraw: a depositor takes back what it parked (tracked like an ack: a synced delete),
    // and the notices it posted here about it go too (whether or not the copy was here: one
    // parked on a co-recipient is announced here), before it hears back.
    const withdrawLog = logger.forComponent('peerpost:cache:withdraw')
    // Set when shutdown begins: withdraws are refused as temporary from then on (below).
    let shuttingDown = false
    const serveWithdraw = withdrawHandler({
      withdraw: async (depositor, recipient, id) => await inFlight.track((async () => {
        const removed = await parking.withdraw(depositor, recipient, id)
        const dropped = await dropWaitingNotices(notices, { depositor, recipient, envelopeId: id }).catch(err => { withdrawLog.error('could not drop the notices about withdrawn %s - %e', id, err); return 0 })
        if (dropped > 0) withdrawLog('%s dropped %d notice(s) about %s for %s', depositor, dropped, id, recipient)
        return removed
      })()),
      fetchedAt: async (depositor, recipient, id) => await parking.fetchedAt(depositor, recipient, id)
    }, {
      log: withdrawLog,
      onWithdrawn: () => { metrics.withdrawals++ },
      stopping: () => shuttingDown ? 'this server is shutting down: withdraw again once it is back (nothing was deleted)' : undefined
    })

    const directory = new PresenceDirectory({ timeoutMs: config.presence.timeoutMs, maxEntries: config.presence.maxEntries, now })
    const idlePresence = new IdleStreams({ idleMs: config.presence.idleTimeoutMs, now })
    const dht = libp2p.services.dht
    if (dht != null) {
      const routingTable = (dht as SingleKadDHT).routingTable
      dhtPresence = new DhtPresence({
        dht: { put: (key, value, o) => dht.put(key, value, o), get: (key, o) => dht.get(key, o), peers: () => routingTable.size },
        log: logger.forComponent('peerpost:cache:dht'),
        now
      }, { ...dhtConfig, maxTracked: config.presence.maxEntries })
    }
    const published = dhtPresence
    const servePresence = presenceHandler(directory, {
      log: logger.forComponent('peerpost:cache:presence'),
      now,
      idle: idlePresence,
      onHeartbeat: published == null ? () => { metrics.heartbeats++ } : (peerId, hb) => { metrics.heartbeats++; published.heartbeat(peerId, hb) },
      ...(published != null ? { beyond: published } : {})
    })

    const hub = new NoticeHub()
    const serveNotice = noticeHandler({
      store: guardedNotices,
      hub,
      held: parking,
      self,
      log: logger.forComponent('peerpost:cache:notice'),
      now,
      retentionMs: config.notices.retentionMs
    })

    const directoryLog = logger.forComponent('peerpost:cache:directory')
    const serveDirectory = directoryHandler(guardedNames, { log: directoryLog, now, onRegister: name => { directoryLog('registered %s', name) } })

    const handlers: Array<[string, (stream: import('@libp2p/interface').Stream, connection: import('@libp2p/interface').Connection) => Promise<void>]> = [
      [FETCH_PROTOCOL, serveFetch],
      [PRESENCE_PROTOCOL, servePresence],
      [NOTICE_PROTOCOL, serveNotice],
      [DIRECTORY_PROTOCOL, serveDirectory],
      [WITHDRAW_PROTOCOL, serveWithdraw]
    ]
    for (const [protocol, handle] of handlers) {
      const protocolLog = logger.forComponent(`peerpost:cache:${protocol.split('/')[2] ?? 'protocol'}`)
      await libp2p.handle(protocol, (stream, connection) => {
        handle(stream, connection).catch(err => {
          protocolLog.error('%s stream from %p failed - %e', protocol, connection.remotePeer, err)
          stream.abort(err)
        })
      }, { maxInboundStreams: MAX_INBOUND_STREAMS, runOnLimitedConnection: true })
    }
    await park.start()
    // Shutdown: stop accepting new streams, then let deposits and acks already under way
    // reach the disk while their connections are still up (so their receipts go out).
    // Withdraw stays served until libp2p stops, answering ShuttingDownError (withdrawHandler's `stopping`).
    cleanup.push({
      what: 'stop accepting requests',
      run: async () => {
        shuttingDown = true
        await park.stop()
        for (const [protocol] of handlers) if (protocol !== WITHDRAW_PROTOCOL) await libp2p.unhandle(protocol)
        if (inFlight.size > 0) lifecycle('shutdown-draining', { inFlight: inFlight.size, timeoutMs: SHUTDOWN_DRAIN_MS })
        await inFlight.drain(SHUTDOWN_DRAIN_MS)
      }
    })

    // The disk's free space is read again here too, so the metric is current without deposits.
    const sweep = setInterval(() => {
      directory.sweep(); idlePresence.sweep(); dhtPresence?.sweep()
      disk.free().catch(err => { log.error('cannot read the free disk space - %e', err) })
    }, config.presence.sweepIntervalMs)
    sweep.unref()
    cleanup.push({ what: 'stop the presence sweep', run: async () => { clearInterval(sweep) } })

    const expiry = new ExpiryLoop({ parking, notices, hub, metrics, inFlight, self, log: logger.forComponent('peerpost:cache:expiry'), lifecycle, now }, {
      intervalMs: config.parking.expirySweepIntervalMs,
      batch: config.parking.expiryBatch,
      noticeRetentionMs: config.notices.retentionMs
    })

    await libp2p.start()
    expiry.start()
    cleanup.push({ what: 'stop the expiry loop', run: async () => { await expiry.stop() } })
    if (dhtPresence != null) {
      const presenceInDht = dhtPresence
      const bootstrap = new DhtBootstrap({ libp2p, log: logger.forComponent('peerpost:cache:dht'), random: Math.random }, dhtConfig.bootstrap)
      await bootstrap.start()
      cleanup.push({ what: 'leave the DHT', run: async () => { bootstrap.stop(); presenceInDht.stop() } })
    }

    let metricsServer: MetricsServer | undefined
    if (config.metrics.address !== 'off') {
      const startedAt = now()
      metricsServer = await startMetricsServer(config.metrics.address, {
        metrics: async () => {
          const usage = parking.usage()
          const [namesRegistered, noticesStored] = await Promise.all([names.count(), notices.count()])
          return renderMetrics(metrics, {
            namesRegistered,
            noticesStored,
            connectedPeers,
            presenceOnline: directory.onlineCount(),
            parkedEnvelopes: usage.count,
            parkedBytes: usage.bytes,
            relayReservations: libp2p.services.relay?.reservations.size ?? 0,
            relayCircuitsActive: relayTraffic?.circuitsActive ?? 0,
            relayCircuitsOpened: relayTraffic?.circuitsOpened ?? 0,
            relayBytes: relayTraffic?.bytesRelayed ?? 0,
            diskFreeBytes: disk.freeBytes ?? freeAtStart,
            ...(dhtPresence != null && dht != null
              ? { dht: { stats: dhtPresence.stats, routingTablePeers: (dht as SingleKadDHT).routingTable.size, storedRecords: dhtDatastore?.dhtEntries ?? 0 } }
              : {})
          })
        },
        // One JSON view of the server's state for an operator (`curl .../health`).
        health: async () => {
          const usage = parking.usage()
          return {
            peerId: identity.peerIdString,
            uptimeMs: now() - startedAt,
            parked: usage.count,
            parkedBytes: usage.bytes,
            connectedPeers,
            presenceOnline: directory.onlineCount(),
            relayReservations: libp2p.services.relay?.reservations.size ?? 0,
            relayCircuitsActive: relayTraffic?.circuitsActive ?? 0,
            relayCircuitsOpened: relayTraffic?.circuitsOpened ?? 0,
            relayBytes: relayTraffic?.bytesRelayed ?? 0,
            namesRegistered: await names.count(),
            noticesStored: await notices.count(),
            diskFreeBytes: disk.freeBytes ?? freeAtStart
          }
        }
      })
      const server = metricsServer
      cleanup.push({ what: 'close the metrics server', run: async () => { await server.close() } })
    }

    const listening = addrs()
    // What the journal should show of the configuration at each start: where it listens
    // (announce addresses replace the listen ones in `addrs`) and the bounds it runs with.
    lifecycle('started', {
      peerId: identity.peerIdString,
      addrs: listening,
      listen: options.listen ?? config.listen,
      metrics: metricsServer?.url ?? 'off',
      relay: relay.enabled,
      dht: dhtConfig.enabled,
      limits: {
        parkedMaxBytes: config.parking.total.maxBytes,
        parkedMaxCount: config.parking.total.maxCount,
        minFreeDiskBytes: config.parking.minFreeDiskBytes,
        retentionMs: config.parking.retentionMs,
        maxConnections: config.connections.maxConnections,
        relayMaxReservations: relay.enabled ? relay.maxReservations : 0
      }
    })
    log('cache server %s serving on %s', identity.peerIdString, listening.join(' '))

    let stopping: Promise<void> | undefined
    return {
      peerId: identity.peerIdString,
      addrs: listening,
      metricsUrl: metricsServer?.url,
      libp2p,
      metrics,
      stop: async () => {
        stopping ??= (async () => {
          lifecycle('stopping', { peerId: identity.peerIdString, inFlight: inFlight.size })
          await stopAll()
          lifecycle('stopped', { peerId: identity.peerIdString })
        })()
        await stopping
      }
    }
  } catch (err) {
    await stopAll()
    throw err
  }
}

/** Open the server's database (the server must not be running), check the parking counters against the records. */
export async function auditCacheHome (home: string, config: CacheConfig): Promise<{ consistent: boolean, counted: { count: number, bytes: number }, counters: { count: number, bytes: number }, problems: string[] }> {
  const db = await openDatabase(cacheHomePaths(home).db, { kind: 'cache-server' })
  try {
    const parking = await createParkingStore(db, parkingLimits(config))
    return await parking.audit()
  } finally {
    await db.close()
  }
}
