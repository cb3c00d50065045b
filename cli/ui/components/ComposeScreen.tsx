import { Box, Text } from 'ink'
import { listRows } from '../state.js'
import { draftCursor } from '../reducer.js'
import { bytes, fit, wrapText } from '../view-format.js'
import type { AppState, DraftField } from '../state.js'

const LABELS: Record<DraftField, string> = { to: 'To', cc: 'Cc', subject: 'Subject', attach: 'Attach', body: 'Body' }

/** The draft's fields; the one being typed into is marked and shows a cursor. */
export function ComposeScreen ({ state }: { state: AppState }) {
  const d = state.draft
  const width = state.size.columns
  if (d == null) return null
  // The field being typed into shows the cursor where typing goes.
  const at = draftCursor(d)
  const withCursor = (field: DraftField, text: string): string => d.field === field ? `${text.slice(0, at)}▏${text.slice(at)}` : text
  const line = (field: Exclude<DraftField, 'body' | 'attach'>) => {
    const active = d.field === field
    return <Text key={field} inverse={active}>{fit(`${LABELS[field].padEnd(8)} ${withCursor(field, d[field])}`, width)}</Text>
  }
  // Wrapped like the reader: a long paragraph being typed stays on screen, cursor and all.
  const bodyLines = wrapText(withCursor('body', d.body), width, '▏')
  const bodyRows = Math.max(3, listRows(state) - 6 - d.attachments.length - (d.completions.length > 0 ? 1 : 0))
  // The lines around the cursor (the end while typing at the end).
  const cursorLine = d.field === 'body' ? Math.max(0, bodyLines.findIndex(l => l.includes('▏'))) : bodyLines.length - 1
  const bodyTop = Math.max(0, Math.min(cursorLine - bodyRows + 1 + (d.cursor == null ? 0 : Math.floor(bodyRows / 2)), bodyLines.length - bodyRows))
  const shownBody = bodyLines.slice(bodyTop, bodyTop + bodyRows)
  return (
    <Box flexDirection='column'>
      <Text bold>{d.kind === 'new' ? 'New message' : d.kind === 'forward' ? 'Forward' : d.kind === 'replyAll' ? 'Reply to all' : 'Reply'}{d.sending ? ' — sending…' : ''}</Text>
      {line('to')}
      {line('cc')}
      {line('subject')}
      <Text inverse={d.field === 'attach'}>{fit(`${LABELS.attach.padEnd(8)} ${withCursor('attach', d.attachInput)}`, width)}</Text>
      {d.attachments.map((p, i) => <Text key={`${p}/${i}`} color='cyan'>{fit(`         @ ${p}${d.attachmentSizes?.[p] != null ? `  ${bytes(d.attachmentSizes[p])}` : ''}`, width)}</Text>)}
      {d.completions.length > 0 && <Text color='yellow'>{fit(`  Tab: ${d.completions.join('  ')}`, width)}</Text>}
      <Text inverse={d.field === 'body'} dimColor={d.field !== 'body'}>{fit(`${LABELS.body} (Ctrl-E: $EDITOR; Enter: new line)`, width)}</Text>
      {shownBody.map((l, i) => <Text key={i}>{fit(l, width)}</Text>)}
      <Text dimColor>{fit('Ctrl-S send · Tab complete/next field · Shift-Tab previous · arrows move · Esc discard', width)}</Text>
    </Box>
  )
}
