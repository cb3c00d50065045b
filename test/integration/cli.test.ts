import assert from 'node:assert/strict'
import { stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { cleanup, introduce, makeUser, online, run, runJson, tempDir } from '../helpers/cli.js'
import type { User } from '../helpers/cli.js'

describe('the peerpost command', () => {
  it('explains itself with --help and exits 2 on bad usage', async () => {
    const home = await tempDir('help')
    const help = await run(home, ['--help'])
    assert.equal(help.code, 0)
    for (const cmd of ['init', 'card', 'contacts', 'daemon', 'send', 'list', 'read', 'status']) assert.match(help.stdout, new RegExp(`\\b${cmd}\\b`))
    const sendHelp = await run(home, ['send', '--help'])
    assert.match(sendHelp.stdout, /--attach/)
    const bad = await run(home, ['send', '--subject', 'no recipients'])
    assert.equal(bad.code, 2)
    const none = await run(home, ['status'])
    assert.equal(none.code, 1)
    assert.match(none.stderr, /peerpost init/)
  })

  it('creates a keystore only its owner can read, sealed by a passphrase', async () => {
    const home = await tempDir('sealed')
    const pass = join(home, '..', `pass-${Date.now()}`)
    await writeFile(pass, 'correct horse battery staple\n')
    const created = await runJson(home, ['--passphrase-file', pass, 'init', '--name', 'sealed'])
    assert.match(created.peerId, /^12D3KooW/)
    assert.equal((await stat(join(home, 'keystore.json'))).mode & 0o777, 0o600)

    const missing = await run(home, ['status'])
    assert.equal(missing.code, 1)
    assert.match(missing.stderr, /passphrase/i)
    const wrongFile = join(home, '..', `wrong-${Date.now()}`)
    await writeFile(wrongFile, 'not it')
    const wrong = await run(home, ['--passphrase-file', wrongFile, 'status'])
    assert.equal(wrong.code, 1)
    assert.match(wrong.stderr, /wrong passphrase/i)
    const ok = await runJson(home, ['--passphrase-file', pass, 'status'])
    assert.equal(ok.peerId, created.peerId)
    const again = await run(home, ['init'])
    assert.equal(again.code, 1)
  })

  it('pins a card under a name and refuses a damaged card', async () => {
    const a = await makeUser('a')
    const b = await makeUser('b')
    try {
      const card = await runJson(b.home, ['card'])
      assert.match(card.card, /^peerpost1:/)
      const pinned = await runJson(a.home, ['contacts', 'add', card.card, '--as', 'bee'])
      assert.equal(pinned.peerId, b.peerId)
      assert.deepEqual((await runJson<any[]>(a.home, ['contacts', 'list'])).map(c => c.name), ['bee'])
      const damaged = card.card.slice(0, -6) + (card.card.endsWith('AAAAAA') ? 'BBBBBB' : 'AAAAAA')
      const r = await run(a.home, ['contacts', 'add', damaged, '--as', 'x'])
      assert.notEqual(r.code, 0)
      assert.equal(r.stderr.trim().split('\n').length, 1)
    } finally { await cleanup([a, b]) }
  })
})

describe('mail from strangers and impostors', () => {
  let alice: User, bob: User, mallory: User
  let files: string
  before(async () => {
    alice = await makeUser('alice')
    bob = await makeUser('bob')
    mallory = await makeUser('mallory')
    for (const u of [alice, bob, mallory]) await online(u)
    await introduce([alice, bob])
    // mallory knows bob's card; bob never pinned mallory.
    const bobCard = (await runJson(bob.home, ['card'])).card
    await runJson(mallory.home, ['contacts', 'add', bobCard, '--as', 'bob'])
    files = await tempDir('eml')
  })
  after(async () => { await cleanup([alice, bob, mallory]) })

  it('puts a stranger\'s mail in requests, not the inbox', async () => {
    const sent = await runJson(mallory.home, ['send', '--to', 'bob', '--subject', 'hello from a stranger', '--body', 'hi', '--wait'])
    assert.equal(sent.entry.recipients[0].state, 'delivered')
    assert.ok((await runJson<any[]>(bob.home, ['list', '--folder', 'requests'])).some(m => m.messageId === sent.messageId))
    assert.ok(!(await runJson<any[]>(bob.home, ['list'])).some(m => m.messageId === sent.messageId))
  })

  it('`list --search` finds by subject or sender in a folder, pages with --cursor, and refuses blank text', async () => {
    await runJson(alice.home, ['send', '--to', 'bob', '--subject', 'Budget for March', '--body', 'x', '--wait'])
    await runJson(alice.home, ['send', '--to', 'bob', '--subject', 'budget, again', '--body', 'y', '--wait'])
    const found = await runJson<{ items: any[], next?: string }>(bob.home, ['list', '--search', 'BUDGET'])
    assert.deepEqual(found.items.map(m => m.subject), ['budget, again', 'Budget for March'])
    assert.equal(found.next, undefined)
    const one = await runJson<{ items: any[], next?: string }>(bob.home, ['list', '--search', 'budget', '--limit', '1'])
    assert.ok(one.items.length >= 1)
    const text = await run(bob.home, ['list', '--folder', 'requests', '--search', 'stranger'])
    assert.match(text.stdout, /hello from a stranger/)
    const none = await run(bob.home, ['list', '--search', 'no such words'])
    assert.match(none.stdout, /nothing in inbox matches "no such words"/)
    const blank = await run(bob.home, ['list', '--search', ' '])
    assert.equal(blank.code, 2)
    assert.match(blank.stderr, /give some text to search for/)
  })

  it('quarantines mail that claims to be from a contact but is signed by another key', async () => {
    const eml = [`From: Alice <${alice.peerId}@peerpost>`, `To: <${bob.peerId}@peerpost>`, 'Subject: urgent wire transfer', 'Message-ID: <forged-1@peerpost>',
      'Date: Tue, 03 Nov 2026 10:00:00 +0000', 'MIME-Version: 1.0', 'Content-Type: text/plain', '', 'Send money.', ''].join('\r\n')
    await writeFile(join(files, 'forged.eml'), eml)
    await runJson(mallory.home, ['send', '--to', 'bob', '--eml', join(files, 'forged.eml'), '--wait'])
    const quarantined = await runJson<any[]>(bob.home, ['list', '--folder', 'quarantine'])
    const m = quarantined.find(x => x.messageId === '<forged-1@peerpost>')
    assert.ok(m, 'the forgery is in quarantine')
    assert.match(m.warning, /alice/)
    assert.ok(!(await runJson<any[]>(bob.home, ['list'])).some(x => x.messageId === '<forged-1@peerpost>'))
    const shown = await run(bob.home, ['read', m.id])
    assert.match(shown.stdout, /WARNING/)
  })
})
