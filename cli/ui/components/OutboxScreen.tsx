import { Box, Text } from 'ink'
import { listRows } from '../state.js'
import { peerNames, recipientLine, fit, shortDate, transferLine } from '../view-format.js'
import type { AppState } from '../state.js'

/** Each outgoing message with every recipient's state, then the running transfers. */
export function OutboxScreen ({ state, now }: { state: AppState, now: number }) {
  const width = state.size.columns
  const names = peerNames(state.status.servers, state.contacts.items)
  const { items, top, selected, transfers } = state.outbox
  const transferRows = transfers == null ? 1 : Math.max(1, transfers.length) + 1
  const rows = Math.max(2, listRows(state) - transferRows - 1)
  const lines: Array<{ key: string, text: string, bold?: boolean, color?: string, inverse?: boolean }> = []
  for (let i = top; i < items.length && lines.length < rows; i++) {
    const e = items[i]!
    lines.push({ key: e.id, text: `${shortDate(e.createdAt, now).padEnd(6)} ${e.subject === '' ? '(no subject)' : e.subject}`, bold: true, inverse: i === selected })
    for (const r of e.recipients) {
      lines.push({ key: `${e.id}/${r.peerId}`, text: `    ${recipientLine(r, now, names)}`, color: r.state === 'delivered' ? 'green' : r.state === 'failed' ? 'red' : r.state === 'parked' ? 'yellow' : r.state === 'cancelled' ? 'gray' : undefined })
    }
  }
  return (
    <Box flexDirection='column'>
      <Text bold>{`Outbox (${items.length} recent)`}</Text>
      {items.length === 0 && <Text dimColor>(nothing sent yet)</Text>}
      {lines.slice(0, rows).map(l => <Text key={l.key} bold={l.bold} color={l.color} inverse={l.inverse}>{fit(l.text, width)}</Text>)}
      <Text bold>Transfers</Text>
      {transfers == null
        ? <Text dimColor>(this daemon does not report transfers)</Text>
        : transfers.length === 0
          ? <Text dimColor>(none running)</Text>
          : transfers.map((t, i) => <Text key={t.id ?? i}>{fit(`  ${transferLine(t)}`, width)}</Text>)}
    </Box>
  )
}
