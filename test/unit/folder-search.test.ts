import { strict as assert } from 'node:assert'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { searchFolder } from '../../node/folder-search.js'
import type { SearchPage } from '../../node/folder-search.js'
import { composeMessage, parseSummary } from '../../node/mime/index.js'
import { toNewMessage } from '../../node/receiver.js'
import { openHomeStore } from '../../storage/index.js'
import type { HomeStore } from '../../storage/index.js'

const MAX_MIME = 32 * 1024 * 1024

describe('searchFolder: the bounds on bodies parsed per call', () => {
  let dir: string
  let store: HomeStore
  const subjects = ['one', 'two', 'Zanzibar by subject', 'three', 'four', 'five']
  const bodies = ['about zanzibar', 'nothing', 'nothing', 'ZANZIBAR again', 'no', 'Zanzibar, last']
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'peerpost-folder-search-'))
    store = await openHomeStore(join(dir, 'db'))
    for (const [i, subject] of subjects.entries()) {
      const c = await composeMessage({ from: { name: 'Bob', address: 'bob@peerpost' }, to: [{ name: undefined, address: 'me@peerpost' }], subject, text: bodies[i] ?? '', date: new Date(1e12 + i) })
      await store.mailbox.add(toNewMessage(await parseSummary(c.raw), c.raw.byteLength, 'bob', { folder: 'inbox' }, 1e12 + i), c.raw, `bob\n${c.messageId}`)
    }
  })
  after(async () => {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })

  /** Every page of a search, following `next`, at most 20 calls. */
  const allPages = async (options: { bodyParseLimit?: number, bodyByteLimit?: number }): Promise<SearchPage[]> => {
    const pages: SearchPage[] = []
    let cursor: string | undefined
    do {
      const page = await searchFolder({ mailbox: store.mailbox }, 'inbox', 'zanzibar', { ...options, cursor, maxMimeBytes: MAX_MIME })
      pages.push(page)
      cursor = page.next
    } while (cursor != null && pages.length < 20)
    assert.equal(cursor, undefined)
    return pages
  }
  const expected = ['Zanzibar by subject', 'five', 'one', 'three']

  it('the byte bound still parses one body per call, and every match comes once', async () => {
    const pages = await allPages({ bodyByteLimit: 1 })
    assert.ok(pages.every(p => p.bodies <= 1), 'one body a call')
    assert.equal(pages.reduce((n, p) => n + p.bodies, 0), 5, 'the subject match needs no parse')
    assert.deepEqual(pages.flatMap(p => p.items.map(m => m.subject)).sort(), expected)
    assert.equal(pages.reduce((n, p) => n + p.scanned, 0), subjects.length, 'each message looked at once')
  })

  it('a second search parses nothing: the texts are cached', async () => {
    const pages = await allPages({ bodyParseLimit: 1 })
    assert.equal(pages.length, 1)
    assert.equal(pages[0]?.bodies, 0)
    assert.deepEqual(pages[0]?.items.map(m => m.subject).sort(), expected)
  })
})
