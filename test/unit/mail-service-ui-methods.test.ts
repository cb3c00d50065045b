import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { openTestHome, seedMessages, storedMessage, stranger, uiHome } from '../helpers/ui.js'
import type { FolderView } from '../../node/mail-service.js'
import type { MessageSummary } from '../../storage/types.js'

const NOW = Date.parse('2026-03-10T12:00:00Z')

describe('control methods the UI uses: folders, messages.update, thread, outbox.get, attachments.save by name', () => {
  const cleanups: Array<() => Promise<void>> = []
  after(async () => { for (const c of cleanups) await c() })

  async function setup () {
    const home = await uiHome('methods')
    const bob = await stranger('bob')
    const ids = await seedMessages(home.home, home.peerId, [
      { fromName: 'Bob', fromPeer: bob.peerId, subject: 'root', text: 'a', date: NOW - 3000, messageId: '<root@x>' },
      { fromName: 'Bob', fromPeer: bob.peerId, subject: 'other', text: 'b', date: NOW - 2000, messageId: '<other@x>' },
      { fromName: 'Bob', fromPeer: bob.peerId, subject: 'Re: root', text: 'c', date: NOW - 1000, messageId: '<reply@x>', inReplyTo: '<root@x>', references: ['<root@x>'], attachments: [{ filename: 'a.txt', content: new Uint8Array([1]) }, { filename: 'b.txt', content: new Uint8Array([2]) }] },
      { fromName: 'Bob', fromPeer: bob.peerId, subject: 'Re: Re: root', text: 'd', date: NOW, messageId: '<deeper@x>', inReplyTo: '<reply@x>', references: ['<root@x>', '<reply@x>'], folder: 'archive' }
    ])
    const t = await openTestHome(home.home)
    cleanups.push(async () => { await t.close(); await home.remove() })
    return { ...t, home, bob, ids }
  }

  it('folders gives every folder with total and unread from the counters', async () => {
    const { api } = await setup()
    const folders = await api.call<FolderView[]>('folders')
    const byName = Object.fromEntries(folders.map(f => [f.folder, f]))
    assert.deepEqual(byName.inbox, { folder: 'inbox', total: 3, unread: 3 })
    assert.deepEqual(byName.archive, { folder: 'archive', total: 1, unread: 1 })
    assert.equal(byName.trash?.total, 0)
  })

  it('messages.update marks read and moves; the counters follow', async () => {
    const { api, ids } = await setup()
    const read = await api.call<MessageSummary>('messages.update', { id: ids[0], unread: false })
    assert.equal(read.unread, false)
    await api.call('messages.update', { id: ids[1], folder: 'trash' })
    const byName = Object.fromEntries((await api.call<FolderView[]>('folders')).map(f => [f.folder, f]))
    assert.deepEqual([byName.inbox?.total, byName.inbox?.unread, byName.trash?.total], [2, 1, 1])
    await assert.rejects(api.call('messages.update', { id: 'nosuchid', unread: false }), { name: 'MessageNotFoundError' })
  })

  it('thread links by Message-ID, In-Reply-To and References across folders, oldest first, and leaves others out', async () => {
    const { api, ids } = await setup()
    for (const id of [ids[0], ids[2], ids[3]]) {
      const thread = await api.call<MessageSummary[]>('thread', { id })
      assert.deepEqual(thread.map(m => m.subject), ['root', 'Re: root', 'Re: Re: root'], `from ${id}`)
    }
    const alone = await api.call<MessageSummary[]>('thread', { id: ids[1] })
    assert.deepEqual(alone.map(m => m.subject), ['other'])
  })

  it('thread finds a reply however many messages came after it (the thread index, not a scan of the newest)', async () => {
    const { api, ids, mailbox, home, bob } = await setup()
    // 2,100 later messages: more than any scan of a folder's newest would read.
    const filler = await storedMessage(home.peerId, { fromName: 'Bob', fromPeer: bob.peerId, subject: 'noise', text: 'n', date: NOW + 1 })
    for (let i = 0; i < 2_100; i++) {
      const messageId = `<noise${i}@x>`
      await mailbox.add({ ...filler.message, messageId, receivedAt: NOW + 1 + i }, filler.raw, `${bob.peerId}\n${messageId}`)
    }
    const thread = await api.call<MessageSummary[]>('thread', { id: ids[0] })
    assert.deepEqual(thread.map(m => m.subject), ['root', 'Re: root', 'Re: Re: root'])
  })

  it('search reads the whole folder a page at a time: sender, recipients, subject; next continues; blank text is refused', async () => {
    const { api, mailbox, home, bob } = await setup()
    const filler = await storedMessage(home.peerId, { fromName: 'Bob', fromPeer: bob.peerId, subject: 'noise', text: 'n', date: NOW + 1 })
    for (let i = 0; i < 1_200; i++) {
      const messageId = `<s${i}@x>`
      await mailbox.add({ ...filler.message, subject: i % 400 === 0 ? `Budget ${i}` : 'noise', messageId, receivedAt: NOW + 1 + i }, filler.raw, `${bob.peerId}\n${messageId}`)
    }
    const first = await api.call<{ items: MessageSummary[], next?: string, scanned: number }>('search', { folder: 'inbox', text: 'BUDGET', limit: 2 })
    assert.deepEqual(first.items.map(m => m.subject), ['Budget 800', 'Budget 400'], 'case does not matter; newest first')
    assert.ok(first.next != null, 'more may follow')
    const rest = await api.call<{ items: MessageSummary[], next?: string }>('search', { folder: 'inbox', text: 'budget', limit: 2, cursor: first.next })
    assert.deepEqual(rest.items.map(m => m.subject), ['Budget 0'])
    assert.equal(rest.next, undefined, 'the whole folder was read')
    // The seeded root is from Bob: his name matches every message of his.
    const byRecipient = await api.call<{ items: MessageSummary[] }>('search', { folder: 'archive', text: home.peerId.slice(0, 12) })
    assert.deepEqual(byRecipient.items.map(m => m.subject), ['Re: Re: root'], 'matched on To')
    await assert.rejects(api.call('search', { folder: 'inbox', text: '  ' }), { name: 'EmptySearchError' })
    await assert.rejects(api.call('search', { folder: 'nowhere', text: 'x' }), { name: 'UnknownFolderError' })
  })

  it('attachments.save with names saves only those', async () => {
    const { api, ids, home } = await setup()
    const dir = join(home.home, 'out')
    const saved = await api.call<string[]>('attachments.save', { id: ids[2], dir, names: ['b.txt'] })
    assert.equal(saved.length, 1)
    assert.deepEqual(await readdir(dir), ['b.txt'])
  })

  it('outbox.get returns the entry, or null for an unknown id', async () => {
    const { api, bob } = await setup()
    await api.call('contacts.add', { card: bob.card, as: 'bob' })
    const sent = await api.call<{ id: string }>('send', { request: { to: ['bob'], subject: 's', text: 't' } })
    const entry = await api.call<{ id: string, recipients: Array<{ address: string, state: string }> }>('outbox.get', { id: sent.id })
    assert.deepEqual(entry.recipients.map(r => [r.address, r.state]), [['bob', 'pending']])
    assert.equal(await api.call('outbox.get', { id: '00000000000000000000' }), null)
  })
})
