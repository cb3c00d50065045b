import { useSyncExternalStore } from 'react'
import { Box, Text, useInput } from 'ink'
import { fingerprint } from '../view-format.js'
import type { FirstRunFlow } from '../first-run.js'

/** Welcome: name, optional passphrase, the card to share, an optional cache server; or unlock a sealed home. */
export function FirstRunScreen ({ flow, columns }: { flow: FirstRunFlow, columns: number }) {
  const s = useSyncExternalStore(flow.store.subscribe, flow.store.getState)
  useInput((input, key) => { flow.key(input, key) })
  const field = (label: string, value: string) => <Text>{label}<Text color='cyan'>{value}▏</Text></Text>
  return (
    <Box flexDirection='column' width={columns}>
      <Text inverse bold>{' peerpost · welcome '.padEnd(columns)}</Text>
      {s.step === 'unlock' && (
        <>
          <Text>This home's keys are sealed with a passphrase, and no daemon runs yet.</Text>
          {field('Passphrase: ', '*'.repeat(s.input.length))}
        </>
      )}
      {(s.step === 'name' || s.step === 'passphrase') && (
        <>
          {/* One paragraph: ink wraps it to the terminal (two fixed lines broke oddly at 80 columns). */}
          <Text>Welcome to peerpost: mail that goes straight from you to the people you write to, sealed so that only they can read it. First, an identity for this home.</Text>
          <Text> </Text>
          {s.step === 'name' ? field('Your name (shown to the people you write to): ', s.input) : <Text>Your name: {s.name}</Text>}
          {s.step === 'passphrase' && field('Passphrase to seal your keys (Enter for none): ', '*'.repeat(s.input.length))}
        </>
      )}
      {s.step === 'working' && <Text color='yellow'>{s.note}</Text>}
      {s.step === 'card' && (
        <>
          <Text bold>Your identity is ready. Give this card to the people who will write to you:</Text>
          <Text> </Text>
          <Text color='cyan' wrap='wrap'>{s.card}</Text>
          <Text> </Text>
          <Text>PeerId      {s.peerId}</Text>
          <Text>Fingerprint {fingerprint(s.peerId ?? '')}  (read it to them to compare)</Text>
          {s.note != null && <Text dimColor>{s.note}</Text>}
          <Text> </Text>
          <Text bold>Press Enter to continue.</Text>
        </>
      )}
      {s.step === 'server' && (
        <>
          <Text>A cache server holds your mail while you are offline and relays for you.</Text>
          <Text>Paste its address (…/p2p/&lt;PeerId&gt;), or press Enter to skip (add one later with H in Contacts).</Text>
          {field('Cache server: ', s.input)}
        </>
      )}
      {s.error != null && <Text color='red' bold>{s.error}</Text>}
    </Box>
  )
}
