import { Box, Text } from 'ink'
import { listRows } from '../state.js'
import { fingerprint, fit, presenceText } from '../view-format.js'
import type { AppState } from '../state.js'

/** A buddy list: presence per contact, a loud warning for a changed key, the fingerprint of the selected one. */
export function ContactsScreen ({ state, now }: { state: AppState, now: number }) {
  const width = state.size.columns
  const { items, selected, top, keyChanged, keyAlert } = state.contacts
  const changed = items.filter(c => keyChanged[c.peerId] != null)
  // My card in lines that copy back into one (the card ignores line breaks and spaces).
  const myCard = state.contacts.showCard === true ? cardLines(state.status.card, width) : []
  const cardRows = myCard.length > 0 ? myCard.length + 2 : 0
  const rows = Math.max(1, listRows(state) - 4 - changed.length * 2 - (keyAlert != null ? 4 : 0) - cardRows)
  const current = items[selected]
  // Name and presence share the line whatever the width (a wrapped row would push the screen).
  const nameWidth = Math.min(28, Math.floor(width / 2))
  return (
    <Box flexDirection='column'>
      <Text bold>{fit(`Contacts (${items.length}) · me: ${state.status.presence ?? '?'} · a add · D remove · s status · H home server · M my card · Enter write`, width)}</Text>
      {keyAlert != null && (
        <Box flexDirection='column'>
          <Text color='red' bold inverse>{fit(` !! KEY CHANGED: ${keyAlert.address} now names another key than the one you pinned. Not accepted.`, width)}</Text>
          <Text color='red'>{fit(`    pinned   ${fingerprint(keyAlert.pinned)}  ${keyAlert.pinned}`, width)}</Text>
          <Text color='red'>{fit(`    now      ${fingerprint(keyAlert.now)}  ${keyAlert.now}`, width)}</Text>
          <Text color='red'>{fit('    Compare with them by another channel; if the change is real, remove the contact (D) and add it again (a).', width)}</Text>
        </Box>
      )}
      {changed.map(c => (
        <Box key={c.peerId} flexDirection='column'>
          <Text color='red' bold inverse>{fit(` !! KEY CHANGED: ${c.name} — mail signed with a different key is in quarantine. Compare fingerprints before trusting it.`, width)}</Text>
          <Text color='red'>{fit(`    pinned fingerprint ${fingerprint(c.peerId)}`, width)}</Text>
        </Box>
      ))}
      {items.length === 0 && <Text dimColor>(no contacts: press a and paste a card or name@server)</Text>}
      {items.slice(top, top + rows).map((c, i) => {
        const p = presenceText(c, now)
        const isSel = top + i === selected
        return (
          <Text key={c.peerId} inverse={isSel}>
            <Text color={p.color}>{p.mark}</Text>
            {fit(` ${c.name}`, nameWidth)}
            <Text color={keyChanged[c.peerId] != null ? 'red' : undefined}>{fit(keyChanged[c.peerId] != null ? 'KEY CHANGED' : p.text, Math.max(1, width - nameWidth - 2))}</Text>
          </Text>
        )
      })}
      {myCard.length > 0 && (
        <Box flexDirection='column'>
          <Text bold color='cyan'>{fit('My card (give it to the people who will write to you; M hides it):', width)}</Text>
          {myCard.map((l, i) => <Text key={i}>{l}</Text>)}
          <Text color='cyan'>{fit(`My fingerprint ${state.status.peerId != null ? fingerprint(state.status.peerId) : '?'}  (read it to them to compare)`, width)}</Text>
        </Box>
      )}
      {current != null && (
        <Box flexDirection='column'>
          <Text dimColor>{fit(`PeerId      ${current.peerId}`, width)}</Text>
          <Text dimColor>{fit(`Fingerprint ${fingerprint(current.peerId)}   servers: ${current.homeServers.length}`, width)}</Text>
        </Box>
      )}
    </Box>
  )
}

/** The card cut into lines of the screen's width (no padding: a copied line has no trailing spaces). */
function cardLines (card: string | undefined, width: number): string[] {
  if (card == null) return ['(the card is not loaded yet: the daemon gives it)']
  return card.match(new RegExp(`.{1,${Math.max(20, width)}}`, 'g')) ?? []
}
