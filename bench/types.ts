/**
 * What a benchmark is and what it returns. A benchmark measures peerpost and its baseline
 * in the same run (absolute times drift on shared machines; ratios are what we compare).
 */

/** How a figure compares with its baseline: `ratio = figure / baseline`, met when `ratio op value`. */
export interface Target {
  op: '>=' | '<='
  value: number
}

/** One line of the results table. */
export interface ResultRow {
  benchmark: string
  /** What was measured, e.g. "peerpost msgs/s vs Postfix". */
  label: string
  figure: number
  unit: string
  /** Null for figures that have no baseline (e.g. a p99 reported for information). */
  baseline: number | null
  baselineUnit: string | null
  baselineName: string | null
  ratio: number | null
  /** Printed as e.g. ">= 2x"; null for rows reported for information only. */
  target: string | null
  met: boolean | null
  /** The individual repeats behind the medians, and anything else worth keeping. */
  detail?: Record<string, unknown>
}

export interface BenchContext {
  /** Repeats per measurement; figures are medians over them. */
  repeats: number
  /** Scale the message counts down (e.g. 0.1 for a quick check); 1 for recorded runs. */
  scale: number
  /** Write --cpu-prof profiles of the peerpost daemons into this directory. */
  profileDir?: string
  /** Progress lines go here (stderr), never into the results. */
  log(message: string): void
}

export interface Benchmark {
  name: string
  /** One line for the table of contents and --list. */
  description: string
  run(ctx: BenchContext): Promise<ResultRow[]>
}

/** Build a row from a figure, its baseline and a target; `ratio` and `met` are derived here only. */
export function row (init: {
  benchmark: string
  label: string
  figure: number
  unit: string
  baseline?: { value: number, unit: string, name: string }
  target?: Target
  detail?: Record<string, unknown>
}): ResultRow {
  const baseline = init.baseline ?? null
  const ratio = baseline == null || baseline.value === 0 ? null : init.figure / baseline.value
  let met: boolean | null = null
  if (init.target != null && ratio != null) met = init.target.op === '>=' ? ratio >= init.target.value : ratio <= init.target.value
  return {
    benchmark: init.benchmark,
    label: init.label,
    figure: init.figure,
    unit: init.unit,
    baseline: baseline?.value ?? null,
    baselineUnit: baseline?.unit ?? null,
    baselineName: baseline?.name ?? null,
    ratio,
    target: init.target == null ? null : `${init.target.op} ${init.target.value}x`,
    met,
    ...(init.detail == null ? {} : { detail: init.detail })
  }
}
