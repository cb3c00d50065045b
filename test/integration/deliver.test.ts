import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { cleanup, introduce, makeUser, online, run, runJson, tempDir, waitUntil } from '../helpers/cli.js'
import type { User } from '../helpers/cli.js'

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')
const MiB = 1024 * 1024

describe('alice and bob exchange sealed mail directly', () => {
  let alice: User, bob: User
  let files: string

  before(async () => {
    alice = await makeUser('alice')
    bob = await makeUser('bob')
    await online(alice)
    await online(bob)
    await introduce([alice, bob])
    files = await tempDir('files')
  })
  after(async () => { await cleanup([alice, bob]) })

  it('delivers text, HTML and three attachments byte for byte', async () => {
    const atOneMiB = randomBytes(MiB)
    const justUnder = randomBytes(MiB - 1)
    const small = Buffer.from('tiny attachment\n')
    await writeFile(join(files, 'exact.bin'), atOneMiB)
    await writeFile(join(files, 'under.bin'), justUnder)
    await writeFile(join(files, 'notes.txt'), small)
    await writeFile(join(files, 'body.html'), '<p>Hello <b>Bob</b></p>')

    const sent = await runJson(alice.home, ['send', '--to', 'bob', '--subject', 'Holiday photos', '--body', 'Hello Bob, photos attached.',
      '--html-file', join(files, 'body.html'),
      '--attach', join(files, 'exact.bin'), '--attach', join(files, 'under.bin'), '--attach', join(files, 'notes.txt'), '--wait'])
    assert.equal(sent.entry.recipients[0].state, 'delivered')

    const inbox = await runJson<any[]>(bob.home, ['list'])
    const summary = inbox.find(m => m.messageId === sent.messageId)
    assert.ok(summary, 'bob has the message in his inbox')
    const message = await runJson(bob.home, ['read', summary.id])
    assert.equal(message.subject, 'Holiday photos')
    assert.equal(message.text.trim(), 'Hello Bob, photos attached.')
    assert.match(message.html, /Hello <b>Bob<\/b>/)
    assert.equal(message.fromPeer, alice.peerId)
    assert.equal(message.folder, 'inbox')
    assert.deepEqual(message.attachments.map((a: any) => [a.name, a.size, a.sha256]), [
      ['exact.bin', MiB, sha(atOneMiB)],
      ['under.bin', MiB - 1, sha(justUnder)],
      ['notes.txt', small.length, sha(small)]
    ])

    const saveDir = await tempDir('saved')
    const saved = await runJson(bob.home, ['read', summary.id, '--save-attachments', saveDir])
    assert.equal(saved.saved.length, 3)
    for (const path of saved.saved as string[]) assert.ok(path.startsWith(saveDir))
    assert.equal(sha(await readFile(join(saveDir, 'exact.bin'))), sha(atOneMiB))
    assert.equal(sha(await readFile(join(saveDir, 'under.bin'))), sha(justUnder))
    // Saving again never overwrites: it writes new names.
    const again = await runJson(bob.home, ['read', summary.id, '--save-attachments', saveDir])
    assert.equal(new Set([...saved.saved, ...again.saved]).size, 6)
  })

  it('threads a reply with In-Reply-To and References', async () => {
    const first = await runJson(alice.home, ['send', '--to', 'bob', '--subject', 'Lunch?', '--body', 'Lunch on Friday?', '--wait'])
    const bobsCopy = (await runJson<any[]>(bob.home, ['list'])).find(m => m.messageId === first.messageId)
    const reply = await runJson(bob.home, ['send', '--to', 'alice', '--subject', 'Re: Lunch?', '--body', 'Yes!', '--in-reply-to', first.messageId, '--references', first.messageId, '--wait'])
    assert.equal(reply.entry.recipients[0].state, 'delivered')
    const alicesCopy = (await runJson<any[]>(alice.home, ['list'])).find(m => m.messageId === reply.messageId)
    const read = await runJson(alice.home, ['read', alicesCopy.id])
    assert.equal(read.inReplyTo, first.messageId)
    assert.deepEqual(read.references, [first.messageId])
    assert.equal(read.fromPeer, bob.peerId)
    assert.ok(bobsCopy)
    // Both keep a copy in Sent.
    assert.ok((await runJson<any[]>(bob.home, ['list', '--folder', 'sent'])).some(m => m.messageId === reply.messageId))
  })

  it('sends an existing .eml as it is, and refuses a malformed one clearly', async () => {
    const eml = [
      'From: Alice <alice@example.org>', 'To: Bob <bob@example.org>', 'Subject: Imported', 'Message-ID: <imported-1@example.org>',
      'Date: Tue, 03 Nov 2026 10:00:00 +0000', 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', 'Kept as it is.', ''
    ].join('\r\n')
    await writeFile(join(files, 'good.eml'), eml)
    const sent = await runJson(alice.home, ['send', '--to', 'bob', '--eml', join(files, 'good.eml'), '--wait'])
    assert.equal(sent.messageId, '<imported-1@example.org>')
    const got = (await runJson<any[]>(bob.home, ['list', '--folder', 'requests', '--limit', '1000'])).concat(await runJson<any[]>(bob.home, ['list', '--limit', '1000']))
    const summary = got.find(m => m.messageId === '<imported-1@example.org>')
    assert.ok(summary)
    const read = await runJson(bob.home, ['read', summary.id])
    assert.equal(read.subject, 'Imported')

    await writeFile(join(files, 'bad.eml'), 'this is not a mail message at all')
    const bad = await run(alice.home, ['send', '--to', 'bob', '--eml', join(files, 'bad.eml')])
    assert.notEqual(bad.code, 0)
    assert.match(bad.stderr, /^peerpost: .+/)
    assert.equal(bad.stderr.trim().split('\n').length, 1)
  })

  it('refuses an unknown recipient with a usage error', async () => {
    const r = await run(alice.home, ['send', '--to', 'mallory', '--subject', 'x', '--body', 'y'])
    assert.equal(r.code, 2)
    assert.match(r.stderr, /unknown recipient "mallory"/)
  })

  it('waits on events, not sleeps: a message sent without --wait arrives', async () => {
    const sent = await runJson(alice.home, ['send', '--to', 'bob', '--subject', 'async', '--body', 'no wait'])
    const found = await waitUntil(bob.home, async () => (await runJson<any[]>(bob.home, ['list'])).find(m => m.messageId === sent.messageId), 20_000, 'bob to receive')
    assert.equal(found.subject, 'async')
  })
})
