import { randomBytes } from 'node:crypto'
import { rename, unlink, writeFile } from 'node:fs/promises'
import { defaultLogger } from '@libp2p/logger'
import { ControlClient } from './control/client.js'
import { controlMethods } from './control/methods.js'
import { ControlServer } from './control/server.js'
import { errorName } from './errors.js'
import { NodeEvents } from './events.js'
import { homePurger, openHome } from './home.js'
import { MailService } from './mail-service.js'
import { createNetwork } from './network.js'
import { bindable, withFreePorts } from './listen-port.js'
import { OutboxEngine } from './outbox-engine.js'
import { HomeServers } from './home-servers.js'
import { DeliverProtocol, PARK_PROTOCOL } from './protocol/deliver.js'
import { PresenceWatch } from './presence-watch.js'
import { Receiver } from './receiver.js'
import { Retrieval } from './retrieval.js'
import { Router } from './routing.js'
import { startHolding } from './holding-wiring.js'
import { Recaller } from './recall.js'
import { Transfers, UNACCEPTED_FOLDERS } from './transfers.js'
import { serveBlobs } from './protocol/blob.js'
import { TombstoneSweep } from './tombstone-sweep.js'
import { TOMBSTONE_LIFETIME_MS } from './envelope-age.js'
import { createHeldBlobs } from '../storage/held-blobs.js'
import { createTombstoneExpiry } from '../storage/tombstones.js'
import type { ComponentLogger } from '@libp2p/interface'

export interface DaemonOptions {
  home: string
  /** Overrides the config's listen addresses. */
  listen?: string[]
  passphrase?: Uint8Array
  /** Written atomically with `{ peerId, addrs }` once the daemon serves. */
  readyFile?: string
  /**
   * Called when a client asks the daemon to stop (`peerpost stop`): whoever runs the daemon
   * then stops it as on SIGTERM. Without it the request is refused.
   */
  onStopRequest?: () => void
  logger?: ComponentLogger
  now?: () => number
}

export interface RunningDaemon {
  peerId: string
  addrs: string[]
  /** Listen addresses of the config whose port another program held: this run listens on a new port instead. */
  portsTaken: string[]
  service: MailService
  stop(): Promise<void>
}

export class DaemonAlreadyRunningError extends Error {
  static readonly NAME = 'DaemonAlreadyRunningError'
  override name = DaemonAlreadyRunningError.NAME
  constructor (home: string) { super(`a daemon is already running for ${home}`) }
}

/**
 * Start the daemon that owns a home: the libp2p node, the deliver protocol (both sides),
 * the outbox engine and the control socket.
 */
export async function startDaemon (options: DaemonOptions): Promise<RunningDaemon> {
  const logger = options.logger ?? defaultLogger()
  const log = logger.forComponent('peerpost:daemon')
  const now = options.now ?? Date.now
  const { home } = options

  try {
    const client = await ControlClient.connect(home)
    client.close()
    throw new DaemonAlreadyRunningError(home)
  } catch (err) {
    if (errorName(err) !== 'DaemonNotRunningError') throw err
  }

  const opened = await openHome(home, options.passphrase, logger)
  const { identity, config, store, paths, blobs, downloads } = opened
  const events = new NodeEvents(now)
  const cleanup: Array<() => Promise<void>> = [async () => { await opened.close() }]
  const stopAll = async (): Promise<void> => {
    for (const step of cleanup.reverse()) await step().catch(err => { log.error('shutdown step failed - %e', err) })
  }

  try {
    // --listen is what the person asked for now: it binds or fails. The config's port (saved
    // by init) moves for this run when something else holds it, rather than leave no daemon.
    const { listen, taken: portsTaken } = options.listen != null ? { listen: options.listen, taken: [] } : await withFreePorts(config.listen, bindable)
    if (portsTaken.length > 0) log('listen port taken, a new one for this run: %s', portsTaken.join(' '))
    const libp2p = await createNetwork({ privateKey: identity.privateKey, listen, announce: config.announce })
    cleanup.push(async () => { await libp2p.stop() })

    // Large attachments, the holder's side: serve what I keep for my recipients, drop a blob
    // once every recipient has it, and sweep expired ones (and files a crash left behind).
    await blobs.removeOrphans()
    // Files of messages deleted for good whose removal a crash cut short.
    await downloads.removeOrphans()
    const transfers = new Transfers({
      libp2p,
      downloads,
      contacts: store.contacts,
      events,
      presence: async (peerId, servers) => presence.lookup(peerId, servers),
      folderOf: async messageId => (await store.mailbox.get(messageId))?.folder,
      log: logger.forComponent('peerpost:transfers'),
      now,
      random: Math.random
    }, { inFlight: config.blobs.inFlight, progressIntervalMs: config.blobs.progressIntervalMs, maxStrangerBytes: config.blobs.maxStrangerBytes, retryBaseMs: config.outbox.retryBaseMs, retryMaxMs: config.outbox.retryMaxMs, dialTimeoutMs: config.outbox.dialTimeoutMs })
    cleanup.push(async () => { await transfers.stop() })
    // The config as `servers add` and `presence --status` change it while the daemon runs.
    const live = { config }
    const liveConfig = (): typeof config => live.config
    // What I sent, and what I pulled whole, to the other recipients its sender listed.
    const servable = createHeldBlobs(blobs, downloads, {
      serveReceived: () => liveConfig().blobs.serveCoRecipients,
      // Only mail I accepted: a stranger cannot have my node pass their files on.
      mayServe: async d => {
        const folder = d.info == null ? undefined : (await store.mailbox.get(d.info.messageId))?.folder
        return folder !== undefined && !UNACCEPTED_FOLDERS.includes(folder)
      }
    })
    const stopServingBlobs = await serveBlobs(libp2p, servable, {
      log: logger.forComponent('peerpost:blob'),
      now,
      onChunkServed: (blobId, index, peer) => { transfers.served(blobId, index, peer) },
      onCompleted: (record, peer) => {
        transfers.uploadCompleted(record.blobId, peer)
        const released = record.recipients.every(r => record.completed.includes(r))
        events.emit('blob:completed', { blobId: record.blobId, peerId: peer, released })
        if (released) void blobs.remove(record.blobId).catch(err => { log.error('removing blob %s failed - %e', record.blobId, err) })
      }
    })
    cleanup.push(stopServingBlobs)
    const sweep = setInterval(() => {
      blobs.expire(now()).then(ids => { if (ids.length > 0) log('%d expired blob(s) removed', ids.length) }, err => { log.error('blob expiry failed - %e', err) })
    }, config.blobs.sweepIntervalMs)
    sweep.unref()
    cleanup.push(async () => { clearInterval(sweep) })
    // Dedupe tombstones of mail deleted for good go once no copy of it can come any more.
    const tombstones = new TombstoneSweep({ expiry: createTombstoneExpiry({ db: store.db, locks: store.mailbox.writer.locks, now }, { lifetimeMs: TOMBSTONE_LIFETIME_MS }), log: logger.forComponent('peerpost:tombstones') })
    tombstones.start()
    cleanup.push(async () => { await tombstones.stop() })

    const receiver = new Receiver({
      identity,
      mailbox: store.mailbox,
      contacts: store.contacts,
      events,
      log: logger.forComponent('peerpost:inbox'),
      now,
      registerBlobs: async (refs, messageId, sender) => { await transfers.register(refs, messageId, sender) }
    }, { maxMimeBytes: config.limits.maxMimeBytes, strangerStampBits: config.requests.stampBits })
    const deliver = new DeliverProtocol({
      libp2p,
      log: logger.forComponent('peerpost:deliver'),
      handler: async bytes => receiver.receive(bytes),
      signer: { identity, now },
      // Told next to each receipt, so a contact stops minting stamps for me (node/restamp.ts).
      stampExempt: async peer => config.requests.stampBits === 0 || await store.contacts.getByPeerId(peer) != null
    }, { maxEnvelopeBytes: config.limits.maxEnvelopeBytes, dialTimeoutMs: config.outbox.dialTimeoutMs, responseTimeoutMs: config.outbox.deliverTimeoutMs })
    await deliver.start()
    cleanup.push(async () => { await deliver.stop() })

    // Parking is the same hand-off to a holder; the receipt must be the holder's own.
    const park = new DeliverProtocol({ libp2p, log: logger.forComponent('peerpost:park') },
      { protocol: PARK_PROTOCOL, maxEnvelopeBytes: config.limits.maxEnvelopeBytes, dialTimeoutMs: config.outbox.dialTimeoutMs, responseTimeoutMs: config.outbox.deliverTimeoutMs })
    cleanup.push(async () => { park.closeSessions() })

    // A watched recipient came online: its pending mail goes now (the engine is made below).
    const wake = { kick: (_peerId: string): void => {} }
    const presence = new PresenceWatch({ libp2p, events, log: logger.forComponent('peerpost:presence'), now, onOnline: peerId => { wake.kick(peerId) } },
      { timeoutMs: config.outbox.dialTimeoutMs, retryMs: config.servers.reconnectBaseMs, retryMaxMs: config.servers.reconnectMaxMs })
    cleanup.push(async () => { await presence.stop() })
    const router = new Router({
      libp2p,
      direct: deliver,
      park,
      presence: async (peerId, servers) => presence.lookup(peerId, servers),
      myServers: () => liveConfig().homeServers,
      addrsOf: async peerId => (await store.contacts.getByPeerId(peerId))?.addrs ?? [],
      log: logger.forComponent('peerpost:routing'),
      now
    }, { noticeTimeoutMs: config.outbox.dialTimeoutMs })
    const engine = new OutboxEngine({
      outbox: store.outbox,
      contacts: store.contacts,
      router,
      events,
      log: logger.forComponent('peerpost:outbox'),
      now,
      random: Math.random
    }, { retryBaseMs: config.outbox.retryBaseMs, retryMaxMs: config.outbox.retryMaxMs })
    const outboxEngine = engine
    // Takes parked copies back for `outbox cancel`, and asks unreachable holders again.
    const recaller = new Recaller({
      libp2p,
      contacts: store.contacts,
      myServers: () => liveConfig().homeServers,
      timeoutMs: () => liveConfig().outbox.dialTimeoutMs,
      outbox: store.outbox,
      events,
      log: logger.forComponent('peerpost:recall'),
      now,
      random: Math.random
    }, { retryBaseMs: config.outbox.retryBaseMs, retryMaxMs: config.outbox.retryMaxMs })
    wake.kick = peerId => { outboxEngine.kick(peerId); transfers.kick(peerId); recaller.kick(peerId) }
    // A peer that connects to us is online: whatever waits for it goes now (mail to it, attachments from it).
    libp2p.addEventListener('peer:connect', evt => { wake.kick(evt.detail.toString()) })

    const retrieval = new Retrieval({
      libp2p,
      receive: async bytes => receiver.receive(bytes, 'holder'),
      onExpired: async (envelopeId, holder) => { await outboxEngine.expired(envelopeId, holder, serverName(liveConfig().homeServers, holder)) },
      log: logger.forComponent('peerpost:retrieval'),
      now,
      random: Math.random
    }, { timeoutMs: config.outbox.deliverTimeoutMs, retryBaseMs: config.outbox.retryBaseMs, retryMaxMs: config.outbox.retryMaxMs })
    cleanup.push(async () => { await retrieval.stop() })

    // Holding mail for offline co-recipients, and being told by those who hold mine.
    const holding = await startHolding({ libp2p, identity, db: store.db, contacts: store.contacts, events, retrieval, presence, config: liveConfig, logger, now })
    cleanup.push(async () => { await holding.stop() })
    wake.kick = peerId => { outboxEngine.kick(peerId); holding.online(peerId); transfers.kick(peerId); recaller.kick(peerId) }

    const servers = new HomeServers({
      libp2p,
      identity,
      events,
      log: logger.forComponent('peerpost:servers'),
      now,
      random: Math.random,
      status: () => liveConfig().presence.status,
      addrs: () => libp2p.getMultiaddrs().map(a => a.toString()).slice(0, 32),
      onNotices: (server, notices, ack) => { retrieval.onNotices(server, notices, ack) },
      onConnected: server => { retrieval.onConnected(server) }
    }, { heartbeatMs: config.servers.heartbeatMs, reconnectBaseMs: config.servers.reconnectBaseMs, reconnectMaxMs: config.servers.reconnectMaxMs, connectTimeoutMs: config.outbox.dialTimeoutMs })
    // New addresses (a relay reservation came, or went): tell the servers at once.
    libp2p.addEventListener('self:peer:update', () => { servers.heartbeatNow() })

    const service = new MailService({
      identity,
      mailbox: store.mailbox,
      contacts: store.contacts,
      outbox: store.outbox,
      blobs,
      downloads,
      purger: homePurger(opened, events, transfers),
      events,
      config,
      configPath: paths.config,
      now,
      log: logger.forComponent('peerpost:search'),
      network: { libp2p, engine, servers, presence, holding: holding.holding, transfers, recaller },
      portsTaken,
      onConfigChange: next => {
        live.config = next
        servers.set(next.homeServers)
        servers.heartbeatNow()
      }
    })

    await libp2p.start()
    await engine.start()
    cleanup.push(async () => { await outboxEngine.stop() })
    recaller.start()
    cleanup.push(async () => { await recaller.stop() })
    await transfers.start()
    servers.start(config.homeServers)
    // Stopped before the engine and libp2p: the servers hear "offline" while we can still say it.
    cleanup.push(async () => { await servers.stop() })

    const methods = controlMethods(service)
    const onStopRequest = options.onStopRequest
    // Answered first, then the stop begins; the caller waits for this pid to exit.
    if (onStopRequest != null) methods['daemon.stop'] = async () => { setImmediate(onStopRequest); return { pid: process.pid } }
    const control = new ControlServer({ methods, events, log: logger.forComponent('peerpost:control') })
    await control.listen(paths.controlSocket)
    cleanup.push(async () => { await control.close(); await unlink(paths.controlSocket).catch(() => {}) })

    const addrs = service.addrs()
    events.emit('node:started', { peerId: identity.peerIdString, addrs })
    if (options.readyFile != null) {
      const readyFile = options.readyFile
      const tmp = `${readyFile}.${randomBytes(4).toString('hex')}.tmp`
      await writeFile(tmp, JSON.stringify({ peerId: identity.peerIdString, addrs }) + '\n')
      await rename(tmp, readyFile)
      cleanup.push(async () => { await unlink(readyFile).catch(() => {}) })
    }
    log('daemon for %s serving on %s', identity.peerIdString, addrs.join(' '))

    let stopping: Promise<void> | undefined
    return { peerId: identity.peerIdString, addrs, portsTaken, service, stop: async () => { stopping ??= stopAll(); await stopping } }
  } catch (err) {
    await stopAll()
    throw err
  }
}

/** How a holder is named in messages: its configured address when it is one of my servers. */
function serverName (homeServers: string[], peerId: string): string {
  return homeServers.find(a => a.endsWith(`/p2p/${peerId}`)) ?? peerId
}
