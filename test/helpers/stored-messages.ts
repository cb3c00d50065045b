import type { NewMessage } from '../../storage/index.js'

/** Sender of the fixture messages (a PeerId-shaped string; storage does not parse it). */
export const FIXTURE_SENDER = '12D3KooWBob'

/** A message as the receiver would file it; `n` makes it distinct and orders it in time. */
export function fixtureMessage (n: number, overrides: Partial<NewMessage> = {}): NewMessage {
  return {
    folder: 'inbox',
    messageId: `<m${n}@example>`,
    fromPeer: FIXTURE_SENDER,
    from: 'bob@example',
    to: ['alice@example'],
    cc: [],
    subject: `message ${n}`,
    date: 1_700_000_000_000 + n,
    receivedAt: 1_700_000_000_000 + n * 1000,
    unread: true,
    attachments: [],
    references: [],
    size: 0,
    ...overrides
  }
}

/** The raw bytes stored with fixtureMessage(n). */
export const fixtureRaw = (n: number): Uint8Array => new TextEncoder().encode(`Subject: message ${n}\r\n\r\nhello ${n}\r\n`)
