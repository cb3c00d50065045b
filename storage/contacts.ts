import { ContactExistsError, ContactNotFoundError } from './errors.js'
import { createKeyedLock } from './keyed-lock.js'
import { decodeRecord, isObject } from './records.js'
import type { Database } from './database.js'
import type { CorruptHandler } from './records.js'
import type { ContactRecord, Contacts } from './types.js'

export interface ContactsInit {
  /** Told about records that do not decode (they are skipped). */
  onCorrupt?: CorruptHandler
}

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
  const { byName, byPeer } = db.sublevels.contacts
  const locks = createKeyedLock()

  async function get (name: string): Promise<ContactRecord | undefined> {
    const text = await byName.get(name)
    if (text === undefined) return undefined
    const stored = decodeRecord(`contacts/name/${name}`, text, isStoredContact, init.onCorrupt)
    return stored === undefined ? undefined : toRecord(stored)
  }

  return {
    get,

    async add (contact) {
      await locks.run(WRITE_LOCK, async () => {
        if (await byName.get(contact.name) !== undefined) throw new ContactExistsError(contact.name, 'name', contact.name)
        const pinnedAs = await byPeer.get(contact.peerId)
        if (pinnedAs !== undefined) throw new ContactExistsError(contact.name, 'peerId', pinnedAs)
        await db.commit([
          { type: 'put', sublevel: byName, key: contact.name, value: encode(contact) },
          { type: 'put', sublevel: byPeer, key: contact.peerId, value: contact.name }
        ])
      })
    },

    async update (contact) {
      await locks.run(WRITE_LOCK, async () => {
        const existing = await get(contact.name)
        if (existing === undefined || existing.peerId !== contact.peerId) throw new ContactNotFoundError(contact.name)
        await db.commit([{ type: 'put', sublevel: byName, key: contact.name, value: encode(contact) }])
      })
    },

    async getByPeerId (peerId) {
      const name = await byPeer.get(peerId)
      if (name === undefined) return undefined
      const contact = await get(name)
      // An index entry that disagrees with the record is stale: trust the record.
      return contact?.peerId === peerId ? contact : undefined
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
        const ops: Parameters<Database['commit']>[0] = [{ type: 'del', sublevel: byName, key: name }]
        // A damaged record still goes; its PeerId index entry can only be dropped if we can read it.
        if (stored !== undefined && await byPeer.get(stored.peerId) === name) ops.push({ type: 'del', sublevel: byPeer, key: stored.peerId })
        await db.commit(ops)
      })
    }
  }
}
