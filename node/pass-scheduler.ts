/** Passes run back to back at most this many times before the next waits for the timer (a pass that keeps failing cannot spin). */
export const MAX_PASSES_IN_A_ROW = 100

export interface PassSchedulerComponents {
  /** One pass over what is due; the owner moves each item's time on (done, or backed off). */
  pass: () => Promise<void>
  /** The items waiting, each due at its `notBefore` (ms). */
  waiting: () => Iterable<{ notBefore: number }>
  now: () => number
  /** A pass that threw (logged by the owner; the schedule goes on). */
  onError: (err: unknown) => void
}

/**
 * Background work over items that each wait for their own time, like an MTA's queue run:
 * one pass at a time; another right after it while something is due (or `wake` was called
 * during it), at most MAX_PASSES_IN_A_ROW; else one timer, at the earliest item's time.
 * The owner keeps the items and their backoff (outbox-engine.ts backoffDelay); this keeps
 * only when to run. Used by retrieval (envelopes to fetch) and the recaller (withdraws to
 * ask again); the outbox engine runs one round per peer in parallel and schedules its own.
 *
 * @example
 * const passes = new PassScheduler({ pass: async () => { await fetchDue() }, waiting: () => items.values(), now: Date.now, onError: log })
 * passes.wake()          // new work: a pass now (or right after the one running)
 * passes.reschedule()    // times changed: the timer follows
 */
export class PassScheduler {
  private timer: NodeJS.Timeout | undefined
  private running: Promise<void> | undefined
  private again = false
  private stopped = false

  constructor (private readonly c: PassSchedulerComponents) {}

  /** Run a pass now, or right after the one running. */
  wake (): void {
    if (this.stopped) return
    if (this.running != null) { this.again = true; return }
    clearTimeout(this.timer)
    this.timer = undefined
    this.running = this.passes().finally(() => {
      this.running = undefined
      this.reschedule()
    })
  }

  /** The items' times changed: put the timer at the earliest (a pass running does so when it ends). */
  reschedule (): void {
    if (this.stopped || this.running != null) return
    clearTimeout(this.timer)
    this.timer = undefined
    const earliest = this.earliest()
    if (earliest === Infinity) return
    // Timers beyond ~24 days overflow; nothing here waits that long, but stay safe.
    this.timer = setTimeout(() => { this.timer = undefined; this.wake() }, Math.min(Math.max(0, earliest - this.c.now()), 2 ** 31 - 1))
    this.timer.unref()
  }

  /** Resolves when no pass runs (for tests and shutdown). */
  async idle (): Promise<void> {
    while (this.running != null) await this.running
  }

  /** No pass starts any more; resolves when the one running has ended. */
  async stop (): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    this.timer = undefined
    await this.running
  }

  private async passes (): Promise<void> {
    for (let n = 0; n < MAX_PASSES_IN_A_ROW && !this.stopped; n++) {
      this.again = false
      try {
        await this.c.pass()
      } catch (err) {
        this.c.onError(err)
      }
      if (!this.again && this.earliest() > this.c.now()) return
    }
  }

  private earliest (): number {
    let earliest = Infinity
    for (const item of this.c.waiting()) earliest = Math.min(earliest, item.notBefore)
    return earliest
  }
}
