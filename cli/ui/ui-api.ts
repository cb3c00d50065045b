import { errorName } from '../../node/errors.js'
import type { HomeApi } from '../api.js'
import type { NodeEvent } from '../../node/events.js'
import type { ContactView, FolderView, ReadResult, SendRequest, SendResult, ServerView, StatusView } from '../../node/mail-service.js'
import type { Folder, MessageSummary, OutboxEntry, Page } from '../../storage/types.js'

/**
 * An attachment as the reader shows it. `state` and the progress fields come from the
 * daemon when it knows them (large attachments that stay on the sender); when absent the
 * attachment rode inside the message and is here.
 */
export interface AttachmentView {
  name: string
  type: string
  size: number
  sha256?: string
  state?: string
  /** Who holds it while it is not here yet. */
  holder?: string
  /** Bytes received so far. */
  received?: number
}

export type MessageView = Omit<ReadResult, 'attachments'> & { attachments: AttachmentView[] }

/** A running transfer, as far as the daemon describes it; every field may be absent. */
export interface TransferView {
  id?: string
  name?: string
  peer?: string
  direction?: string
  state?: string
  size?: number
  received?: number
  bytesPerSecond?: number
}

/** The daemon methods the UI uses, typed; nothing here decides anything about mail. */
export class UiApi {
  constructor (private readonly home: HomeApi) {}

  get remote (): boolean { return this.home.remote }

  async folders (): Promise<FolderView[]> { return await this.home.call('folders') }
  async list (folder: Folder, limit: number, cursor?: string): Promise<Page<MessageSummary>> {
    return await this.home.call('list', { folder, limit, cursor })
  }

  async read (id: string): Promise<MessageView> { return await this.home.call('read', { id }) }
  async thread (id: string): Promise<MessageSummary[]> { return await this.home.call('thread', { id }) }
  async update (id: string, change: { unread?: boolean, folder?: Folder }): Promise<MessageSummary> {
    return await this.home.call('messages.update', { id, ...change })
  }

  async saveAttachments (id: string, dir: string, names?: string[]): Promise<string[]> {
    return await this.home.call('attachments.save', { id, dir, names })
  }

  async send (request: SendRequest): Promise<SendResult> { return await this.home.call('send', { request, wait: false }) }
  async outboxEntry (id: string): Promise<OutboxEntry | null> { return await this.home.call('outbox.get', { id }) }
  async outbox (limit: number): Promise<Page<OutboxEntry>> { return await this.home.call('outbox.list', { limit }) }
  async contacts (): Promise<ContactView[]> { return await this.home.call('contacts.list') }
  async addContact (text: string): Promise<ContactView> { return await this.home.call('contacts.add', { card: text }) }
  async setPresence (status: string): Promise<{ status: string }> { return await this.home.call('presence.set', { status }) }
  async servers (): Promise<ServerView[]> { return await this.home.call('servers.list') }
  async addServer (addr: string): Promise<{ servers: ServerView[] }> { return await this.home.call('servers.add', { addr }) }
  async status (): Promise<StatusView> { return await this.home.call('status') }
  async card (): Promise<{ card: string, peerId: string }> { return await this.home.call('card') }

  /** Running transfers, or undefined when this daemon does not report them. */
  async transfers (): Promise<TransferView[] | undefined> {
    try {
      const r = await this.home.call<unknown>('transfers')
      if (Array.isArray(r)) return r as TransferView[]
      if (r != null && typeof r === 'object' && Array.isArray((r as { items?: unknown }).items)) return (r as { items: TransferView[] }).items
      return []
    } catch (err) {
      if (errorName(err) === 'UnknownMethodError' || /unknown method/.test(String((err as Error).message))) return undefined
      throw err
    }
  }

  async subscribe (listener: (event: NodeEvent) => void): Promise<void> { await this.home.subscribe(listener) }
  async close (): Promise<void> { await this.home.close() }
}
