import { Box, Text } from 'ink'
import { activeConversation, listRows } from '../state.js'
import { attachmentState, bodyLines, bytes, fit, longDate, senderName, shortDate } from '../view-format.js'
import type { AppState } from '../state.js'

/** Body lines the reader keeps on screen before it shows fewer headers, conversation or attachments. */
const MIN_BODY_ROWS = 3
/** Messages of the conversation listed under the body at most. */
const MAX_THREAD_SHOWN = 6

/** Open conversations as tabs, the message's headers, body, attachments and its conversation. */
export function ReaderScreen ({ state, now }: { state: AppState, now: number }) {
  const c = activeConversation(state)
  const width = state.size.columns
  if (c == null) return <Text dimColor>(no open conversation)</Text>
  const tabs = tabWindow(state.conversations.map((conv, i) => {
    const subject = conv.message?.subject ?? conv.thread.find(m => m.id === conv.id)?.subject ?? '…'
    return { key: conv.id, text: ` ${i + 1}:${fit(subject === '' ? '(no subject)' : subject, 18).trimEnd()} `, active: i === state.active }
  }), state.active, width)
  const m = c.message
  if (m == null) {
    return (
      <Box flexDirection='column'>
        <Box>{tabs.map(t => <Text key={t.key} inverse={t.active}>{t.text}</Text>)}</Box>
        <Text dimColor>loading…</Text>
      </Box>
    )
  }
  const header = [
    `From:    ${m.from}`,
    // An imported message has no verified sender (node/mail-import.ts).
    m.fromPeer === '' ? '         not verified (imported from a file)' : `         verified ${m.fromPeer}`,
    `To:      ${m.to.join(', ')}`,
    ...(m.cc.length > 0 ? [`Cc:      ${m.cc.join(', ')}`] : []),
    `Date:    ${longDate(m.date)}`,
    `Subject: ${m.subject}`
  ]
  // A stranger's mail: say what that means and the one key that accepts it (like `peerpost read` does).
  const notice = m.folder === 'requests' ? 'A request from someone not in your contacts: i accepts it, d trashes it' : undefined
  const warningLines = (m.warning != null ? 1 : 0) + (notice != null ? 1 : 0)
  // Everything fits the screen: room for at least MIN_BODY_ROWS of the body comes first, then
  // the full headers, then the conversation and the attachments (each kept to a window around
  // the current one), so a short terminal never pushes the title off.
  const area = listRows(state) + 1 - 2 - warningLines
  let head = header
  let threadShown = c.thread.length > 1 ? Math.min(c.thread.length, MAX_THREAD_SHOWN) : 0
  let attachShown = m.attachments.length
  const room = (): number => area - head.length - (threadShown > 0 ? threadShown + 1 : 0) - (attachShown > 0 ? attachShown + 1 : 0)
  if (room() < MIN_BODY_ROWS) head = [`From:    ${senderName(m.from)}`, `Subject: ${m.subject}`]
  while (room() < MIN_BODY_ROWS && threadShown > 0) threadShown--
  while (room() < MIN_BODY_ROWS && attachShown > 1) attachShown--
  const bodyRows = Math.max(1, room())
  const attachStart = Math.max(0, Math.min(c.attachment - attachShown + 1, m.attachments.length - attachShown))
  // Wrapped to the screen: scrolling counts the lines as shown, and no line is cut off.
  const body = bodyLines(m, width)
  const shownBody = body.slice(c.scroll, c.scroll + bodyRows)
  const at = c.thread.findIndex(t => t.id === c.id)
  const threadStart = Math.max(0, Math.min(at - Math.floor(threadShown / 2), c.thread.length - threadShown))
  return (
    <Box flexDirection='column'>
      <Box>{tabs.map(t => <Text key={t.key} inverse={t.active} bold={t.active}>{t.text}</Text>)}</Box>
      {m.warning != null && <Text color='red' bold>{fit(`!! ${m.warning}`, width)}</Text>}
      {notice != null && <Text color='yellow'>{fit(notice, width)}</Text>}
      {head.map((line, i) => <Text key={i} bold={i === head.length - 1}>{fit(line, width)}</Text>)}
      <Text dimColor>{'─'.repeat(Math.max(0, width))}</Text>
      {shownBody.map((line, i) => <Text key={i}>{fit(line, width)}</Text>)}
      {body.length > c.scroll + bodyRows && <Text dimColor>{fit(`-- ${body.length - c.scroll - bodyRows} more line(s): j/k --`, width)}</Text>}
      {attachShown > 0 && (
        <Box flexDirection='column'>
          <Text bold>{fit(`Attachments${attachShown < m.attachments.length ? ` ${c.attachment + 1}/${m.attachments.length}` : ''} (J/K select, s save, S save all)`, width)}</Text>
          {m.attachments.slice(attachStart, attachStart + attachShown).map((a, i) => (
            <Text key={`${a.name}/${attachStart + i}`} inverse={attachStart + i === c.attachment}>
              {fit(`  ${a.name}  ${bytes(a.size)}  ${a.type}  ${attachmentState(a)}`, width)}
            </Text>
          ))}
        </Box>
      )}
      {threadShown > 0 && (
        <Box flexDirection='column'>
          <Text bold>{fit(`Conversation: ${c.thread.length} messages (n/p)`, width)}</Text>
          {c.thread.slice(threadStart, threadStart + threadShown).map(t => (
            <Text key={t.id} inverse={t.id === c.id}>
              {fit(`  ${shortDate(t.date, now).padEnd(6)} ${fit(senderName(t.from), 20)} ${t.subject}`, width)}
            </Text>
          ))}
        </Box>
      )}
    </Box>
  )
}

interface Tab { key: string, text: string, active: boolean }

/**
 * The open conversations' tabs that fit on one line, around the current one; the others are
 * counted at the ends (`‹2`, `3›`), so the tab bar never wraps and pushes the message down.
 */
function tabWindow (tabs: Tab[], active: number, width: number): Tab[] {
  const markerWidth = 4
  const fits = (from: number, to: number): boolean => tabs.slice(from, to + 1).reduce((n, t) => n + t.text.length, 0) + (from > 0 ? markerWidth : 0) + (to < tabs.length - 1 ? markerWidth : 0) <= width
  let from = Math.min(Math.max(0, active), tabs.length - 1)
  let to = from
  // Grow right then left, one tab at a time, while the line has room.
  for (let grown = true; grown;) {
    grown = false
    if (to + 1 < tabs.length && fits(from, to + 1)) { to++; grown = true }
    if (from > 0 && fits(from - 1, to)) { from--; grown = true }
  }
  const shown = tabs.slice(from, to + 1)
  if (shown.length === 1 && shown[0]!.text.length > width) shown[0] = { ...shown[0]!, text: fit(shown[0]!.text, Math.max(1, width - 2 * markerWidth)) }
  const left = from > 0 ? [{ key: 'more-left', text: `‹${from} `.padEnd(markerWidth), active: false }] : []
  const right = to < tabs.length - 1 ? [{ key: 'more-right', text: ` ${tabs.length - 1 - to}›`.padStart(markerWidth), active: false }] : []
  return [...left, ...shown, ...right]
}
