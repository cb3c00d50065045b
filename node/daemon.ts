import { randomBytes } from 'node:crypto'
import { rename, unlink, writeFile } from 'node:fs/promises'
import { defaultLogger } from '@libp2p/logger'
import { ControlClient } from './control/client.js'
import { controlMethods } from './control/methods.js'
import { ControlServer } from './control/server.js'
import { sha256, verifyReceipt } from './crypto/index.js'
import { errorName } from './errors.js'
import { NodeEvents } from './events.js'
import { openHome } from './home.js'
import { MailService } from './mail-service.js'
import { createNetwork } from './network.js'
import { OutboxEngine } from './outbox-engine.js'
import { DeliverProtocol } from './protocol/deliver.js'
import { Receiver } from './receiver.js'
import type { ComponentLogger } from '@libp2p/interface'

export interface DaemonOptions {
  home: string
  /** Overrides the config's listen addresses. */
  listen?: string[]
  passphrase?: Uint8Array
  /** Written atomically with `{ peerId, addrs }` once the daemon serves. */
  readyFile?: string
  logger?: ComponentLogger
  now?: () => number
}

export interface RunningDaemon {
  peerId: string
  addrs: string[]
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

  const opened = await openHome(home, options.passphrase)
  const { identity, config, store, paths } = opened
  const events = new NodeEvents(now)
  const cleanup: Array<() => Promise<void>> = [async () => { await opened.close() }]
  const stopAll = async (): Promise<void> => {
    for (const step of cleanup.reverse()) await step().catch(err => { log.error('shutdown step failed - %e', err) })
  }

  try {
    const libp2p = await createNetwork({ privateKey: identity.privateKey, listen: options.listen ?? config.listen })
    cleanup.push(async () => { await libp2p.stop() })

    const receiver = new Receiver({ identity, mailbox: store.mailbox, contacts: store.contacts, events, log: logger.forComponent('peerpost:inbox'), now }, { maxMimeBytes: config.limits.maxMimeBytes })
    const deliver = new DeliverProtocol({
      libp2p,
      log: logger.forComponent('peerpost:deliver'),
      handler: async bytes => receiver.receive(bytes),
      verifyReceipt: (receipt, expectedSigner, envelopeId, envelopeBytes) => { verifyReceipt(receipt, { expectedSigner, envelopeId, envelopeSha256: sha256(envelopeBytes) }) }
    }, { maxEnvelopeBytes: config.limits.maxEnvelopeBytes, dialTimeoutMs: config.outbox.dialTimeoutMs, responseTimeoutMs: config.outbox.deliverTimeoutMs })
    await deliver.start()
    cleanup.push(async () => { await deliver.stop() })

    const engine = new OutboxEngine({
      outbox: store.outbox,
      contacts: store.contacts,
      deliverer: deliver,
      events,
      log: logger.forComponent('peerpost:outbox'),
      now,
      random: Math.random
    }, { retryBaseMs: config.outbox.retryBaseMs, retryMaxMs: config.outbox.retryMaxMs })
    // A peer that connects to us is online: whatever waits for it goes now.
    libp2p.addEventListener('peer:connect', evt => { engine.kick(evt.detail.toString()) })

    const service = new MailService({ identity, mailbox: store.mailbox, contacts: store.contacts, outbox: store.outbox, events, config, now, network: { libp2p, engine } })

    await libp2p.start()
    await engine.start()
    cleanup.push(async () => { await engine.stop() })

    const control = new ControlServer({ methods: controlMethods(service), events, log: logger.forComponent('peerpost:control') })
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
    return { peerId: identity.peerIdString, addrs, service, stop: async () => { stopping ??= stopAll(); await stopping } }
  } catch (err) {
    await stopAll()
    throw err
  }
}
