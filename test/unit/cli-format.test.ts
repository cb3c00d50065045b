import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { formatCancelledRecipient, formatContact, formatRecipient, formatStatus, formatSummaryLine } from '../../cli/format.js'
import { formatLargeAttachment, formatTransfer } from '../../cli/commands/transfers.js'
import { mayHaveBeenFetched } from '../../node/mail-service.js'
import { keyChangeWaitText } from '../../node/reseal.js'
import type { HolderWithdrawal, MessageSummary, OutboxEntry, RecipientState } from '../../storage/types.js'

const NOW = 1_760_000_000_000
const pending = (change: Pick<Partial<RecipientState>, 'lastError' | 'nextAttemptAt'>): RecipientState => ({ peerId: '12D3KooWBob', address: 'bob', state: 'pending', attempts: 2, nextAttemptAt: NOW + 20_000, envelopeId: '00', ...change })

describe('outbox lines in the terminal', () => {
  it('a recipient that is retried says which attempt comes when, and why', () => {
    assert.equal(formatRecipient(pending({ lastError: 'connection refused' }), NOW), 'bob: waiting, attempt 3 in 20s (connection refused)')
  })

  it('a recipient held for a key change says so, and counts no attempt (none is made)', () => {
    assert.equal(formatRecipient(pending({ lastError: keyChangeWaitText('bob'), nextAttemptAt: NOW + 300_000 }), NOW),
      "bob: held: bob's key changed, run peerpost contacts accept-key bob (looked at again in 5m)")
  })

  it('an attempt already due (the daemon was not running) is "due now", not "1s ago"', () => {
    assert.equal(formatRecipient(pending({ nextAttemptAt: NOW - 1_000 }), NOW), 'bob: waiting, attempt 3 due now')
    assert.equal(formatRecipient(pending({ nextAttemptAt: NOW - 3 * 86_400_000 }), NOW), 'bob: waiting, attempt 3 due now')
  })
})

describe('contacts in the terminal', () => {
  const bob = { name: 'bob', peerId: '12D3KooWBob', addrs: [], homeServers: ['/ip4/127.0.0.1/tcp/4455/p2p/12D3KooWServer'], pinnedAt: NOW }
  it('says how long ago in seconds, minutes, hours or days', () => {
    const seen = (ago: number): string => formatContact({ ...bob, presence: { online: false, status: 'offline', addrs: [], server: '12D3KooWServer', lastSeen: NOW - ago } }, NOW)
    assert.match(seen(42_000), /offline, last seen 42s ago$/)
    assert.match(seen(5 * 60_000), /offline, last seen 5m ago$/)
    assert.match(seen(26 * 3_600_000 + 2_000), /offline, last seen 1d ago$/)
    assert.match(seen(3 * 3_600_000), /offline, last seen 3h ago$/)
    assert.match(formatContact({ ...bob, presence: { online: true, status: 'away', addrs: [], server: '12D3KooWServer', since: NOW - 7_200_000 } }, NOW), /online, away since 2h ago$/)
  })
})

describe('outbox cancel of a parked copy, in words', () => {
  const names = new Map([['12D3KooWCarol', 'carol'], ['12D3KooWDave', 'dave']])
  const view = (state: RecipientState['state'], withdrawal: HolderWithdrawal[]): Parameters<typeof formatCancelledRecipient>[0] =>
    ({ address: 'bob', peerId: '12D3KooWBob', state, cancelled: state === 'cancelled', withdrawal, ...(mayHaveBeenFetched(withdrawal) ? { mayHaveBeenFetched: true } : {}) })

  it('says per holder what it answered, and never claims success where a holder no longer had it', () => {
    assert.equal(formatCancelledRecipient(view('cancelled', [{ peerId: '12D3KooWCarol', outcome: 'withdrawn' }]), names), 'bob: taken back - withdrawn from carol')
    assert.equal(formatCancelledRecipient(view('cancelled', [{ peerId: '12D3KooWCarol', outcome: 'withdrawn' }, { peerId: '12D3KooWDave', outcome: 'not-here' }]), names),
      'bob: cancelled, but bob may already have fetched it - withdrawn from carol; not found on dave (it may already have been fetched, or expired)')
    assert.equal(formatCancelledRecipient(view('parked', [{ peerId: '12D3KooWCarol', outcome: 'unsupported' }, { peerId: '12D3KooWDave', outcome: 'unreachable', error: 'timed out' }]), names, ['12D3KooWCarol', '12D3KooWDave']),
      'bob: still parked at carol, dave - carol does not support withdrawing (the copy stays there until fetched or expired); dave could not be reached (timed out); one that could not be reached is asked again in the background')
    assert.equal(formatRecipient({ peerId: '12D3KooWBob', address: 'bob', state: 'cancelled', attempts: 1, nextAttemptAt: 0, envelopeId: '00', withdrawal: [{ peerId: '12D3KooWCarol', outcome: 'withdrawn' }] }, NOW, names),
      'bob: cancelled after it was parked - withdrawn from carol')
  })

  it('a holder that saw the recipient fetch it: delivered, said plainly, not "may have"', () => {
    const fetched: HolderWithdrawal[] = [{ peerId: '12D3KooWCarol', outcome: 'fetched' }, { peerId: '12D3KooWDave', outcome: 'withdrawn' }]
    assert.equal(formatCancelledRecipient({ address: 'bob', peerId: '12D3KooWBob', state: 'delivered', cancelled: false, withdrawal: fetched }, names),
      'bob: delivered - bob already fetched it, so it cannot be taken back - already fetched from carol; withdrawn from dave')
    assert.equal(formatRecipient({ peerId: '12D3KooWBob', address: 'bob', state: 'delivered', attempts: 1, nextAttemptAt: 0, envelopeId: '00', withdrawal: fetched }, NOW, names),
      'bob: delivered (fetched before a cancel could take it back - already fetched from carol; withdrawn from dave)')
    assert.equal(mayHaveBeenFetched(fetched), false)
  })
})

describe('list lines', () => {
  const ALICE = 'alice <12D3KooWSweQh5wqftmSu3zexi2WWd5uPWjAxpujcLDAkMk5JWCd@peerpost>'
  const message = (change: Partial<MessageSummary>): MessageSummary => ({
    id: '01a22ed677f5b7f455e0', folder: 'inbox', messageId: '<m@peerpost>', fromPeer: '12D3KooWSwe', from: ALICE, to: ['bob <12D3KooWBob@peerpost>'], cc: [],
    subject: 'Hi', date: Date.UTC(2026, 10, 30, 23, 42), receivedAt: NOW, unread: true, attachments: [], references: [], size: 100, ...change
  })

  it('name the sender, not a PeerId cut at 40 characters', () => {
    assert.equal(formatSummaryLine(message({})), '01a22ed677f5b7f455e0  N  2026-11-30 23:42  alice                           Hi')
    assert.ok(formatSummaryLine(message({ from: 'someone@example.org' })).endsWith(`23:42  ${'someone@example.org'.padEnd(30)}  Hi`))
    assert.ok(formatSummaryLine(message({ from: '"Doe, Jane" <jane@example.org>' })).endsWith(`23:42  ${'Doe, Jane'.padEnd(30)}  Hi`))
  })

  it('in sent, name whom it went to (the sender is always me)', () => {
    assert.ok(formatSummaryLine(message({ folder: 'sent', unread: false, cc: ['carol <12D3KooWCarol@peerpost>'] })).endsWith(`23:42  ${'to bob, carol'.padEnd(30)}  Hi`))
    assert.ok(formatSummaryLine(message({ folder: 'sent', to: Array.from({ length: 6 }, (_, i) => `friend${i} <x${i}@peerpost>`) })).endsWith('23:42  to friend0, friend1, friend2,…  Hi'))
  })

  it('mark a large attachment kept by its sender as an attachment too', () => {
    const blob = { blobId: 'b1', name: 'film.mkv', type: 'video/x-matroska', size: 5_000_000, sha256: '00', state: 'here' }
    assert.match(formatSummaryLine(message({ blobs: [blob as unknown as NonNullable<MessageSummary['blobs']>[number]] })), /^01a22ed677f5b7f455e0 {2}N@ /)
  })
})

describe('large attachments that failed', () => {
  it('say the command to pull one again, with the blob id no other text line shows', () => {
    const failed = { blobId: 'b10b1d', messageId: 'm1', name: 'film.mkv', type: 'video/x-matroska', from: '12D3KooWAlice', size: 2 * 1024 * 1024, bytesDone: 0, state: 'failed' as const, reason: 'every holder sent bad data', updatedAt: NOW }
    assert.equal(formatTransfer(failed, false, { '12D3KooWAlice': 'alice' }), 'film.mkv  2.0 MiB  from alice  failed: every holder sent bad data (to pull it again: `peerpost transfers --retry b10b1d`)')
    const view = { blobId: 'b10b1d', name: 'film.mkv', type: 'video/x-matroska', size: 10, sha256: 'ab'.repeat(32), state: 'failed', bytesDone: 0, percent: 0, reason: 'every holder sent bad data' }
    assert.match(formatLargeAttachment(view as unknown as Parameters<typeof formatLargeAttachment>[0]), /failed: every holder sent bad data \(to pull it again: `peerpost transfers --retry b10b1d`\)$/)
  })
})

describe('status', () => {
  it('shows every pending message and the newest few others, not the whole recent outbox', () => {
    const entry = (i: number, state: RecipientState['state']): OutboxEntry => ({ id: `e${i}`, subject: `message ${i}`, messageId: `<m${i}@peerpost>`, recipients: [{ ...pending({}), state }] } as unknown as OutboxEntry)
    // Newest first, as the outbox lists them: two pending among 20.
    const outbox = Array.from({ length: 20 }, (_, i) => entry(i, i === 3 || i === 15 ? 'pending' : 'delivered'))
    const text = formatStatus({ peerId: '12D3KooWMe', addrs: [], running: true, presence: 'available', servers: [], outbox }, NOW)
    assert.match(text, /^Outbox: {2}2 message\(s\) pending, 20 recent$/m)
    const shown = [...text.matchAll(/^e(\d+) {2}message/gm)].map(m => Number(m[1]))
    assert.deepEqual(shown, [0, 1, 2, 3, 4, 15])
    assert.match(text, /\n\(14 older, none of them pending: `peerpost list --folder outbox` lists them all\)$/)
  })
})
