/** Exit codes of the `peerpost` command. */
export const EXIT_OK = 0
export const EXIT_FAILURE = 1
export const EXIT_USAGE = 2

export class UsageError extends Error {
  static readonly NAME = 'UsageError'
  override name = UsageError.NAME
}

/** Error names that mean the person typed something wrong, not that something failed. */
const USAGE_ERRORS = new Set(['UsageError', 'UnknownRecipientError', 'NoRecipientsError', 'ConfigError', 'MalformedCardTextError'])

/** The one place that maps an error to an exit code. */
export function exitCodeFor (err: unknown): number {
  return err instanceof Error && USAGE_ERRORS.has(err.name) ? EXIT_USAGE : EXIT_FAILURE
}

/** One line a person understands; no stack, no library prefixes. */
export function describeError (err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  const code = (err as NodeJS.ErrnoException).code
  const path = (err as NodeJS.ErrnoException).path
  if (code === 'ENOENT' && path != null) return `no such file: ${path}`
  if (code === 'EACCES' && path != null) return `permission denied: ${path}`
  if (code === 'EADDRINUSE') return `address already in use: ${err.message.replace(/^.*EADDRINUSE:?\s*/, '')} (pick another --listen port)`
  return err.message.split('\n')[0] ?? err.name
}
