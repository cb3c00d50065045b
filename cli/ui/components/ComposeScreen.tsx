import { Box, Text } from 'ink'
import { listRows } from '../state.js'
import { bytes, fit, wrapText } from '../view-format.js'
import type { AppState, DraftField } from '../state.js'

const LABELS: Record<DraftField, string> = { to: 'To', cc: 'Cc', subject: 'Subject', attach: 'Attach', body: 'Body' }

/** The draft's fields; the one being typed into is marked and shows a cursor. */
export function ComposeScreen ({ state }: { state: AppState }) {
  const d = state.draft
  const width = state.size.columns
  if (d == null) return null
  const line = (field: Exclude<DraftField, 'body' | 'attach'>) => {
    const active = d.field === field
    return <Text key={field} inverse={active}>{fit(`${LABELS[field].padEnd(8)} ${d[field]}${active ? '▏' : ''}`, width)}</Text>
  }
  // Wrapped like the reader: a long paragraph being typed stays on screen, cursor and all.
  const bodyLines = wrapText(d.body + (d.field === 'body' ? '▏' : ''), width)
  const bodyRows = Math.max(3, listRows(state) - 6 - d.attachments.length - (d.completions.length > 0 ? 1 : 0))
  const shownBody = bodyLines.slice(Math.max(0, bodyLines.length - bodyRows))
  return (
    <Box flexDirection='column'>
      <Text bold>{d.kind === 'new' ? 'New message' : d.kind === 'forward' ? 'Forward' : d.kind === 'replyAll' ? 'Reply to all' : 'Reply'}{d.sending ? ' — sending…' : ''}</Text>
      {line('to')}
      {line('cc')}
      {line('subject')}
      <Text inverse={d.field === 'attach'}>{fit(`${LABELS.attach.padEnd(8)} ${d.attachInput}${d.field === 'attach' ? '▏' : ''}`, width)}</Text>
      {d.attachments.map((p, i) => <Text key={`${p}/${i}`} color='cyan'>{fit(`         @ ${p}${d.attachmentSizes?.[p] != null ? `  ${bytes(d.attachmentSizes[p])}` : ''}`, width)}</Text>)}
      {d.completions.length > 0 && <Text color='yellow'>{fit(`  Tab: ${d.completions.join('  ')}`, width)}</Text>}
      <Text inverse={d.field === 'body'} dimColor={d.field !== 'body'}>{fit(`${LABELS.body} (Ctrl-E: $EDITOR; Enter: new line)`, width)}</Text>
      {shownBody.map((l, i) => <Text key={i}>{fit(l, width)}</Text>)}
      <Text dimColor>{fit('Ctrl-S send · Tab complete/next field · Shift-Tab previous · Esc discard', width)}</Text>
    </Box>
  )
}
