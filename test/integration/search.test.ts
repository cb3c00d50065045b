import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { ControlClient } from '../../node/control/client.js'
import { openHomeStore } from '../../storage/index.js'
import { cleanup, introduce, makeUser, online, run, runJson, tempDir } from '../helpers/cli.js'
import type { User } from '../helpers/cli.js'

/** What `list --search --json` prints. */
interface Found { items: Array<{ id: string, subject: string }>, next?: string, skipped?: number }

/**
 * Whole-folder search through a real daemon: bob's inbox holds mail whose bodies say
 * "Zanzibar" in ways a byte match of the stored MIME would miss (quoted-printable with a
 * soft line break inside the word, base64, an HTML entity in HTML-only mail); no header
 * says it, except in one message that matches on its subject alone.
 */
describe('search finds words in the text of messages, not only in headers', () => {
  let alice: User, bob: User
  let files: string
  const matching = ['plain text', 'quoted-printable', 'base64', 'html only', 'alternative', 'subject Zanzibar', 'long']
  const other = ['unrelated 1', 'unrelated 2', 'unrelated 3']

  /** An RFC 5322 message from alice to bob with this subject, content headers and body. */
  const eml = (n: number, subject: string, contentHeaders: string[], body: string): string => [
    `From: Alice <${alice.peerId}@peerpost>`, `To: <${bob.peerId}@peerpost>`, `Subject: ${subject}`,
    `Message-ID: <search-${n}@peerpost>`, `Date: Mon, 30 Nov 2026 10:00:0${n} +0000`, 'MIME-Version: 1.0', ...contentHeaders, '', body, ''
  ].join('\r\n')

  const search = async (text: string, more: string[] = []): Promise<Found> => await runJson<Found>(bob.home, ['list', '--search', text, ...more])

  /** Every page of a search, following `next` (at most `pages` calls). */
  const allPages = async (text: string, pages: number): Promise<Found[]> => {
    const out: Found[] = []
    let cursor: string | undefined
    do {
      const page = await search(text, cursor == null ? [] : ['--cursor', cursor])
      out.push(page)
      cursor = page.next
    } while (cursor != null && out.length < pages)
    assert.equal(cursor, undefined, `the search ends within ${pages} calls`)
    return out
  }

  before(async () => {
    alice = await makeUser('alice')
    bob = await makeUser('bob')
    for (const u of [alice, bob]) await online(u)
    await introduce([alice, bob])
    files = await tempDir('search-eml')
    const qp = ['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: quoted-printable']
    const messages = [
      eml(1, 'unrelated 1', ['Content-Type: text/plain'], 'Nothing to see here.'),
      eml(2, 'quoted-printable', qp, 'Caf=C3=A9 talk: the trip to Zanzi=\r\nbar is booked.'),
      eml(3, 'base64', ['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: base64'], Buffer.from('Meeting notes: ZANZIBAR logistics.\r\n').toString('base64')),
      eml(4, 'unrelated 2', qp, 'Zanzi, bar and grill: not the word.'),
      eml(5, 'html only', ['Content-Type: text/html; charset=utf-8'], '<html><body><p>Flights to <b>Zanzib&#97;r</b> are cheap.</p></body></html>'),
      eml(6, 'alternative', ['Content-Type: multipart/alternative; boundary="b1"'], ['--b1', 'Content-Type: text/plain', '', 'See you in zanzibar.', '--b1', 'Content-Type: text/html', '', '<p>See you in zanzibar.</p>', '--b1--'].join('\r\n')),
      eml(7, 'subject Zanzibar', ['Content-Type: text/plain'], 'The subject says it all.'),
      eml(8, 'unrelated 3', ['Content-Type: text/plain'], 'Dar es Salaam, not the island.')
    ]
    for (const [i, text] of messages.entries()) {
      const path = join(files, `m${i}.eml`)
      await writeFile(path, text)
      await runJson(alice.home, ['send', '--to', 'bob', '--eml', path, '--wait'])
    }
    await runJson(alice.home, ['send', '--to', 'bob', '--subject', 'plain text', '--body', 'Pack for Zanzibar, it is warm.', '--wait'])
    // Longer than a cached text is kept (MAX_SEARCH_TEXT_CHARS): the word is past the cut.
    await runJson(alice.home, ['send', '--to', 'bob', '--subject', 'long', '--body', `${'lorem ipsum '.repeat(3_500)}Zanzibar at the end.`, '--wait'])
  })
  after(async () => { await cleanup([alice, bob]) })

  it('finds a word that only the decoded text holds, any case, and nothing else (again from the cache)', async () => {
    const inbox = await runJson<Array<{ subject: string }>>(bob.home, ['list'])
    assert.deepEqual(inbox.map(m => m.subject).sort(), [...matching, ...other].sort(), 'every message arrived')
    for (const text of ['zanzibar', 'ZANZIBAR', ' Zanzibar ']) {
      const found = await search(text)
      assert.deepEqual(found.items.map(m => m.subject).sort(), [...matching].sort(), `searching "${text}"`)
      assert.equal(found.next, undefined)
    }
    assert.deepEqual((await search('café talk')).items.map(m => m.subject), ['quoted-printable'], 'decoded quoted-printable, non-ASCII')
    const none = await run(bob.home, ['list', '--search', 'no such words anywhere'])
    assert.equal(none.code, 0)
    assert.match(none.stdout, /nothing in inbox matches "no such words anywhere"/)
  })

  it('pages with next when the body-parse bound is met, each match exactly once; a second search answers from the cached texts', async () => {
    // New mail: the texts of the mail above are cached by the searches before this one.
    const bodies = ['Climbing Kilimanjaro in May.', 'Nothing about mountains.', 'KILIMANJARO photos attached.', 'Lunch?', 'kilimanjaro, again']
    for (const [i, body] of bodies.entries()) await runJson(alice.home, ['send', '--to', 'bob', '--subject', `trip ${i}`, '--body', body, '--wait'])
    const expected = ['trip 0', 'trip 2', 'trip 4']
    await runJson(bob.home, ['config', 'set', 'search.bodyParseLimit', '2'])
    try {
      const pages = await allPages('kilimanjaro', 20)
      assert.ok(pages.length >= 3, `5 new messages parsed 2 per call: ${pages.length} calls`)
      const ids = pages.flatMap(p => p.items.map(m => m.id))
      assert.equal(new Set(ids).size, ids.length, 'no match twice')
      assert.deepEqual(pages.flatMap(p => p.items.map(m => m.subject)).sort(), expected)
      // Every text is cached now: one call, whatever the bound.
      const client = await ControlClient.connect(bob.home)
      try {
        const again = await client.call<Found & { bodies: number, scanned: number }>('search', { folder: 'inbox', text: 'Kilimanjaro' })
        assert.deepEqual(again.items.map(m => m.subject).sort(), expected)
        assert.equal(again.next, undefined)
        assert.equal(again.bodies, 1, 'only the text cached cut (without the word in its part) is parsed again')
        assert.equal(again.scanned, matching.length + other.length + bodies.length)
      } finally { client.close() }
      // --limit 1 with the bound: still every match once.
      const limited: string[] = []
      let cursor: string | undefined
      for (let i = 0; i < 20; i++) {
        const page = await search('zanzibar', ['--limit', '1', ...(cursor == null ? [] : ['--cursor', cursor])])
        limited.push(...page.items.map(m => m.subject))
        cursor = page.next
        if (cursor == null) break
      }
      assert.equal(cursor, undefined)
      assert.deepEqual(limited.sort(), [...matching].sort())
    } finally {
      await runJson(bob.home, ['config', 'set', 'search.bodyParseLimit', '1000'])
    }
  })

  it('skips a stored message whose body is missing or does not parse, and says so', async () => {
    // Two new messages, not searched yet (their texts are not cached), damaged below.
    for (const subject of ['broken 1', 'broken 2']) await runJson(alice.home, ['send', '--to', 'bob', '--subject', subject, '--body', 'Zanzibar too.', '--wait'])
    const inbox = await runJson<Array<{ id: string, subject: string }>>(bob.home, ['list'])
    const id = (subject: string): string => inbox.find(m => m.subject === subject)!.id
    // The daemon holds the database: stop it, damage two stored bodies, start it again.
    await bob.daemon!.stop()
    const store = await openHomeStore(join(bob.home, 'db'))
    try {
      const raw = store.db.sublevels.mailbox.raw
      await store.db.commit([
        { type: 'del', sublevel: raw, key: id('broken 1') },
        // No Message-ID: parsing refuses it (the word is there, but the message is damaged).
        { type: 'put', sublevel: raw, key: id('broken 2'), value: new TextEncoder().encode('Subject: x\r\n\r\nzanzibar\r\n') }
      ])
    } finally { await store.close() }
    await online(bob)
    const found = await search('ZANZIBAR')
    assert.deepEqual(found.items.map(m => m.subject).sort(), [...matching].sort())
    assert.equal(found.skipped, 2)
    const text = await run(bob.home, ['list', '--search', 'zanzibar'])
    assert.equal(text.code, 0)
    assert.match(text.stdout, /2 stored messages could not be read and were left out/)
    const blank = await run(bob.home, ['list', '--search', '   '])
    assert.equal(blank.code, 2)
    assert.match(blank.stderr, /give some text to search for/)
  })
})
