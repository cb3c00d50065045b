/**
 * Export and import over real mailboxes in temp homes: a folder longer than a page goes
 * out whole and byte for byte, a second export writes nothing, an import stores each
 * message once however often it runs, and a bad file is skipped with its reason.
 */
import { strict as assert } from 'node:assert'
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import type { ImportSummary } from '../../node/mail-import.js'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { openHomeStore } from '../../storage/index.js'
import type { HomeStore, MessageSummary } from '../../storage/index.js'
import { EXPORT_PAGE, exportMail } from '../../node/mail-export.js'
import { IMPORTED_WARNING, importMail } from '../../node/mail-import.js'
import { folderForName } from '../../node/mail-import-sources.js'
import { ensureMaildir, maildirFileName, parseMaildirName, writeMaildirMessage } from '../../storage/maildir.js'
import { fixtureMessage, FIXTURE_SENDER } from '../helpers/stored-messages.js'

const SELF = '12D3KooWSelf'
const MAX_MIME = 1024 * 1024
/** More than a page, so the export pages. */
const COUNT = EXPORT_PAGE + 20

/** A valid message from the fixture sender's peerpost address, with a Message-ID; every fifth has a `From ` line in its body. */
const rawOf = (n: number): Buffer => Buffer.from(`From: bob <${FIXTURE_SENDER}@peerpost>\r\nTo: alice@example\r\nSubject: message ${n}\r\nMessage-ID: <m${n}@example>\r\n\r\n${n % 5 === 0 ? 'From here on\r\n>From there\r\n' : ''}hello ${n}\r\n`)

async function all (store: HomeStore, folder: MessageSummary['folder']): Promise<MessageSummary[]> {
  const items: MessageSummary[] = []
  let cursor: string | undefined
  do {
    const page = await store.mailbox.list(folder, { limit: 50, cursor })
    items.push(...page.items)
    cursor = page.next
  } while (cursor !== undefined)
  return items
}

describe('export and import', () => {
  let dir: string
  let source: HomeStore
  let clock = 1_700_000_000_000
  const now = (): number => clock++
  const fresh: HomeStore[] = []
  const newStore = async (name: string): Promise<HomeStore> => {
    const s = await openHomeStore(join(dir, name), { now })
    fresh.push(s)
    return s
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'peerpost-export-'))
    source = await newStore('source')
    for (let n = 0; n < COUNT; n++) await source.mailbox.add(fixtureMessage(n, { unread: n % 2 === 0 }), rawOf(n), `${FIXTURE_SENDER}\n<m${n}@example>`)
    await source.mailbox.add(fixtureMessage(1000, { folder: 'sent', fromPeer: SELF, unread: false, blobs: [{ blobId: 'ab'.repeat(16), name: 'film.bin', type: 'application/octet-stream', size: 5, sha256: '00' }] }), rawOf(1000), `${SELF}\n<m1000@example>`)
  })
  after(async () => {
    for (const s of fresh) await s.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('Maildir: every message of every folder, byte for byte, S on the read ones; again: all skipped', async () => {
    const out = join(dir, 'maildir')
    const progress: number[] = []
    const first = await exportMail({ mailbox: source.mailbox, self: SELF }, { dir: out, onProgress: p => { progress.push(p.done) } })
    assert.equal(first.total, COUNT + 1)
    assert.equal(first.written, COUNT + 1)
    assert.equal(first.skipped, 0)
    assert.deepEqual(progress, [EXPORT_PAGE, COUNT, COUNT + 1])
    assert.deepEqual(first.largeAttachments, { messages: 1, files: 1, here: 0, listed: [{ id: first.largeAttachments.listed[0]!.id, folder: 'sent', name: 'film.bin', size: 5, state: 'sent' }] })
    const names = await readdir(join(out, 'inbox', 'cur'))
    assert.equal(names.length, COUNT)
    for (const m of await all(source, 'inbox')) {
      const name = names.find(f => parseMaildirName(f).unique.includes(m.id))
      assert.ok(name, `${m.id} exported`)
      assert.equal(parseMaildirName(name).flags, m.unread ? '' : 'S')
      assert.ok((await readFile(join(out, 'inbox', 'cur', name))).equals(Buffer.from((await source.mailbox.getRaw(m.id))!)))
    }
    const again = await exportMail({ mailbox: source.mailbox, self: SELF }, { dir: out })
    assert.equal(again.written, 0)
    assert.equal(again.skipped, COUNT + 1)
    assert.equal((await readdir(join(out, 'inbox', 'cur'))).length, COUNT)
  })

  it('Maildir import into a fresh home: the same messages, read flags kept, once however often', async () => {
    const target = await newStore('from-maildir')
    const progress: Array<{ done: number, total?: number }> = []
    const first = await importMail({ mailbox: target.mailbox, now }, { path: join(dir, 'maildir', 'inbox'), maxMimeBytes: MAX_MIME, onProgress: p => { progress.push(p) } })
    assert.deepEqual(progress, [{ done: 100, total: COUNT }, { done: COUNT, total: COUNT }])
    assert.deepEqual({ source: first.source, folder: first.folder, read: first.read, stored: first.stored, duplicates: first.duplicates, skipped: first.skipped }, { source: 'maildir', folder: 'archive', read: COUNT, stored: COUNT, duplicates: 0, skipped: 0 })
    const imported = await all(target, 'archive')
    const original = await all(source, 'inbox')
    const key = (m: MessageSummary): string => `${m.messageId} ${m.subject} ${String(m.unread)}`
    assert.deepEqual(imported.map(key).sort(), original.map(key).sort())
    assert.ok(imported.every(m => m.warning === IMPORTED_WARNING && m.fromPeer === ''))
    const again = await importMail({ mailbox: target.mailbox, now }, { path: join(dir, 'maildir', 'inbox'), maxMimeBytes: MAX_MIME })
    assert.equal(again.stored, 0)
    assert.equal(again.duplicates, COUNT)
    assert.equal((await target.mailbox.counts('archive')).total, COUNT)
  })

  it('mbox: round trip byte for byte; a second export appends nothing; importing into the home it came from stores nothing', async () => {
    const out = join(dir, 'mbox')
    const first = await exportMail({ mailbox: source.mailbox, self: SELF }, { dir: out, format: 'mbox', folders: ['inbox'] })
    assert.equal(first.written, COUNT)
    const size = (await readFile(join(out, 'inbox.mbox'))).length
    const again = await exportMail({ mailbox: source.mailbox, self: SELF }, { dir: out, format: 'mbox', folders: ['inbox'] })
    assert.deepEqual([again.written, again.skipped], [0, COUNT])
    assert.equal((await readFile(join(out, 'inbox.mbox'))).length, size)

    const target = await newStore('from-mbox')
    const imported = await importMail({ mailbox: target.mailbox, now }, { path: join(out, 'inbox.mbox'), folder: 'inbox', maxMimeBytes: MAX_MIME })
    assert.deepEqual([imported.source, imported.stored], ['mbox', COUNT])
    for (const m of await all(target, 'inbox')) {
      const n = Number(/message (\d+)/.exec(m.subject)?.[1])
      assert.ok(Buffer.from((await target.mailbox.getRaw(m.id))!).equals(rawOf(n)), `message ${n} byte for byte`)
    }
    // The same bytes are in the source home under their sender's key: already here.
    const back = await importMail({ mailbox: source.mailbox, now }, { path: join(out, 'inbox.mbox'), maxMimeBytes: MAX_MIME })
    assert.equal(back.stored, 0)
    assert.equal((await source.mailbox.counts('archive')).total, 0)
  })

  it('mbox: a file cut by an interrupted export, or one that is no mbox, is refused before anything is written', async () => {
    const out = join(dir, 'mbox-cut')
    await exportMail({ mailbox: source.mailbox, self: SELF }, { dir: out, format: 'mbox', folders: ['sent'] })
    const path = join(out, 'sent.mbox')
    const whole = await readFile(path)
    await writeFile(path, whole.subarray(0, whole.length - 5))
    await assert.rejects(exportMail({ mailbox: source.mailbox, self: SELF }, { dir: out, format: 'mbox', folders: ['inbox', 'sent'] }), { name: 'ExportTargetError', message: /sent\.mbox.*middle of a message/ })
    assert.deepEqual(await readdir(out), ['sent.mbox'], 'no inbox.mbox either')
    assert.equal((await readFile(path)).length, whole.length - 5)

    const foreign = join(dir, 'foreign')
    await mkdir(foreign)
    await writeFile(join(foreign, 'sent.mbox'), 'my notes\n')
    await assert.rejects(exportMail({ mailbox: source.mailbox, self: SELF }, { dir: foreign, format: 'mbox', folders: ['sent'] }), { name: 'NotMboxError' })
    assert.equal(await readFile(join(foreign, 'sent.mbox'), 'utf8'), 'my notes\n')
  })

  it('a garbage file is skipped with its reason and stores nothing; a missing path or a plain folder is refused', async () => {
    const target = await newStore('bad')
    const box = join(dir, 'bad-maildir')
    await exportMail({ mailbox: source.mailbox, self: SELF }, { dir: box, folders: ['sent'] })
    await writeFile(join(box, 'sent', 'cur', '1.garbage.host:2,S'), Buffer.from([0x00, 0xff, 0x10, 0x0a, 0x0a]))
    const r = await importMail({ mailbox: target.mailbox, now }, { path: join(box, 'sent'), maxMimeBytes: MAX_MIME })
    assert.deepEqual([r.read, r.stored, r.skipped], [2, 1, 1])
    assert.equal(r.skips[0]?.error, 'MalformedMimeError')
    assert.match(r.skips[0]!.where, /1\.garbage\.host/)
    assert.equal((await target.mailbox.counts('archive')).total, 1)
    await assert.rejects(importMail({ mailbox: target.mailbox, now }, { path: join(dir, 'nothing-here'), maxMimeBytes: MAX_MIME }), { name: 'ImportSourceMissingError' })
    await assert.rejects(importMail({ mailbox: target.mailbox, now }, { path: dir, maxMimeBytes: MAX_MIME }), { name: 'NotMaildirError' })
    await assert.rejects(importMail({ mailbox: target.mailbox, now }, { path: 'bad-maildir/sent', maxMimeBytes: MAX_MIME }), { name: 'RelativePathError' })
    await assert.rejects(exportMail({ mailbox: source.mailbox, self: SELF }, { dir: 'out' }), { name: 'RelativePathError' })
    const big = join(dir, 'big.eml')
    await writeFile(big, Buffer.concat([rawOf(1), Buffer.alloc(2000, 0x61)]))
    const tooBig = await importMail({ mailbox: target.mailbox, now }, { path: big, maxMimeBytes: 1000 })
    assert.deepEqual([tooBig.source, tooBig.skipped, tooBig.skips[0]?.error], ['eml', 1, 'MailFileTooLargeError'])
    assert.equal((await target.mailbox.counts('archive')).total, 1)
  })

  /** Per folder: [name, folder, read, stored, skipped]. */
  const perFolder = (r: ImportSummary): Array<[string, string, number, number, number]> => r.folders.map(f => [f.name, f.folder, f.read, f.stored, f.skipped])
  const folderKeys = async (store: HomeStore, folder: MessageSummary['folder']): Promise<string[]> => (await all(store, folder)).map(m => `${m.messageId} ${String(m.unread)}`).sort()

  it('a whole export back into a fresh home: each folder into its namesake; an unreadable folder and what is not mail are skipped with their reason', async () => {
    const out = join(dir, 'restore')
    await exportMail({ mailbox: source.mailbox, self: SELF }, { dir: out })
    await exportMail({ mailbox: source.mailbox, self: SELF }, { dir: join(dir, 'restore-mbox'), format: 'mbox', folders: ['sent'] })
    await writeFile(join(out, 'Sent Items.mbox'), await readFile(join(dir, 'restore-mbox', 'sent.mbox')))
    await writeFile(join(out, 'notes.txt'), 'not mail\n')
    await writeFile(join(out, 'drafts.mbox'), 'not an mbox either\n')
    await mkdir(join(out, 'broken', 'new'), { recursive: true })
    await writeFile(join(out, 'broken', 'cur'), 'a file where a folder should be')
    await mkdir(join(out, 'photos'))
    const elsewhere = join(dir, 'elsewhere')
    await ensureMaildir(elsewhere)
    await writeMaildirMessage(elsewhere, maildirFileName('1700000000.M1P1.host', { seen: true }), rawOf(9000))
    await symlink(elsewhere, join(out, 'linked'))
    await symlink(join(out, 'gone'), join(out, 'dangling.mbox'))

    const target = await newStore('restored')
    const progress: Array<{ done: number, total?: number }> = []
    const r = await importMail({ mailbox: target.mailbox, now }, { path: out, maxMimeBytes: MAX_MIME, onProgress: p => { progress.push(p) } })
    assert.equal(r.source, 'folders')
    assert.deepEqual(perFolder(r), [['inbox', 'inbox', COUNT, COUNT, 0], ['linked', 'archive', 1, 1, 0], ['sent', 'sent', 1, 1, 0], ['Sent Items', 'sent', 1, 0, 0]])
    assert.deepEqual(r.folders.map(f => f.note), [undefined, 'no peerpost folder is called "linked": into archive', undefined, '"Sent Items" into sent'])
    assert.deepEqual(progress.at(-1), { done: COUNT + 3 }, 'over the whole folder (no total: an mbox is in it)')
    assert.deepEqual([r.read, r.stored, r.duplicates], [COUNT + 3, COUNT + 2, 1])
    assert.deepEqual(r.skips.map(k => [k.where.slice(out.length + 1), k.error]).sort(), [['broken', 'Error'], ['dangling.mbox', 'NotMailFileError'], ['drafts.mbox', 'NotMboxError'], ['notes.txt', 'NotMailFileError'], ['photos', 'NotMaildirError']])
    assert.equal(r.skipped, 5)
    assert.match(r.skips.find(k => k.where.endsWith('broken'))!.reason, /ENOTDIR/)
    for (const folder of ['inbox', 'sent'] as const) assert.deepEqual(await folderKeys(target, folder), await folderKeys(source, folder), `${folder} as it was, read flags too`)
    assert.deepEqual((await all(target, 'archive')).map(m => m.subject), ['message 9000'], 'the linked Maildir, named like no folder')
    for (const folder of ['requests', 'quarantine', 'trash'] as const) assert.equal((await target.mailbox.counts(folder)).total, 0, `nothing in ${folder}`)
    assert.ok((await all(target, 'inbox')).every(m => m.warning === IMPORTED_WARNING && m.fromPeer === ''), 'restored into the inbox, still unverified')

    const again = await importMail({ mailbox: target.mailbox, now }, { path: out, maxMimeBytes: MAX_MIME })
    assert.deepEqual([again.stored, again.duplicates], [0, COUNT + 3])
  })

  it('a Maildir++ tree: the top into --folder, .Sent into sent, .Junk into quarantine, .Archive.2023 into archive, other names into --folder with a note', async () => {
    const root = join(dir, 'Maildir')
    const put = async (sub: string, n: number, seen: boolean): Promise<void> => {
      const box = join(root, sub)
      await ensureMaildir(box)
      await writeMaildirMessage(box, maildirFileName(`17000000${n}.M1P1.host`, { seen }), rawOf(5000 + n))
    }
    await put('', 1, true)
    await put('.Sent', 2, true)
    await put('.Junk', 3, false)
    await put('.Drafts', 4, false)
    await put('.trash', 5, true)
    await put('.Archive.2023', 6, true)
    await put('.Projects.Alpha', 7, true)
    await mkdir(join(root, '.Empty'))
    await writeFile(join(root, 'dovecot.index'), 'an index, not mail')

    const target = await newStore('maildirpp')
    const r = await importMail({ mailbox: target.mailbox, now }, { path: root, folder: 'inbox', maxMimeBytes: MAX_MIME })
    assert.equal(r.source, 'maildir')
    assert.deepEqual(perFolder(r), [['', 'inbox', 1, 1, 0], ['Archive.2023', 'archive', 1, 1, 0], ['Drafts', 'inbox', 1, 1, 0], ['Junk', 'quarantine', 1, 1, 0], ['Projects.Alpha', 'inbox', 1, 1, 0], ['Sent', 'sent', 1, 1, 0], ['trash', 'trash', 1, 1, 0]])
    assert.deepEqual(r.folders.map(f => f.note), [undefined, '"Archive.2023" into archive', 'no peerpost folder is called "Drafts": into inbox', '"Junk" into quarantine', 'no peerpost folder is called "Projects.Alpha": into inbox', undefined, undefined], 'a subfolder goes where its top folder goes; no note when only the case differs')
    assert.deepEqual(r.skips.map(k => [k.error, k.reason]), [['NotMaildirError', `${join(root, '.Empty')} is not a Maildir (it has neither cur/ nor new/): not imported`]])
    const subjects = async (f: MessageSummary['folder']): Promise<string[]> => (await all(target, f)).map(m => `${m.subject} ${String(m.unread)}`).sort()
    assert.deepEqual(await subjects('inbox'), ['message 5001 false', 'message 5004 true', 'message 5007 false'])
    assert.deepEqual(await subjects('archive'), ['message 5006 false'])
    assert.deepEqual(await subjects('sent'), ['message 5002 false'])
    assert.deepEqual(await subjects('quarantine'), ['message 5003 true'])
    assert.deepEqual(await subjects('trash'), ['message 5005 false'])
    assert.deepEqual(folderForName('Deleted Messages', 'archive'), { folder: 'trash', note: '"Deleted Messages" into trash' })
    assert.deepEqual(folderForName('SPAM', 'archive'), { folder: 'quarantine', note: '"SPAM" into quarantine' })
    assert.deepEqual(folderForName('archive', 'inbox'), { folder: 'archive' })
    assert.deepEqual(folderForName('INBOX', 'archive'), { folder: 'inbox' })
    assert.deepEqual(folderForName('Sent.2019', 'archive'), { folder: 'archive', note: 'no peerpost folder is called "Sent.2019": into archive' }, 'dots are no hierarchy without a separator')
    assert.deepEqual(folderForName('Sent.2019', 'archive', '.'), { folder: 'sent', note: '"Sent.2019" into sent' })
  })
})
