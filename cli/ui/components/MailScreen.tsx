import { Box, Text } from 'ink'
import { listRows, visibleItems } from '../state.js'
import { fit, senderName, shortDate } from '../view-format.js'
import type { AppState } from '../state.js'

const FOLDER_WIDTH = 18

/** Folder list on the left, message list on the right. */
export function MailScreen ({ state, now }: { state: AppState, now: number }) {
  const rows = listRows(state)
  const listWidth = Math.max(20, state.size.columns - FOLDER_WIDTH - 1)
  const items = visibleItems(state.list)
  const shown = items.slice(state.list.top, state.list.top + rows)
  const dateW = 6
  const fromW = Math.min(24, Math.max(8, Math.floor(listWidth * 0.28)))
  const subjectW = Math.max(4, listWidth - dateW - fromW - 6)
  const pending = state.sending.filter(x => x.entry?.recipients.some(r => r.state === 'pending')).length
  return (
    <Box flexDirection='column'>
      <Box flexDirection='row'>
        <Box flexDirection='column' width={FOLDER_WIDTH}>
          <Text bold underline>Folders</Text>
          {state.folders.map(f => {
            const selected = f.folder === state.list.folder
            const label = `${f.folder}${f.unread > 0 ? ` (${f.unread})` : ''}`
            return (
              <Text key={f.folder} inverse={selected && state.focus === 'folders'} bold={selected} color={f.unread > 0 ? 'cyan' : undefined}>
                {fit(`${selected ? '>' : ' '} ${label}`, FOLDER_WIDTH - 1)}
              </Text>
            )
          })}
          <Text dimColor>{fit('  outbox: O', FOLDER_WIDTH - 1)}</Text>
          {pending > 0 && <Text color='yellow'>{fit(`  ${pending} waiting`, FOLDER_WIDTH - 1)}</Text>}
        </Box>
        <Box flexDirection='column' width={listWidth}>
          <Text bold underline>{fit(`${state.list.folder}: ${folderTotal(state)}${listHeading(state.list, items.length)}`, listWidth)}</Text>
          {shown.length === 0
            ? <Text dimColor>{!state.list.loaded ? 'loading…' : emptyText(state.list)}</Text>
            : shown.map((m, i) => {
              const index = state.list.top + i
              const selected = index === state.list.selected && state.focus === 'messages'
              const flags = `${m.unread ? 'N' : ' '}${m.attachments.length > 0 || ((m as { blobs?: unknown[] }).blobs?.length ?? 0) > 0 ? '@' : ' '}${m.warning != null ? '!' : ' '}`
              const line = `${flags} ${fit(shortDate(m.date, now), dateW)} ${fit(state.list.folder === 'sent' ? `→ ${m.to.map(senderName).join(', ')}` : senderName(m.from), fromW)} ${fit(m.subject === '' ? '(no subject)' : m.subject, subjectW)}`
              return <Text key={m.id} inverse={selected} bold={m.unread} color={m.warning != null ? 'red' : undefined}>{line}</Text>
            })}
        </Box>
      </Box>
    </Box>
  )
}

function folderTotal (state: AppState): string {
  const f = state.folders.find(x => x.folder === state.list.folder)
  if (f == null) return ''
  return `${f.total} message${f.total === 1 ? '' : 's'}${f.unread > 0 ? `, ${f.unread} unread` : ''}`
}

/** After the folder's name: what the list shows when it is filtered or searched. */
function listHeading (list: AppState['list'], shown: number): string {
  if (list.search != null) return `  "${list.search}": ${shown} found${list.next != null ? ', more below' : ''} (Esc clears)`
  return list.filter !== '' ? `  "${list.filter}": ${shown} loaded (Esc clears)` : ''
}

/** What an empty list says: an empty folder, or no match (and how to look further). */
function emptyText (list: AppState['list']): string {
  if (list.search != null) return `(nothing in ${list.folder} matches "${list.search}")`
  if (list.filter !== '') return list.next != null ? '(no loaded message matches: Enter searches the whole folder)' : '(no sender, recipient or subject matches: Enter searches the text too)'
  return `(${list.folder} is empty)`
}
