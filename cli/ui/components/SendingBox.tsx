import { Box, Text } from 'ink'
import { peerNames, recipientLine, fit } from '../view-format.js'
import type { AppState } from '../state.js'

/** Recent sends, each recipient's outcome as it happens (delivered, parked where, waiting). */
export function SendingBox ({ state, now }: { state: AppState, now: number }) {
  if (state.sending.length === 0) return null
  const width = state.size.columns
  const names = peerNames(state.status.servers, state.contacts.items)
  return (
    <Box flexDirection='column'>
      <Text bold>Sending</Text>
      {state.sending.flatMap(s => [
        <Text key={s.id}>{fit(`  ${s.subject === '' ? '(no subject)' : s.subject}`, width)}</Text>,
        ...(s.entry?.recipients ?? []).map(r => (
          <Text key={`${s.id}/${r.peerId}`} color={r.state === 'delivered' ? 'green' : r.state === 'failed' ? 'red' : r.state === 'parked' ? 'yellow' : undefined}>
            {fit(`    ${recipientLine(r, now, names)}`, width)}
          </Text>
        ))
      ])}
    </Box>
  )
}
