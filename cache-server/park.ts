import { envelopeStampBits, inspectEnvelope, sha256, toHex } from '../node/crypto/index.js'
import { StampRequiredError } from '../node/protocol/errors.js'
import type { DiskReserve, DiskReserveError } from '../storage/disk-reserve.js'
import type { CacheMetrics } from './metrics.js'
import type { InFlight } from './in-flight.js'
import type { EnvelopeHandler } from '../node/protocol/deliver.js'
import type { ParkingStore } from '../storage/holding-types.js'
import type { Logger } from '@libp2p/interface'

export interface ParkComponents {
  parking: ParkingStore
  metrics: CacheMetrics
  inFlight: InFlight
  log: Logger
  now: () => number
  /** Refuses deposits while the disk is nearly full; absent: no check. */
  disk?: DiskReserve
  /**
   * What the operator sees in the lifecycle log (throttled): deposits refused because the
   * disk is full, and deposits that failed here (`internal`, the sender retries).
   */
  events?: { diskFull: (fields: Record<string, unknown>) => void, depositFailed: (fields: Record<string, unknown>) => void }
}

/** Wire-level name of a refusal, for the rejections metric (`quota_exceeded`, `too_large`, ...). */
export function rejectionReason (err: unknown): string {
  const name = err instanceof Error ? err.name : ''
  switch (name) {
    case 'QuotaExceededError': return 'quota_exceeded'
    case 'EnvelopeTooLargeError': return 'too_large'
    case 'MalformedEnvelopeError': return 'malformed'
    case 'InvalidIdError': return 'malformed'
    case 'MessageRefusedError': return 'refused'
    case 'StampRequiredError': return 'stamp_required'
    case 'DiskReserveError': return 'disk_full'
    default: return 'internal'
  }
}

/**
 * The park handler (`/peerpost/park/1.0.0`, served by DeliverProtocol): check the sealed
 * envelope's outside without opening it, keep it for its recipient with the connection's
 * peer as depositor, and only once that is on disk (synced) say what the receipt covers (the
 * protocol signs it, once per batch of answers). A duplicate
 * deposit gets a receipt too: the envelope is held, which is what the receipt says.
 */
export function parkHandler (c: ParkComponents, limits: { maxEnvelopeBytes: number, stampBits?: number }): EnvelopeHandler {
  return async (bytes, depositor) => {
    try {
      const { recipient, envelopeId } = inspectEnvelope(bytes, { maxBytes: limits.maxEnvelopeBytes })
      const id = toHex(envelopeId)
      // The server cannot tell a contact from a stranger (the sender is sealed), so when it
      // asks for proof of work it asks it of every deposit, before storing anything. The
      // depositor mints one on the same envelope and deposits again at once.
      const required = limits.stampBits ?? 0
      if (required > 0 && envelopeStampBits(bytes) < required) throw new StampRequiredError(`this server takes deposits with a proof of work of ${required} bits (stamp)`)
      // Tracked from the disk check on, so shutdown waits for the synced commit instead of
      // closing the db under it (a deposit that passed the check is stored).
      const { duplicate } = await c.inFlight.track((async () => {
        await c.disk?.check(bytes.byteLength)
        return await c.parking.deposit({ envelopeId: id, recipient, depositor, bytes, now: c.now() })
      })())
      if (duplicate) c.metrics.duplicateDeposits++
      else c.metrics.deposits++
      c.log('parked %s for %s from %s (%d bytes%s)', id, recipient, depositor, bytes.byteLength, duplicate ? ', duplicate' : '')
      return { envelopeId, envelopeSha256: sha256(bytes) }
    } catch (err) {
      const reason = rejectionReason(err)
      c.metrics.reject(reason)
      if (reason === 'internal') {
        c.log.error('deposit from %s failed - %e', depositor, err)
        c.events?.depositFailed({ level: 'error', error: (err as Error).message })
      } else {
        c.log('refused a deposit from %s: %s', depositor, (err as Error).message)
      }
      if (err instanceof Error && err.name === 'DiskReserveError') {
        const { freeBytes, minFreeBytes } = err as DiskReserveError
        c.events?.diskFull({ level: 'warn', freeBytes, minFreeBytes })
      }
      throw err
    }
  }
}
