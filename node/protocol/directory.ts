import { verifyCardBytes } from '../identity/index.js'
import { errorReply } from './errors.js'
import { DirectoryRequest, DirectoryResponse, ErrorCode } from './peerpost.js'
import { requestOnce, serveRequests } from './rpc.js'
import type { VerifiedCard } from '../identity/index.js'
import type { DialTarget } from './rpc.js'
import type { NameStore } from '../../storage/holding-types.js'
import type { Connection, Libp2p, Logger, Stream } from '@libp2p/interface'

export const DIRECTORY_PROTOCOL = '/peerpost/directory/1.0.0'
export const DIRECTORY_MAX_FRAME_BYTES = 8 * 1024

export class CardNotOwnedError extends Error {
  static readonly NAME = 'CardNotOwnedError'
  override name = CardNotOwnedError.NAME
}

/**
 * Serve `/peerpost/directory/1.0.0`: register a name for the caller's own signed card
 * (the connection proves the key; first come, only the same key may update), or resolve
 * a name to its card.
 */
export function directoryHandler (names: NameStore, options: { log: Logger, now: () => number, onRegister?: (name: string) => void }) {
  return async (stream: Stream, connection: Connection): Promise<void> => {
    const remote = connection.remotePeer.toString()
    await serveRequests<DirectoryRequest, DirectoryResponse>(stream, {
      request: DirectoryRequest,
      response: DirectoryResponse,
      maxRequestBytes: DIRECTORY_MAX_FRAME_BYTES,
      errorResponse: error => ({ card: new Uint8Array(0), error }),
      log: options.log
    }, async request => {
      const name = request.name.toLowerCase()
      if (request.card.byteLength > 0) {
        const card = verifyCardBytes(request.card)
        if (card.peerId !== remote) throw new CardNotOwnedError('a name can only be registered for the caller\'s own card')
        const record = await names.register({ name, peerId: card.peerId, card: card.encoded, cardCreated: card.created }, options.now())
        options.onRegister?.(name)
        return { card: new Uint8Array(record.card) }
      }
      const record = await names.resolve(name)
      if (record == null) return { card: new Uint8Array(0), error: errorReply(ErrorCode.NOT_FOUND, `no one is registered as ${name} here`) }
      return { card: new Uint8Array(record.card) }
    })
  }
}

/** Register `name` on a server for my card; resolves to the card the server now holds. */
export async function registerName (libp2p: Libp2p, server: DialTarget, name: string, cardBytes: Uint8Array, options: { timeoutMs?: number, signal?: AbortSignal } = {}): Promise<VerifiedCard> {
  const res = await requestOnce<DirectoryRequest, DirectoryResponse>(libp2p, server, DIRECTORY_PROTOCOL, { request: DirectoryRequest, response: DirectoryResponse }, { name, card: cardBytes as Uint8Array<ArrayBuffer> }, { maxResponseBytes: DIRECTORY_MAX_FRAME_BYTES, ...options })
  return verifyCardBytes(res.card)
}

/** Resolve `name` on a server to a verified card (throws PeerRefusedError NOT_FOUND when unknown). */
export async function resolveName (libp2p: Libp2p, server: DialTarget, name: string, options: { timeoutMs?: number, signal?: AbortSignal } = {}): Promise<VerifiedCard> {
  const res = await requestOnce<DirectoryRequest, DirectoryResponse>(libp2p, server, DIRECTORY_PROTOCOL, { request: DirectoryRequest, response: DirectoryResponse }, { name, card: new Uint8Array(0) }, { maxResponseBytes: DIRECTORY_MAX_FRAME_BYTES, ...options })
  return verifyCardBytes(res.card)
}
