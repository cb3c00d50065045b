/**
 * Export and import with real daemons on 127.0.0.1: alice writes to bob (one message with a
 * large attachment bob pulls); bob exports his mailbox while his daemon runs, as Maildirs
 * and as mbox files, and the files hold exactly the bytes his home stored (and `read --raw`
 * gives); exporting again
 * with the daemon stopped writes nothing new. A fresh home imports them (through its
 * daemon, then on the home directly): the same messages, and a second import stores
 * nothing. A garbage file in a Maildir and a cut mbox are skipped with their reasons.
 * alice's whole export (sent and archive) goes back into a fresh home folder by folder.
 */
import assert from 'node:assert/strict'
import { copyFile, mkdir, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { openHome } from '../../node/home.js'
import { ControlClient } from '../../node/control/client.js'
import { parseMaildirName } from '../../storage/maildir.js'
import { cleanup, makeUser, online, run, runJson, waitUntil } from '../helpers/cli.js'
import { downloads, MiB, randomFile, startPair } from '../helpers/attachments.js'
import { FAST_NODE } from '../helpers/offline.js'
import type { Pair } from '../helpers/attachments.js'
import type { User } from '../helpers/cli.js'
import type { NodeEvent } from '../../node/events.js'

const PULL_MS = 60_000
const FOLDERS = ['inbox', 'requests', 'sent', 'quarantine', 'archive', 'trash']

/** Every message of the user's folders (`list --json`), each folder at most 1000. */
async function everything (user: User): Promise<any[]> {
  const all: any[] = []
  for (const folder of FOLDERS) all.push(...await runJson<any[]>(user.home, ['list', '--folder', folder, '--limit', '1000']))
  return all
}

const key = (m: any): string => `${String(m.messageId)} ${String(m.subject)}`

describe('export and import with real daemons', () => {
  let pair: Pair
  let out: string
  /** bob's stored raw bytes by local id, read from his home once his daemon is stopped. */
  const stored = new Map<string, Buffer>()
  /** The same, as `read --raw` gave them while the daemon ran. */
  const viaDaemon = new Map<string, Buffer>()
  let bobMessages: any[] = []
  const extra: User[] = []

  before(async () => {
    pair = await startPair(FAST_NODE)
    const { alice, bob, files } = pair
    out = join(files, 'export')
    await writeFile(join(files, 'quoted.eml'), `From: alice <${alice.peerId}@peerpost>\r\nTo: bob <${bob.peerId}@peerpost>\r\nSubject: mbox quoting\r\nMessage-ID: <quoted-${Date.now()}@example>\r\n\r\nFrom the top of a line\r\n>From quoted\r\nthe end\r\n`)
    await runJson(alice.home, ['send', '--to', 'bob', '--eml', join(files, 'quoted.eml'), '--wait', '--timeout', '20000'])
    await runJson(alice.home, ['send', '--to', 'bob', '--subject', 'plain', '--body', 'hello bob', '--wait', '--timeout', '20000'])
    const big = join(files, 'film.bin')
    await randomFile(big, 2 * MiB)
    await runJson(alice.home, ['send', '--to', 'bob', '--subject', 'film', '--body', 'see attached', '--attach', big, '--wait', '--timeout', '20000'])
    await waitUntil(pair.bob.home, async () => (await downloads(pair.bob)).some(d => d.state === 'complete'), PULL_MS, 'bob to pull the film')
    bobMessages = await everything(pair.bob)
    assert.equal(bobMessages.length, 3)
    // Read one, so the export has a read and unread messages.
    await runJson(pair.bob.home, ['read', bobMessages.find(m => m.subject === 'plain').id])
  })
  after(async () => {
    await cleanup(extra)
    await pair?.stop()
  })

  it('exports while the daemon runs, with progress events, and again without it: nothing twice', async () => {
    const { bob } = pair
    // The daemon tells the job's progress on the control socket.
    const client = await ControlClient.connect(bob.home)
    const events: any[] = []
    let summary: any
    try {
      await client.subscribe((e: NodeEvent) => { if (e.type === 'mailfiles:progress') events.push(e.data) })
      summary = await client.call('mail.export', { dir: join(out, 'maildir'), job: 'job-1' })
      // read --raw's parts: bounded slices of the stored bytes.
      const part: any = await client.call('read.raw', { id: bobMessages[0].id, offset: 10, length: 5 })
      assert.equal(part.offset, 10)
      assert.equal(Buffer.from(part.data, 'base64').length, 5)
      viaDaemon.set(bobMessages[0].id + ':10', Buffer.from(part.data, 'base64'))
    } finally { client.close() }
    for (const m of bobMessages) {
      const r = await run(bob.home, ['read', m.id, '--raw'])
      assert.equal(r.code, 0)
      viaDaemon.set(m.id, Buffer.from(r.stdout, 'utf8'))
    }
    assert.equal(summary.written, 3)
    assert.deepEqual(events.at(-1), { job: 'job-1', done: 3, total: 3 })
    const mbox = await runJson(bob.home, ['export', '--to', join(out, 'mbox'), '--format', 'mbox'])
    assert.deepEqual([mbox.written, mbox.skipped, mbox.folders.map((f: any) => f.folder)], [3, 0, FOLDERS])
    assert.equal(mbox.largeAttachments.messages, 1)
    const [film] = mbox.largeAttachments.listed
    assert.equal(film.state, 'here')
    assert.equal((await readFile(film.path)).length, 2 * MiB)
    const text = await run(bob.home, ['export', '--to', join(out, 'maildir')])
    assert.equal(text.code, 0)
    assert.match(text.stdout, /exported 0 messages .*skipped 3 already there/)
    assert.match(text.stdout, /1 message has 1 large attachment that is not inside the exported files \(1 pulled here\)/)

    await bob.daemon?.stop()
    bob.daemon = undefined
    const home = await openHome(bob.home)
    try {
      for (const m of bobMessages) stored.set(m.id, Buffer.from((await home.store.mailbox.getRaw(m.id))!))
    } finally { await home.close() }
    for (const m of bobMessages) assert.ok(viaDaemon.get(m.id)?.equals(stored.get(m.id)!), `read --raw gave ${m.subject} as stored`)
    assert.ok(viaDaemon.get(bobMessages[0].id + ':10')?.equals(stored.get(bobMessages[0].id)!.subarray(10, 15)))
    // read --raw without the daemon, and refused with --json.
    assert.equal((await run(bob.home, ['read', bobMessages[1].id, '--raw'])).stdout, stored.get(bobMessages[1].id)!.toString('utf8'))
    assert.equal((await run(bob.home, ['--json', 'read', bobMessages[1].id, '--raw'])).code, 2)
    // Without the daemon: the home is opened directly, and nothing is written again.
    const offline = await runJson(bob.home, ['export', '--to', join(out, 'mbox'), '--format', 'mbox'])
    assert.deepEqual([offline.written, offline.skipped], [0, 3])
  })

  it('the Maildir files hold the stored bytes exactly, S on the message read', async () => {
    const names = await readdir(join(out, 'maildir', 'inbox', 'cur'))
    assert.equal(names.length, 3)
    for (const m of bobMessages) {
      const name = names.find(n => parseMaildirName(n).unique.includes(m.id))!
      assert.ok(name, `${m.subject} exported`)
      assert.equal(parseMaildirName(name).flags, m.subject === 'plain' ? 'S' : '')
      assert.ok((await readFile(join(out, 'maildir', 'inbox', 'cur', name))).equals(stored.get(m.id)!), `${m.subject} byte for byte`)
    }
    assert.deepEqual((await readdir(join(out, 'mbox'))).sort(), ['inbox.mbox'])
    assert.match(await readFile(join(out, 'mbox', 'inbox.mbox'), 'latin1'), /\r\n>From the top of a line\r\n>>From quoted\r\n/)
  })

  it('a fresh home imports them through its daemon, the same messages, and a second import stores nothing', async () => {
    const carol = await makeUser('carol', { config: FAST_NODE })
    extra.push(carol)
    await online(carol)
    const first = await runJson(carol.home, ['import', '--from', join(out, 'maildir', 'inbox'), '--folder', 'inbox'])
    assert.deepEqual([first.source, first.stored, first.skipped], ['maildir', 3, 0])
    const listed = await runJson<any[]>(carol.home, ['list', '--folder', 'inbox'])
    assert.deepEqual(listed.map(key).sort(), bobMessages.map(key).sort())
    assert.deepEqual(listed.filter(m => !m.unread).map(m => m.subject), ['plain'])
    const again = await runJson(carol.home, ['import', '--from', join(out, 'maildir', 'inbox'), '--folder', 'inbox'])
    assert.deepEqual([again.stored, again.duplicates], [0, 3])
    // The mbox export of the same mail is the same bytes: already here too.
    const mbox = await runJson(carol.home, ['import', '--from', join(out, 'mbox', 'inbox.mbox'), '--folder', 'inbox'])
    assert.deepEqual([mbox.source, mbox.stored, mbox.duplicates], ['mbox', 0, 3])
    assert.equal((await everything(carol)).length, 3)
    const read = await runJson(carol.home, ['read', listed.find(m => m.subject === 'mbox quoting').id])
    assert.match(read.text, /^From the top of a line\n>From quoted\nthe end/)
    assert.match(read.warning, /not verified/)
    assert.match((await run(carol.home, ['read', listed.find(m => m.subject === 'plain').id])).stdout, /Verified: no \(imported from a file\)/)
  })

  it('bad input: a garbage file in a Maildir and a cut mbox are skipped with their reasons; nothing else changes', async () => {
    const dave = await makeUser('dave', { config: FAST_NODE })
    extra.push(dave)
    const box = join(out, 'bad-maildir')
    await mkdir(join(box, 'cur'), { recursive: true })
    for (const n of await readdir(join(out, 'maildir', 'inbox', 'cur'))) await copyFile(join(out, 'maildir', 'inbox', 'cur', n), join(box, 'cur', n))
    await writeFile(join(box, 'cur', '1700000000.garbage.host:2,S'), Buffer.from('\u0000\u00ff not a message at all\n\n'))
    const r = await runJson(dave.home, ['import', '--from', box])
    assert.deepEqual([r.read, r.stored, r.skipped], [4, 3, 1])
    assert.equal(r.skips[0].error, 'MalformedMimeError')
    assert.match(r.skips[0].where, /garbage/)
    const text = await run(dave.home, ['import', '--from', box])
    assert.match(text.stdout, /skipped 1\n {2}skipped .*garbage.*: .*header/)

    const cut = join(out, 'cut.mbox')
    await copyFile(join(out, 'mbox', 'inbox.mbox'), cut)
    const whole = (await readFile(cut)).length
    await truncate(cut, whole - 7)
    const fresh = await makeUser('erin', { config: FAST_NODE })
    extra.push(fresh)
    const t = await runJson(fresh.home, ['import', '--from', cut])
    assert.deepEqual([t.read, t.stored, t.skipped, t.skips[0].error], [3, 2, 1, 'TruncatedMboxError'])
    assert.equal((await everything(fresh)).length, 2)

    // A folder with neither a Maildir nor an .mbox file in it, and a missing path: refused (exit 2), nothing stored.
    const plain = join(out, 'plain')
    await mkdir(plain)
    await writeFile(join(plain, 'notes.txt'), 'not mail\n')
    const notMaildir = await run(fresh.home, ['import', '--from', plain])
    assert.equal(notMaildir.code, 2)
    assert.match(notMaildir.stderr, /not a Maildir/)
    const missing = await run(fresh.home, ['import', '--from', join(out, 'nothing')])
    assert.equal(missing.code, 2)
    assert.equal((await everything(fresh)).length, 2)
    await rm(cut)
  })

  it('a whole export restores into a fresh home through its daemon, each folder into its namesake; an unreadable folder and a file that is not mail are skipped', async () => {
    const { alice } = pair
    const sent = await runJson<any[]>(alice.home, ['list', '--folder', 'sent'])
    assert.equal(sent.length, 3)
    assert.equal((await run(alice.home, ['move', sent[0].id, 'archive'])).code, 0)
    const dir = join(out, 'alice')
    assert.equal((await runJson(alice.home, ['export', '--to', dir])).written, 3)
    await mkdir(join(dir, 'broken', 'new'), { recursive: true })
    await writeFile(join(dir, 'broken', 'cur'), 'a file where a folder should be')
    await writeFile(join(dir, 'notes.txt'), 'not mail\n')

    const frank = await makeUser('frank', { config: FAST_NODE })
    extra.push(frank)
    await online(frank)
    const client = await ControlClient.connect(frank.home)
    const events: any[] = []
    let restored: any
    try {
      await client.subscribe((e: NodeEvent) => { if (e.type === 'mailfiles:progress') events.push(e.data) })
      restored = await client.call('mail.import', { path: dir, job: 'restore' })
    } finally { client.close() }
    assert.deepEqual(events.at(-1), { job: 'restore', done: 3, total: 3 }, 'progress over the whole folder')
    assert.equal(restored.source, 'folders')
    assert.deepEqual(restored.folders.map((f: any) => [f.name, f.folder, f.stored]), [['archive', 'archive', 1], ['sent', 'sent', 2]])
    assert.deepEqual(restored.skips.map((k: any) => basename(k.where)).sort(), ['broken', 'notes.txt'])
    const inFolders = async (user: User): Promise<string[]> => {
      const all: string[] = []
      for (const folder of FOLDERS) for (const m of await runJson<any[]>(user.home, ['list', '--folder', folder])) all.push(`${folder} ${key(m)} ${String(m.unread)}`)
      return all.sort()
    }
    assert.deepEqual(await inFolders(frank), await inFolders(alice), 'the same messages in the same folders')

    const again = await run(frank.home, ['import', '--from', dir])
    assert.equal(again.code, 0)
    assert.match(again.stdout, /^imported 0 messages from .*alice \(folders\) into archive, sent; 3 already here; skipped 2\n/)
    assert.match(again.stdout, /\n {2}sent -> sent +0 stored +2 already here +0 skipped\n/)
    assert.match(again.stdout, /skipped .*notes\.txt: .*neither a Maildir folder nor an \.mbox file/)
    assert.equal((await everything(frank)).length, 3, 'nothing stored twice')
  })
})
