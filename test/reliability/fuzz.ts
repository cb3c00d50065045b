/**
 * Shared pieces of the fuzzing tests: an arbitrary that mutates known-good inputs (the
 * cases that reach deep into a decoder, where random bytes stop at the first field), and
 * a check that a thrown value is one of the typed errors a function documents.
 */
import assert from 'node:assert/strict'
import fc from 'fast-check'

/** One edit of a byte string, as a mutation fuzzer makes them. */
const edit = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: fc.constantFrom(0x00, 0x7f, 0x80, 0xff, 0x0a, 0x12, 0x22) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('duplicate' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 64 }) }),
  // A huge varint: length prefixes and counts that claim far more than there is.
  fc.record({ op: fc.constant('varint' as const), at: fc.nat() })
)
type Edit = typeof edit extends fc.Arbitrary<infer E> ? E : never

function apply (input: Uint8Array, e: Edit): Uint8Array {
  const b = Buffer.from(input)
  const at = b.length === 0 ? 0 : e.at % (b.length + 1)
  switch (e.op) {
    case 'flip': if (at < b.length) b[at]! ^= 1 << e.bit; return b
    case 'set': if (at < b.length) b[at] = e.value; return b
    case 'insert': return Buffer.concat([b.subarray(0, at), e.bytes, b.subarray(at)])
    case 'delete': return Buffer.concat([b.subarray(0, at), b.subarray(at + e.count)])
    case 'truncate': return b.subarray(0, at)
    case 'duplicate': return Buffer.concat([b.subarray(0, at + e.count), b.subarray(at)])
    case 'varint': return Buffer.concat([b.subarray(0, at), Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]), b.subarray(at + 1)])
  }
}

/** Known-good inputs with 1-4 edits each (more and almost every case fails at the first field). */
export function mutated (seeds: Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc.tuple(fc.constantFrom(...seeds), fc.array(edit, { minLength: 1, maxLength: 4 }))
    .map(([seed, edits]) => edits.reduce(apply, seed))
}

/** Random bytes (a quarter of the cases) and mutated seeds. */
export function hostileBytes (seeds: Uint8Array[], maxLength = 512): fc.Arbitrary<Uint8Array> {
  return fc.oneof({ arbitrary: fc.uint8Array({ maxLength }), weight: 1 }, { arbitrary: mutated(seeds), weight: 3 })
}

/**
 * How often each outcome happened, so a test can show its cases reached deep (a signature
 * check, not only the first byte).
 */
export const outcomes = new Map<string, number>()
const count = (outcome: string): void => { outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1) }

/** Assert `err` is an Error whose name is one of `names` (the typed errors the function documents). */
export function assertTyped (err: unknown, names: readonly string[], what: string): void {
  assert.ok(err instanceof Error, `${what} threw a non-error: ${String(err)}`)
  assert.ok(names.includes(err.name), `${what} threw ${err.name}: ${err.message}`)
  count(`${what}: ${err.name}`)
}

/** Record that `what` returned a value. */
export function succeeded (what: string): void { count(`${what}: ok`) }

/** Run `fn`; if it throws, the error must be typed. Returns whether it succeeded. */
export function typedOrValue (fn: () => unknown, names: readonly string[], what: string): boolean {
  try {
    fn()
    succeeded(what)
    return true
  } catch (err) {
    assertTyped(err, names, what)
    return false
  }
}
