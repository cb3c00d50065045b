import { Text } from 'ink'
import { fit } from '../view-format.js'
import type { AppState } from '../state.js'

/**
 * The last line: a prompt, an error or a note on the left; connection and presence on the
 * right. A message that does not fit beside them takes the whole line (until the next key):
 * what to do, or the text being typed, matters more than the indicators.
 */
export function StatusBar ({ state }: { state: AppState }) {
  const width = state.size.columns
  const s = state.status
  const connected = s.servers.filter(x => x.connected).length
  const right = `${s.online ? 'online' : 'offline (no daemon)'} · servers ${connected}/${s.servers.length}${s.presence != null ? ` · ${s.presence}` : ''} · ? help `
  const prompt = state.prompt != null ? `${state.prompt.label}${state.prompt.text}▏` : undefined
  const error = s.error != null && s.error !== '' ? s.error : undefined
  const message = prompt ?? error ?? s.info ?? ''
  const beside = message.length <= Math.max(0, width - right.length)
  const leftWidth = beside ? Math.max(0, width - right.length) : width
  // A prompt longer than the line shows its end: the cursor and what was typed last.
  const left = prompt != null && prompt.length > leftWidth ? `…${prompt.slice(prompt.length - leftWidth + 1)}` : fit(message, leftWidth)
  const color = prompt != null ? 'yellow' : error != null ? 'red' : undefined
  return <Text><Text color={color} bold={prompt == null && error != null}>{left}</Text>{beside && <Text dimColor>{right}</Text>}</Text>
}
