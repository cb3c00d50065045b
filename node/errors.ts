/**
 * Errors of the mail node. One class per condition with a stable `name`; `retryable`
 * tells a temporary failure (like SMTP 4xx) from a permanent one (5xx).
 */

export class UnknownRecipientError extends Error {
  static readonly NAME = 'UnknownRecipientError'
  override name = UnknownRecipientError.NAME
  constructor (address: string) {
    super(`unknown recipient "${address}": add their card first with \`peerpost contacts add CARD --as NAME\``)
  }
}

export class NoRecipientsError extends Error {
  static readonly NAME = 'NoRecipientsError'
  override name = NoRecipientsError.NAME
  constructor () { super('no recipients: give at least one --to') }
}

export class NoAddressesError extends Error {
  static readonly NAME = 'NoAddressesError'
  override name = NoAddressesError.NAME
  readonly retryable = true
  constructor (peerId: string) { super(`no known address for ${peerId}: their card carries none`) }
}

export class PeerUnreachableError extends Error {
  static readonly NAME = 'PeerUnreachableError'
  override name = PeerUnreachableError.NAME
  readonly retryable = true
}

export class DeliveryTimeoutError extends Error {
  static readonly NAME = 'DeliveryTimeoutError'
  override name = DeliveryTimeoutError.NAME
  readonly retryable = true
}

/** The peer answered with a typed error reply (recipient, holder or server). */
export class PeerRefusedError extends Error {
  static readonly NAME = 'PeerRefusedError'
  override name = PeerRefusedError.NAME
  constructor (readonly code: string, message: string, readonly retryable: boolean) {
    super(`refused (${code}): ${message}`)
  }
}

/** The peer broke the protocol (wrong envelope id, bad receipt, stream ended early). */
export class ProtocolViolationError extends Error {
  static readonly NAME = 'ProtocolViolationError'
  override name = ProtocolViolationError.NAME
  readonly retryable = true
}

/** This node does not hold mail for others (`holding.enabled` is false): park it elsewhere. */
export class HoldingDisabledError extends Error {
  static readonly NAME = 'HoldingDisabledError'
  override name = HoldingDisabledError.NAME
  readonly retryable = false
  constructor () { super('this node does not hold mail for others (holding is turned off): park it elsewhere') }
}

export class AttachmentTooLargeError extends Error {
  static readonly NAME = 'AttachmentTooLargeError'
  override name = AttachmentTooLargeError.NAME
}

export class IdentityMissingError extends Error {
  static readonly NAME = 'IdentityMissingError'
  override name = IdentityMissingError.NAME
  constructor (home: string) { super(`no identity in ${home}: check --home (or $PEERPOST_HOME) if you have one elsewhere, or create one with \`peerpost init --home ${home}\``) }
}

export class OfflineError extends Error {
  static readonly NAME = 'OfflineError'
  override name = OfflineError.NAME
  constructor (what: string) { super(`${what} needs the daemon: start it with \`peerpost daemon\``) }
}

/** `outbox cancel --recipient ADDR` named someone the message was not sent to. */
export class NotARecipientError extends Error {
  static readonly NAME = 'NotARecipientError'
  override name = NotARecipientError.NAME
  constructor (readonly id: string, readonly address: string, recipients: string[]) {
    super(`outbox entry ${id} was not sent to "${address}": its recipients are ${recipients.join(', ')}`)
  }
}

/** True when an error says to try again later. */
export function isRetryable (err: unknown): boolean {
  if (err != null && typeof err === 'object' && 'retryable' in err) return (err as { retryable: unknown }).retryable === true
  // Transport errors from libp2p (dial failures, resets, aborts) are temporary.
  return true
}

/** The `name` of whatever was thrown ('' for non-errors); errors are told apart by name. */
export function errorName (err: unknown): string {
  return err instanceof Error ? err.name : ''
}

/** Whatever was thrown, as an Error (a string or other value is wrapped, not re-labelled). */
export function asError (err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err))
}

/** The errno code of a system error, if it is one. */
export function errnoCode (err: unknown): string | undefined {
  return err instanceof Error ? (err as NodeJS.ErrnoException).code : undefined
}

/**
 * `name@server` now resolves to another key than the one pinned on first use. Never
 * accepted silently: the person must check with the contact and re-pin by hand.
 */
export class NameKeyChangedError extends Error {
  static readonly NAME = 'NameKeyChangedError'
  override name = NameKeyChangedError.NAME
  constructor (address: string, pinned: string, now: string) {
    super(`KEY CHANGED: ${address} was pinned to ${pinned} but the directory now names ${now}. Refused: check with them, then \`peerpost contacts remove ${address}\` and add it again if the change is real`)
  }
}

/**
 * A contact's card changed its encryption key (seen in their mail). Nothing is sent to
 * them until the person checks and accepts the new key.
 */
export class ContactKeyChangedError extends Error {
  static readonly NAME = 'ContactKeyChangedError'
  override name = ContactKeyChangedError.NAME
  constructor (name: string) {
    super(`KEY CHANGED: ${name}'s card now has another encryption key. Nothing is sent to ${name} until you compare fingerprints with them and run \`peerpost contacts accept-key ${name}\``)
  }
}

/** `contacts accept-key` for a contact with no changed key waiting. */
export class NoPendingKeyError extends Error {
  static readonly NAME = 'NoPendingKeyError'
  override name = NoPendingKeyError.NAME
  constructor (name: string) { super(`${name} has no changed key waiting to be accepted`) }
}

/** The directory refused my registration: the name belongs to another key (first come). */
export class NameUnavailableError extends Error {
  static readonly NAME = 'NameUnavailableError'
  override name = NameUnavailableError.NAME
  constructor (name: string, server: string, detail: string) {
    super(`cannot register "${name}" on ${server}: ${detail}`)
  }
}

/**
 * A cache server (a directory to register on or resolve a name at) could not be reached.
 * Retryable, but usually the person has to look: a wrong address, a server that is down,
 * a port a firewall closes.
 */
export class ServerUnreachableError extends Error {
  static readonly NAME = 'ServerUnreachableError'
  override name = ServerUnreachableError.NAME
  readonly retryable = true
  constructor (server: string, reason: string, options?: ErrorOptions) {
    super(`cache server ${server} is unreachable (${reason}): check the address, that the server runs and that its TCP port is open to you`, options)
  }
}

const DIAL_FAILURES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'name lookup failed',
  ETIMEDOUT: 'timed out',
  TimeoutError: 'timed out',
  AbortError: 'timed out',
  UnsupportedProtocolError: 'it does not speak the peerpost directory protocol: is it a peerpost cache server?',
  UnexpectedPeerError: 'another peer answered than the PeerId in the address',
  NoValidAddressesError: 'no address to dial'
}

/**
 * Why a dial to a server failed, in a few words, when `err` is a dial failure (a socket
 * error, a dial timeout, a peer that is not who the address says); undefined otherwise, so
 * typed replies from the server (NAME_TAKEN, NOT_FOUND) keep their own errors.
 */
export function dialFailureReason (err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined
  if (err instanceof AggregateError) {
    for (const inner of err.errors) { const reason = dialFailureReason(inner); if (reason != null) return reason }
  }
  return DIAL_FAILURES[errnoCode(err) ?? ''] ?? DIAL_FAILURES[err.name] ?? (err.cause != null ? dialFailureReason(err.cause) : undefined)
}

/** A home server's address does not parse as a multiaddr, or names no `/p2p/<PeerId>`. */
export class InvalidServerAddressError extends Error {
  static readonly NAME = 'InvalidServerAddressError'
  override name = InvalidServerAddressError.NAME
  constructor (readonly addr: string, why: string, options?: ErrorOptions) {
    super(`"${addr}" is not a cache server's address (${why}): give the address from the server's ready line, ending in /p2p/<its PeerId>, e.g. /ip4/203.0.113.7/tcp/4455/p2p/12D3KooW…`, options)
  }
}

/** `servers remove` named a server that is not one of my home servers. */
export class ServerNotFoundError extends Error {
  static readonly NAME = 'ServerNotFoundError'
  override name = ServerNotFoundError.NAME
  constructor (readonly server: string) {
    super(`"${server}" is not one of your home servers: \`peerpost servers list\` shows them (give one's address or PeerId)`)
  }
}

/** A listen or announce address (from --listen or config.json) is not a multiaddr. */
export class InvalidListenAddressError extends Error {
  static readonly NAME = 'InvalidListenAddressError'
  override name = InvalidListenAddressError.NAME
  constructor (readonly option: 'listen' | 'announce', readonly addr: string, options?: ErrorOptions) {
    super(`"${addr}" is not a multiaddr (${option === 'listen' ? '--listen, or "listen"' : '"announce"'} in config.json): give one like /ip4/0.0.0.0/tcp/4001`, options)
  }
}

/**
 * A recipient is this node itself. Its copy would carry the Sent copy's dedupe key (sender +
 * Message-ID), so the node would take it as a copy it already has and drop it: refused
 * before anything is queued rather than lost quietly.
 */
export class SelfRecipientError extends Error {
  static readonly NAME = 'SelfRecipientError'
  override name = SelfRecipientError.NAME
  constructor (readonly address: string) {
    super(`"${address}" is you: peerpost does not send mail to yourself (your sent folder keeps what you send); leave yourself out of --to and --cc`)
  }
}

/** `contacts add` (or name@server) gave this node's own card. */
export class OwnCardError extends Error {
  static readonly NAME = 'OwnCardError'
  override name = OwnCardError.NAME
  constructor () { super('this is your own card: give it to your friends, and add the card each of them gives you') }
}

/** `name@server`: the server answered, and nobody registered that name there. */
export class NameNotRegisteredError extends Error {
  static readonly NAME = 'NameNotRegisteredError'
  override name = NameNotRegisteredError.NAME
  constructor (readonly address: string) {
    super(`unknown recipient "${address}": nobody registered that name on that server; check the spelling, or ask them for their card (\`peerpost contacts add CARD --as NAME\`)`)
  }
}

/** `contacts add --as NAME`: a name nobody could type back (empty, blank, control characters) or too long. */
export class InvalidContactNameError extends Error {
  static readonly NAME = 'InvalidContactNameError'
  override name = InvalidContactNameError.NAME
  constructor (readonly contactName: string, why: string) {
    super(`${JSON.stringify(contactName)} cannot be a contact's name: ${why}; give --as a word you will type in --to, e.g. --as bob`)
  }
}

/** `send --eml FILE`: the file is not a message peerpost can send as it is. */
export class EmlFileError extends Error {
  static readonly NAME = 'EmlFileError'
  override name = EmlFileError.NAME
  constructor (readonly path: string, why: string, options?: ErrorOptions) {
    super(`--eml ${path} cannot be sent as it is (nothing was sent): ${why}`, options)
  }
}
