import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { homedir, tmpdir } from 'node:os'
import { commandFor, keyName, printable, splitPresses } from './keys.js'
import { forwardable, forwardDraft, newDraft, replyDraft, splitAddresses } from './drafts.js'
import { activeConversation, CONFIRM_PROMPTS, listRows, selectedAttachment, selectedMessage, visibleItems } from './state.js'
import { describeUiError } from './ui-errors.js'
import { absolutePath, checkAttachment, checkSaveFolder, expandHome } from './attach-check.js'
import { errorName } from '../../node/errors.js'
import { attachmentState, cancelSummary } from './view-format.js'
import type { Command } from './keys.js'
import { bodyCursorLine, settled } from './reducer.js'
import type { Action } from './reducer.js'
import type { UiLog } from './log.js'
import type { Store } from './store.js'
import type { MessageView, TransferView, UiApi } from './ui-api.js'
import type { Draft, PromptKind } from './state.js'
import type { NodeEvent } from '../../node/events.js'
import type { SendRequest } from '../../node/mail-service.js'
import type { Folder } from '../../storage/types.js'
import type { Key } from 'ink'

/** How many messages one list page asks for at least (more on tall screens). */
export const MIN_PAGE = 50
/** Quarantined messages looked at for key-change warnings in the contacts pane. */
export const KEY_CHANGE_SCAN = 200
/** `G` loads at most this many pages before it stops at what is loaded (bounded work). */
export const MAX_PAGES_FOR_BOTTOM = 20
export const OUTBOX_SHOWN = 100
/**
 * Search pages fetched at most on one Enter while they do not fill the screen: one page is
 * a bounded part of the folder (the daemon parses at most ~1,000 bodies per call), so a
 * rare word may need several; scrolling on fetches more.
 */
export const SEARCH_FILL_PAGES = 10
/** Reconnecting to a daemon that went away: first try after this, then doubling up to the max, for at most RECONNECT_FOR_MS. */
const RECONNECT_FIRST_DELAY_MS = 250
const RECONNECT_MAX_DELAY_MS = 2_000
const RECONNECT_FOR_MS = 60 * 60_000
/** Blobs whose last transfer events are kept for replay. */
const MAX_BLOB_EVENTS = 256
/** Transfers whose last byte count is kept for the speed figure. */
const MAX_SPEED_SAMPLES = 256

export interface ControllerDeps {
  api: UiApi
  store: Store
  log: UiLog
  /** Where attachments are saved unless the person types another folder. */
  saveDir?: string
  /**
   * Start the home's daemon in the background (resolves once it answers), for `$` after it
   * stopped: the person asks, so it is not started behind their back. Absent: `$` only reloads.
   */
  startDaemon?: () => Promise<void>
  /** Edit text in $EDITOR; resolves to the new text, or undefined when no editor is set. */
  editText?: (text: string) => Promise<string | undefined>
  onQuit?: () => void
}

const EMPTY_KEY: Key = { upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, pageDown: false, pageUp: false, home: false, end: false, return: false, escape: false, ctrl: false, shift: false, tab: false, backspace: false, delete: false, meta: false, super: false, hyper: false, capsLock: false, numLock: false }

/**
 * The UI's effects: turns key presses into commands (through the key table), calls the
 * daemon and dispatches what comes back. Components never call the daemon themselves.
 */
export class Controller {
  private readonly running = new Map<string, { again: boolean }>()
  private readonly samples = new Map<string, { bytes: number, at: number }>()
  /** The latest transfer events per blob, numbered, to replay on a message read while they came. */
  private readonly blobEvents = new Map<string, Array<{ seq: number, action: Action }>>()
  private eventSeq = 0
  private readonly me: { peerId: string } = { peerId: '' }
  private closed = false
  /**
   * While the daemon is gone: what the status line says about it. Requests that fail
   * meanwhile (those in flight when it went, those made since) fail because of it, so they
   * say this, not their own "lost the connection" (which told people to restart by hand).
   */
  private lost: string | undefined

  constructor (private readonly d: ControllerDeps) {}

  private get state () { return this.d.store.getState() }
  private dispatch (action: Parameters<Store['dispatch']>[0]): void { this.d.store.dispatch(action) }

  /** Load the first screen and follow the daemon's events. */
  async start (): Promise<void> {
    this.dispatch({ type: 'status/network', online: this.d.api.remote })
    await this.follow()
  }

  stop (): void {
    this.closed = true
    void removeDir(this.state.draft?.tempDir)
  }

  /**
   * Load what the screen shows and subscribe to the daemon's events; when its connection
   * closes, say so and (where the UI can) reconnect once the daemon runs again, then load
   * everything again: what happened meanwhile came with no events.
   */
  private async follow (): Promise<void> {
    const { api } = this.d
    api.onClose(err => {
      if (this.closed) return
      this.d.log('the daemon connection closed: %s', err.message)
      this.dispatch({ type: 'status/network', online: false, servers: [] })
      this.setLost(!api.canReconnect
        ? 'the daemon stopped: nothing is sent or received now; quit (q) and start peerpost again'
        : `the daemon stopped: reconnecting when it runs again${this.d.startDaemon != null ? '; $ starts it' : ''}`)
      if (api.canReconnect) void this.reconnect()
    })
    await Promise.all([
      this.loadList(false),
      this.refreshFolders(),
      this.attempt('status', async () => {
        const [card, servers, contacts] = await Promise.all([api.card(), api.servers(), api.contacts()])
        this.me.peerId = card.peerId
        const status = await api.status()
        this.dispatch({ type: 'status/network', peerId: card.peerId, card: card.card, servers, presence: status.presence })
        this.dispatch({ type: 'contacts/loaded', items: contacts, keyChanged: this.state.contacts.keyChanged })
      }),
      this.attempt('live updates', async () => { await api.subscribe(event => { this.onEvent(event) }) })
    ])
  }

  /** Try to reach the daemon again, backing off to one try every RECONNECT_MAX_DELAY_MS, for at most RECONNECT_FOR_MS. */
  private async reconnect (): Promise<void> {
    const { api } = this.d
    const until = Date.now() + RECONNECT_FOR_MS
    let delay = RECONNECT_FIRST_DELAY_MS
    while (!this.closed && Date.now() < until) {
      await pause(delay)
      if (this.closed) return
      try {
        await api.reconnect()
      } catch (err) {
        if (errorName(err) !== 'DaemonNotRunningError') this.d.log('reconnecting to the daemon: %s', (err as Error).message)
        delay = Math.min(delay * 2, RECONNECT_MAX_DELAY_MS)
        continue
      }
      if (this.closed) { await api.close(); return }
      this.d.log('reconnected to the daemon')
      this.lost = undefined
      this.dispatch({ type: 'status/network', online: api.remote })
      this.dispatch({ type: 'status/info', text: 'reconnected to the daemon' })
      await this.follow()
      return
    }
    if (!this.closed) this.setLost('the daemon did not come back within an hour: quit (q) and start peerpost again')
  }

  /** `$` while the daemon is gone: start one; the reconnect loop then finds it and says so. */
  private async startDaemon (start: () => Promise<void>): Promise<void> {
    this.dispatch({ type: 'status/info', text: 'starting the daemon…' })
    try {
      await start()
    } catch (err) {
      this.d.log('starting the daemon failed: %s', (err as Error)?.stack ?? String(err))
      // Said as it is, not as the lost connection (which is what it tried to end).
      if (!this.closed) this.dispatch({ type: 'status/error', text: describeUiError('starting the daemon', err) })
    }
  }

  private setLost (text: string): void {
    this.lost = text
    this.dispatch({ type: 'status/error', text })
  }

  /** A key press, as ink reports it. */
  key (input: string, key: Key = EMPTY_KEY): void {
    const s0 = this.state
    // A paste into a one-line prompt: line breaks inside it are where the text wrapped on the
    // screen it was copied from (a card), not Enter presses; a last one still answers.
    if (s0.prompt != null && !CONFIRM_PROMPTS.includes(s0.prompt.kind) && input.length > 1 && !key.ctrl && !key.meta && !input.includes('\x1b')) {
      input = input.replace(/(\r\n|\r|\n)+(?=.)/gs, '')
    }
    // Line ends in a paste become Enter presses: a new line in the body, the next field elsewhere.
    const presses = splitPresses(input, key, s0.prompt != null || s0.screen === 'compose')
    if (presses.length > 1) { for (const [i, k] of presses) this.key(i, k); return }
    const s = this.state
    const name = keyName(input, key)
    // A note or an error stays until the next key, like mutt's.
    if ((s.status.error ?? '') !== '' || (s.status.info ?? '') !== '') this.dispatch({ type: 'status/info', text: '' })
    // So does a send whose every outcome was on screen: the list gets its rows back (the outbox keeps it).
    if (s.sending.some(settled)) this.dispatch({ type: 'sending/settled' })
    if (s.prompt != null) { this.promptKey(name, input, key); return }
    if (s.screen === 'compose') { this.composeKey(name, input, key); return }
    const command = commandFor(s.screen, name)
    if (command != null) this.command(command)
  }

  /** Run one command from the key table. */
  command (command: Command): void {
    const s = this.state
    switch (command) {
      case 'down': case 'up': case 'top': case 'bottom': case 'pageDown': case 'pageUp':
        this.move(command); return
      case 'focus':
        this.dispatch({ type: 'focus/toggle' }); return
      case 'open':
        if (s.screen === 'contacts') { const c = s.contacts.items[s.contacts.selected]; if (c != null) this.dispatch({ type: 'draft/start', draft: newDraft(c.name) }); return }
        if (s.focus === 'folders') { this.dispatch({ type: 'focus/toggle' }); return }
        { const m = selectedMessage(s); if (m != null) void this.openConversation(m.id) }
        return
      case 'back':
        this.dispatch({ type: 'screen', screen: s.screen === 'help' ? s.returnTo : 'mail' }); return
      case 'quit': case 'interrupt':
        this.dispatch({ type: 'quit' }); this.d.onQuit?.(); return
      case 'help':
        this.dispatch({ type: 'screen', screen: 'help' }); return
      case 'compose':
        this.dispatch({ type: 'draft/start', draft: newDraft() }); return
      case 'reply': case 'replyAll': case 'forward':
        void this.startReply(command); return
      case 'delete':
        void this.moveMessage('trash'); return
      case 'deleteForever':
        this.askDeleteForever(); return
      case 'emptyTrash':
        if (s.list.folder !== 'trash') { this.dispatch({ type: 'status/error', text: 'E empties the trash: open the trash folder first' }); return }
        {
          const total = s.folders.find(f => f.folder === 'trash')?.total ?? 0
          if (total === 0) { this.dispatch({ type: 'status/info', text: 'the trash is empty' }); return }
          this.openPrompt('empty-trash', `Empty trash: ${total} message${total === 1 ? '' : 's'} for good? (y/n) `, '')
        }
        return
      case 'archive':
        void this.moveMessage('archive'); return
      case 'toInbox':
        void this.moveMessage('inbox'); return
      case 'toggleUnread': {
        const m = selectedMessage(s)
        if (m != null) void this.attempt('mark', async () => { this.dispatch({ type: 'message/changed', summary: await this.d.api.update(m.id, { unread: !m.unread }) }); await this.refreshFolders() })
        return
      }
      case 'clearSearch':
        this.clearSearch(); return
      case 'search':
        this.openPrompt('search', 'Search (from, to, subject; Enter: whole folder, text too): ', s.list.filter); return
      case 'contacts':
        this.dispatch({ type: 'screen', screen: 'contacts' }); void this.loadContacts(); return
      case 'outbox':
        this.dispatch({ type: 'screen', screen: 'outbox' }); void this.loadOutbox(); return
      case 'refresh':
        if (this.lost != null && this.d.startDaemon != null && this.d.api.canReconnect) { void this.startDaemon(this.d.startDaemon); return }
        void this.refreshAll(); return
      case 'nextConversation': this.dispatch({ type: 'conversation/switch', delta: 1 }); return
      case 'prevConversation': this.dispatch({ type: 'conversation/switch', delta: -1 }); return
      case 'closeConversation': this.dispatch({ type: 'conversation/close' }); return
      case 'nextInThread': case 'prevInThread': {
        const c = activeConversation(s)
        if (c == null) return
        const i = c.thread.findIndex(m => m.id === c.id)
        const next = c.thread[i + (command === 'nextInThread' ? 1 : -1)]
        if (next != null) void this.openConversation(next.id)
        return
      }
      case 'nextAttachment': this.dispatch({ type: 'attachment/select', delta: 1 }); return
      case 'prevAttachment': this.dispatch({ type: 'attachment/select', delta: -1 }); return
      case 'saveOne': {
        const a = selectedAttachment(activeConversation(s))
        if (a == null) { this.dispatch({ type: 'status/error', text: 'this message has no attachments' }); return }
        if (a.state != null && !['here', 'complete', 'held'].includes(a.state)) { this.dispatch({ type: 'status/error', text: `${a.name} is not here yet: ${attachmentState(a)}` }); return }
        this.dispatch({ type: 'prompt/open', prompt: { kind: 'save', label: `Save ${a.name} into: `, text: this.saveDir(), attachment: a.name } })
        return
      }
      case 'saveAll': {
        const n = activeConversation(s)?.message?.attachments.length ?? 0
        if (n === 0) { this.dispatch({ type: 'status/error', text: 'this message has no attachments' }); return }
        this.openPrompt('save', `Save ${n} attachment(s) into: `, this.saveDir()); return
      }
      case 'addContact':
        this.openPrompt('add-contact', 'Card (peerpost1:…) or name@server: ', ''); return
      case 'setStatus':
        this.openPrompt('status', 'Status (available, away, busy, dnd): ', s.status.presence ?? ''); return
      case 'addServer':
        this.openPrompt('add-server', 'Home server multiaddr (…/p2p/<PeerId>): ', ''); return
      case 'cancelSend':
        this.askCancelSend(); return
      case 'removeContact': {
        const c = s.contacts.items[s.contacts.selected]
        if (c != null) this.dispatch({ type: 'prompt/open', prompt: { kind: 'remove-contact', label: `Remove ${c.name} from your contacts? Their next mail goes to requests. (y/n) `, text: '', id: c.name } })
        return
      }
      case 'myCard':
        this.dispatch({ type: 'contacts/toggleCard' }); return
      default:
    }
  }

  private saveDir (): string { return this.d.saveDir ?? join(homedir(), 'Downloads') }

  private openPrompt (kind: PromptKind, label: string, text: string): void {
    this.dispatch({ type: 'prompt/open', prompt: { kind, label, text } })
  }

  private move (command: 'down' | 'up' | 'top' | 'bottom' | 'pageDown' | 'pageUp'): void {
    const s = this.state
    if (s.screen === 'mail' && s.focus === 'folders') {
      const folders = s.folders.map(f => f.folder)
      const i = folders.indexOf(s.list.folder)
      const j = command === 'down' ? i + 1 : command === 'up' ? i - 1 : command === 'top' ? 0 : command === 'bottom' ? folders.length - 1 : i
      const folder = folders[Math.min(Math.max(j, 0), folders.length - 1)]
      if (folder != null && folder !== s.list.folder) void this.selectFolder(folder)
      return
    }
    const to = command === 'down' ? 1 : command === 'up' ? -1 : command
    if (s.screen === 'mail' && command === 'bottom') { void this.toBottom(); return }
    this.dispatch({ type: 'move', to })
    if (s.screen === 'mail') void this.maybeLoadMore()
  }

  async selectFolder (folder: Folder): Promise<void> {
    this.dispatch({ type: 'folder/select', folder })
    await this.loadList(false)
  }

  private pageSize (): number { return Math.max(MIN_PAGE, listRows(this.state) * 2) }

  /** Load the first page of the list's folder, or the next one (`more`). */
  /**
   * The first page of the folder (or, with `search`, of the daemon's search of the whole
   * folder), or with `more` the next page of whichever the list shows.
   */
  async loadList (more: boolean, search: string | undefined = more ? this.state.list.search : undefined): Promise<void> {
    const list = this.state.list
    // A new search goes ahead even while a page loads: its answer replaces the list.
    if ((list.loading && (more || search === undefined)) || (more && list.next == null)) return
    const folder = list.folder
    this.dispatch({ type: 'list/loading', folder })
    try {
      const cursor = more ? list.next : undefined
      const page = search != null ? await this.d.api.search(folder, search, this.pageSize(), cursor) : await this.d.api.list(folder, this.pageSize(), cursor)
      this.dispatch({ type: 'list/page', folder, items: page.items, next: page.next, append: more, search })
    } catch (err) {
      this.dispatch({ type: 'list/failed', folder })
      this.fail(`${search != null ? 'searching' : 'loading'} ${folder}`, err)
    }
  }

  /** Near the end of what is loaded: fetch the next page. */
  private async maybeLoadMore (): Promise<void> {
    const s = this.state
    const count = visibleItems(s.list).length
    if (s.list.next != null && s.list.selected >= count - listRows(s)) await this.loadList(true)
  }

  private async toBottom (): Promise<void> {
    for (let i = 0; i < MAX_PAGES_FOR_BOTTOM && this.state.list.next != null; i++) await this.loadList(true)
    this.dispatch({ type: 'move', to: 'bottom' })
    if (this.state.list.next != null) this.dispatch({ type: 'status/info', text: `showing the newest ${this.state.list.items.length} messages; G again loads more` })
  }

  async openConversation (id: string): Promise<void> {
    this.dispatch({ type: 'conversation/open', id })
    await this.attempt('opening the message', async () => {
      const since = this.eventSeq
      const message = await this.d.api.read(id)
      const thread = await this.d.api.thread(id)
      this.dispatch({ type: 'conversation/loaded', id, message, thread })
      this.replayBlobEvents(message, since)
      const summary = thread.find(m => m.id === id)
      if (summary != null) this.dispatch({ type: 'message/changed', summary })
    })
    await this.refreshFolders()
  }

  private async currentMessage (): Promise<MessageView | undefined> {
    const s = this.state
    if (s.screen === 'reader') return activeConversation(s)?.message
    const m = selectedMessage(s)
    return m == null ? undefined : await this.d.api.read(m.id)
  }

  private async startReply (kind: 'reply' | 'replyAll' | 'forward'): Promise<void> {
    await this.attempt(kind === 'forward' ? 'forward' : 'reply', async () => {
      const m = await this.currentMessage()
      if (m == null) return
      const contacts = this.state.contacts.items
      const draft = kind === 'forward' ? forwardDraft(m, await this.saveForForward(m)) : replyDraft(m, kind === 'replyAll', this.me.peerId, contacts)
      this.dispatch({ type: 'draft/start', draft })
    })
  }

  /** Save what a forward of `m` carries into a new temp folder (the daemon reads the files when it sends). */
  private async saveForForward (m: MessageView): Promise<{ paths: string[], tempDir?: string }> {
    const names = forwardable(m)
    if (names.length === 0) return { paths: [] }
    const tempDir = await mkdtemp(join(tmpdir(), 'peerpost-forward-'))
    try {
      return { paths: await this.d.api.saveAttachments(m.id, tempDir, names), tempDir }
    } catch (err) {
      await removeDir(tempDir)
      throw err
    }
  }

  private async moveMessage (folder: Folder): Promise<void> {
    const s = this.state
    const id = s.screen === 'reader' ? activeConversation(s)?.id : selectedMessage(s)?.id
    if (id == null) return
    // Read from the list (it is the list's selected message): the next one opens in its place.
    const fromList = s.screen === 'reader' && selectedMessage(s)?.id === id
    await this.attempt(`moving to ${folder}`, async () => {
      const summary = await this.d.api.update(id, { folder })
      this.dispatch({ type: 'message/changed', summary })
      this.dispatch({ type: 'status/info', text: `moved to ${folder}` })
      if (this.state.screen !== 'reader') return
      this.dispatch({ type: 'conversation/close' })
      const next = fromList ? selectedMessage(this.state) : undefined
      if (next != null && next.id !== id) void this.openConversation(next.id)
    })
    await this.refreshFolders()
  }

  /** `D`: ask before deleting the message on screen for good; only mail in the trash. The question is short: it shares the status line. */
  private askDeleteForever (): void {
    const s = this.state
    const c = s.screen === 'reader' ? activeConversation(s) : undefined
    const m = c != null ? c.thread.find(x => x.id === c.id) ?? (c.message == null ? undefined : { id: c.id, folder: c.message.folder, subject: c.message.subject }) : selectedMessage(s)
    if (m == null) return
    if (m.folder !== 'trash') { this.dispatch({ type: 'status/error', text: 'D deletes for good only in the trash: d moves the message there first' }); return }
    const subject = m.subject === '' ? '(no subject)' : m.subject.length > 20 ? `${m.subject.slice(0, 19)}…` : m.subject
    this.dispatch({ type: 'prompt/open', prompt: { kind: 'delete-forever', label: `Delete "${subject}" for good? (y/n) `, text: '', id: m.id } })
  }

  /** `X` on the outbox: ask before taking the selected message back from the recipients still waiting for it, or whose copy is parked. */
  private askCancelSend (): void {
    const e = this.state.outbox.items[this.state.outbox.selected]
    if (e == null) return
    const waiting = e.recipients.filter(r => r.state === 'pending' || r.state === 'parked').map(r => r.address)
    if (waiting.length === 0) { this.dispatch({ type: 'status/error', text: 'nothing to cancel: no recipient of this message is still waiting or parked' }); return }
    const subject = e.subject === '' ? '(no subject)' : e.subject.length > 20 ? `${e.subject.slice(0, 19)}…` : e.subject
    this.dispatch({ type: 'prompt/open', prompt: { kind: 'cancel-send', label: `Cancel "${subject}" to ${waiting.join(', ')}? (y/n) `, text: '', id: e.id } })
  }

  /** A confirmation answered: `y` goes ahead (deletes, cancels), any other key keeps. */
  private async confirmed (kind: PromptKind, yes: boolean, id: string | undefined): Promise<void> {
    if (kind === 'discard-draft') {
      if (yes) this.discardDraft()
      else this.dispatch({ type: 'status/info', text: 'draft kept' })
      return
    }
    if (!yes) { this.dispatch({ type: 'status/info', text: kind === 'cancel-send' ? 'nothing cancelled' : kind === 'remove-contact' ? 'nothing removed' : 'nothing deleted' }); return }
    if (kind === 'remove-contact' && id != null) {
      await this.attempt('removing the contact', async () => {
        await this.d.api.removeContact(id)
        this.dispatch({ type: 'status/info', text: `removed ${id}` })
        await this.loadContacts()
      })
      return
    }
    if (kind === 'cancel-send' && id != null) {
      await this.attempt('cancelling', async () => {
        this.dispatch({ type: 'status/info', text: cancelSummary(await this.d.api.cancelSend(id)) })
        await this.loadOutbox()
      })
      return
    }
    if (kind === 'delete-forever' && id != null) {
      await this.attempt('deleting for good', async () => {
        const r = await this.d.api.deleteForever([id])
        this.dispatch({ type: 'messages/removed', ids: r.deleted })
        this.dispatch({ type: 'status/info', text: 'deleted for good' })
      })
    } else if (kind === 'empty-trash') {
      await this.attempt('emptying the trash', async () => {
        const r = await this.d.api.emptyTrash()
        await this.loadList(false)
        this.dispatch({ type: 'status/info', text: `deleted ${r.deleted} message${r.deleted === 1 ? '' : 's'} for good` })
      })
    }
    await this.refreshFolders()
  }

  // ---- text entry ----

  private promptKey (name: string, input: string, key: Key): void {
    const p = this.state.prompt!
    if (CONFIRM_PROMPTS.includes(p.kind)) {
      this.dispatch({ type: 'prompt/close' })
      void this.confirmed(p.kind, name === 'y' || name === 'Y', p.id)
      return
    }
    if (name === 'escape' || name === 'C-c') {
      this.dispatch({ type: 'prompt/close' })
      if (p.kind === 'search') this.clearSearch()
      return
    }
    if (name === 'enter') { this.dispatch({ type: 'prompt/close' }); void this.submitPrompt(p.kind, p.text.trim(), p.attachment); return }
    if (name === 'backspace') this.dispatch({ type: 'prompt/backspace' })
    else if (commandFor('compose', name) === 'clearField') this.dispatch({ type: 'prompt/clear' })
    else if (isText(input, key)) this.dispatch({ type: 'prompt/type', text: printable(input) })
    else return
    if (p.kind === 'search') this.dispatch({ type: 'filter', text: this.state.prompt?.text ?? '' })
  }

  /** Back from a filter or a search to the folder as it is. */
  private clearSearch (): void {
    if (this.state.list.filter === '' && this.state.list.search == null) return
    this.dispatch({ type: 'filter', text: '' })
    if (this.state.list.search != null) void this.loadList(false)
  }

  private async submitPrompt (kind: PromptKind, text: string, attachment?: string): Promise<void> {
    const { api } = this.d
    switch (kind) {
      case 'search':
        this.dispatch({ type: 'filter', text })
        // Submitted: the daemon searches the whole folder, message text too (the filter
        // as you type sees only the loaded headers), even when all of it is loaded.
        if (text !== '') {
          await this.loadList(false, text)
          for (let i = 0; i < SEARCH_FILL_PAGES; i++) {
            const list = this.state.list
            if (list.search !== text || list.next == null || list.items.length >= listRows(this.state)) break
            await this.loadList(true)
            // A failed page (said in the status line) leaves `next` as it was: stop there.
            if (this.state.list.next === list.next) break
          }
        }
        else if (text === '' && this.state.list.search != null) await this.loadList(false)
        return
      case 'save': {
        const id = activeConversation(this.state)?.id
        if (id == null || text === '') return
        await this.attempt('saving', async () => {
          await checkSaveFolder(text)
          const saved = await api.saveAttachments(id, absolutePath(text), attachment == null ? undefined : [attachment])
          this.dispatch({ type: 'status/info', text: saved.length === 0 ? 'nothing to save' : `saved ${saved.map(p => basename(p)).join(', ')} in ${text}` })
        })
        return
      }
      case 'add-contact':
        if (text === '') return
        this.dispatch({ type: 'contacts/keyAlert' })
        await this.attempt('adding the contact', async () => {
          try {
            const c = await api.addContact(text)
            this.dispatch({ type: 'status/info', text: `pinned ${c.name} = ${c.peerId}` })
          } catch (err) {
            // A name that now resolves to another key: refused by the daemon, and shown loudly here.
            const m = errorName(err) === 'NameKeyChangedError' ? /^KEY CHANGED: (\S+) was pinned to (\S+) but the directory now names (\S+?)\./.exec((err as Error).message) : null
            if (m != null) this.dispatch({ type: 'contacts/keyAlert', alert: { address: m[1]!, pinned: m[2]!, now: m[3]! } })
            throw err
          }
          await this.loadContacts()
        })
        return
      case 'status':
        if (text === '') return
        await this.attempt('setting the status', async () => {
          const r = await api.setPresence(text)
          this.dispatch({ type: 'status/network', presence: r.status })
          this.dispatch({ type: 'status/info', text: `you are ${r.status}` })
        })
        return
      case 'add-server':
        if (text === '') return
        await this.attempt('adding the server', async () => {
          const r = await api.addServer(text)
          this.dispatch({ type: 'status/network', servers: r.servers })
          this.dispatch({ type: 'status/info', text: 'home server added' })
        })
    }
  }

  private composeKey (name: string, input: string, key: Key): void {
    const d = this.state.draft
    if (d == null || d.sending) return
    const command = commandFor('compose', name)
    if (command === 'send') { void this.send(d); return }
    if (command === 'cancel') {
      // Esc is a reflex: a draft with typing in it goes only after a y.
      if (d.edited === true) this.openPrompt('discard-draft', 'Discard this draft? (y/n) ', '')
      else this.discardDraft()
      return
    }
    if (command === 'editor') { void this.editBody(d); return }
    if (command === 'nextField') {
      if (d.completions.length > 0) this.dispatch({ type: 'draft/complete' })
      else this.dispatch({ type: 'draft/field', delta: 1 })
      return
    }
    if (command === 'cursorLeft' || command === 'cursorRight') { this.dispatch({ type: 'draft/cursor', delta: command === 'cursorLeft' ? -1 : 1 }); return }
    if (command === 'lineDown') { this.dispatch({ type: 'draft/line', delta: 1 }); return }
    // Up in the body goes up a line; from its first line (or Shift-Tab anywhere) to the field above.
    if (command === 'prevField' && name === 'up' && d.field === 'body' && bodyCursorLine(d).line > 0) { this.dispatch({ type: 'draft/line', delta: -1 }); return }
    if (command === 'prevField') { this.dispatch({ type: 'draft/field', delta: -1 }); return }
    if (command === 'clearField') { this.dispatch({ type: 'draft/clear' }); return }
    if (name === 'enter') {
      if (d.field === 'body') this.dispatch({ type: 'draft/newline' })
      else if (d.field === 'attach' && d.attachInput.trim() !== '') void this.attachTyped(d.attachInput)
      else this.dispatch({ type: 'draft/field', delta: 1 })
      return
    }
    if (name === 'backspace') this.dispatch({ type: 'draft/backspace' })
    else if (isText(input, key)) this.dispatch({ type: 'draft/type', text: printable(input) })
    else return
    if (this.state.draft?.field === 'attach') void this.completePath()
  }

  /** Add the typed path once it names a file; else say why in the status line and leave it to correct. */
  private async attachTyped (typed: string): Promise<void> {
    await this.attempt('attaching', async () => {
      const size = await checkAttachment(typed.trim())
      if (this.state.draft?.attachInput === typed) this.dispatch({ type: 'draft/attach', size })
    })
  }

  /** File names in the typed path's folder that start with its last part. */
  private async completePath (): Promise<void> {
    const typed = this.state.draft?.attachInput ?? ''
    if (typed === '') return
    const expanded = expandHome(typed)
    const dir = expanded.endsWith('/') ? expanded : dirname(expanded)
    const prefix = expanded.endsWith('/') ? '' : basename(expanded)
    try {
      const entries = await readdir(dir, { withFileTypes: true })
      const matches = entries.filter(e => e.name.startsWith(prefix) && !(prefix === '' && e.name.startsWith('.'))).slice(0, 8)
        .map(e => join(dir, e.name) + (e.isDirectory() ? '/' : ''))
      if (this.state.draft?.attachInput === typed) this.dispatch({ type: 'draft/completions', completions: matches })
    } catch {
      // No such folder (yet): nothing to complete.
    }
  }

  private discardDraft (): void {
    const d = this.state.draft
    this.dispatch({ type: 'draft/cancel' })
    this.dispatch({ type: 'status/info', text: 'draft discarded' })
    void removeDir(d?.tempDir)
  }

  private async editBody (d: Draft): Promise<void> {
    const edited = await this.d.editText?.(d.body)
    if (edited == null) { this.dispatch({ type: 'status/info', text: 'no $EDITOR set: type the body here' }); return }
    this.dispatch({ type: 'draft/body', body: edited })
  }

  private async send (d: Draft): Promise<void> {
    const to = splitAddresses(d.to)
    if (to.length === 0) { this.dispatch({ type: 'status/error', text: 'sending: give at least one recipient in To' }); return }
    const attachments = d.attachInput.trim() === '' ? d.attachments : [...d.attachments, d.attachInput.trim()]
    // Checked again here: a file typed but not added, or moved since, is said in words and the draft stays.
    try {
      for (const p of attachments) await checkAttachment(p)
    } catch (err) {
      this.fail('sending', err)
      return
    }
    const request: SendRequest = { to, cc: splitAddresses(d.cc), subject: d.subject, text: d.body, attachmentPaths: attachments.map(absolutePath) }
    if (d.inReplyTo != null) request.inReplyTo = d.inReplyTo
    if (d.references.length > 0) request.references = d.references
    this.dispatch({ type: 'draft/sending' })
    try {
      const sent = await this.d.api.send(request)
      // The daemon has read the files (send answers once the message is queued durably).
      void removeDir(d.tempDir)
      this.dispatch({ type: 'draft/sent', id: sent.id, subject: d.subject })
      this.dispatch({ type: 'status/info', text: `queued for ${sent.recipients.map(r => r.address).join(', ')}: each outcome shows under Sending` })
      await this.followSending(sent.id)
      await this.refreshFolders()
    } catch (err) {
      this.dispatch({ type: 'draft/failed' })
      this.fail('sending', err)
    }
  }

  private async followSending (id: string): Promise<void> {
    await this.coalesce(`outbox:${id}`, async () => {
      const entry = await this.d.api.outboxEntry(id)
      if (entry != null) this.dispatch({ type: 'sending/entry', entry })
    })
  }

  // ---- live updates ----

  private onEvent (event: NodeEvent): void {
    if (this.closed) return
    this.d.log('event %s %j', event.type, event.data)
    const s = this.state
    // A string switch: events from a newer daemon (transfers) are handled before their types land here.
    switch (event.type as string) {
      case 'mail:received': {
        const data = event.data as { folder: Folder }
        void this.refreshFolders()
        if (data.folder === s.list.folder) void this.refreshTop()
        return
      }
      case 'mail:deleted': {
        // Deleted for good (here, or by `peerpost delete --forever` while the UI is open).
        this.dispatch({ type: 'messages/removed', ids: (event.data as { ids: string[] }).ids })
        void this.refreshFolders()
        return
      }
      case 'outbox:queued':
      case 'outbox:recipient': {
        const id = (event.data as { id: string }).id
        if (s.sending.some(x => x.id === id)) void this.followSending(id)
        if (s.screen === 'outbox') void this.loadOutbox()
        return
      }
      case 'presence:changed':
        if (s.screen === 'contacts' || s.contacts.items.length > 0) void this.loadContacts()
        return
      case 'servers:changed':
        void this.coalesce('servers', async () => { this.dispatch({ type: 'status/network', servers: await this.d.api.servers() }) })
        return
      case 'transfer:progress': {
        const data = event.data as unknown as { blobId: string, bytesDone: number }
        this.blobEvent(data.blobId, { type: 'attachment/progress', blobId: data.blobId, bytesDone: data.bytesDone })
        if (s.screen === 'outbox') void this.loadOutbox()
        return
      }
      case 'transfer:state': {
        const data = event.data as unknown as { blobId: string, state: string, waitingFor?: string, reason?: string }
        const names = new Map(s.contacts.items.map(c => [c.peerId, c.name]))
        const holder = data.waitingFor != null ? names.get(data.waitingFor) ?? data.waitingFor : undefined
        this.blobEvent(data.blobId, { type: 'attachment/state', blobId: data.blobId, state: data.state, holder, reason: data.reason })
        if (s.screen === 'outbox') void this.loadOutbox()
        return
      }
      default:
        // blob:completed, and events this UI does not know yet: re-read what may show them.
        if (s.screen === 'outbox') void this.loadOutbox()
        if (s.screen === 'reader' && (activeConversation(s)?.message?.attachments.some(a => a.blobId != null) ?? false)) void this.reloadActiveMessage()
    }
  }

  /** Apply a transfer event and keep it (the last state and the last progress of each blob). */
  private blobEvent (blobId: string, action: Action): void {
    this.dispatch(action)
    const kept = (this.blobEvents.get(blobId) ?? []).filter(e => e.action.type !== action.type)
    this.blobEvents.delete(blobId)
    this.blobEvents.set(blobId, [...kept, { seq: ++this.eventSeq, action }])
    if (this.blobEvents.size > MAX_BLOB_EVENTS) this.blobEvents.delete(this.blobEvents.keys().next().value!)
  }

  /** A message read while transfer events came: those events are newer than what the read saw. */
  private replayBlobEvents (message: MessageView, since: number): void {
    const events = message.attachments.flatMap(a => a.blobId == null ? [] : this.blobEvents.get(a.blobId) ?? [])
    for (const e of events.filter(e => e.seq > since).sort((x, y) => x.seq - y.seq)) this.dispatch(e.action)
  }

  /** New mail in the folder on screen: fetch the first page and put what is new on top. */
  private async refreshTop (): Promise<void> {
    await this.coalesce('top', async () => {
      const folder = this.state.list.folder
      const page = await this.d.api.list(folder, this.pageSize())
      const s = this.state
      if (s.list.folder !== folder) return
      if (!s.list.loaded) { this.dispatch({ type: 'list/page', folder, items: page.items, next: page.next, append: false }); return }
      const known = new Set(s.list.items.map(m => m.id))
      const fresh = page.items.filter(m => !known.has(m.id))
      if (fresh.length === 0) return
      const selectedId = selectedMessage(s)?.id
      this.dispatch({ type: 'list/page', folder, items: [...fresh, ...s.list.items], next: s.list.next, append: false })
      // Keep the cursor on the message it was on.
      const at = visibleItems(this.state.list).findIndex(m => m.id === selectedId)
      if (selectedId != null && at > 0 && s.list.selected > 0) this.dispatch({ type: 'move', to: at - this.state.list.selected })
    })
  }

  private async reloadActiveMessage (): Promise<void> {
    const c = activeConversation(this.state)
    if (c == null) return
    await this.coalesce(`message:${c.id}`, async () => {
      const since = this.eventSeq
      const message = await this.d.api.read(c.id)
      this.dispatch({ type: 'conversation/loaded', id: c.id, message, thread: c.thread })
      this.replayBlobEvents(message, since)
    })
  }

  async refreshFolders (): Promise<void> {
    await this.coalesce('folders', async () => { this.dispatch({ type: 'folders/loaded', folders: await this.d.api.folders() }) })
  }

  async loadContacts (): Promise<void> {
    await this.coalesce('contacts', async () => {
      const { api } = this.d
      const [items, quarantine] = await Promise.all([api.contacts(), api.list('quarantine', KEY_CHANGE_SCAN)])
      // A key change shows as quarantined mail whose warning says so; tie it to the contact by PeerId.
      const keyChanged: Record<string, string> = {}
      for (const m of quarantine.items) {
        if (m.warning != null && /KEY CHANGED/.test(m.warning)) keyChanged[m.fromPeer] ??= m.warning
      }
      this.dispatch({ type: 'contacts/loaded', items, keyChanged })
    })
  }

  async loadOutbox (): Promise<void> {
    await this.coalesce('outbox', async () => {
      const [page, transfers] = await Promise.all([this.d.api.outbox(OUTBOX_SHOWN), this.d.api.transfers()])
      // Peers by contact name where pinned.
      const names = new Map(this.state.contacts.items.map(c => [c.peerId, c.name]))
      const named = transfers?.map(t => t.peer != null && names.has(t.peer) ? { ...t, peer: names.get(t.peer)! } : t)
      this.dispatch({ type: 'outbox/loaded', items: page.items, transfers: named?.map(t => this.withSpeed(t)) })
    })
  }

  /** Speed of a transfer from its previous sample (bytes now vs then). */
  private withSpeed (t: TransferView): TransferView {
    if (t.id == null || t.received == null) return t
    const now = Date.now()
    const key = `${t.direction ?? ''}:${t.id}`
    const before = this.samples.get(key)
    this.samples.set(key, { bytes: t.received, at: now })
    if (this.samples.size > MAX_SPEED_SAMPLES) this.samples.delete(this.samples.keys().next().value!)
    if (before == null || now <= before.at || t.received <= before.bytes) return t
    return { ...t, bytesPerSecond: (t.received - before.bytes) * 1000 / (now - before.at) }
  }

  private async refreshAll (): Promise<void> {
    const s = this.state
    this.dispatch({ type: 'folder/select', folder: s.list.folder })
    await Promise.all([this.loadList(false), this.refreshFolders(), s.screen === 'contacts' ? this.loadContacts() : undefined, s.screen === 'outbox' ? this.loadOutbox() : undefined])
  }

  /**
   * Run `fn` once at a time per key; calls that arrive meanwhile make one more run after
   * it (a burst of events costs two reads, not one per event).
   */
  private async coalesce (key: string, fn: () => Promise<void>): Promise<void> {
    const current = this.running.get(key)
    if (current != null) { current.again = true; return }
    const slot = { again: false }
    this.running.set(key, slot)
    try {
      for (let i = 0; i < 2; i++) {
        slot.again = false
        await this.attempt(key, fn)
        if (!slot.again || this.closed) break
      }
    } finally {
      this.running.delete(key)
    }
  }

  private async attempt (what: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn()
    } catch (err) {
      this.fail(what, err)
    }
  }

  private fail (what: string, err: unknown): void {
    if (this.closed) return
    this.d.log('%s failed: %s', what, (err as Error)?.stack ?? String(err))
    this.dispatch({ type: 'status/error', text: this.lost ?? describeUiError(what, err) })
  }
}

/** Printable input (typed or pasted), not a control key. */
function isText (input: string, key: Key): boolean {
  return input !== '' && !key.ctrl && !key.meta && !key.escape && !key.tab && !key.upArrow && !key.downArrow && !key.leftArrow && !key.rightArrow
}

/** Wait `ms` without keeping the process alive (the UI quitting ends a reconnect loop). */
async function pause (ms: number): Promise<void> {
  await new Promise<void>(resolve => { setTimeout(resolve, ms).unref() })
}

/** Remove a folder the UI made (best effort: a leftover in the temp dir is harmless). */
async function removeDir (dir: string | undefined): Promise<void> {
  if (dir != null) await rm(dir, { recursive: true, force: true }).catch(() => {})
}
