import { EnvelopeTooLargeError, QuotaExceededError } from './holding-errors.js'
import { createKeyedLock } from './keyed-lock.js'
import { SEPARATOR, assertId, decodeCursor, encodeCursor, pageSize, prefixRange, sortableTime } from './keys.js'
import { decodeRecord, decodeRecordOrThrow, isObject, plainBytes } from './records.js'
import type { BatchOp, Database, Sublevel } from './database.js'
import type { QuotaName } from './holding-errors.js'
import type { ParkedEnvelope, ParkingLimits, ParkingStore, QuotaLimits, Usage } from './holding-types.js'
import type { CorruptHandler } from './records.js'
import type { ListOptions, Page } from './types.js'

/** Defaults for a holder; every deployment should size these to its disk. */
export const DEFAULT_PARKING_LIMITS: ParkingLimits = {
  maxEnvelopeBytes: 1024 * 1024,
  perRecipient: { maxBytes: 64 * 1024 * 1024, maxCount: 1000 },
  perDepositor: { maxBytes: 64 * 1024 * 1024, maxCount: 1000 },
  total: { maxBytes: 4 * 1024 * 1024 * 1024, maxCount: 1_000_000 },
  retentionMs: 30 * 24 * 60 * 60 * 1000
}

/** Recipients one `recipients` call returns when no limit is given. */
export const MAX_RECIPIENTS_LISTED = 1000

/** How many expired entries one `expire` call removes when no limit is given. */
export const DEFAULT_EXPIRE_LIMIT = 100

/**
 * How long a holder remembers that a recipient fetched (acked) an envelope, to tell its
 * depositor's withdraw "already fetched" rather than "not here": a sender withdraws within
 * its outbox lifetime (7 days by default). At most `total.maxCount` marks are kept; past
 * that an ack leaves none, and the depositor hears plain "not here".
 */
export const FETCHED_MARK_MS = 7 * 24 * 60 * 60 * 1000

export interface ParkingInit {
  /** Told about records that do not decode (they are skipped). */
  onCorrupt?: CorruptHandler
  /** The clock for fetched marks (acks carry no time); Date.now by default. */
  now?: () => number
}

// ---------------------------------------------------------------------------------------
// Counter ledger, shared with notices.ts (kept here because the holder's stores were given
// a fixed set of files).

/** A change of `count`/`bytes` to the counter stored under `key`. */
export interface CounterDelta {
  key: string
  count: number
  bytes: number
}

/**
 * Counters kept beside records, written in the same batch as the records they count.
 *
 * Why not absolute values computed by each writer, as the mailbox does: with group commit
 * and its retry-alone-on-failure, writer A (total 1) and writer B (total 2) can share a
 * batch that fails; retried alone, A fails and B lands "total 2" with one record. So the
 * ledger is the only writer of its counters and sends one batch at a time: each batch's
 * absolute values are the committed values plus that batch's own deltas, and the in-memory
 * committed values move only after the batch is on disk. A failed batch moved nothing.
 * Changes that arrive while a batch is in flight wait and go together in the next one (a
 * second level of group commit), so concurrency still costs few fsyncs.
 *
 * Increases that are queued or in flight count as "projected" usage, so quota checks done
 * against `projected` cannot be overshot by concurrent writers.
 */
export interface CounterLedger {
  /**
   * Load `keys` into memory (once) and keep them there until the returned release is
   * called. Only pinned keys may be read with committed/projected or changed by commit.
   */
  pin(keys: string[]): Promise<() => void>
  /** What the stored records add up to. */
  committed(key: string): Usage
  /** Committed plus every increase queued or in flight: what quota checks must use. */
  projected(key: string): Usage
  /**
   * Queue `ops` with the counter changes they cause, to be written in one synced batch.
   * Increases count as projected from this call (synchronously) until the batch settles.
   */
  commit(ops: BatchOp[], deltas: CounterDelta[]): Promise<void>
  /** The counter as stored on disk, bypassing memory (for audits). */
  read(key: string): Promise<Usage>
  /** The committed value if the key is in memory. */
  peek(key: string): Usage | undefined
  /** Every counter in memory (for audits). */
  cached(): Map<string, Usage>
  /** Resolves when nothing is queued or being written. */
  drain(): Promise<void>
}

interface LedgerEntry {
  count: number
  bytes: number
  upCount: number
  upBytes: number
  pins: number
}

interface LedgerWaiter {
  ops: BatchOp[]
  deltas: CounterDelta[]
  resolve: () => void
  reject: (err: unknown) => void
}

export function isUsage (value: unknown): value is Usage {
  return isObject(value) && Number.isSafeInteger(value.count) && Number.isSafeInteger(value.bytes)
}

const ZERO: Usage = { count: 0, bytes: 0 }

/**
 * @param counters the sublevel holding the counters as Usage JSON
 * @param recount recomputes one counter from the records when its stored value is damaged
 */
export function createCounterLedger (db: Database, counters: Sublevel<string>, options: { label: string, recount: (key: string) => Promise<Usage>, onCorrupt?: CorruptHandler }): CounterLedger {
  const entries = new Map<string, LedgerEntry>()
  const loading = new Map<string, Promise<void>>()
  let queue: LedgerWaiter[] = []
  let flushing: Promise<void> | undefined

  async function read (key: string): Promise<Usage> {
    const text = await counters.get(key)
    if (text === undefined) return { ...ZERO }
    return decodeRecord(`${options.label}/${key}`, text, isUsage, options.onCorrupt) ?? await options.recount(key)
  }

  // A key is loaded only while it is not in memory; while it is in memory no load runs, and
  // it leaves memory only when unpinned with nothing in flight and zero on disk, so a load
  // never reads a value that a batch in flight is about to change.
  async function load (key: string): Promise<void> {
    let pending = loading.get(key)
    if (pending === undefined) {
      pending = read(key).then(usage => {
        if (!entries.has(key)) entries.set(key, { ...usage, upCount: 0, upBytes: 0, pins: 0 })
      }).finally(() => loading.delete(key))
      loading.set(key, pending)
    }
    await pending
  }

  function entry (key: string): LedgerEntry {
    const e = entries.get(key)
    // A bug in the caller, not a condition: counters are only touched while pinned.
    if (e === undefined) throw new Error(`counter ${options.label}/${key} used without pin()`)
    return e
  }

  function settle (waiter: LedgerWaiter): void {
    for (const d of waiter.deltas) {
      const e = entry(d.key)
      if (d.count > 0) e.upCount -= d.count
      if (d.bytes > 0) e.upBytes -= d.bytes
    }
  }

  async function write (group: LedgerWaiter[]): Promise<void> {
    const sums = new Map<string, Usage>()
    for (const w of group) {
      for (const d of w.deltas) {
        const sum = sums.get(d.key) ?? { count: 0, bytes: 0 }
        sums.set(d.key, { count: sum.count + d.count, bytes: sum.bytes + d.bytes })
      }
    }
    const ops = group.flatMap(w => w.ops)
    const next = new Map<string, Usage>()
    for (const [key, sum] of sums) {
      const e = entry(key)
      const value = { count: e.count + sum.count, bytes: e.bytes + sum.bytes }
      next.set(key, value)
      ops.push(value.count === 0 && value.bytes === 0
        ? { type: 'del', sublevel: counters, key }
        : { type: 'put', sublevel: counters, key, value: JSON.stringify(value) })
    }
    await db.commit(ops)
    // On disk now: only here do the committed values move.
    for (const [key, value] of next) {
      const e = entry(key)
      e.count = value.count
      e.bytes = value.bytes
    }
  }

  async function flush (): Promise<void> {
    while (queue.length > 0) {
      const group = queue
      queue = []
      try {
        await write(group)
        for (const w of group) { settle(w); w.resolve() }
      } catch (err) {
        if (group.length === 1 && group[0] !== undefined) {
          settle(group[0])
          group[0].reject(err)
          continue
        }
        // The batch wrote nothing: retry each alone, in order, so one bad change does not
        // fail the others. Each retry starts from the committed values, so it is exact.
        for (const w of group) {
          try {
            await write([w])
            settle(w)
            w.resolve()
          } catch (e) {
            settle(w)
            w.reject(e)
          }
        }
      }
    }
    flushing = undefined
  }

  return {
    async pin (keys) {
      const unique = [...new Set(keys)]
      // Loop: a key loaded for us may leave memory again before we resume.
      for (;;) {
        const missing = unique.filter(k => !entries.has(k))
        if (missing.length === 0) break
        await Promise.all(missing.map(load))
      }
      for (const k of unique) entry(k).pins++
      let released = false
      return () => {
        if (released) return
        released = true
        for (const k of unique) {
          const e = entry(k)
          e.pins--
          if (e.pins === 0 && e.upCount === 0 && e.upBytes === 0 && e.count === 0 && e.bytes === 0) entries.delete(k)
        }
      }
    },

    committed (key) {
      const e = entry(key)
      return { count: e.count, bytes: e.bytes }
    },

    projected (key) {
      const e = entry(key)
      return { count: e.count + e.upCount, bytes: e.bytes + e.upBytes }
    },

    async commit (ops, deltas) {
      // Synchronous up to the push, so a quota check just before this call and the
      // reservation made here cannot be separated by another writer.
      for (const d of deltas) {
        const e = entry(d.key)
        if (d.count > 0) e.upCount += d.count
        if (d.bytes > 0) e.upBytes += d.bytes
      }
      await new Promise<void>((resolve, reject) => {
        queue.push({ ops, deltas, resolve, reject })
        flushing ??= flush()
      })
    },

    read,

    peek (key) {
      const e = entries.get(key)
      return e === undefined ? undefined : { count: e.count, bytes: e.bytes }
    },

    cached () {
      return new Map([...entries].map(([key, e]) => [key, { count: e.count, bytes: e.bytes }]))
    },

    async drain () {
      while (flushing !== undefined) await flushing
    }
  }
}

// ---------------------------------------------------------------------------------------
// Parking

const TOTAL = 'total'
/** The counter of fetched marks (count only). */
const FETCHED = 'fetched'
const recipientCounter = (peerId: string): string => 'recipient' + SEPARATOR + peerId
const depositorCounter = (peerId: string): string => 'depositor' + SEPARATOR + peerId
const recordKey = (recipient: string, envelopeId: string): string => recipient + SEPARATOR + envelopeId
const recipientIndexKey = (e: ParkedEnvelope): string => [e.recipient, sortableTime(e.depositedAt), e.envelopeId].join(SEPARATOR)
const expiryIndexKey = (e: ParkedEnvelope): string => [sortableTime(e.expiresAt), e.recipient, e.envelopeId].join(SEPARATOR)
const markExpiryKey = (key: string, m: FetchedMark): string => sortableTime(m.expiresAt) + SEPARATOR + key

/** Under the record's key once its recipient acked it: who deposited it, and when it was fetched. */
interface FetchedMark { depositor: string, fetchedAt: number, expiresAt: number }

function isFetchedMark (value: unknown): value is FetchedMark {
  return isObject(value) && typeof value.depositor === 'string' && typeof value.fetchedAt === 'number' && typeof value.expiresAt === 'number'
}

/** Whether `id` can be part of a key (see assertId); reads treat anything else as absent. */
export function isKeyId (id: string): boolean {
  try {
    assertId(id)
    return true
  } catch {
    return false
  }
}

function isParked (value: unknown): value is ParkedEnvelope {
  return isObject(value) &&
    typeof value.envelopeId === 'string' &&
    typeof value.recipient === 'string' &&
    typeof value.depositor === 'string' &&
    Number.isSafeInteger(value.size) &&
    typeof value.depositedAt === 'number' &&
    typeof value.expiresAt === 'number'
}

function counterDeltas (e: ParkedEnvelope, sign: 1 | -1): CounterDelta[] {
  const delta = { count: sign, bytes: sign * e.size }
  return [TOTAL, recipientCounter(e.recipient), depositorCounter(e.depositor)].map(key => ({ key, ...delta }))
}

/**
 * The parking store over `db`: sealed envelopes held for offline recipients, a per-recipient
 * index (oldest first), an expiry index, and counters per recipient, per depositor and in
 * total, each change to them in one synced batch. Quotas are checked against counters that
 * include deposits still in flight. Ids and PeerIds must be key-safe (letters, digits, '-',
 * '_'; InvalidIdError otherwise).
 *
 * There must be one ParkingStore per open database: it caches the counters. It loads the
 * total at open, hence async.
 *
 * @example
 * const parking = await createParkingStore(db, { ...DEFAULT_PARKING_LIMITS, retentionMs: 7 * DAY })
 * const { envelope } = await parking.deposit({ envelopeId, recipient, depositor: remotePeer, bytes, now: Date.now() })
 * const page = await parking.list(recipient, { limit: 100 })
 */
export async function createParkingStore (db: Database, limits: ParkingLimits, init: ParkingInit = {}): Promise<ParkingStore> {
  const subs = db.sublevels.parking
  const onCorrupt = init.onCorrupt
  const clock = init.now ?? Date.now
  const locks = createKeyedLock()
  const label = (key: string): string => `parking/record/${key}`

  async function recount (key: string): Promise<Usage> {
    const usage = { count: 0, bytes: 0 }
    if (key === FETCHED) {
      for await (const _ of subs.fetched.keys()) usage.count++
      return usage
    }
    if (key.startsWith(recipientCounter(''))) {
      const range = prefixRange(key.slice(recipientCounter('').length))
      for await (const size of subs.byRecipient.values(range)) {
        usage.count++
        usage.bytes += Number(size) || 0
      }
      return usage
    }
    const depositor = key.startsWith(depositorCounter('')) ? key.slice(depositorCounter('').length) : undefined
    for await (const [k, text] of subs.records.iterator()) {
      const record = decodeRecord(label(k), text, isParked, onCorrupt)
      if (record === undefined || (depositor !== undefined && record.depositor !== depositor)) continue
      usage.count++
      usage.bytes += record.size
    }
    return usage
  }

  const ledger = createCounterLedger(db, subs.usage, { label: 'parking/usage', recount, onCorrupt })
  // The total is needed synchronously by usage(): keep it in memory for the store's life.
  await ledger.pin([TOTAL])

  async function getRecord (key: string): Promise<ParkedEnvelope | undefined> {
    const text = await subs.records.get(key)
    return text === undefined ? undefined : decodeRecord(label(key), text, isParked, onCorrupt)
  }

  async function getMark (key: string): Promise<FetchedMark | undefined> {
    const text = await subs.fetched.get(key)
    return text === undefined ? undefined : decodeRecord(`parking/fetched/${key}`, text, isFetchedMark, onCorrupt)
  }

  /**
   * The writes that remember `record` as fetched at `at` (the caller holds its lock, has
   * pinned FETCHED and read the mark stored under `key` as `earlier`): a mark replacing any
   * earlier one, counted, while fewer than `total.maxCount` are kept; nothing when the holder
   * is full of marks. Synchronous, so the caller's commit follows the check with no await.
   */
  function markFetched (key: string, record: ParkedEnvelope, at: number, earlier: string | undefined): { ops: BatchOp[], deltas: CounterDelta[] } {
    const mark: FetchedMark = { depositor: record.depositor, fetchedAt: at, expiresAt: at + FETCHED_MARK_MS }
    const ops: BatchOp[] = [
      { type: 'put', sublevel: subs.fetched, key, value: JSON.stringify(mark) },
      { type: 'put', sublevel: subs.fetchedByExpiry, key: markExpiryKey(key, mark), value: '' }
    ]
    if (earlier !== undefined) {
      // Fetched before (deposited again since): the mark is replaced, not counted twice.
      const old = decodeRecord(`parking/fetched/${key}`, earlier, isFetchedMark, onCorrupt)
      if (old !== undefined) ops.push({ type: 'del', sublevel: subs.fetchedByExpiry, key: markExpiryKey(key, old) })
      return { ops, deltas: [] }
    }
    if (ledger.projected(FETCHED).count >= limits.total.maxCount) return { ops: [], deltas: [] }
    return { ops, deltas: [{ key: FETCHED, count: 1, bytes: 0 }] }
  }

  function checkQuotas (recipient: string, depositor: string, size: number): void {
    const checks: Array<[string, QuotaLimits, QuotaName, QuotaName]> = [
      [recipientCounter(recipient), limits.perRecipient, 'recipient-count', 'recipient-bytes'],
      [depositorCounter(depositor), limits.perDepositor, 'depositor-count', 'depositor-bytes'],
      [TOTAL, limits.total, 'total-count', 'total-bytes']
    ]
    for (const [key, bound, countQuota, bytesQuota] of checks) {
      const used = ledger.projected(key)
      if (used.count + 1 > bound.maxCount) throw new QuotaExceededError(countQuota, bound.maxCount)
      if (used.bytes + size > bound.maxBytes) throw new QuotaExceededError(bytesQuota, bound.maxBytes)
    }
  }

  /**
   * Delete the record under `key` if `shouldRemove` agrees, with its bytes, indexes and
   * counters. Runs under the record's lock, so two acks (or an ack and an expiry) of one
   * envelope cannot both count it.
   */
  async function remove (key: string, shouldRemove: (e: ParkedEnvelope) => boolean, options: { ifMissing?: () => Promise<void>, fetchedAt?: number } = {}): Promise<ParkedEnvelope | undefined> {
    return await locks.run(key, async () => {
      const record = await getRecord(key)
      if (record === undefined) {
        await options.ifMissing?.()
        return undefined
      }
      if (!shouldRemove(record)) return undefined
      const release = await ledger.pin([TOTAL, recipientCounter(record.recipient), depositorCounter(record.depositor), ...(options.fetchedAt !== undefined ? [FETCHED] : [])])
      try {
        // An ack also leaves a fetched mark for the depositor, in the same batch.
        const earlier = options.fetchedAt !== undefined ? await subs.fetched.get(key) : undefined
        const mark = options.fetchedAt !== undefined ? markFetched(key, record, options.fetchedAt, earlier) : { ops: [], deltas: [] }
        await ledger.commit([
          { type: 'del', sublevel: subs.records, key },
          { type: 'del', sublevel: subs.envelopes, key },
          { type: 'del', sublevel: subs.byRecipient, key: recipientIndexKey(record) },
          { type: 'del', sublevel: subs.byExpiry, key: expiryIndexKey(record) },
          ...mark.ops
        ], [...counterDeltas(record, -1), ...mark.deltas])
        return record
      } finally {
        release()
      }
    })
  }

  /** Delete up to `limit` fetched marks whose time ran out by `at`, each with its index entry and count. */
  async function forgetMarks (at: number, limit: number): Promise<void> {
    const indexKeys = await subs.fetchedByExpiry.keys({ lt: prefixRange(sortableTime(at)).lt, limit }).all()
    await Promise.all(indexKeys.map(async indexKey => {
      const key = indexKey.slice(indexKey.indexOf(SEPARATOR) + 1)
      await locks.run(key, async () => {
        const text = await subs.fetched.get(key)
        const mark = text === undefined ? undefined : decodeRecord(`parking/fetched/${key}`, text, isFetchedMark, onCorrupt)
        // The index entry of a mark replaced since goes alone; a damaged mark goes with it.
        if (text === undefined || (mark !== undefined && markExpiryKey(key, mark) !== indexKey)) {
          await db.commit([{ type: 'del', sublevel: subs.fetchedByExpiry, key: indexKey }])
          return
        }
        const release = await ledger.pin([FETCHED])
        try {
          await ledger.commit([
            { type: 'del', sublevel: subs.fetched, key },
            { type: 'del', sublevel: subs.fetchedByExpiry, key: indexKey }
          ], [{ key: FETCHED, count: -1, bytes: 0 }])
        } finally {
          release()
        }
      })
    }))
  }

  return {
    async deposit ({ envelopeId, recipient, depositor, bytes, now }) {
      assertId(envelopeId)
      assertId(recipient)
      assertId(depositor)
      if (!Number.isFinite(now)) throw new RangeError(`deposit time ${now} is not a finite number of ms: this is a bug in the caller`)
      if (bytes.byteLength > limits.maxEnvelopeBytes) throw new EnvelopeTooLargeError(bytes.byteLength, limits.maxEnvelopeBytes)
      const key = recordKey(recipient, envelopeId)
      // The same envelope deposited twice at once: the second waits, then finds the first.
      return await locks.run(key, async () => {
        const text = await subs.records.get(key)
        // A damaged record throws rather than being stored over: its size is already counted.
        if (text !== undefined) return { envelope: decodeRecordOrThrow(label(key), text, isParked), duplicate: true }

        const envelope: ParkedEnvelope = { envelopeId, recipient, depositor, size: bytes.byteLength, depositedAt: now, expiresAt: now + limits.retentionMs }
        const release = await ledger.pin([TOTAL, recipientCounter(recipient), depositorCounter(depositor)])
        try {
          // No await between the check and ledger.commit's reservation.
          checkQuotas(recipient, depositor, envelope.size)
          await ledger.commit([
            { type: 'put', sublevel: subs.records, key, value: JSON.stringify(envelope) },
            { type: 'put', sublevel: subs.envelopes, key, value: bytes },
            { type: 'put', sublevel: subs.byRecipient, key: recipientIndexKey(envelope), value: String(envelope.size) },
            { type: 'put', sublevel: subs.byExpiry, key: expiryIndexKey(envelope), value: '' }
          ], counterDeltas(envelope, 1))
          return { envelope, duplicate: false }
        } finally {
          release()
        }
      })
    },

    async list (recipient: string, options: ListOptions = {}): Promise<Page<ParkedEnvelope>> {
      if (!isKeyId(recipient)) return { items: [] }
      const limit = pageSize(options.limit)
      const range = prefixRange(recipient)
      const start = options.cursor === undefined ? { gte: range.gte } : { gt: decodeCursor(options.cursor, range) }
      // One extra key tells whether there is a next page without a second read.
      const keys = await subs.byRecipient.keys({ ...start, lt: range.lt, limit: limit + 1 }).all()
      const pageKeys = keys.slice(0, limit)
      const ids = pageKeys.map(k => recordKey(recipient, k.slice(k.lastIndexOf(SEPARATOR) + 1)))
      const texts = ids.length === 0 ? [] : await subs.records.getMany(ids)
      const items: ParkedEnvelope[] = []
      texts.forEach((text, i) => {
        // The index is written with the record; a missing one is skipped, not fatal.
        if (text === undefined) return
        const record = decodeRecord(label(ids[i] ?? ''), text, isParked, onCorrupt)
        if (record !== undefined) items.push(record)
      })
      const last = pageKeys[pageKeys.length - 1]
      return keys.length > limit && last !== undefined ? { items, next: encodeCursor(last) } : { items }
    },

    async recipients (limit = MAX_RECIPIENTS_LISTED) {
      const out: string[] = []
      let from: string | undefined
      // One seek per recipient: skip past each one's prefix to the next.
      while (out.length < Math.max(1, limit)) {
        const [key] = await subs.byRecipient.keys({ ...(from === undefined ? {} : { gte: from }), limit: 1 }).all()
        if (key === undefined) break
        const recipient = key.slice(0, key.indexOf(SEPARATOR))
        out.push(recipient)
        from = prefixRange(recipient).lt
      }
      return out
    },

    async get (recipient, envelopeId) {
      if (!isKeyId(recipient) || !isKeyId(envelopeId)) return undefined
      return plainBytes(await subs.envelopes.get(recordKey(recipient, envelopeId)))
    },

    async ack (recipient, envelopeIds) {
      if (!isKeyId(recipient)) return 0
      // The key holds the recipient, so another peer's ids are simply not found.
      const ids = [...new Set(envelopeIds)].filter(isKeyId)
      const at = clock()
      const removed = await Promise.all(ids.map(async id => await remove(recordKey(recipient, id), () => true, { fetchedAt: at })))
      return removed.filter(r => r !== undefined).length
    },

    async withdraw (depositor, recipient, envelopeId) {
      if (!isKeyId(depositor) || !isKeyId(recipient) || !isKeyId(envelopeId)) return undefined
      return await remove(recordKey(recipient, envelopeId), e => e.depositor === depositor)
    },

    async fetchedAt (depositor, recipient, envelopeId) {
      if (!isKeyId(depositor) || !isKeyId(recipient) || !isKeyId(envelopeId)) return undefined
      const mark = await getMark(recordKey(recipient, envelopeId))
      return mark?.depositor === depositor ? mark.fetchedAt : undefined
    },

    async expire (now, limit = DEFAULT_EXPIRE_LIMIT) {
      // Every key whose time part is <= now: `${sortableTime(now)}!…` sorts below `…"`.
      const keys = await subs.byExpiry.keys({ lt: prefixRange(sortableTime(now)).lt, limit: pageSize(limit) }).all()
      const removed = await Promise.all(keys.map(async indexKey => {
        const [, recipient = '', envelopeId = ''] = indexKey.split(SEPARATOR)
        // An index entry without its record (say, a damaged record removed by hand) is
        // dropped, under the record's lock, so it cannot hold the head of the index forever.
        return await remove(recordKey(recipient, envelopeId), e => e.expiresAt <= now, {
          ifMissing: async () => { await db.commit([{ type: 'del', sublevel: subs.byExpiry, key: indexKey }]) }
        })
      }))
      await forgetMarks(now, pageSize(limit))
      return removed.filter(r => r !== undefined)
    },

    usage () {
      return ledger.committed(TOTAL)
    },

    async usageOf (kind, peerId) {
      if (!isKeyId(peerId)) return { ...ZERO }
      const key = kind === 'recipient' ? recipientCounter(peerId) : depositorCounter(peerId)
      return ledger.peek(key) ?? await ledger.read(key)
    },

    async audit () {
      await ledger.drain()
      const problems: string[] = []
      const counted: Usage = { count: 0, bytes: 0 }
      const expected = new Map<string, Usage>()
      const add = (key: string, size: number): void => {
        const u = expected.get(key) ?? { count: 0, bytes: 0 }
        expected.set(key, { count: u.count + 1, bytes: u.bytes + size })
      }
      const envelopeKeys = new Set(await subs.envelopes.keys().all())
      const recipientKeys = new Set(await subs.byRecipient.keys().all())
      const expiryKeys = new Set(await subs.byExpiry.keys().all())
      for await (const [key, text] of subs.records.iterator()) {
        const record = decodeRecord(label(key), text, isParked, onCorrupt)
        if (record === undefined) {
          problems.push(`record ${key} does not decode`)
          continue
        }
        counted.count++
        counted.bytes += record.size
        add(recipientCounter(record.recipient), record.size)
        add(depositorCounter(record.depositor), record.size)
        if (!envelopeKeys.delete(key)) problems.push(`record ${key} has no envelope bytes`)
        if (!recipientKeys.delete(recipientIndexKey(record))) problems.push(`record ${key} is missing from the recipient index`)
        if (!expiryKeys.delete(expiryIndexKey(record))) problems.push(`record ${key} is missing from the expiry index`)
      }
      for (const key of envelopeKeys) problems.push(`envelope bytes ${key} have no record`)
      for (const key of recipientKeys) problems.push(`recipient index entry ${key} has no record`)
      for (const key of expiryKeys) problems.push(`expiry index entry ${key} has no record`)
      expected.set(TOTAL, counted)
      let marks = 0
      const markIndex = new Set(await subs.fetchedByExpiry.keys().all())
      for await (const [key, text] of subs.fetched.iterator()) {
        marks++
        const mark = decodeRecord(`parking/fetched/${key}`, text, isFetchedMark, onCorrupt)
        if (mark === undefined) problems.push(`fetched mark ${key} does not decode`)
        else if (!markIndex.delete(markExpiryKey(key, mark))) problems.push(`fetched mark ${key} is missing from its expiry index`)
      }
      for (const key of markIndex) problems.push(`fetched mark index entry ${key} has no mark`)
      expected.set(FETCHED, { count: marks, bytes: 0 })

      const same = (a: Usage, b: Usage): boolean => a.count === b.count && a.bytes === b.bytes
      const show = (u: Usage): string => `${u.count} envelopes/${u.bytes} bytes`
      const stored = new Map<string, Usage>()
      for await (const [key, text] of subs.usage.iterator()) {
        const usage = decodeRecord(`parking/usage/${key}`, text, isUsage, onCorrupt)
        if (usage === undefined) problems.push(`counter ${key} does not decode`)
        else stored.set(key, usage)
      }
      const counters = stored.get(TOTAL) ?? { ...ZERO }
      for (const key of new Set([...stored.keys(), ...expected.keys()])) {
        const want = expected.get(key) ?? ZERO
        const have = stored.get(key) ?? ZERO
        if (!same(want, have)) problems.push(`counter ${key} says ${show(have)} but the records add up to ${show(want)}`)
      }
      for (const [key, have] of ledger.cached()) {
        const want = expected.get(key) ?? ZERO
        if (!same(want, have)) problems.push(`counter ${key} in memory says ${show(have)} but the records add up to ${show(want)}`)
      }
      return { consistent: problems.length === 0, counted, counters, problems }
    }
  }
}
