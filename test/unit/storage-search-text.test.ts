import { strict as assert } from 'node:assert'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { MAX_SEARCH_TEXT_CHARS, openHomeStore } from '../../storage/index.js'
import type { HomeStore } from '../../storage/index.js'

describe('the mailbox\'s search-text cache and list cursors', () => {
  let dir: string
  let store: HomeStore
  const ids: string[] = []
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'peerpost-search-text-'))
    store = await openHomeStore(join(dir, 'db'))
    const base = { from: 'Bob', fromPeer: 'p', to: [], cc: [], subject: 's', date: 1, unread: true, folder: 'inbox' as const, size: 1, attachments: [], references: [] }
    for (let i = 0; i < 5; i++) ids.push((await store.mailbox.add({ ...base, messageId: `<m${i}@x>`, receivedAt: 1000 + i }, new Uint8Array([1]), `p\n<m${i}@x>`)).id)
  })
  after(async () => {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('starts empty (no migration), keeps a short text whole and a long one cut, and reads a foreign value as not cached', async () => {
    const [a, b, c] = ids as [string, string, string]
    assert.deepEqual(await store.mailbox.searchTexts([a, b]), [undefined, undefined])
    const long = 'x'.repeat(MAX_SEARCH_TEXT_CHARS) + 'tail'
    await store.mailbox.putSearchTexts([{ id: a, text: 'hello zanzibar' }, { id: b, text: long }])
    await store.db.sublevels.mailbox.text.put(c, 'not a cached text')
    const [whole, cut, foreign] = await store.mailbox.searchTexts([a, b, c])
    assert.deepEqual(whole, { text: 'hello zanzibar', whole: true })
    assert.equal(cut?.whole, false)
    assert.equal(cut?.text.length, MAX_SEARCH_TEXT_CHARS)
    assert.equal(foreign, undefined)
    // Cached texts leave the summaries as they were.
    assert.equal(JSON.stringify(await store.mailbox.get(a)).includes('zanzibar'), false)
  })

  it('cursorAfter continues a listing right after a message, as list\'s own cursor does', async () => {
    const first = await store.mailbox.list('inbox', { limit: 2 })
    assert.equal(first.items.length, 2)
    assert.equal(store.mailbox.cursorAfter(first.items[1]!), first.next)
    const rest = await store.mailbox.list('inbox', { cursor: store.mailbox.cursorAfter(first.items[0]!) })
    assert.deepEqual(rest.items.map(m => m.id), [...ids].reverse().slice(1))
  })
})
