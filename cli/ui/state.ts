import type { Screen } from './keys.js'
import type { AttachmentView, MessageView, TransferView } from './ui-api.js'
import type { ContactView, FolderView, ServerView } from '../../node/mail-service.js'
import type { Folder, MessageSummary, OutboxEntry } from '../../storage/types.js'
import { matchesSearch } from '../../node/message-search.js'
import { wrapText } from './view-format.js'

/** The state of the terminal UI: everything on screen comes from here. */

/** The folders in the order the folder list shows them. */
export const FOLDER_ORDER: readonly Folder[] = ['inbox', 'requests', 'sent', 'archive', 'trash', 'quarantine']

export interface ListState {
  folder: Folder
  /** The pages loaded so far, newest first; never the whole folder. */
  items: MessageSummary[]
  /** Cursor of the next page; absent once the end is loaded. */
  next?: string
  loading: boolean
  /** At least the first page arrived. */
  loaded: boolean
  selected: number
  /** First row on screen. */
  top: number
  /** Case-insensitive filter on sender and subject (`/`). */
  filter: string
  /** Set once the filter was submitted: `items` and `next` are the daemon's search of the whole folder for it. */
  search?: string
}

export interface Conversation {
  /** The message shown. */
  id: string
  message?: MessageView
  /** The whole conversation, oldest first (includes `id`). */
  thread: MessageSummary[]
  attachment: number
  scroll: number
}

export type DraftField = 'to' | 'cc' | 'subject' | 'body' | 'attach'
export const DRAFT_FIELDS: readonly DraftField[] = ['to', 'cc', 'subject', 'attach', 'body']

export interface Draft {
  kind: 'new' | 'reply' | 'replyAll' | 'forward'
  to: string
  cc: string
  subject: string
  body: string
  /** Paths of files to attach. */
  attachments: string[]
  /** Sizes of the attached files as they were when added (shown beside each path). */
  attachmentSizes?: Record<string, number>
  /** The path being typed into the attach field. */
  attachInput: string
  field: DraftField
  inReplyTo?: string
  references: string[]
  /** Completion candidates for the field being typed (contacts, or file names). */
  completions: string[]
  sending: boolean
  /** Where typing goes in the field being typed into (an index in its text); absent: at its end. */
  cursor?: number
  /** Something was typed, attached or edited since the draft opened: discarding it asks first. */
  edited?: boolean
  /** A folder the UI made for this draft (a forward's attachments, saved from the message): removed once the draft is sent or discarded. */
  tempDir?: string
}

/** A message just sent, followed recipient by recipient until each has an outcome. */
export interface Sending {
  id: string
  subject: string
  entry?: OutboxEntry
}

export type PromptKind = 'search' | 'save' | 'add-contact' | 'status' | 'add-server' | 'delete-forever' | 'empty-trash' | 'cancel-send' | 'discard-draft' | 'remove-contact'
/** Prompts answered with one key: `y` goes ahead, any other key keeps everything as it is. */
export const CONFIRM_PROMPTS: readonly PromptKind[] = ['delete-forever', 'empty-trash', 'cancel-send', 'discard-draft', 'remove-contact']
export interface Prompt {
  kind: PromptKind
  label: string
  text: string
  /** For `save`: which attachment (absent: all). */
  attachment?: string
  /** For `delete-forever`: the message; for `cancel-send`: the outbox entry. */
  id?: string
}

/** A name whose directory entry now names another key than the one pinned (refused, shown loudly). */
export interface KeyAlert { address: string, pinned: string, now: string }

export interface StatusLine {
  info?: string
  error?: string
  /** The daemon runs and the UI talks to it (false: the home is opened directly). */
  online: boolean
  servers: ServerView[]
  presence?: string
  peerId?: string
  /** My identity card as text (`peerpost1:…`), to show in Contacts. */
  card?: string
}

export interface AppState {
  screen: Screen
  /** Where `back` goes from help. */
  returnTo: Screen
  focus: 'folders' | 'messages'
  size: { columns: number, rows: number }
  folders: FolderView[]
  list: ListState
  conversations: Conversation[]
  active: number
  draft?: Draft
  /** Recent sends, newest first (a few). */
  sending: Sending[]
  contacts: { items: ContactView[], selected: number, top: number, keyChanged: Record<string, string>, keyAlert?: KeyAlert, showCard?: boolean }
  outbox: { items: OutboxEntry[], transfers?: TransferView[], selected: number, top: number }
  help: { scroll: number }
  prompt?: Prompt
  status: StatusLine
  quitting: boolean
}

export const MAX_SENDING_SHOWN = 3

export function initialState (size = { columns: 100, rows: 30 }): AppState {
  return {
    screen: 'mail',
    returnTo: 'mail',
    focus: 'messages',
    size,
    folders: FOLDER_ORDER.map(folder => ({ folder, total: 0, unread: 0 })),
    list: { folder: 'inbox', items: [], loading: false, loaded: false, selected: 0, top: 0, filter: '' },
    conversations: [],
    active: 0,
    sending: [],
    contacts: { items: [], selected: 0, top: 0, keyChanged: {} },
    outbox: { items: [], selected: 0, top: 0 },
    help: { scroll: 0 },
    status: { online: false, servers: [] },
    quitting: false
  }
}

/** Rows the message list (and other lists) can show: the screen less title, header, status lines and the sending box. */
export function listRows (state: AppState): number {
  const sendingLines = state.screen === 'mail' || state.screen === 'reader' ? sendingBoxLines(state) : 0
  return Math.max(3, state.size.rows - 4 - sendingLines - (statusLines(state) - 1))
}

/** A message longer than the screen is wide wraps over at most this many status lines (until the next key). */
export const MAX_STATUS_LINES = 3

/** What the status line says on the left: a prompt being answered, else an error, else a note. */
export function statusMessage (state: AppState): { text: string, kind: 'prompt' | 'error' | 'info' } {
  if (state.prompt != null) return { text: `${state.prompt.label}${state.prompt.text}▏`, kind: 'prompt' }
  const error = state.status.error ?? ''
  if (error !== '') return { text: error, kind: 'error' }
  return { text: state.status.info ?? '', kind: 'info' }
}

/** Lines the status takes: one, or for an error or note wider than the screen up to MAX_STATUS_LINES (a prompt stays on one, showing its end). */
export function statusLines (state: AppState): number {
  const { text, kind } = statusMessage(state)
  if (kind === 'prompt' || text.length <= state.size.columns) return 1
  return Math.min(MAX_STATUS_LINES, wrapText(text, state.size.columns).length)
}

/** Rows of help text on screen (the last row of the screen's area says what is below). */
export function helpRows (state: AppState): number {
  return listRows(state)
}

export function sendingBoxLines (state: AppState): number {
  if (state.sending.length === 0) return 0
  return 1 + state.sending.reduce((n, s) => n + 1 + (s.entry?.recipients.length ?? 0), 0)
}

/** The loaded messages that pass the filter (the daemon's search results match already). */
export function visibleItems (list: ListState): MessageSummary[] {
  if (list.filter === '' || list.search === list.filter) return list.items
  return list.items.filter(m => matchesSearch(m, list.filter))
}

export function selectedMessage (state: AppState): MessageSummary | undefined {
  return visibleItems(state.list)[state.list.selected]
}

export function activeConversation (state: AppState): Conversation | undefined {
  return state.conversations[state.active]
}

export function selectedAttachment (c: Conversation | undefined): AttachmentView | undefined {
  return c?.message?.attachments[c.attachment]
}
