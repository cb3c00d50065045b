import { peerIdBytesFromString } from '../node/identity/index.js'
import { Notice, NoticeKind, newNotice } from '../node/protocol/notice.js'
import type { CacheMetrics } from './metrics.js'
import type { LifecycleLog } from './lifecycle-log.js'
import type { InFlight } from './in-flight.js'
import type { Location, NoticeHub } from '../node/protocol/notice.js'
import type { NoticeStore, ParkingStore } from '../storage/holding-types.js'
import type { Logger } from '@libp2p/interface'

export interface ExpiryComponents {
  parking: ParkingStore
  notices: NoticeStore
  hub: NoticeHub
  metrics: CacheMetrics
  inFlight: InFlight
  self: () => Location
  log: Logger
  lifecycle: LifecycleLog
  now: () => number
}

export interface ExpiryInit {
  intervalMs: number
  batch: number
  noticeRetentionMs: number
}

/**
 * Deletes parked envelopes at the end of their retention and tells each depositor with an
 * ENVELOPE_EXPIRED notice, stored (so a depositor that is offline learns it when it next
 * subscribes) and pushed at once to a connected one. Also drops expired notices.
 *
 * The notice is charged to the depositor (as poster and recipient), not to the server: one
 * global per-poster bound for the server would stop all expiry notices after the first
 * thousand, while the depositor's own bounds keep one sender's flood its own problem.
 */
export class ExpiryLoop {
  private timer: NodeJS.Timeout | undefined
  private running: Promise<void> | undefined
  private stopped = false

  constructor (private readonly c: ExpiryComponents, private readonly init: ExpiryInit) {}

  start (): void {
    this.stopped = false
    this.schedule()
  }

  async stop (): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    await this.running
  }

  private schedule (): void {
    if (this.stopped) return
    this.timer = setTimeout(() => {
      this.running = this.sweep().then(() => {}, err => {
        this.c.log.error('expiry pass failed - %e', err)
        this.c.lifecycle('expiry-failed', { level: 'error', error: (err as Error).message })
      }).finally(() => {
        this.running = undefined
        this.schedule()
      })
    }, this.init.intervalMs)
    this.timer.unref()
  }

  /** One pass: repeat batches until nothing more has expired (or the server stops). */
  async sweep (): Promise<number> {
    let total = 0
    while (!this.stopped) {
      const now = this.c.now()
      const expired = await this.c.inFlight.track(this.c.parking.expire(now, this.init.batch))
      for (const envelope of expired) {
        const notice = newNotice({
          kind: NoticeKind.ENVELOPE_EXPIRED,
          recipient: peerIdBytesFromString(envelope.depositor),
          envelopeId: new Uint8Array(Buffer.from(envelope.envelopeId, 'hex')),
          locations: [this.c.self()],
          blobLocations: [],
          created: now
        })
        try {
          await this.c.inFlight.track(this.c.notices.add({
            noticeId: Buffer.from(notice.noticeId).toString('hex'),
            recipient: envelope.depositor,
            poster: envelope.depositor,
            bytes: Notice.encode(notice),
            created: now,
            expiresAt: now + this.init.noticeRetentionMs
          }))
          this.c.hub.publish(envelope.depositor, [notice])
        } catch (err) {
          // The envelope is gone either way; the depositor's notice quota is full.
          this.c.metrics.noticesDropped++
          this.c.log('could not store the expiry notice of %s for %s - %e', envelope.envelopeId, envelope.depositor, err)
        }
        this.c.log('expired %s for %s (deposited by %s)', envelope.envelopeId, envelope.recipient, envelope.depositor)
      }
      this.c.metrics.expired += expired.length
      total += expired.length
      const staleNotices = await this.c.inFlight.track(this.c.notices.expire(now, this.init.batch))
      if (expired.length < this.init.batch && staleNotices.length < this.init.batch) break
    }
    if (total > 0) this.c.lifecycle('expired', { envelopes: total })
    return total
  }
}
