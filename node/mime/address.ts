/**
 * Addresses as they appear in peerpost headers. A peer is written
 * `Display Name <PEERID@peerpost>`: the local part is the base58 PeerId and the domain is the
 * pseudo-domain `peerpost`, so ordinary mail tools show and reply to it sensibly. Other
 * domains (a cache server's `alice@cache.example.org`) pass through as plain mailboxes.
 */

import addressparser from 'nodemailer/lib/addressparser'
import { InvalidAddressError } from './errors.js'

/** The pseudo-domain of peer addresses. */
export const PEERPOST_DOMAIN = 'peerpost'

/** A peer as the composer takes it. */
export interface PeerAddress {
  name?: string
  peerId: string
}

/** A mailbox with any domain. */
export interface Mailbox {
  name?: string
  address: string
}

/** What the composer accepts for one recipient or sender: a header string, a peer, or a mailbox. */
export type AddressInput = string | PeerAddress | Mailbox

// base58btc: no 0, O, I or l. Both RSA ("Qm…") and Ed25519 ("12D3KooW…") PeerIds fit.
const BASE58 = /^[1-9A-HJ-NP-Za-km-z]{1,128}$/
// A pragmatic addr-spec: no whitespace, brackets, quotes or list separators on either side,
// which is all a header needs to stay unambiguous; real validation is the recipient's job.
const ADDR_SPEC = /^[^\s@<>()[\]\\,;:"]{1,128}@[^\s@<>()[\]\\,;:"]{1,253}$/u
// RFC 5322 "specials": a display name holding one must be quoted.
const SPECIALS = /[()<>[\]:;@\\,."]/
// Control characters could fold or forge header lines; a display name never needs them.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g

/**
 * Formats a peer as a header address.
 *
 * @example formatAddress({ name: 'Alice', peerId: '12D3KooW…' }) // 'Alice <12D3KooW…@peerpost>'
 * @throws InvalidAddressError when the PeerId is not base58
 */
export function formatAddress (peer: PeerAddress): string {
  if (!BASE58.test(peer.peerId)) throw new InvalidAddressError(peer.peerId, 'a PeerId is base58 (letters and digits, no 0, O, I or l)')
  return formatMailbox({ name: peer.name, address: `${peer.peerId}@${PEERPOST_DOMAIN}` })
}

/**
 * Formats any mailbox as `Name <address>`, quoting the name when it holds RFC 5322 specials
 * and leaving out the angle brackets when there is no name. Non-ASCII names stay as they are:
 * this is the human form, the composer encodes them for the wire.
 */
export function formatMailbox (mailbox: Mailbox): string {
  const name = cleanName(mailbox.name)
  if (name === '') return mailbox.address
  const shown = SPECIALS.test(name) ? `"${name.replace(/["\\]/g, c => `\\${c}`)}"` : name
  return `${shown} <${mailbox.address}>`
}

/**
 * The PeerId of a peerpost address, or `undefined` when the address is on another domain or
 * is not a single mailbox. Accepts `Name <id@peerpost>` and bare `id@peerpost`.
 *
 * @example peerIdFromAddress('Alice <12D3KooW…@peerpost>') // '12D3KooW…'
 */
export function peerIdFromAddress (addr: string): string | undefined {
  let mailbox: Mailbox
  try {
    mailbox = parseMailbox(addr)
  } catch (err) {
    if (err instanceof InvalidAddressError) return undefined
    throw err
  }
  const at = mailbox.address.lastIndexOf('@')
  const local = mailbox.address.slice(0, at)
  const domain = mailbox.address.slice(at + 1)
  // Domains are case-insensitive; the PeerId is not (base58 is case-sensitive).
  if (domain.toLowerCase() !== PEERPOST_DOMAIN || !BASE58.test(local)) return undefined
  return local
}

/**
 * Parses one header-style mailbox (`Name <local@domain>` or `local@domain`).
 *
 * @throws InvalidAddressError when the text is not exactly one mailbox with a plausible address
 */
export function parseMailbox (addr: string): Mailbox {
  const parsed = addressparser(addr, { flatten: true })
  const first = parsed[0]
  if (parsed.length !== 1 || first === undefined) throw new InvalidAddressError(addr, 'expected exactly one address such as "Name <id@peerpost>"')
  if (!ADDR_SPEC.test(first.address)) throw new InvalidAddressError(addr, 'expected local@domain')
  const name = cleanName(first.name)
  return name === '' ? { address: first.address } : { name, address: first.address }
}

/**
 * Normalizes any composer input to a mailbox, validating it.
 *
 * @throws InvalidAddressError
 */
export function toMailbox (input: AddressInput): Mailbox {
  if (typeof input === 'string') return parseMailbox(input)
  let address: string
  if ('peerId' in input) {
    if (!BASE58.test(input.peerId)) throw new InvalidAddressError(input.peerId, 'a PeerId is base58 (letters and digits, no 0, O, I or l)')
    address = `${input.peerId}@${PEERPOST_DOMAIN}`
  } else {
    if (!ADDR_SPEC.test(input.address)) throw new InvalidAddressError(input.address, 'expected local@domain')
    address = input.address
  }
  const name = cleanName(input.name)
  return name === '' ? { address } : { name, address }
}

function cleanName (name: string | undefined): string {
  return (name ?? '').replace(CONTROL, ' ').replace(/\s+/g, ' ').trim()
}
