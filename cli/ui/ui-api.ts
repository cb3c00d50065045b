import { errorName } from '../../node/errors.js'
import type { HomeApi } from '../api.js'
import type { NodeEvent } from '../../node/events.js'
import type { CancelView, ContactView, FolderView, ReadResult, SendRequest, SendResult, ServerView, StatusView } from '../../node/mail-service.js'
import type { Folder, MessageSummary, OutboxEntry, Page } from '../../storage/types.js'

/**
 * An attachment as the reader shows it. Those inside the message are here; a large one
 * the sender keeps carries the daemon's state (waiting for the holder, pulling with bytes
 * done, here, failed with a reason; on my sent copy, held with who has it). Every state
 * field may be absent (an older daemon): the attachment is then shown as here.
 */
export interface AttachmentView {
  name: string
  type: string
  size: number
  sha256?: string
  /** Set for large attachments (kept by the sender, pulled by us). */
  blobId?: string
  state?: string
  /** Who holds it while it is not here yet (contact name, else PeerId). */
  holder?: string
  /** Bytes received so far. */
  received?: number
  reason?: string
  /** On my sent copy: how many recipients have it / still wait for it. */
  have?: number
  waiting?: number
}

/** A large attachment as `read` reports it (`largeAttachments`); fields are optional here on purpose. */
interface LargeAttachmentWire {
  blobId: string
  name: string
  type?: string
  size: number
  sha256?: string
  state?: string
  bytesDone?: number
  waitingFor?: string
  waitingForName?: string
  reason?: string
  have?: string[]
  waiting?: string[]
}

/** The reader's attachments: those inside the message, then the large ones with their state. */
export function attachmentsOf (read: { attachments: AttachmentView[], largeAttachments?: LargeAttachmentWire[] }): AttachmentView[] {
  const large = (read.largeAttachments ?? []).map(a => {
    const view: AttachmentView = { name: a.name, type: a.type ?? 'application/octet-stream', size: a.size, blobId: a.blobId }
    if (a.sha256 != null) view.sha256 = a.sha256
    if (a.state != null) view.state = a.state
    if (a.bytesDone != null) view.received = a.bytesDone
    const holder = a.waitingForName ?? a.waitingFor
    if (holder != null) view.holder = holder
    if (a.reason != null) view.reason = a.reason
    if (a.have != null) view.have = a.have.length
    if (a.waiting != null) view.waiting = a.waiting.length
    return view
  })
  return [...read.attachments, ...large]
}

export type MessageView = Omit<ReadResult, 'attachments'> & { attachments: AttachmentView[] }

/** A transfer as the outbox pane shows it (from `transfers.list`); every field may be absent. */
export interface TransferView {
  id?: string
  name?: string
  peer?: string
  direction?: 'down' | 'up'
  state?: string
  size?: number
  received?: number
  bytesPerSecond?: number
  reason?: string
}

interface TransfersWire {
  downloads?: Array<{ blobId?: string, name?: string, from?: string, size?: number, bytesDone?: number, state?: string, waitingFor?: string, waitingForName?: string, reason?: string }>
  uploads?: Array<{ blobId?: string, peer?: string, chunksServed?: number, completed?: boolean }>
}

/** The daemon's transfers in the pane's terms. */
export function transfersOf (wire: TransfersWire): TransferView[] {
  const down = (wire.downloads ?? []).map(d => {
    const t: TransferView = { direction: 'down' }
    if (d.blobId != null) t.id = d.blobId
    if (d.name != null) t.name = d.name
    const peer = d.state === 'waiting' ? (d.waitingForName ?? d.waitingFor ?? d.from) : d.from
    if (peer != null) t.peer = peer
    if (d.state != null) t.state = d.state
    if (d.size != null) t.size = d.size
    if (d.bytesDone != null) t.received = d.bytesDone
    if (d.reason != null) t.reason = d.reason
    return t
  })
  const up = (wire.uploads ?? []).map(u => {
    const t: TransferView = { direction: 'up', state: u.completed === true ? 'complete' : 'serving' }
    if (u.blobId != null) t.id = u.blobId
    if (u.peer != null) t.peer = u.peer
    return t
  })
  return [...down, ...up]
}

/** The daemon methods the UI uses, typed; nothing here decides anything about mail. */
export class UiApi {
  /**
   * `connect`: how to reach the home's daemon again once it went away (connect only, never
   * start one: a daemon someone stopped on purpose stays stopped). Absent: no reconnecting.
   */
  constructor (private home: HomeApi, private readonly connect?: () => Promise<HomeApi>) {}

  get canReconnect (): boolean { return this.connect != null }

  /**
   * Connect again to the home's daemon; from then on every call goes to the new
   * connection. Throws the connection's error (DaemonNotRunningError while none runs).
   */
  async reconnect (): Promise<void> {
    if (this.connect == null) throw new Error('this UI was not given a way to reconnect')
    const next = await this.connect()
    const previous = this.home
    this.home = next
    await previous.close().catch(() => {})
  }

  get remote (): boolean { return this.home.remote }

  async folders (): Promise<FolderView[]> { return await this.home.call('folders') }
  async list (folder: Folder, limit: number, cursor?: string): Promise<Page<MessageSummary>> {
    return await this.home.call('list', { folder, limit, cursor })
  }
  /** The whole folder searched (senders, recipients, subjects, message text), a page at a time. */
  async search (folder: Folder, text: string, limit: number, cursor?: string): Promise<Page<MessageSummary>> {
    return await this.home.call('search', { folder, text, limit, cursor })
  }

  async read (id: string): Promise<MessageView> {
    const r = await this.home.call<MessageView & { largeAttachments?: LargeAttachmentWire[] }>('read', { id })
    const { largeAttachments: _large, ...rest } = r
    return { ...rest, attachments: attachmentsOf(r) }
  }
  async thread (id: string): Promise<MessageSummary[]> { return await this.home.call('thread', { id }) }
  async update (id: string, change: { unread?: boolean, folder?: Folder }): Promise<MessageSummary> {
    return await this.home.call('messages.update', { id, ...change })
  }

  /** Delete messages in the trash for good (the daemon refuses others). */
  async deleteForever (ids: string[]): Promise<{ deleted: string[] }> { return await this.home.call('messages.deleteForever', { ids }) }
  async emptyTrash (): Promise<{ deleted: number }> { return await this.home.call('trash.empty') }

  async saveAttachments (id: string, dir: string, names?: string[]): Promise<string[]> {
    return await this.home.call('attachments.save', { id, dir, names })
  }

  async send (request: SendRequest): Promise<SendResult> { return await this.home.call('send', { request, wait: false }) }
  async outboxEntry (id: string): Promise<OutboxEntry | null> { return await this.home.call('outbox.get', { id }) }
  async outbox (limit: number): Promise<Page<OutboxEntry>> { return await this.home.call('outbox.list', { limit }) }
  async cancelSend (id: string): Promise<CancelView> { return await this.home.call('outbox.cancel', { id }) }
  async contacts (): Promise<ContactView[]> { return await this.home.call('contacts.list') }
  async addContact (text: string): Promise<ContactView> { return await this.home.call('contacts.add', { card: text }) }
  async removeContact (name: string): Promise<void> { await this.home.call('contacts.remove', { name }) }
  async setPresence (status: string): Promise<{ status: string }> { return await this.home.call('presence.set', { status }) }
  async servers (): Promise<ServerView[]> { return await this.home.call('servers.list') }
  async addServer (addr: string): Promise<{ servers: ServerView[] }> { return await this.home.call('servers.add', { addr }) }
  async status (): Promise<StatusView> { return await this.home.call('status') }
  async card (): Promise<{ card: string, peerId: string }> { return await this.home.call('card') }

  /** Transfers of large attachments, or undefined when this daemon does not report them. */
  async transfers (): Promise<TransferView[] | undefined> {
    for (const method of ['transfers.list', 'transfers']) {
      try {
        const r = await this.home.call<unknown>(method)
        if (Array.isArray(r)) return transfersOf({ downloads: r })
        return transfersOf((r ?? {}) as TransfersWire)
      } catch (err) {
        if (errorName(err) !== 'UnknownMethodError') throw err
      }
    }
    return undefined
  }

  async subscribe (listener: (event: NodeEvent) => void): Promise<void> { await this.home.subscribe(listener) }
  onClose (listener: (err: Error) => void): void { this.home.onClose?.(listener) }
  async close (): Promise<void> { await this.home.close() }
}
