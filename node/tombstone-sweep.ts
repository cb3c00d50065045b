import type { TombstoneExpiry } from '../storage/tombstones.js'
import type { Logger } from '@libp2p/interface'

/** How often the daemon removes expired dedupe tombstones (they expire in days: an hour late costs nothing). */
export const TOMBSTONE_SWEEP_MS = 60 * 60_000
/** Passes (synced batches of up to TOMBSTONE_EXPIRY_BATCH) one run makes at most... */
export const TOMBSTONE_RUN_MAX_PASSES = 10
/** ...and no new pass starts after this long, so a run never holds the daemon for long; the rest waits for the next run. */
export const TOMBSTONE_RUN_BUDGET_MS = 250

export interface TombstoneSweepComponents {
  expiry: TombstoneExpiry
  log: Logger
  /** Monotonic ms for the run's time budget; default performance.now. */
  elapsed?: () => number
}

export interface TombstoneSweepInit {
  intervalMs?: number
  maxPasses?: number
  budgetMs?: number
}

/**
 * The daemon's side of tombstone expiry (storage/tombstones.ts, node/envelope-age.ts): a
 * run at start, then one every interval, each bounded in passes and time.
 */
export class TombstoneSweep {
  private timer: NodeJS.Timeout | undefined
  private running: Promise<void> | undefined
  private stopped = false

  constructor (private readonly c: TombstoneSweepComponents, private readonly init: TombstoneSweepInit = {}) {}

  /** Start a run now (not awaited: it does not delay the daemon's start), then one every interval. */
  start (): void {
    this.schedule(0)
  }

  async stop (): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    await this.running
  }

  /** One run: passes until none is full, at most maxPasses and budgetMs; resolves to how many tombstones went. */
  async run (): Promise<number> {
    const elapsed = this.c.elapsed ?? (() => performance.now())
    const maxPasses = this.init.maxPasses ?? TOMBSTONE_RUN_MAX_PASSES
    const budgetMs = this.init.budgetMs ?? TOMBSTONE_RUN_BUDGET_MS
    const started = elapsed()
    let removed = 0
    for (let i = 0; i < maxPasses && !this.stopped && elapsed() - started < budgetMs; i++) {
      const pass = await this.c.expiry.pass()
      removed += pass.removed
      if (!pass.more) break
    }
    return removed
  }

  private schedule (delayMs: number): void {
    if (this.stopped) return
    this.timer = setTimeout(() => {
      this.running = this.run().then(
        n => { if (n > 0) this.c.log('%d expired dedupe tombstone(s) removed', n) },
        err => { this.c.log.error('tombstone expiry failed - %e', err) }
      ).finally(() => { this.running = undefined; this.schedule(this.init.intervalMs ?? TOMBSTONE_SWEEP_MS) })
    }, delayMs)
    this.timer.unref()
  }
}
