import { Box, Text } from 'ink'
import { listRows, visibleItems } from '../state.js'
import { fit, senderName, shortDate } from '../view-format.js'
import type { AppState } from '../state.js'

const FOLDER_WIDTH = 18
/** Narrower than this, the folders and the messages take turns (Tab) instead of sitting side by side. */
const TWO_PANES_MIN_WIDTH = FOLDER_WIDTH + 1 + 30

/** Folder list on the left, message list on the right (one at a time on a narrow screen). */
export function MailScreen ({ state, now }: { state: AppState, now: number }) {
  const rows = listRows(state)
  const twoPanes = state.size.columns >= TWO_PANES_MIN_WIDTH
  const showFolders = twoPanes || state.focus === 'folders'
  const showMessages = twoPanes || state.focus === 'messages'
  const folderWidth = twoPanes ? FOLDER_WIDTH : state.size.columns
  const listWidth = twoPanes ? state.size.columns - FOLDER_WIDTH - 1 : state.size.columns
  // The folder column scrolls to keep the selected folder in view on a short screen (its heading takes a row).
  const folderRows = Math.max(1, rows)
  const pending = state.sending.filter(x => x.entry?.recipients.some(r => r.state === 'pending')).length
  const folderLines = [...state.folders.map(f => ({ key: f.folder, folder: f })), { key: 'outbox', folder: undefined }, ...(pending > 0 ? [{ key: 'waiting', folder: undefined }] : [])]
  const selectedFolder = state.folders.findIndex(f => f.folder === state.list.folder)
  const folderTop = Math.max(0, Math.min(selectedFolder - folderRows + 1, folderLines.length - folderRows))
  const items = visibleItems(state.list)
  const shown = items.slice(state.list.top, state.list.top + rows)
  const dateW = 6
  const fromW = Math.min(24, Math.max(8, Math.floor(listWidth * 0.28)))
  const subjectW = Math.max(4, listWidth - dateW - fromW - 6)
  return (
    <Box flexDirection='column'>
      <Box flexDirection='row'>
        {showFolders && (
          <Box flexDirection='column' width={folderWidth}>
            <Text bold underline>{fit('Folders', folderWidth - 1)}</Text>
            {folderLines.slice(folderTop, folderTop + folderRows).map(({ key, folder: f }) => {
              if (key === 'outbox') return <Text key={key} dimColor>{fit('  outbox: O', folderWidth - 1)}</Text>
              if (f == null) return <Text key={key} color='yellow'>{fit(`  ${pending} waiting`, folderWidth - 1)}</Text>
              const selected = f.folder === state.list.folder
              const label = `${f.folder}${f.unread > 0 ? ` (${f.unread})` : ''}`
              return (
                <Text key={key} inverse={selected && state.focus === 'folders'} bold={selected} color={f.unread > 0 ? 'cyan' : undefined}>
                  {fit(`${selected ? '>' : ' '} ${label}`, folderWidth - 1)}
                </Text>
              )
            })}
          </Box>
        )}
        {showMessages && <Box flexDirection='column' width={listWidth}>
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
        </Box>}
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
