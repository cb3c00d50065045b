import type { ControlMethod } from './server.js'
import type { MailService, SendRequest } from '../mail-service.js'
import type { Folder } from '../../storage/types.js'
import type { ExportFormat } from '../mail-export.js'

/** How long `send --wait` waits at most, unless told otherwise. */
export const DEFAULT_SEND_WAIT_MS = 60_000

/** The control API: one entry per method; params are validated by the service. */
export function controlMethods (service: MailService): Record<string, ControlMethod> {
  return {
    status: async (p: { id?: string }) => p?.id == null ? service.status() : service.messageStatus(String(p.id)),
    'transfers.list': async () => service.transfers(),
    'transfers.retry': async (p: { blobId: string }) => service.retryTransfer(String(p.blobId ?? '')),
    card: async () => ({ card: service.cardText(), peerId: service.peerId, addrs: service.addrs() }),
    'contacts.add': async (p: { card: string, as?: string }) => service.addContact(String(p.card ?? ''), p.as),
    'contacts.list': async () => service.listContacts(),
    'contacts.acceptKey': async (p: { name: string }) => service.acceptContactKey(String(p.name ?? '')),
    'contacts.remove': async (p: { name: string }) => { await service.removeContact(String(p.name ?? '')); return { removed: p.name } },
    'servers.list': async () => service.listServers(),
    'servers.add': async (p: { addr: string, register?: string }) => service.addServer(String(p.addr ?? ''), p.register == null ? undefined : String(p.register)),
    'servers.remove': async (p: { addr: string }) => service.removeServer(String(p.addr ?? '')),
    'presence.get': async () => ({ status: service.presenceStatus(), servers: service.listServers() }),
    'config.get': async (p: { key?: string }) => ({ key: p.key ?? '', value: service.getConfig(p.key == null ? undefined : String(p.key)) }),
    'config.set': async (p: { key: string, value: unknown }) => ({ key: p.key, value: await service.setConfig(String(p.key ?? ''), p.value) }),
    'presence.set': async (p: { status: string }) => ({ status: await service.setPresence(String(p.status ?? '')), servers: service.listServers() }),
    send: async (p: { request: SendRequest, wait?: boolean, timeoutMs?: number, job?: string }) => {
      const sent = await service.send(p.request, { job: p.job == null ? undefined : String(p.job) })
      if (p.wait !== true) return { ...sent, entry: undefined }
      const entry = await service.waitForOutcome(sent.id, p.timeoutMs ?? DEFAULT_SEND_WAIT_MS)
      return { ...sent, entry }
    },
    list: async (p: { folder: Folder, limit?: number, cursor?: string }) => service.list(p.folder, p),
    search: async (p: { folder: Folder, text: string, limit?: number, cursor?: string }) => service.search(p.folder, String(p.text ?? ''), p),
    'outbox.list': async (p: { limit?: number, cursor?: string }) => service.listOutbox(p),
    read: async (p: { id: string }) => service.read(String(p.id)),
    'read.raw': async (p: { id: string, offset?: number, length?: number }) => service.rawChunk(String(p.id), Number(p.offset ?? 0), p.length == null ? undefined : Number(p.length)),
    'attachments.save': async (p: { id: string, dir: string, names?: unknown }) => service.saveAttachments(String(p.id), String(p.dir), Array.isArray(p.names) ? p.names.map(String) : undefined),
    // For the terminal UI: folder counters, moving/marking, conversations, one outbox entry.
    folders: async () => service.folders(),
    'messages.update': async (p: { id: string, unread?: boolean, folder?: Folder }) => service.updateMessage(String(p.id), { unread: p.unread, folder: p.folder }),
    thread: async (p: { id: string }) => service.thread(String(p.id)),
    'messages.move': async (p: { ids?: unknown, folder: Folder }) => (await service.moveMessages(Array.isArray(p.ids) ? p.ids.map(String) : [], p.folder)).map(m => ({ id: m.id, folder: m.folder })),
    // Deleting for good, from the trash only.
    'messages.deleteForever': async (p: { ids?: unknown }) => service.deleteForever(Array.isArray(p.ids) ? p.ids.map(String) : []),
    'trash.empty': async () => service.emptyTrash(),
    // Export and import of mail files: paths, not contents, cross the socket.
    'mail.export': async (p: { dir: string, folders?: unknown, format?: string, job?: string }) => service.exportMail({ dir: String(p.dir ?? ''), folders: Array.isArray(p.folders) && p.folders.length > 0 ? p.folders.map(String) as Folder[] : undefined, format: p.format == null ? undefined : String(p.format) as ExportFormat, job: p.job == null ? undefined : String(p.job) }),
    'mail.import': async (p: { path: string, folder?: string, job?: string }) => service.importMail({ path: String(p.path ?? ''), folder: p.folder == null ? undefined : String(p.folder) as Folder, job: p.job == null ? undefined : String(p.job) }),
    'outbox.get': async (p: { id: string }) => (await service.outboxEntry(String(p.id))) ?? null,
    'outbox.cancel': async (p: { id: string, recipients?: unknown }) => service.cancelOutbox(String(p.id ?? ''), Array.isArray(p.recipients) ? p.recipients.map(String) : [])
  }
}
