import { describeError } from '../errors.js'

/** The quoted address an error message names (`unknown recipient "bob"`), if any. */
const quoted = (err: Error): string => /"([^"]*)"/.exec(err.message)?.[1] ?? ''

/**
 * Error names with a sentence that says what to do here, in the UI's keys (the daemon's own
 * message names `peerpost` commands); others use the error's own first line.
 */
const WORDS: Record<string, (err: Error) => string> = {
  ControlProtocolError: () => 'lost the connection to the daemon: quit and start peerpost again',
  DaemonNotRunningError: () => 'the daemon is not running: quit and start peerpost again',
  UnknownMethodError: () => 'the running daemon is older than this peerpost: restart it',
  UnknownRecipientError: err => `unknown recipient "${quoted(err)}": add their card in Contacts (C, then a), or check the name`,
  NameNotRegisteredError: err => `unknown recipient "${quoted(err)}": nobody registered that name on that server; check the spelling, or add their card in Contacts (C, then a)`
}

/** The one place that turns an error into the status line's words. */
export function describeUiError (what: string, err: unknown): string {
  const words = err instanceof Error ? WORDS[err.name] : undefined
  return `${what}: ${words != null ? words(err as Error) : describeError(err)}`
}

export class DaemonStartError extends Error {
  static readonly NAME = 'DaemonStartError'
  override name = DaemonStartError.NAME
}
