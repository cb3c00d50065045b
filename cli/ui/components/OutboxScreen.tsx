import { Box, Text } from 'ink'
import { listRows } from '../state.js'
import { peerNames, recipientLine, fit, shortDate, transferLine, wrapText } from '../view-format.js'
import type { AppState } from '../state.js'

/** Lines a recipient's outcome may take: its reason (why it waits) is what people come here for. */
const MAX_RECIPIENT_LINES = 3

/**
 * Each outgoing message with every recipient's state, then the transfers. Everything fits
 * the pane: long outcomes wrap (up to MAX_RECIPIENT_LINES), and transfers beyond their
 * share are counted rather than pushed off the screen.
 */
export function OutboxScreen ({ state, now }: { state: AppState, now: number }) {
  const width = state.size.columns
  const names = peerNames(state.status.servers, state.contacts.items)
  const { items, top, selected, transfers } = state.outbox
  const area = listRows(state)
  // Transfers get up to a third of the pane (a heading, lines, one "more" line).
  const transferShare = Math.max(1, Math.floor(area / 3) - 1)
  const shownTransfers = transfers == null ? [] : transfers.length <= transferShare ? transfers : transfers.slice(0, transferShare - 1)
  const moreTransfers = (transfers?.length ?? 0) - shownTransfers.length
  const transferRows = 1 + Math.max(1, shownTransfers.length) + (moreTransfers > 0 ? 1 : 0)
  const rows = Math.max(2, area - transferRows)
  const lines: Array<{ key: string, text: string, bold?: boolean, color?: string, inverse?: boolean }> = []
  for (let i = top; i < items.length && lines.length < rows; i++) {
    const e = items[i]!
    lines.push({ key: e.id, text: `${shortDate(e.createdAt, now).padEnd(6)} ${e.subject === '' ? '(no subject)' : e.subject}`, bold: true, inverse: i === selected })
    for (const r of e.recipients) {
      const color = r.state === 'delivered' ? 'green' : r.state === 'failed' ? 'red' : r.state === 'parked' ? 'yellow' : r.state === 'cancelled' ? 'gray' : undefined
      const wrapped = wrapText(recipientLine(r, now, names), width - 6)
      const shown = wrapped.slice(0, MAX_RECIPIENT_LINES)
      shown.forEach((text, n) => { lines.push({ key: `${e.id}/${r.peerId}/${n}`, text: `${n === 0 ? '    ' : '      '}${text}`, color }) })
    }
  }
  return (
    <Box flexDirection='column'>
      <Text bold>{fit(`Outbox (${items.length} recent) · j/k select · X cancel the selected · q back`, width)}</Text>
      {items.length === 0 && <Text dimColor>(nothing sent yet)</Text>}
      {lines.slice(0, rows).map(l => <Text key={l.key} bold={l.bold} color={l.color} inverse={l.inverse}>{fit(l.text, width)}</Text>)}
      <Text bold>Transfers</Text>
      {transfers == null
        ? <Text dimColor>(this daemon does not report transfers)</Text>
        : transfers.length === 0
          ? <Text dimColor>(none running)</Text>
          : shownTransfers.map((t, i) => <Text key={t.id ?? i}>{fit(`  ${transferLine(t)}`, width)}</Text>)}
      {moreTransfers > 0 && <Text dimColor>{fit(`  … ${moreTransfers} more transfers`, width)}</Text>}
    </Box>
  )
}
