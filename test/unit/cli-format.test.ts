import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { formatRecipient } from '../../cli/format.js'
import { keyChangeWaitText } from '../../node/reseal.js'
import type { RecipientState } from '../../storage/types.js'

const NOW = 1_760_000_000_000
const pending = (change: Pick<Partial<RecipientState>, 'lastError' | 'nextAttemptAt'>): RecipientState => ({ peerId: '12D3KooWBob', address: 'bob', state: 'pending', attempts: 2, nextAttemptAt: NOW + 20_000, envelopeId: '00', ...change })

describe('outbox lines in the terminal', () => {
  it('a recipient that is retried says which attempt comes when, and why', () => {
    assert.equal(formatRecipient(pending({ lastError: 'connection refused' }), NOW), 'bob: waiting, attempt 3 in 20s (connection refused)')
  })

  it('a recipient held for a key change says so, and counts no attempt (none is made)', () => {
    assert.equal(formatRecipient(pending({ lastError: keyChangeWaitText('bob'), nextAttemptAt: NOW + 300_000 }), NOW),
      "bob: held: bob's key changed, run peerpost contacts accept-key bob (looked at again in 300s)")
  })
})
