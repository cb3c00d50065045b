import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { render } from 'ink-testing-library'
import { OutboxScreen } from '../../cli/ui/components/OutboxScreen.js'
import { initialState, listRows } from '../../cli/ui/state.js'
import type { AppState } from '../../cli/ui/state.js'
import type { TransferView } from '../../cli/ui/ui-api.js'
import type { OutboxEntry } from '../../storage/types.js'

process.env.TZ = 'UTC'
const NOW = Date.parse('2026-03-10T12:00:00Z')

/** The outbox pane alone, on a state built here: a recipient that waits for a long reason and many transfers, at 80x24. */
function outboxFrame (entries: OutboxEntry[], transfers: TransferView[]): { frame: string, rows: number } {
  const base = initialState({ columns: 80, rows: 24 })
  const state: AppState = { ...base, screen: 'outbox', outbox: { ...base.outbox, items: entries, transfers } }
  const r = render(<OutboxScreen state={state} now={NOW} />)
  const frame = r.lastFrame() ?? ''
  r.unmount()
  return { frame, rows: listRows(state) }
}

describe('the outbox pane at 80x24', () => {
  it('a waiting recipient\'s whole reason wraps under it; many transfers are bounded to the pane with a count of the rest; the keys are named', () => {
    const reason = 'not delivered directly and no holder took it: connection error 127.0.0.1:24814: connect ECONNREFUSED'
    const entry: OutboxEntry = {
      id: 'e1', messageId: '<e1@x>', subject: 'While you are away', createdAt: NOW - 60_000, expiresAt: NOW + 86_400_000,
      recipients: [{ peerId: 'p', address: 'carol', state: 'pending', attempts: 3, nextAttemptAt: NOW + 2_000, lastError: reason, envelopeId: 'x' }]
    }
    const transfers: TransferView[] = Array.from({ length: 30 }, (_, i) => ({ id: `b${i}`, name: `file-${i}.bin`, peer: 'alice', direction: 'down', state: 'complete', size: 1024, received: 1024 }))
    const { frame, rows } = outboxFrame([entry], transfers)
    const lines = frame.split('\n')
    assert.ok(lines.every(l => l.length <= 80), 'no line wider than the screen')
    assert.ok(lines.length <= rows + 1, `within the pane (${lines.length} lines for ${rows} rows and the heading)`)
    assert.match(frame.replace(/ *\n */g, ' '), /connect ECONNREFUSED\)/, 'the reason to its end')
    assert.match(frame, /\d+ more transfers/)
    assert.match(lines[0]!, /X cancel/)
  })
})
