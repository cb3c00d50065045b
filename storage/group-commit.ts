/**
 * Group commit: every caller's batch that arrives while a synced write is in flight joins
 * the next synced write, so N concurrent writers cost about two fsyncs instead of N, and
 * each caller still only hears "done" once its own operations are on disk.
 */
export interface GroupCommitter<Op> {
  /** Resolves once a synced write holding `ops` has completed; rejects if that write failed. */
  commit(ops: Op[]): Promise<void>
  /** Resolves when nothing is queued or being written. */
  drain(): Promise<void>
  /** Synced writes done so far (tests check that concurrent commits share them). */
  readonly syncedBatches: number
}

interface Waiter<Op> {
  ops: Op[]
  resolve: () => void
  reject: (err: unknown) => void
}

/**
 * @param write performs one atomic, synced write of the given operations
 * @example
 * const committer = createGroupCommitter(ops => db.batch(ops, { sync: true }))
 * await Promise.all([committer.commit([a]), committer.commit([b])]) // about two fsyncs
 */
export function createGroupCommitter<Op> (write: (ops: Op[]) => Promise<void>): GroupCommitter<Op> {
  let queue: Array<Waiter<Op>> = []
  let flushing: Promise<void> | undefined
  let syncedBatches = 0

  async function writeOne (ops: Op[]): Promise<void> {
    await write(ops)
    syncedBatches++
  }

  async function flush (): Promise<void> {
    // No await between the empty-queue check and clearing `flushing`, so a commit that
    // arrives after the check always starts a new flush.
    while (queue.length > 0) {
      const group = queue
      queue = []
      try {
        await writeOne(group.flatMap(w => w.ops))
        for (const w of group) w.resolve()
      } catch (err) {
        if (group.length === 1) {
          group[0]?.reject(err)
          continue
        }
        // A failed batch wrote nothing, so retry each caller alone: one caller's bad
        // operation must not fail the others that happened to share its batch.
        for (const w of group) {
          try {
            await writeOne(w.ops)
            w.resolve()
          } catch (e) {
            w.reject(e)
          }
        }
      }
    }
    flushing = undefined
  }

  return {
    async commit (ops) {
      await new Promise<void>((resolve, reject) => {
        queue.push({ ops, resolve, reject })
        flushing ??= flush()
      })
    },
    async drain () {
      while (flushing !== undefined) await flushing
    },
    get syncedBatches () { return syncedBatches }
  }
}
