import { mkdir, rm } from 'node:fs/promises'
import { generateKeyMaterial, identityFromKeyMaterial, makeCard, cardToText } from '../../node/identity/index.js'
import { openHome } from '../../node/home.js'
import { composeMessage, formatAddress, parseMessage } from '../../node/mime/index.js'
import { toNewMessage } from '../../node/receiver.js'
import { createKeystore } from '../../storage/index.js'
import { homePaths } from '../../node/home.js'
import { tempDir } from './cli.js'
import { openLocalHome } from '../../cli/local-service.js'
import type { NodeEvents } from '../../node/events.js'
import type { HomeApi } from '../../cli/api.js'
import type { Folder, Mailbox, NewMessage } from '../../storage/types.js'

/** A person who is not this home: a fresh identity whose card and PeerId tests use. */
export async function stranger (name: string): Promise<{ peerId: string, card: string }> {
  const keys = await generateKeyMaterial({ displayName: name, now: Date.now() })
  const identity = identityFromKeyMaterial(keys)
  return { peerId: keys.peerId, card: cardToText(makeCard(identity, { now: Date.now() })) }
}

/** A temp home with an identity (no daemon). */
export async function uiHome (name: string): Promise<{ home: string, peerId: string, remove: () => Promise<void> }> {
  const home = await tempDir(`ui-${name}`)
  await mkdir(home, { recursive: true })
  const keys = await generateKeyMaterial({ displayName: name, now: Date.now() })
  await createKeystore(homePaths(home).keystore).create(keys)
  return { home, peerId: keys.peerId, remove: async () => { await rm(home, { recursive: true, force: true }) } }
}

export interface SeedMessage {
  fromName: string
  fromPeer: string
  subject: string
  text: string
  folder?: Folder
  date: number
  messageId?: string
  inReplyTo?: string
  references?: string[]
  attachments?: Array<{ filename: string, content: Uint8Array }>
  warning?: string
}

/** Store real MIME messages in a home's mailbox, as the receiver would; returns their local ids. */
export async function seedMessages (home: string, me: string, messages: SeedMessage[]): Promise<string[]> {
  const opened = await openHome(home)
  try {
    const ids: string[] = []
    for (const m of messages) {
      const { message, raw, dedupeKey } = await storedMessage(me, m)
      const { id } = await opened.store.mailbox.add(message, raw, dedupeKey)
      ids.push(id)
    }
    return ids
  } finally {
    await opened.close()
  }
}

/**
 * The control methods over a home opened in this process, like `openLocalService`, but
 * keeping the mailbox and the event bus in the test's hands: a test stores a message and
 * emits `mail:received` the way the receiver does, and the UI must follow.
 */
export async function openTestHome (home: string): Promise<{ api: HomeApi, mailbox: Mailbox, events: NodeEvents, close: () => Promise<void> }> {
  const { api, opened, events } = await openLocalHome(home)
  return { api, mailbox: opened.store.mailbox, events, close: async () => { await api.close() } }
}

/** A message as the receiver would store it, from raw parts (for tests that add mail while the UI runs). */
export async function storedMessage (me: string, m: SeedMessage): Promise<{ message: NewMessage, raw: Uint8Array, dedupeKey: string }> {
  const composed = await composeMessage({
    from: { name: m.fromName, address: formatAddress({ name: undefined, peerId: m.fromPeer }) },
    to: [{ name: undefined, address: formatAddress({ name: undefined, peerId: me }) }],
    subject: m.subject,
    text: m.text,
    date: new Date(m.date),
    messageId: m.messageId,
    inReplyTo: m.inReplyTo,
    references: m.references,
    attachments: m.attachments
  })
  const parsed = await parseMessage(composed.raw)
  const placement = m.warning != null ? { folder: m.folder ?? 'inbox', warning: m.warning } : { folder: m.folder ?? 'inbox' }
  return { message: toNewMessage(parsed, composed.raw.byteLength, m.fromPeer, placement, m.date), raw: composed.raw, dedupeKey: `${m.fromPeer}\n${composed.messageId}` }
}
