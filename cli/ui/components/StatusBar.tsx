import { Text } from 'ink'
import { fit } from '../view-format.js'
import type { AppState } from '../state.js'

/** The last line: a prompt, an error or a note on the left; connection and presence on the right. */
export function StatusBar ({ state }: { state: AppState }) {
  const width = state.size.columns
  const s = state.status
  const connected = s.servers.filter(x => x.connected).length
  const right = `${s.online ? 'online' : 'offline (no daemon)'} · servers ${connected}/${s.servers.length}${s.presence != null ? ` · ${s.presence}` : ''} · ? help `
  const leftWidth = Math.max(0, width - right.length)
  if (state.prompt != null) {
    return <Text><Text color='yellow'>{fit(`${state.prompt.label}${state.prompt.text}▏`, leftWidth)}</Text><Text dimColor>{right}</Text></Text>
  }
  if (s.error != null && s.error !== '') {
    return <Text><Text color='red' bold>{fit(s.error, leftWidth)}</Text><Text dimColor>{right}</Text></Text>
  }
  return <Text><Text>{fit(s.info ?? '', leftWidth)}</Text><Text dimColor>{right}</Text></Text>
}
