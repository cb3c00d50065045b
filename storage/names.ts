import { InvalidNameError, NameQuotaError, NameTakenError } from './holding-errors.js'
import { createKeyedLock } from './keyed-lock.js'
import { assertId } from './keys.js'
import { decodeRecord, isObject, plainBytes } from './records.js'
import { runningCount } from './running-count.js'
import type { Database } from './database.js'
import type { NameRecord, NameStore } from './holding-types.js'
import type { CorruptHandler } from './records.js'

/**
 * Names one key may hold. Without a bound one key could register names until the disk is
 * full (and squat every name worth having).
 */
export const DEFAULT_MAX_NAMES_PER_KEY = 8

export interface NameStoreInit {
  /** Told about records that do not decode (such a name resolves to nothing). */
  onCorrupt?: CorruptHandler
  /** Default {@link DEFAULT_MAX_NAMES_PER_KEY}. */
  maxNamesPerKey?: number
}

const NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/

/**
 * The stored form of `name`, or InvalidNameError. ASCII capitals are folded to lower case
 * (names compare like email addresses, "Alice" is "alice"); nothing else is rewritten, so
 * look-alike Unicode never maps onto an ASCII name.
 */
export function normalizeName (name: string): string {
  const lower = name.replace(/[A-Z]/g, c => c.toLowerCase())
  if (!NAME_PATTERN.test(lower)) throw new InvalidNameError(name)
  return lower
}

/** NameRecord as its JSON record: the card lives in its own sublevel. */
type StoredName = Omit<NameRecord, 'card'>

function isStoredName (value: unknown): value is StoredName {
  return isObject(value) &&
    typeof value.name === 'string' &&
    typeof value.peerId === 'string' &&
    typeof value.cardCreated === 'number' &&
    typeof value.registeredAt === 'number' &&
    typeof value.updatedAt === 'number'
}

/**
 * The name directory over `db`: first come, first served; the holder of a name may replace
 * its card with a newer one (greater cardCreated). Record and card change in one synced
 * batch. Verifying that the card is signed by `peerId` and names `name` is the caller's.
 *
 * @example
 * const names = createNameStore(db)
 * await names.register({ name: 'alice', peerId, card, cardCreated }, Date.now())
 * const alice = await names.resolve('alice')
 * if (alice === undefined) throw new NameNotFoundError('alice')
 */
export function createNameStore (db: Database, init: NameStoreInit = {}): NameStore {
  const { records, cards, byPeer } = db.sublevels.names
  const maxNamesPerKey = init.maxNamesPerKey ?? DEFAULT_MAX_NAMES_PER_KEY
  const locks = createKeyedLock()
  const registered = runningCount(records)

  async function resolve (name: string): Promise<NameRecord | undefined> {
    const key = normalizeName(name)
    const [text, card] = await Promise.all([records.get(key), cards.get(key)])
    if (text === undefined) return undefined
    const stored = decodeRecord(`names/record/${key}`, text, isStoredName, init.onCorrupt)
    const bytes = plainBytes(card)
    if (stored === undefined || bytes === undefined) return undefined
    return { ...stored, card: bytes }
  }

  return {
    resolve,

    count: registered.get,

    async register (record, now) {
      const name = normalizeName(record.name)
      assertId(record.peerId)
      if (!Number.isFinite(record.cardCreated) || !Number.isFinite(now)) throw new RangeError('cardCreated and now must be finite numbers of ms: this is a bug in the caller')
      // Two first registrations of one name at once: the second waits and finds the first.
      // One key's registrations are serialised too, so its count cannot be raced past.
      return await locks.run(`peer:${record.peerId}`, async () => await locks.run(name, async () => {
        const existing = await resolve(name)
        // A damaged record is still someone's name: refuse rather than hand it to a newcomer.
        if (existing === undefined && await records.get(name) !== undefined) throw new NameTakenError(name)
        if (existing !== undefined && existing.peerId !== record.peerId) throw new NameTakenError(name)
        // A card no newer than the stored one (a replay, or a stale copy) changes nothing.
        if (existing !== undefined && record.cardCreated <= existing.cardCreated) return existing
        const stored: StoredName = {
          name,
          peerId: record.peerId,
          cardCreated: record.cardCreated,
          registeredAt: existing?.registeredAt ?? now,
          updatedAt: now
        }
        if (existing === undefined) {
          // Names registered before this index existed are not counted: the bound holds for new ones.
          const held = await byPeer.keys({ gt: `${record.peerId}!`, lt: `${record.peerId}"`, limit: maxNamesPerKey }).all()
          if (held.length >= maxNamesPerKey) throw new NameQuotaError(maxNamesPerKey)
        }
        const card = new Uint8Array(record.card)
        await db.commit([
          { type: 'put', sublevel: records, key: name, value: JSON.stringify(stored) },
          { type: 'put', sublevel: cards, key: name, value: card },
          { type: 'put', sublevel: byPeer, key: `${record.peerId}!${name}`, value: '' }
        ])
        if (existing === undefined) registered.add(1)
        return { ...stored, card }
      }))
    }
  }
}
