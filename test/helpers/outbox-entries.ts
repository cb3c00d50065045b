import { newId } from '../../storage/index.js'
import type { NewMessage, OutboxEntry } from '../../storage/index.js'

/** Outbox entries and their Sent copies for tests of the outbox store and engine. */

export const T0 = 1_700_000_000_000
export const BOB = '12D3KooWBob'
export const CAROL = '12D3KooWCarol'

/**
 * Entry `n` to `recipients`, all pending, addressed by PeerId; envelope ids are hex (the
 * engine sends them as bytes). `expiresAt` defaults to a day after T0 + n.
 */
export function entry (n: number, recipients = [BOB, CAROL], options: { expiresAt?: number } = {}): OutboxEntry {
  return {
    id: newId(T0 + n),
    messageId: `<out${n}@alice>`,
    subject: `outgoing ${n}`,
    createdAt: T0 + n,
    expiresAt: options.expiresAt ?? T0 + n + 86_400_000,
    recipients: recipients.map((peerId, i) => ({ peerId, address: peerId, state: 'pending', attempts: 0, nextAttemptAt: T0 + n, envelopeId: `${n.toString(16).padStart(4, '0')}${i.toString(16).padStart(2, '0')}` }))
  }
}

export function sentCopy (n: number): { message: NewMessage, raw: Uint8Array, dedupeKey: string } {
  const raw = new TextEncoder().encode(`Subject: outgoing ${n}\r\n\r\nhi\r\n`)
  return {
    message: { folder: 'sent', messageId: `<out${n}@alice>`, fromPeer: '12D3KooWAlice', from: 'alice', to: [BOB, CAROL], cc: [], subject: `outgoing ${n}`, date: T0 + n, receivedAt: T0 + n, unread: false, attachments: [], references: [], size: raw.byteLength },
    raw,
    dedupeKey: `12D3KooWAlice\n<out${n}@alice>`
  }
}

export const envelopes = (e: OutboxEntry): Map<string, Uint8Array> => new Map(e.recipients.map(r => [r.peerId, new TextEncoder().encode(`sealed for ${r.peerId}`)]))
