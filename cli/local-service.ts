import { controlMethods } from '../node/control/methods.js'
import { RemoteError } from '../node/control/protocol.js'
import { NodeEvents } from '../node/events.js'
import { homePurger, openHome } from '../node/home.js'
import { MailService } from '../node/mail-service.js'
import type { HomeApi } from './api.js'
import type { OpenHome } from '../node/home.js'

/** The control methods served in-process on a home no daemon owns. */
export async function openLocalService (home: string, passphrase?: Uint8Array): Promise<HomeApi> {
  return (await openLocalHome(home, passphrase)).api
}

/**
 * The same, also giving the opened home and its event bus (tests store mail and emit
 * events the way the receiver does, and watch the UI follow).
 */
export async function openLocalHome (home: string, passphrase?: Uint8Array): Promise<{ api: HomeApi, opened: OpenHome, events: NodeEvents }> {
  const opened = await openHome(home, passphrase)
  const events = new NodeEvents()
  const service = new MailService({
    identity: opened.identity,
    mailbox: opened.store.mailbox,
    contacts: opened.store.contacts,
    outbox: opened.store.outbox,
    blobs: opened.blobs,
    downloads: opened.downloads,
    purger: homePurger(opened, events),
    events,
    config: opened.config,
    configPath: opened.paths.config,
    now: Date.now
  })
  const methods = controlMethods(service)
  const api: HomeApi = {
    remote: false,
    call: async <T>(method: string, params?: unknown): Promise<T> => {
      const fn = methods[method]
      if (fn == null) throw new RemoteError('UnknownMethodError', `unknown method ${method}`)
      return await fn(params ?? {}) as T
    },
    subscribe: async listener => { events.subscribe(listener) },
    close: async () => { await opened.close() }
  }
  return { api, opened, events }
}
