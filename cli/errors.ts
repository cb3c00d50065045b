/** Exit codes of the `peerpost` command. */
export const EXIT_OK = 0
export const EXIT_FAILURE = 1
export const EXIT_USAGE = 2

export class UsageError extends Error {
  static readonly NAME = 'UsageError'
  override name = UsageError.NAME
}

/**
 * Error names that mean the command line is wrong (exit 2), not that something failed (exit 1):
 * a bad option or value, or an argument naming something that does not exist here (a message,
 * outbox entry, contact, recipient, folder or file). Something that exists but is in the wrong
 * state for the command (nothing left to cancel, not in the trash, a key changed) is a failure.
 */
const USAGE_ERRORS = new Set([
  'UsageError', 'ConfigError', 'InvalidConfigValueError', 'UnknownConfigKeyError', 'MalformedCardTextError', 'EmptySearchError', 'HomeKindError',
  'ImportSourceMissingError', 'NotMaildirError', 'NotMboxError', 'ExportTargetError', 'RelativePathError', 'PassphraseFileMissingError',
  'UnknownRecipientError', 'NoRecipientsError', 'NotARecipientError', 'UnknownFolderError', 'InvalidIdError', 'InvalidCursorError',
  'MessageNotFoundError', 'OutboxEntryNotFoundError', 'ContactNotFoundError', 'InvalidServerAddressError', 'ServerNotFoundError',
  'InputFileMissingError', 'InputFileIsFolderError', 'OutputNotFolderError', 'InvalidListenAddressError', 'DownloadNotFoundError', 'SelfRecipientError', 'OwnCardError', 'InvalidMessageIdError', 'NameNotRegisteredError', 'InvalidDisplayNameError', 'InvalidContactNameError', 'EmlFileError'
])

/** The one place that maps an error to an exit code. */
export function exitCodeFor (err: unknown): number {
  return err instanceof Error && USAGE_ERRORS.has(err.name) ? EXIT_USAGE : EXIT_FAILURE
}

/** The --passphrase-file (or $PEERPOST_PASSPHRASE_FILE) names no file. */
export class PassphraseFileMissingError extends Error {
  static readonly NAME = 'PassphraseFileMissingError'
  override name = PassphraseFileMissingError.NAME
  constructor (readonly path: string) {
    super(`the passphrase file ${path} does not exist: give the file you sealed the keystore with (--passphrase-file FILE or $PEERPOST_PASSPHRASE_FILE)`)
  }
}

/**
 * Errors from below the CLI (storage, the daemon, libp2p) whose own message does not say
 * what to type next: the one place that adds it, keyed by the error's stable name.
 */
const HINTS: Record<string, (err: Error) => string> = {
  PassphraseRequiredError: err => `${err.message.replace(/: give the passphrase file.*$/, '')}: give its passphrase with --passphrase-file FILE (or $PEERPOST_PASSPHRASE_FILE)`,
  DaemonAlreadyRunningError: err => {
    const home = /running for (.+)$/.exec(err.message)?.[1]
    return `${err.message}: it owns the home; use the other commands while it runs, or stop it first with \`peerpost stop${home == null ? '' : ` --home ${home}`}\``
  },
  UnsupportedListenAddressesError: err => listenFailure(err),
  NotInTrashError: err => {
    const id = /^message (\S+) is in/.exec(err.message)?.[1] ?? 'ID'
    return `${err.message.replace(/; move it to the trash first, then delete it$/, '')}: \`peerpost delete ${id}\` moves it there`
  }
}

/** libp2p lists each address it could not listen on, with the socket error, after the first line. */
function listenFailure (err: Error): string {
  const failed = [...err.message.matchAll(/^\s*(\/\S+): (.*)$/gm)].map(m => ({ addr: m[1]!, why: m[2]! }))
  const first = failed[0]
  if (first == null) return 'cannot listen on the configured addresses: check --listen (or "listen" in config.json)'
  if (/EADDRINUSE/.test(first.why)) return `cannot listen on ${first.addr}: the port is in use (another peerpost or program): pick another port with --listen, or stop the other`
  if (/EADDRNOTAVAIL/.test(first.why)) return `cannot listen on ${first.addr}: this machine has no such address: use 0.0.0.0 or one of its own addresses in --listen`
  if (/EACCES/.test(first.why)) return `cannot listen on ${first.addr}: ports below 1024 need privileges: pick a port from 1024 up with --listen`
  return `cannot listen on ${first.addr}: ${first.why.split('\n')[0] ?? ''}`
}

/** One line a person understands; no stack, no library prefixes. */
export function describeError (err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  const hint = HINTS[err.name]
  if (hint != null) return hint(err)
  const code = (err as NodeJS.ErrnoException).code
  const path = (err as NodeJS.ErrnoException).path ?? (err as { address?: string }).address
  if (code === 'ENOENT' && path != null) return `no such file: ${path}`
  if (code === 'EACCES' && path != null) return `permission denied: ${path}`
  if (code === 'ENOTDIR' && path != null) return `not a directory on the way to ${path}: --home (or $PEERPOST_HOME) must name a folder`
  if (code === 'EADDRINUSE') return `address already in use: ${err.message.replace(/^.*EADDRINUSE:?\s*/, '')} (pick another --listen port)`
  return err.message.split('\n')[0] ?? err.name
}
