import { DRAFT_FIELDS, MAX_SENDING_SHOWN, helpRows, listRows, visibleItems } from './state.js'
import { helpLines } from './keys.js'
import { bodyLines } from './view-format.js'
import type { Screen } from './keys.js'
import type { AppState, Conversation, Draft, KeyAlert, Prompt, Sending } from './state.js'
import type { MessageView, TransferView } from './ui-api.js'
import type { ContactView, FolderView, ServerView } from '../../node/mail-service.js'
import type { Folder, MessageSummary, OutboxEntry } from '../../storage/types.js'

/** Every change to the UI's state is one of these; the reducer below is the only place they apply. */
export type Action =
  | { type: 'resize', columns: number, rows: number }
  | { type: 'screen', screen: Screen }
  | { type: 'focus/toggle' }
  | { type: 'folders/loaded', folders: FolderView[] }
  | { type: 'folder/select', folder: Folder }
  | { type: 'list/loading', folder: Folder }
  | { type: 'list/page', folder: Folder, items: MessageSummary[], next?: string, append: boolean, search?: string }
  | { type: 'list/failed', folder: Folder }
  | { type: 'move', to: number | 'top' | 'bottom' | 'pageDown' | 'pageUp' }
  | { type: 'filter', text: string }
  | { type: 'message/changed', summary: MessageSummary }
  | { type: 'messages/removed', ids: string[] }
  | { type: 'conversation/open', id: string }
  | { type: 'conversation/loaded', id: string, message: MessageView, thread: MessageSummary[] }
  | { type: 'conversation/switch', delta: number }
  | { type: 'conversation/close' }
  | { type: 'attachment/select', delta: number }
  | { type: 'attachment/progress', blobId: string, bytesDone: number }
  | { type: 'attachment/state', blobId: string, state: string, holder?: string, reason?: string }
  | { type: 'draft/start', draft: Draft }
  | { type: 'draft/type', text: string }
  | { type: 'draft/backspace' }
  | { type: 'draft/clear' }
  | { type: 'draft/newline' }
  | { type: 'draft/cursor', delta: number }
  | { type: 'draft/line', delta: number }
  | { type: 'draft/field', delta: number }
  | { type: 'draft/completions', completions: string[] }
  | { type: 'draft/complete' }
  | { type: 'draft/attach', size?: number }
  | { type: 'draft/body', body: string }
  | { type: 'draft/sending' }
  | { type: 'draft/failed' }
  | { type: 'draft/sent', id: string, subject: string }
  | { type: 'draft/cancel' }
  | { type: 'sending/settled' }
  | { type: 'sending/entry', entry: OutboxEntry }
  | { type: 'contacts/loaded', items: ContactView[], keyChanged: Record<string, string> }
  | { type: 'contacts/keyAlert', alert?: KeyAlert }
  | { type: 'outbox/loaded', items: OutboxEntry[], transfers?: TransferView[] }
  | { type: 'prompt/open', prompt: Prompt }
  | { type: 'prompt/type', text: string }
  | { type: 'prompt/backspace' }
  | { type: 'prompt/clear' }
  | { type: 'prompt/close' }
  | { type: 'status/info', text: string }
  | { type: 'status/error', text: string }
  | { type: 'status/network', online?: boolean, servers?: ServerView[], presence?: string, peerId?: string, card?: string }
  | { type: 'contacts/toggleCard' }
  | { type: 'quit' }

/** Keep `selected` within `count` and on screen (`top` scrolls just enough). */
function clampCursor (selected: number, top: number, count: number, rows: number): { selected: number, top: number } {
  const sel = count === 0 ? 0 : Math.min(Math.max(selected, 0), count - 1)
  let t = Math.min(top, sel)
  if (sel >= t + rows) t = sel - rows + 1
  return { selected: sel, top: Math.max(0, t) }
}

function target (to: number | 'top' | 'bottom' | 'pageDown' | 'pageUp', current: number, count: number, rows: number): number {
  switch (to) {
    case 'top': return 0
    case 'bottom': return count - 1
    case 'pageDown': return current + rows
    case 'pageUp': return current - rows
    default: return current + to
  }
}

/** The address token being typed (after the last comma) and its completions among contacts. */
export function addressCompletions (text: string, contacts: ContactView[]): string[] {
  const token = (text.split(',').pop() ?? '').trim().toLowerCase()
  if (token === '') return []
  const out: string[] = []
  for (const c of contacts) {
    for (const candidate of [c.name, c.peerId]) {
      if (candidate.toLowerCase().startsWith(token) && candidate.toLowerCase() !== token && !out.includes(candidate)) out.push(candidate)
    }
  }
  return out.slice(0, 8)
}

/** Replace the last comma-separated token of `text` with `value`. */
function replaceToken (text: string, value: string): string {
  const parts = text.split(',')
  parts[parts.length - 1] = (parts.length > 1 ? ' ' : '') + value
  return parts.join(',')
}

function updateDraft (state: AppState, change: (d: Draft) => Partial<Draft>): AppState {
  if (state.draft == null) return state
  return { ...state, draft: { ...state.draft, ...change(state.draft) } }
}

/** A change to the draft's content (not moving between fields): from now on discarding it asks first. */
function editDraft (state: AppState, change: (d: Draft) => Partial<Draft>): AppState {
  return updateDraft(state, d => ({ ...change(d), edited: true }))
}

/** The text of the field being typed into. */
function fieldValue (d: Draft): string { return d.field === 'attach' ? d.attachInput : d[d.field] }

/** Where typing goes in the field: the cursor, or its end when the cursor was never moved. */
export function draftCursor (d: Draft): number {
  const length = fieldValue(d).length
  return d.cursor == null ? length : Math.min(Math.max(0, d.cursor), length)
}

/** The field's text with `insert` put in at the cursor, after deleting `remove` characters before it. */
function editAtCursor (d: Draft, insert: string, remove = 0): { value: string, cursor?: number } {
  const value = fieldValue(d)
  const at = draftCursor(d)
  const before = value.slice(0, Math.max(0, at - remove))
  return { value: before + insert + value.slice(at), cursor: d.cursor == null ? undefined : before.length + insert.length }
}

/** A field's new text and cursor, with what depends on the text (completions). */
function setField (d: Draft, value: string, cursor: number | undefined, contacts: ContactView[]): Partial<Draft> {
  switch (d.field) {
    case 'to':
    case 'cc': return { [d.field]: value, cursor, completions: addressCompletions(value, contacts) }
    case 'subject': return { subject: value, cursor }
    case 'body': return { body: value, cursor }
    case 'attach': return { attachInput: value, cursor, completions: [] }
  }
}

function typeIntoDraft (d: Draft, text: string, contacts: ContactView[]): Partial<Draft> {
  const { value, cursor } = editAtCursor(d, text)
  return setField(d, value, cursor, contacts)
}

function backspaceDraft (d: Draft, contacts: ContactView[]): Partial<Draft> {
  // An empty attach field: backspace drops the last attachment added.
  if (d.field === 'attach' && d.attachInput === '') return { attachments: d.attachments.slice(0, -1) }
  if (draftCursor(d) === 0) return {}
  const { value, cursor } = editAtCursor(d, '', 1)
  return setField(d, value, cursor, contacts)
}

/** The cursor `delta` characters on (the end of the field is kept as "no cursor": typing appends). */
function moveCursor (d: Draft, delta: number): Partial<Draft> {
  const length = fieldValue(d).length
  const at = Math.min(Math.max(0, draftCursor(d) + delta), length)
  return { cursor: at === length ? undefined : at }
}

/** The line and column of the cursor in the body. */
export function bodyCursorLine (d: Draft): { line: number, column: number } {
  const before = d.body.slice(0, draftCursor(d)).split('\n')
  return { line: before.length - 1, column: before.at(-1)!.length }
}

/** In the body: the cursor to the line above or below, at the same column where it can be. */
function moveLine (d: Draft, delta: number): Partial<Draft> {
  if (d.field !== 'body') return {}
  const lines = d.body.split('\n')
  const { line, column } = bodyCursorLine(d)
  const target = line + delta
  if (target < 0 || target >= lines.length) return {}
  const offset = lines.slice(0, target).reduce((n, l) => n + l.length + 1, 0) + Math.min(column, lines[target]!.length)
  return { cursor: offset === d.body.length ? undefined : offset }
}

function completeDraft (d: Draft): Partial<Draft> {
  const first = d.completions[0]
  if (first == null) return {}
  if (d.field === 'attach') return { attachInput: first, completions: [] }
  if (d.field === 'to' || d.field === 'cc') return { [d.field]: replaceToken(d[d.field], first), completions: [] }
  return {}
}

function withConversation (state: AppState, change: (c: Conversation) => Partial<Conversation>): AppState {
  const c = state.conversations[state.active]
  if (c == null) return state
  const conversations = state.conversations.slice()
  conversations[state.active] = { ...c, ...change(c) }
  return { ...state, conversations }
}

/** The UI's one reducer: pure, no I/O. */
export function reducer (state: AppState, action: Action): AppState {
  switch (action.type) {
    case 'resize': {
      const next = { ...state, size: { columns: Math.max(20, action.columns), rows: Math.max(8, action.rows) } }
      const rows = listRows(next)
      return { ...next, list: { ...next.list, ...clampCursor(next.list.selected, next.list.top, visibleItems(next.list).length, rows) } }
    }
    case 'screen':
      if (action.screen === 'help') return { ...state, screen: 'help', returnTo: state.screen === 'help' ? state.returnTo : state.screen, help: { scroll: 0 } }
      return { ...state, screen: action.screen }
    case 'focus/toggle':
      return { ...state, focus: state.focus === 'folders' ? 'messages' : 'folders' }
    case 'folders/loaded':
      return { ...state, folders: action.folders }
    case 'folder/select':
      if (action.folder === state.list.folder && state.list.loaded) return state
      return { ...state, list: { folder: action.folder, items: [], loading: false, loaded: false, selected: 0, top: 0, filter: '' } }
    case 'list/loading':
      if (action.folder !== state.list.folder) return state
      return { ...state, list: { ...state.list, loading: true } }
    case 'list/failed':
      if (action.folder !== state.list.folder) return state
      return { ...state, list: { ...state.list, loading: false } }
    case 'list/page': {
      if (action.folder !== state.list.folder) return state
      if (action.append && action.search !== state.list.search) return state
      const items = action.append ? [...state.list.items, ...action.items] : action.items
      const { search: _previous, ...rest } = state.list
      const list = { ...rest, items, next: action.next, loading: false, loaded: true, ...(action.search != null ? { search: action.search } : {}) }
      const { selected, top } = clampCursor(list.selected, list.top, visibleItems(list).length, listRows(state))
      return { ...state, list: { ...list, selected, top } }
    }
    case 'move': {
      const rows = listRows(state)
      switch (state.screen) {
        case 'mail': {
          const count = visibleItems(state.list).length
          return { ...state, list: { ...state.list, ...clampCursor(target(action.to, state.list.selected, count, rows), state.list.top, count, rows) } }
        }
        case 'contacts': {
          const count = state.contacts.items.length
          return { ...state, contacts: { ...state.contacts, ...clampCursor(target(action.to, state.contacts.selected, count, rows), state.contacts.top, count, rows) } }
        }
        case 'outbox': {
          const count = state.outbox.items.length
          return { ...state, outbox: { ...state.outbox, ...clampCursor(target(action.to, state.outbox.selected, count, rows), state.outbox.top, count, rows) } }
        }
        case 'reader':
          return withConversation(state, c => {
            const lines = c.message == null ? 1 : bodyLines(c.message, state.size.columns).length
            return { scroll: Math.max(0, Math.min(target(action.to, c.scroll, lines, rows), lines - 1)) }
          })
        case 'help': {
          // Scrolled no further than a screen that ends on the last line.
          const max = Math.max(0, helpLines(state.size.columns).length - helpRows(state))
          return { ...state, help: { scroll: Math.max(0, Math.min(target(action.to, state.help.scroll, max + 1, helpRows(state)), max)) } }
        }
        default: return state
      }
    }
    case 'filter': {
      const list = { ...state.list, filter: action.text, selected: 0, top: 0 }
      return { ...state, list }
    }
    case 'message/changed': {
      const s = action.summary
      const inList = state.list.items.findIndex(m => m.id === s.id)
      let list = state.list
      if (inList !== -1) {
        const items = s.folder === state.list.folder
          ? state.list.items.map(m => m.id === s.id ? s : m)
          : state.list.items.filter(m => m.id !== s.id)
        list = { ...state.list, items, ...clampCursor(state.list.selected, state.list.top, items.length, listRows(state)) }
      }
      const conversations = state.conversations.map(c => ({ ...c, thread: c.thread.map(m => m.id === s.id ? s : m) }))
      return { ...state, list, conversations }
    }
    case 'messages/removed': {
      // Deleted for good: out of the list, out of every conversation; one showing it closes.
      const gone = new Set(action.ids)
      const items = state.list.items.filter(m => !gone.has(m.id))
      const list = items.length === state.list.items.length ? state.list : { ...state.list, items, ...clampCursor(state.list.selected, state.list.top, items.length, listRows(state)) }
      const activeId = state.conversations[state.active]?.id
      const conversations = state.conversations.filter(c => !gone.has(c.id)).map(c => ({ ...c, thread: c.thread.filter(m => !gone.has(m.id)) }))
      const kept = conversations.findIndex(c => c.id === activeId)
      const active = kept !== -1 ? kept : Math.min(state.active, Math.max(0, conversations.length - 1))
      const screen = state.screen === 'reader' && conversations.length === 0 ? 'mail' : state.screen
      return { ...state, list, conversations, active, screen }
    }
    case 'conversation/open': {
      // An open conversation that holds this message is reused: switching, not duplicating.
      const existing = state.conversations.findIndex(c => c.id === action.id || c.thread.some(m => m.id === action.id))
      if (existing !== -1) {
        const conversations = state.conversations.slice()
        const c = conversations[existing]!
        conversations[existing] = c.id === action.id ? c : { ...c, id: action.id, message: undefined, attachment: 0, scroll: 0 }
        return { ...state, screen: 'reader', conversations, active: existing }
      }
      const conversations = [...state.conversations, { id: action.id, thread: [], attachment: 0, scroll: 0 }]
      return { ...state, screen: 'reader', conversations, active: conversations.length - 1 }
    }
    case 'conversation/loaded': {
      const index = state.conversations.findIndex(c => c.id === action.id)
      if (index === -1) return state
      const conversations = state.conversations.slice()
      conversations[index] = { ...conversations[index]!, message: action.message, thread: action.thread }
      return { ...state, conversations }
    }
    case 'conversation/switch': {
      const n = state.conversations.length
      if (n === 0) return state
      return { ...state, active: ((state.active + action.delta) % n + n) % n }
    }
    case 'conversation/close': {
      const conversations = state.conversations.filter((_c, i) => i !== state.active)
      if (conversations.length === 0) return { ...state, conversations, active: 0, screen: 'mail' }
      return { ...state, conversations, active: Math.min(state.active, conversations.length - 1) }
    }
    case 'attachment/select':
      return withConversation(state, c => {
        const n = c.message?.attachments.length ?? 0
        return { attachment: n === 0 ? 0 : Math.min(Math.max(c.attachment + action.delta, 0), n - 1) }
      })
    case 'attachment/progress':
      // A progress event moves the bar without re-reading the message.
      return {
        ...state,
        conversations: state.conversations.map(c => {
          if (c.message == null || !c.message.attachments.some(a => a.blobId === action.blobId)) return c
          const attachments = c.message.attachments.map(a => a.blobId !== action.blobId ? a : { ...a, received: action.bytesDone, state: action.bytesDone >= a.size ? 'here' : 'pulling' })
          return { ...c, message: { ...c.message, attachments } }
        })
      }
    case 'attachment/state':
      // The daemon's word on a large attachment: applied as it comes (a re-read could be older).
      return {
        ...state,
        conversations: state.conversations.map(c => {
          if (c.message == null || !c.message.attachments.some(a => a.blobId === action.blobId)) return c
          const attachments = c.message.attachments.map(a => {
            if (a.blobId !== action.blobId) return a
            const { reason: _r, holder: _h, ...rest } = a
            const next = { ...rest, state: action.state === 'complete' ? 'here' : action.state }
            if (action.state === 'complete') next.received = a.size
            return { ...next, ...(action.holder != null ? { holder: action.holder } : {}), ...(action.reason != null ? { reason: action.reason } : {}) }
          })
          return { ...c, message: { ...c.message, attachments } }
        })
      }
    case 'draft/start':
      return { ...state, draft: action.draft, screen: 'compose' }
    case 'draft/type':
      return editDraft(state, d => typeIntoDraft(d, action.text, state.contacts.items))
    case 'draft/backspace':
      return editDraft(state, d => backspaceDraft(d, state.contacts.items))
    case 'draft/clear':
      return editDraft(state, d => d.field === 'attach' ? { attachInput: '', completions: [], cursor: undefined } : { [d.field]: '', completions: [], cursor: undefined })
    case 'draft/newline':
      return editDraft(state, d => d.field === 'body' ? typeIntoDraft(d, '\n', state.contacts.items) : {})
    case 'draft/cursor':
      return updateDraft(state, d => moveCursor(d, action.delta))
    case 'draft/line':
      return updateDraft(state, d => moveLine(d, action.delta))
    case 'draft/field':
      return updateDraft(state, d => {
        const i = DRAFT_FIELDS.indexOf(d.field)
        const field = DRAFT_FIELDS[Math.min(Math.max(i + action.delta, 0), DRAFT_FIELDS.length - 1)]!
        return { field, completions: [], cursor: undefined }
      })
    case 'draft/completions':
      return updateDraft(state, () => ({ completions: action.completions }))
    case 'draft/complete':
      return editDraft(state, d => ({ ...completeDraft(d), cursor: undefined }))
    case 'draft/attach':
      return editDraft(state, d => {
        const path = d.attachInput.trim()
        if (path === '') return {}
        const attachmentSizes = action.size == null ? d.attachmentSizes : { ...d.attachmentSizes, [path]: action.size }
        return { attachments: [...d.attachments, path], attachInput: '', completions: [], cursor: undefined, ...(attachmentSizes != null ? { attachmentSizes } : {}) }
      })
    case 'draft/body':
      return editDraft(state, () => ({ body: action.body, cursor: undefined }))
    case 'draft/sending':
      return updateDraft(state, () => ({ sending: true }))
    case 'draft/failed':
      return updateDraft(state, () => ({ sending: false }))
    case 'draft/sent': {
      const sending = [{ id: action.id, subject: action.subject }, ...state.sending].slice(0, MAX_SENDING_SHOWN)
      const { draft: _sent, ...rest } = state
      return { ...rest, sending, screen: state.conversations.length > 0 && state.draft?.kind !== 'new' ? 'reader' : 'mail' }
    }
    case 'draft/cancel': {
      const { draft: _dropped, ...rest } = state
      return { ...rest, screen: state.conversations.length > 0 && state.draft?.kind !== 'new' ? 'reader' : 'mail' }
    }
    case 'sending/settled':
      return state.sending.some(settled) ? { ...state, sending: state.sending.filter(x => !settled(x)) } : state
    case 'sending/entry':
      return { ...state, sending: state.sending.map(s => s.id === action.entry.id ? { ...s, entry: action.entry } : s) }
    case 'contacts/loaded': {
      const c = clampCursor(state.contacts.selected, state.contacts.top, action.items.length, listRows(state))
      return { ...state, contacts: { ...state.contacts, items: action.items, keyChanged: action.keyChanged, ...c } }
    }
    case 'contacts/toggleCard':
      return { ...state, contacts: { ...state.contacts, showCard: state.contacts.showCard !== true } }
    case 'contacts/keyAlert': {
      const { keyAlert: _old, ...contacts } = state.contacts
      return { ...state, contacts: action.alert == null ? contacts : { ...contacts, keyAlert: action.alert } }
    }
    case 'outbox/loaded': {
      const c = clampCursor(state.outbox.selected, state.outbox.top, action.items.length, listRows(state))
      return { ...state, outbox: { items: action.items, transfers: action.transfers, ...c } }
    }
    case 'prompt/open':
      return { ...state, prompt: action.prompt }
    case 'prompt/type':
      return state.prompt == null ? state : { ...state, prompt: { ...state.prompt, text: state.prompt.text + action.text } }
    case 'prompt/backspace':
      return state.prompt == null ? state : { ...state, prompt: { ...state.prompt, text: state.prompt.text.slice(0, -1) } }
    case 'prompt/clear':
      return state.prompt == null ? state : { ...state, prompt: { ...state.prompt, text: '' } }
    case 'prompt/close': {
      const { prompt: _closed, ...rest } = state
      return rest
    }
    case 'status/info': {
      const { error: _e, ...status } = state.status
      return { ...state, status: { ...status, info: action.text } }
    }
    case 'status/error': {
      const { info: _i, ...status } = state.status
      return { ...state, status: { ...status, error: action.text } }
    }
    case 'status/network': {
      const status = { ...state.status }
      if (action.online != null) status.online = action.online
      if (action.servers != null) status.servers = action.servers
      if (action.presence != null) status.presence = action.presence
      if (action.peerId != null) status.peerId = action.peerId
      if (action.card != null) status.card = action.card
      return { ...state, status }
    }
    case 'quit':
      return { ...state, quitting: true }
  }
}

/** A send every recipient of which has an outcome (delivered, parked, failed, cancelled): the outbox keeps following it. */
export function settled (s: Sending): boolean {
  return s.entry != null && s.entry.recipients.every(r => r.state !== 'pending')
}
