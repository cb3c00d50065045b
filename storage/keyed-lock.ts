/**
 * Run async work one at a time per key, in arrival order, in this process. Used where a
 * read-check-write must not interleave with another for the same record (the same dedupe
 * key arriving twice, two recipient updates of one outbox entry). Different keys run
 * concurrently, so group commit still batches their writes.
 */
export interface KeyedLock {
  run<T>(key: string, work: () => Promise<T>): Promise<T>
  /** Keys with work queued or running (for tests: the map must not grow without bound). */
  readonly size: number
}

/** Create an empty keyed lock; each store owns its own. */
export function createKeyedLock (): KeyedLock {
  const tails = new Map<string, Promise<void>>()
  const noop = (): void => {}
  return {
    async run<T>(key: string, work: () => Promise<T>): Promise<T> {
      const previous = tails.get(key) ?? Promise.resolve()
      // The previous holder's failure is its caller's business; we only wait for it to end.
      const result = previous.then(async () => await work())
      const tail = result.then(noop, noop)
      tails.set(key, tail)
      void tail.then(() => {
        if (tails.get(key) === tail) tails.delete(key)
      })
      return await result
    },
    get size () { return tails.size }
  }
}

/**
 * Run `work` holding every lock in `keys` of `lock`, taken in sorted order, so two callers
 * that need overlapping sets never wait on each other in a circle.
 */
export async function runLocked<T> (lock: KeyedLock, keys: readonly string[], work: () => Promise<T>): Promise<T> {
  const sorted = [...new Set(keys)].sort()
  const step = async (i: number): Promise<T> => i === sorted.length ? await work() : await lock.run(sorted[i]!, async () => await step(i + 1))
  return await step(0)
}
