import { Box, Text } from 'ink'
import { helpLines } from '../keys.js'
import { helpRows } from '../state.js'
import { fit } from '../view-format.js'
import type { AppState } from '../state.js'

/** Generated from the key table: it cannot disagree with what the keys do. The last line says what is below and how to leave. */
export function HelpScreen ({ state }: { state: AppState }) {
  const width = state.size.columns
  const lines = helpLines(width)
  const rows = helpRows(state)
  const below = Math.max(0, lines.length - state.help.scroll - rows)
  return (
    <Box flexDirection='column'>
      {lines.slice(state.help.scroll, state.help.scroll + rows).map((l, i) => (
        <Text key={i} bold={!l.startsWith(' ')}>{fit(l, width)}</Text>
      ))}
      <Text dimColor>{fit(below > 0 ? `-- ${below} more lines: j/k, PgDn, G; q back --` : '-- q back --', width)}</Text>
    </Box>
  )
}
