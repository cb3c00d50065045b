import { describeError } from '../errors.js'

/** Error names with a sentence that says what to do; others use the error's own first line. */
const WORDS: Record<string, string> = {
  ControlProtocolError: 'lost the connection to the daemon: quit and start peerpost again',
  DaemonNotRunningError: 'the daemon is not running: quit and start peerpost again',
  UnknownMethodError: 'the running daemon is older than this peerpost: restart it'
}

/** The one place that turns an error into the status line's words. */
export function describeUiError (what: string, err: unknown): string {
  const name = err instanceof Error ? err.name : ''
  return `${what}: ${WORDS[name] ?? describeError(err)}`
}

export class DaemonStartError extends Error {
  static readonly NAME = 'DaemonStartError'
  override name = DaemonStartError.NAME
}
