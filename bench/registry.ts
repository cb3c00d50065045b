/**
 * Every benchmark, in the order `npm run bench` runs them. Adding one is one file in
 * bench/ exporting a `Benchmark`, plus one line here (see bench/README.md).
 */
import { delivery } from './delivery.js'
import { latency } from './latency.js'
import type { Benchmark } from './types.js'

export const benchmarks: Benchmark[] = [
  delivery,
  latency
  // inbox: `import { inbox } from './inbox.js'` (bench/inbox.ts, from the UI branch) and list it here.
  // backlog, deposit, presence, attachment: added by whoever builds those features.
]
