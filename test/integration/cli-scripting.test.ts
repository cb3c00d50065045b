import assert from 'node:assert/strict'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { cleanup, makeUser, online, run, runJson, tempDir } from '../helpers/cli.js'
import type { User } from '../helpers/cli.js'

/**
 * What a script driving `peerpost --json` against a running daemon meets: it can walk a
 * folder larger than one page, as a person can with the cursor the human list prints.
 */
describe('scripts page through a folder with list --json --paged', () => {
  const MESSAGES = 7
  const PAGE = 3
  let erin: User
  let mail: string

  before(async () => {
    erin = await makeUser('erin')
    mail = await tempDir('scripting')
    const maildir = join(mail, 'maildir')
    for (const sub of ['cur', 'new', 'tmp']) await mkdir(join(maildir, sub), { recursive: true })
    for (let i = 1; i <= MESSAGES; i++) {
      await writeFile(join(maildir, 'cur', `${i}.msg:2,S`), `From: someone <someone@example.org>\r\nTo: erin <erin@example.org>\r\nSubject: note ${i}\r\nDate: Mon, 30 Nov 2026 10:0${i}:00 +0000\r\nMessage-ID: <page-note${i}@example.org>\r\n\r\nnote ${i}\r\n`)
    }
    await online(erin)
    assert.equal((await run(erin.home, ['import', '--from', maildir, '--folder', 'inbox'])).code, 0)
  })
  after(async () => {
    await cleanup([erin])
    await rm(mail, { recursive: true, force: true })
  })

  it('each page gives the cursor of the next as "next", and the last none: every message once', async () => {
    const subjects: string[] = []
    const sizes: number[] = []
    let cursor: string | undefined
    for (let pages = 0; pages < MESSAGES; pages++) {
      const page = await runJson<{ items: Array<{ subject: string, date: string }>, next?: string }>(erin.home, ['list', '--paged', '--limit', String(PAGE), ...(cursor == null ? [] : ['--cursor', cursor])])
      sizes.push(page.items.length)
      subjects.push(...page.items.map(m => m.subject))
      cursor = page.next
      if (cursor == null) break
    }
    assert.deepEqual(sizes, [3, 3, 1])
    assert.deepEqual([...subjects].sort(), [1, 2, 3, 4, 5, 6, 7].map(i => `note ${i}`))
    // Without --paged, --json keeps the shape scripts already read: the page's messages.
    const bare = await runJson<Array<{ subject: string }>>(erin.home, ['list', '--limit', String(PAGE)])
    assert.deepEqual(bare.map(m => m.subject), subjects.slice(0, PAGE))
  })

  it('the outbox pages the same way', async () => {
    const frank = await makeUser('frank')
    try {
      await runJson(erin.home, ['contacts', 'add', (await runJson(frank.home, ['card'])).card, '--as', 'frank'])
      for (let i = 1; i <= 3; i++) await runJson(erin.home, ['send', '--to', 'frank', '--subject', `queued ${i}`, '--body', 'waits for frank'])
      const first = await runJson<{ items: Array<{ id: string }>, next?: string }>(erin.home, ['list', '--folder', 'outbox', '--paged', '--limit', '2'])
      assert.equal(first.items.length, 2)
      assert.ok(first.next != null, 'a next cursor after the first page')
      const rest = await runJson<{ items: Array<{ id: string }>, next?: string }>(erin.home, ['list', '--folder', 'outbox', '--paged', '--limit', '2', '--cursor', first.next])
      assert.equal(rest.items.length, 1)
      assert.equal(rest.next, undefined)
      assert.equal(new Set([...first.items, ...rest.items].map(e => e.id)).size, 3)
    } finally {
      await cleanup([frank])
    }
  })

  it('--paged without --json is a usage error that says what it is for', async () => {
    const r = await run(erin.home, ['list', '--paged'])
    assert.equal(r.code, 2)
    assert.match(r.stderr, /^peerpost: --paged shapes the --json output: add --json/)
    assert.equal(r.stdout, '')
  })
})
