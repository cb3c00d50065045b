import { ContactExistsError, ContactNotFoundError } from './errors.js'
import { createKeyedLock } from './keyed-lock.js'
import { decodeRecord, isObject } from './records.js'
import type { Database } from './database.js'
import type { CorruptHandler } from './records.js'
import type { ContactRecord, Contacts } from './types.js'

export interface ContactsInit {
  /** Told about records that do not decode (they are skipped). */
  onCorrupt?: CorruptHandler
  /** Clock for when a contact was removed; default Date.now. */
  now?: () => number
}

/**
 * How long a removed contact's stampless mail is still taken from a holder. Such mail was
 * sealed while it was a contact (told it needed no stamp), then waited at most its
 * outbox's lifetime (7 days by default) and a holder's retention (a cache server's 30, a
 * co-recipient's 7): as long as any copy is taken at all, node/envelope-age.ts's
 * MAX_ENVELOPE_AGE_MS (60 days; a test keeps the two equal). After that the PeerId is a
 * stranger's again and its record is dropped.
 */
export const FORMER_CONTACT_MS = 60 * 24 * 60 * 60_000

/** ContactRecord as stored: the card as base64, since records are JSON. */
type StoredContact = Omit<ContactRecord, 'card' | 'pendingCard'> & { card: string, pendingCard?: string }

function isStoredContact (value: unknown): value is StoredContact {
  return isObject(value) && typeof value.name === 'string' && typeof value.peerId === 'string' && typeof value.card === 'string'
}

function encode (contact: ContactRecord): string {
  const { pendingCard, ...rest } = contact
  const stored: StoredContact = { ...rest, card: Buffer.from(contact.card).toString('base64') }
  if (pendingCard != null) stored.pendingCard = Buffer.from(pendingCard).toString('base64')
  return JSON.stringify(stored)
}

function toRecord (stored: StoredContact): ContactRecord {
  const { pendingCard, ...rest } = stored
  const record: ContactRecord = { ...rest, card: new Uint8Array(Buffer.from(stored.card, 'base64')) }
  if (typeof pendingCard === 'string') record.pendingCard = new Uint8Array(Buffer.from(pendingCard, 'base64'))
  return record
}

/** All contact writes take this one lock: they are rare, and name and PeerId checks span both indexes. */
const WRITE_LOCK = 'contacts'
/** Cached lookups (contacts and strangers' PeerIds) kept at most; past it the cache starts over. */
const MAX_CACHED = 10_000

/**
 * Contacts over `db`: records by name plus a PeerId -> name index, both changed in one
 * synced batch.
 *
 * @example
 * const contacts = createContacts(db)
 * await contacts.add(record)
 * const bob = await contacts.getByPeerId(peerId)
 */
export function createContacts (db: Database, init: ContactsInit = {}): Contacts {
  const { byName, byPeer, former } = db.sublevels.contacts
  const locks = createKeyedLock()
  const now = init.now ?? Date.now

  // Lookups are read-through cached: every send resolves its recipients and every received
  // message looks up its sender (two level reads each, ~50 µs of main thread apiece), while
  // writes are rare. This object is the database's only writer of contacts, so a write
  // simply empties the cache; `generation` keeps a read that started before a write from
  // caching what it read.
  const byNameCache = new Map<string, ContactRecord | undefined>()
  const byPeerCache = new Map<string, string | undefined>()
  let generation = 0
  const cacheSet = <V>(cache: Map<string, V>, key: string, value: V, startedAt: number): void => {
    if (startedAt !== generation) return
    if (cache.size >= MAX_CACHED) cache.clear()
    cache.set(key, value)
  }
  const written = (): void => { generation++; byNameCache.clear(); byPeerCache.clear() }
  // Callers get their own copy: a cached record must not change under another caller.
  const copy = (c: ContactRecord | undefined): ContactRecord | undefined => c === undefined ? undefined : { ...c }

  async function read (name: string): Promise<ContactRecord | undefined> {
    const text = await byName.get(name)
    if (text === undefined) return undefined
    const stored = decodeRecord(`contacts/name/${name}`, text, isStoredContact, init.onCorrupt)
    return stored === undefined ? undefined : toRecord(stored)
  }

  async function get (name: string): Promise<ContactRecord | undefined> {
    if (byNameCache.has(name)) return copy(byNameCache.get(name))
    const startedAt = generation
    const contact = await read(name)
    cacheSet(byNameCache, name, contact, startedAt)
    return copy(contact)
  }

  async function nameOf (peerId: string): Promise<string | undefined> {
    if (byPeerCache.has(peerId)) return byPeerCache.get(peerId)
    const startedAt = generation
    const name = await byPeer.get(peerId)
    cacheSet(byPeerCache, peerId, name, startedAt)
    return name
  }

  return {
    get,

    async add (contact) {
      await locks.run(WRITE_LOCK, async () => {
        if (await byName.get(contact.name) !== undefined) throw new ContactExistsError(contact.name, 'name', contact.name)
        const pinnedAs = await byPeer.get(contact.peerId)
        if (pinnedAs !== undefined) throw new ContactExistsError(contact.name, 'peerId', pinnedAs)
        try {
          await db.commit([
            { type: 'put', sublevel: byName, key: contact.name, value: encode(contact) },
            { type: 'put', sublevel: byPeer, key: contact.peerId, value: contact.name },
            { type: 'del', sublevel: former, key: contact.peerId }
          ])
        } finally {
          written()
        }
      })
    },

    async update (contact) {
      await locks.run(WRITE_LOCK, async () => {
        const existing = await read(contact.name)
        if (existing === undefined || existing.peerId !== contact.peerId) throw new ContactNotFoundError(contact.name)
        // The stamp-exempt mark is setStampExempt's alone: a caller that read the record
        // before the mark changed (the receiver updating a card) must not undo it.
        const { stampExempt: _, ...rest } = contact
        const record: ContactRecord = existing.stampExempt === true ? { ...rest, stampExempt: true } : rest
        try {
          await db.commit([{ type: 'put', sublevel: byName, key: contact.name, value: encode(record) }])
        } finally {
          written()
        }
      })
    },

    async getByPeerId (peerId) {
      const name = await nameOf(peerId)
      if (name === undefined) return undefined
      const contact = await get(name)
      // An index entry that disagrees with the record is stale: trust the record.
      return contact?.peerId === peerId ? contact : undefined
    },

    async wasContact (peerId) {
      const removedAt = await former.get(peerId)
      if (removedAt === undefined) return false
      // '' was written before removal times were kept: a former contact of unknown age.
      return removedAt === '' || now() - Number(removedAt) <= FORMER_CONTACT_MS
    },

    async setStampExempt (peerId, exempt) {
      return await locks.run(WRITE_LOCK, async () => {
        const name = await byPeer.get(peerId)
        const contact = name === undefined ? undefined : await read(name)
        if (contact === undefined || contact.peerId !== peerId || (contact.stampExempt === true) === exempt) return false
        const { stampExempt: _, ...rest } = contact
        try {
          await db.commit([{ type: 'put', sublevel: byName, key: contact.name, value: encode(exempt ? { ...rest, stampExempt: true } : rest) }])
        } finally {
          written()
        }
        return true
      })
    },

    async list () {
      const contacts: ContactRecord[] = []
      for await (const [name, text] of byName.iterator()) {
        const stored = decodeRecord(`contacts/name/${name}`, text, isStoredContact, init.onCorrupt)
        if (stored !== undefined) contacts.push(toRecord(stored))
      }
      return contacts
    },

    async remove (name) {
      await locks.run(WRITE_LOCK, async () => {
        const text = await byName.get(name)
        if (text === undefined) throw new ContactNotFoundError(name)
        const stored = decodeRecord(`contacts/name/${name}`, text, isStoredContact, init.onCorrupt)
        const at = now()
        const ops: Parameters<Database['commit']>[0] = [{ type: 'del', sublevel: byName, key: name }]
        // A damaged record still goes; its PeerId index entry can only be dropped if we can read it.
        if (stored !== undefined && await byPeer.get(stored.peerId) === name) {
          ops.push({ type: 'del', sublevel: byPeer, key: stored.peerId })
          ops.push({ type: 'put', sublevel: former, key: stored.peerId, value: String(at) })
        }
        // Former contacts past their window go with this write (removals are rare and
        // few, so the list stays short; mail from them is now a stranger's).
        for await (const [peerId, removedAt] of former.iterator()) {
          if (removedAt !== '' && at - Number(removedAt) > FORMER_CONTACT_MS && peerId !== stored?.peerId) ops.push({ type: 'del', sublevel: former, key: peerId })
        }
        try {
          await db.commit(ops)
        } finally {
          written()
        }
      })
    }
  }
}
