import { Box, Text } from 'ink'
import { helpLines } from '../keys.js'
import { listRows } from '../state.js'
import { fit } from '../view-format.js'
import type { AppState } from '../state.js'

/** Generated from the key table: it cannot disagree with what the keys do. */
export function HelpScreen ({ state }: { state: AppState }) {
  const lines = helpLines()
  const rows = listRows(state) + 1
  return (
    <Box flexDirection='column'>
      {lines.slice(state.help.scroll, state.help.scroll + rows).map((l, i) => (
        <Text key={i} bold={!l.startsWith(' ')}>{fit(l, state.size.columns)}</Text>
      ))}
    </Box>
  )
}
