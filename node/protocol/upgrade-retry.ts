import { peerIdFromString } from '@libp2p/peer-id'
import { BAD_BLOB_DATA_ERRORS, UnknownBlobCipherError } from '../../storage/blob-errors.js'
import { DeliveryTimeoutError, errorName, PeerRefusedError } from '../errors.js'
import { FrameTooLargeError, StreamTimeoutError } from './framed.js'
import type { Connection, Libp2p, Stream } from '@libp2p/interface'

/**
 * DCUtR replaces a relayed connection with a direct one and then closes the relayed one,
 * under whatever streams still ran on it: a fetch, a notice, a chunk pull or a delivery cut
 * that way failed through no fault of the peer, and the direct connection is already up.
 * This is the one place that tells such a cut from an ordinary failure, so every exchange
 * a node runs over a peer connection goes again at once on the direct connection instead
 * of waiting out its backoff.
 *
 * Bounded: an exchange goes again at most once per call, and only when a stream it opened
 * ran over a relayed connection that has since closed while a direct connection to the
 * same peer is open. The second run gets no watch, so a cut of it (or any other failure)
 * is left to the caller's backoff: however often connections upgrade or flap, each call
 * costs at most two runs. Failures that are the peer's answer (a refusal, bad data, a
 * frame over the limit), stalls (timeouts) and the caller's own abort are never retried here.
 */

/**
 * How long to wait, after a stream on a relayed connection broke, for the picture to settle:
 * DCUtR opens the direct connection before it closes the relayed one, but this side may
 * see the stream cut before it has registered the direct connection, or before the
 * relayed connection is marked closed. Only failures of streams on relayed connections wait.
 */
export const UPGRADE_SETTLE_MS = 2_000

/** Failures that say something about the peer or the exchange, not about the connection under it. */
const NOT_A_CUT = new Set<string>([
  PeerRefusedError.NAME,
  UnknownBlobCipherError.NAME,
  FrameTooLargeError.NAME,
  StreamTimeoutError.NAME,
  DeliveryTimeoutError.NAME,
  'TimeoutError',
  'AbortError',
  ...BAD_BLOB_DATA_ERRORS
])

/** Whether `err` may be a connection cut under the exchange (not an answer, not bad data, not a stall). */
export function mayBeCut (err: unknown): boolean {
  return !NOT_A_CUT.has(errorName(err))
}

const isDirectTo = (peerId: string) => (c: Connection): boolean => c.status === 'open' && c.direct && c.remotePeer.toString() === peerId

/**
 * What one run of an exchange with one peer opened: told each stream right after it is
 * opened (once its connection is closed, the stream is no longer found on it), it keeps
 * the relayed connection one of them ran on, if any.
 */
export class UpgradeWatch {
  private relayedOn: Connection | undefined

  constructor (private readonly libp2p: Libp2p, readonly peerId: string) {}

  /** A stream this run opened to the peer. */
  opened (stream: Stream): void {
    if (this.relayedOn != null) return
    const connection = this.libp2p.getConnections(peerIdFromString(this.peerId)).find(c => c.streams.includes(stream))
    if (connection != null && !connection.direct) this.relayedOn = connection
  }

  /** Whether a stream of this run went over a relayed connection. */
  get relayed (): boolean { return this.relayedOn != null }

  /**
   * Whether DCUtR replaced the relayed connection this run's stream ran on: it is closing or
   * closed and a direct connection to the peer is open, now or within `settleMs`. False at
   * once when no stream of this run was relayed.
   */
  async upgraded (options: { signal?: AbortSignal, settleMs?: number } = {}): Promise<boolean> {
    const relayed = this.relayedOn
    if (relayed == null) return false
    const { libp2p } = this
    const done = (): boolean => relayed.status !== 'open' && libp2p.getConnections(peerIdFromString(this.peerId)).some(isDirectTo(this.peerId))
    if (done()) return true
    if (options.signal?.aborted === true) return false
    return await new Promise<boolean>(resolve => {
      const finish = (answer: boolean): void => {
        clearTimeout(timer)
        libp2p.removeEventListener('connection:open', check)
        libp2p.removeEventListener('connection:close', check)
        options.signal?.removeEventListener('abort', abort)
        resolve(answer)
      }
      const check = (): void => { if (done()) finish(true) }
      const abort = (): void => { finish(false) }
      const timer = setTimeout(() => { finish(done()) }, options.settleMs ?? UPGRADE_SETTLE_MS)
      libp2p.addEventListener('connection:open', check)
      libp2p.addEventListener('connection:close', check)
      options.signal?.addEventListener('abort', abort, { once: true })
    })
  }
}

/** Whether a run that failed with `err` was cut by a DCUtR upgrade (see UpgradeWatch.upgraded). */
export async function cutByUpgrade (err: unknown, watch: UpgradeWatch | undefined, options: { signal?: AbortSignal, settleMs?: number } = {}): Promise<boolean> {
  if (watch == null || !watch.relayed || options.signal?.aborted === true || !mayBeCut(err)) return false
  return await watch.upgraded(options)
}

export interface RetryOnUpgradeOptions {
  signal?: AbortSignal
  settleMs?: number
  /** Told when the run is cut by an upgrade and is about to go again. */
  onRetry?: (err: Error) => void
}

/**
 * Run `exchange` with `peerId`; when it fails because DCUtR cut the relayed connection its
 * stream ran on, run it once more at once (its new stream goes on the direct connection).
 * `exchange` passes `watch` to whatever opens its streams (openStream); the second run gets
 * none, so it is never run a third time.
 *
 * @example
 * const res = await retryOnUpgrade(libp2p, peerId, async watch => await requestOnce(..., { watch }))
 */
export async function retryOnUpgrade<T> (libp2p: Libp2p, peerId: string, exchange: (watch: UpgradeWatch | undefined) => Promise<T>, options: RetryOnUpgradeOptions = {}): Promise<T> {
  const watch = new UpgradeWatch(libp2p, peerId)
  try {
    return await exchange(watch)
  } catch (err) {
    if (!await cutByUpgrade(err, watch, options)) throw err
    options.onRetry?.(err as Error)
  }
  return await exchange(undefined)
}
