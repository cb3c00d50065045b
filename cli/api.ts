import { ControlClient } from '../node/control/client.js'
import { errorName } from '../node/errors.js'
import type { NodeEvent } from '../node/events.js'

/**
 * What a command talks to: the home's daemon over its control socket, or, when no daemon
 * runs, the same methods on the home opened directly (so `contacts add` or `list` work
 * either way, with one implementation behind both).
 */
export interface HomeApi {
  readonly remote: boolean
  call<T = unknown>(method: string, params?: unknown): Promise<T>
  subscribe(listener: (event: NodeEvent) => void): Promise<void>
  /** Told if the daemon goes away while connected (absent when the home is opened directly). */
  onClose?(listener: (err: Error) => void): void
  close(): Promise<void>
}

export interface ConnectOptions {
  home: string
  /** Open the home directly when no daemon runs. */
  allowOffline: boolean
  passphrase?: () => Promise<Uint8Array | undefined>
}

export async function connectApi (options: ConnectOptions): Promise<HomeApi> {
  try {
    const client = await ControlClient.connect(options.home)
    return {
      remote: true,
      call: async (method, params) => client.call(method, params),
      subscribe: async listener => { await client.subscribe(listener) },
      onClose: listener => { client.onClose(listener) },
      close: async () => { client.close() }
    }
  } catch (err) {
    if (errorName(err) !== 'DaemonNotRunningError' || !options.allowOffline) throw err
  }
  // Imported here so commands that talk to a daemon do not load the mail stack.
  const { openLocalService } = await import('./local-service.js')
  return openLocalService(options.home, await options.passphrase?.())
}
