/**
 * Work that must finish before shutdown closes the database: a deposit whose synced commit
 * is under way still completes (the envelope is kept even if its receipt cannot be sent;
 * the sender retries and gets a duplicate receipt).
 */
export class InFlight {
  private readonly running = new Set<Promise<unknown>>()

  track<T> (work: Promise<T>): Promise<T> {
    this.running.add(work)
    const done = (): void => { this.running.delete(work) }
    work.then(done, done)
    return work
  }

  get size (): number { return this.running.size }

  /** Resolves when everything tracked so far has settled (or after `timeoutMs`: returns false then). */
  async drain (timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<false>(resolve => { timer = setTimeout(() => { resolve(false) }, timeoutMs) })
    try {
      return await Promise.race([Promise.allSettled([...this.running]).then(() => true as const), timeout])
    } finally {
      clearTimeout(timer)
    }
  }
}
