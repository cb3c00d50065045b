import { Box, Text } from 'ink'
import { statusLines, statusMessage } from '../state.js'
import { fit, wrapText } from '../view-format.js'
import type { AppState } from '../state.js'

/**
 * The last line: a prompt, an error or a note on the left; connection and presence on the
 * right. A message that does not fit beside them takes the whole line (until the next key),
 * and one wider than the screen wraps over a few lines: what to do, or the text being typed,
 * matters more than the indicators.
 */
export function StatusBar ({ state }: { state: AppState }) {
  const width = state.size.columns
  const s = state.status
  const connected = s.servers.filter(x => x.connected).length
  const full = `${s.online ? 'online' : 'offline (no daemon)'} · servers ${connected}/${s.servers.length}${s.presence != null ? ` · ${s.presence}` : ''} · ? help `
  // A narrow screen gets the short form: a line that wrapped would push the screen up.
  const right = full.length <= width ? full : fit(`${s.online ? 'online' : 'offline'} · ? help `, width)
  const { text, kind } = statusMessage(state)
  const color = kind === 'prompt' ? 'yellow' : kind === 'error' ? 'red' : undefined
  const bold = kind === 'error'
  const lines = statusLines(state)
  if (lines > 1) {
    const wrapped = wrapText(text, width)
    const shown = wrapped.slice(0, lines)
    if (wrapped.length > lines) shown[lines - 1] = fit(`${shown[lines - 1]!} ${wrapped.slice(lines).join(' ')}`, width)
    return <Box flexDirection='column'>{shown.map((l, i) => <Text key={i} color={color} bold={bold}>{fit(l, width)}</Text>)}</Box>
  }
  const beside = text.length <= Math.max(0, width - right.length)
  const leftWidth = beside ? Math.max(0, width - right.length) : width
  // A prompt longer than the line shows its end: the cursor and what was typed last.
  const left = kind === 'prompt' && text.length > leftWidth ? `…${text.slice(text.length - leftWidth + 1)}` : fit(text, leftWidth)
  return <Text><Text color={color} bold={bold}>{left}</Text>{beside && <Text dimColor>{right}</Text>}</Text>
}
