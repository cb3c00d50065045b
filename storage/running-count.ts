import type { Sublevel } from './database.js'

/**
 * A count of a store's records for the operator's metrics: read from the database on the
 * first `get` (one pass over the keys, none at open, so a store nobody counts costs
 * nothing), then moved by the store's own writes. Exact when nothing is written during
 * that first pass: a server asks before it serves.
 */
export interface RunningCount {
  get(): Promise<number>
  /** A write committed `delta` records (+1 stored, -1 deleted); before the first `get` the pass sees it. */
  add(delta: number): void
}

export function runningCount<V> (keys: Sublevel<V>): RunningCount {
  let counted: Promise<number> | undefined
  let delta = 0
  return {
    get: async () => {
      counted ??= (async () => {
        let n = 0
        for await (const _key of keys.keys()) n++
        return n
      })()
      return await counted + delta
    },
    add: d => { if (counted != null) delta += d }
  }
}
