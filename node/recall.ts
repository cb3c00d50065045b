import { asError, errorName } from './errors.js'
import { serverRef } from './home-servers.js'
import { peerIdBytesFromString } from './identity/index.js'
import { withdrawEnvelope } from './protocol/withdraw.js'
import type { PeerpostLibp2p } from './network.js'
import type { DialTarget } from './protocol/rpc.js'
import type { Contacts } from '../storage/index.js'
import type { HolderWithdrawal, RecipientState } from '../storage/types.js'

/**
 * Holders asked per recipient on one `outbox cancel`: a copy is parked on the recipient's
 * home servers (a few) or on at most two co-recipients; anything past this is reported
 * "not tried" and stays listed as a place that may still have it.
 */
export const MAX_WITHDRAW_HOLDERS = 8

export interface RecallComponents {
  libp2p: PeerpostLibp2p
  contacts: Contacts
  /** My own home servers right now (a copy for a recipient without servers is parked there). */
  myServers: () => string[]
  /** Deadline for one holder: dial, request and answer. */
  timeoutMs: () => number
}

/**
 * Where to dial `holder`: a cache server by the address it is configured under (the
 * recipient's home servers, or mine), a co-recipient by its card's addresses; a connection
 * already open is used first anyway.
 */
async function holderTarget (c: RecallComponents, holder: string, recipient: string): Promise<DialTarget> {
  const servers = [...(await c.contacts.getByPeerId(recipient))?.homeServers ?? [], ...c.myServers()]
  for (const addr of servers) {
    try {
      const ref = serverRef(addr)
      if (ref.peerId === holder) return { peerId: holder, addrs: ref.dialAddrs }
    } catch {
      // An address without /p2p/ cannot be this holder: look at the next.
    }
  }
  return { peerId: holder, addrs: (await c.contacts.getByPeerId(holder))?.addrs ?? [] }
}

/**
 * Ask every holder of a parked recipient's copy to delete it (`/peerpost/withdraw/1.0.0`),
 * all at once, each within the dial timeout, and say what each answered: `withdrawn`;
 * `not-here` (the recipient may already have fetched it, or it expired); `unsupported`
 * (a holder without the protocol: the copy stays until fetched or expired);
 * `unreachable` (no answer in time, a refusal, or not tried). Never throws.
 */
export async function withdrawParked (c: RecallComponents, recipient: RecipientState, signal?: AbortSignal): Promise<HolderWithdrawal[]> {
  const holders = [...new Set(recipient.parkedAt ?? [])]
  const request = { envelopeId: new Uint8Array(Buffer.from(recipient.envelopeId, 'hex')), recipient: peerIdBytesFromString(recipient.peerId) }
  return await Promise.all(holders.map(async (holder, i): Promise<HolderWithdrawal> => {
    if (i >= MAX_WITHDRAW_HOLDERS) return { peerId: holder, outcome: 'unreachable', error: `not tried: at most ${MAX_WITHDRAW_HOLDERS} holders are asked at once` }
    try {
      const target = await holderTarget(c, holder, recipient.peerId)
      const answer = await withdrawEnvelope(c.libp2p, target, request, { timeoutMs: c.timeoutMs(), ...(signal != null ? { signal } : {}) })
      return { peerId: holder, outcome: answer }
    } catch (err) {
      if (errorName(err) === 'UnsupportedProtocolError') return { peerId: holder, outcome: 'unsupported' }
      return { peerId: holder, outcome: 'unreachable', error: asError(err).message }
    }
  }))
}
