/**
 * Every benchmark, in the order `npm run bench` runs them. Adding one is one file in
 * bench/ exporting a `Benchmark`, plus one line here (see bench/README.md).
 */
import { attachment } from './attachment.js'
import { backlog } from './backlog.js'
import { delivery } from './delivery.js'
import { deposit } from './deposit.js'
import { floors } from './floors.js'
import { inbox } from './inbox.js'
import { latency } from './latency.js'
import { presence } from './presence.js'
import type { Benchmark } from './types.js'

export const benchmarks: Benchmark[] = [
  delivery,
  latency,
  backlog,
  deposit,
  presence,
  inbox,
  attachment,
  floors
]
