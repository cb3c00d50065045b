/** mulberry32: a tiny seeded generator of numbers in [0, 1), so fuzz and fault runs replay. */
export function mulberry32 (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * A seeded random generator for the fault-injection tests, so a failing run's kill points
 * can be replayed: each test prints its seed; `PEERPOST_SEED=N` uses that seed again.
 */
export function seededRandom (label: string): () => number {
  const seed = Number(process.env.PEERPOST_SEED ?? Math.floor(Math.random() * 2 ** 31))
  console.log(`${label}: PEERPOST_SEED=${seed}`)
  return mulberry32(seed)
}
