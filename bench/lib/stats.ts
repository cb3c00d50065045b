/** Median of a non-empty list (mean of the two middle values for an even count). */
export function median (values: number[]): number {
  if (values.length === 0) throw new RangeError('median of an empty list')
  const s = [...values].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

/** The p-th percentile (0-100) by nearest rank. */
export function percentile (values: number[], p: number): number {
  if (values.length === 0) throw new RangeError('percentile of an empty list')
  const s = [...values].sort((a, b) => a - b)
  const rank = Math.min(s.length, Math.max(1, Math.ceil((p / 100) * s.length)))
  return s[rank - 1]!
}

export const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits
