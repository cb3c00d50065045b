import { enabled as debugEnabled } from '@libp2p/logger'
import type { ComponentLogger, Logger } from '@libp2p/interface'

const nothing = (): void => {}
const off = (): Logger => Object.assign(() => {}, { enabled: false }) as unknown as Logger
/** Shared by every silent logger: they print nothing, so they need no state of their own. */
const SILENT_ERROR = off()
const SILENT_TRACE = off()

/**
 * A ComponentLogger that hands out the real logger only for names debugging is on for,
 * and a tiny silent one otherwise. libp2p asks for loggers per connection and per stream
 * (`libp2p:tcp:connection:…`, then `newScope` for each protocol); `@libp2p/logger` builds
 * three `debug` instances for each (name, `:error`, the `newScope` closure), about 2 KiB
 * of heap that stays as long as the connection: 8.5 KiB of live heap per connected node
 * on a cache server with DEBUG unset (heap snapshots, 500 nodes). Names are checked
 * when the logger is made, as `debug` itself does: set DEBUG before starting.
 *
 * @example
 * const logger = quietLogger(defaultLogger())
 * createLibp2p({ logger, ... })
 */
export function quietLogger (inner: ComponentLogger, isEnabled: (namespace: string) => boolean = debugEnabled): ComponentLogger {
  const forComponent = (name: string): Logger => {
    if (isEnabled(name) || isEnabled(`${name}:error`) || isEnabled(`${name}:trace`)) return inner.forComponent(name)
    const silent = Object.assign(nothing.bind(null), {
      enabled: false,
      error: SILENT_ERROR,
      trace: SILENT_TRACE,
      // A scope below may be enabled on its own (DEBUG=*:ping): check it by its full name.
      newScope: (scope: string) => forComponent(`${name}:${scope}`)
    })
    return silent as unknown as Logger
  }
  return { forComponent }
}
