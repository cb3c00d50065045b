import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { render } from 'ink-testing-library'
import { App } from '../../cli/ui/components/App.js'
import { Controller } from '../../cli/ui/controller.js'
import { memoryLog } from '../../cli/ui/log.js'
import { initialState } from '../../cli/ui/state.js'
import { createStore } from '../../cli/ui/store.js'
import { UiApi } from '../../cli/ui/ui-api.js'
import { openLocalService } from '../../cli/local-service.js'
import { deadline } from '../helpers/cli.js'
import { openTestHome, seedMessages, storedMessage, stranger, uiHome } from '../helpers/ui.js'
import { ControlProtocolError, DaemonNotRunningError, RemoteError } from '../../node/control/protocol.js'
import type { HomeApi } from '../../cli/api.js'

// Dates on screen are local time: the frames here are written for UTC.
process.env.TZ = 'UTC'
const NOW = Date.parse('2026-03-10T12:00:00Z')
const KEYS = { down: '\x1b[B', up: '\x1b[A', left: '\x1b[D', right: '\x1b[C', enter: '\r', tab: '\t', escape: '\x1b', ctrlS: '\x13', ctrlC: '\x03', backspace: '\x7f' }

/** Wait until the last frame satisfies `check` (re-checked as frames are written), or fail with the frame. */
async function frameWith (r: ReturnType<typeof render>, check: (frame: string) => boolean, what: string, ms = 10_000): Promise<string> {
  const started = Date.now()
  while (true) {
    const frame = r.lastFrame() ?? ''
    if (check(frame)) return frame
    if (Date.now() - started > ms) throw new Error(`timed out waiting for ${what}; last frame:\n${frame}`)
    await new Promise(resolve => setTimeout(resolve, 10))
  }
}
const contains = (text: string) => (frame: string) => frame.includes(text)

/** Write keys one press at a time (ink reads one key per chunk). */
async function press (r: ReturnType<typeof render>, ...keys: string[]): Promise<void> {
  for (const k of keys) {
    r.stdin.write(k)
    await new Promise(resolve => setImmediate(resolve))
  }
}
async function type (r: ReturnType<typeof render>, text: string): Promise<void> { await press(r, ...text.split('')) }

describe('terminal UI on a real home (ink-testing-library: keys in, frames out)', () => {
  const attachment = new TextEncoder().encode('the attachment bytes\n')
  const open: Array<{ unmount: () => void, close: () => Promise<void> }> = []
  after(async () => { for (const o of open) { o.unmount(); await o.close() } })

  /** A fresh home with bob as a contact and three messages from him (two in one conversation). */
  async function start (options: { rows?: number, columns?: number, quarantine?: boolean, request?: boolean, onQuit?: () => void, wrap?: (api: HomeApi) => HomeApi } = {}) {
    const home = await uiHome('alice')
    const bob = await stranger('bob')
    await seedMessages(home.home, home.peerId, [
      { fromName: 'Bob', fromPeer: bob.peerId, subject: 'Lunch plans', text: 'Noon at the usual place?', date: NOW - 3_600_000, messageId: '<lunch@x>' },
      { fromName: 'Bob', fromPeer: bob.peerId, subject: 'Re: Lunch plans', text: 'Or one?\n\n> Noon at the usual place?', date: NOW - 1_800_000, inReplyTo: '<lunch@x>', references: ['<lunch@x>'], attachments: [{ filename: 'menu.txt', content: attachment }] },
      { fromName: 'Bob', fromPeer: bob.peerId, subject: 'Photos', text: 'Here they are', date: NOW - 600_000 },
      ...(options.request === true ? [{ fromName: 'Dave', fromPeer: (await stranger('dave')).peerId, subject: 'We met at the conference', text: 'Hello!', date: NOW - 120_000, folder: 'requests' as const }] : []),
      ...(options.quarantine === true ? [{ fromName: 'Bob', fromPeer: bob.peerId, subject: 'new key?', text: 'x', date: NOW - 60_000, folder: 'quarantine' as const, warning: "KEY CHANGED: bob's card now has a different encryption key than the one you pinned; compare fingerprints before trusting it" }] : [])
    ])
    const t = await openTestHome(home.home)
    await t.api.call('contacts.add', { card: bob.card, as: 'bob' })
    const store = createStore(initialState({ columns: options.columns ?? 100, rows: options.rows ?? 24 }))
    const log = memoryLog()
    const controller = new Controller({ api: new UiApi(options.wrap?.(t.api) ?? t.api), store, log, saveDir: join(home.home, 'saved'), onQuit: options.onQuit })
    const r = render(<App store={store} controller={controller} now={() => NOW} followResize={false} />)
    open.push({ unmount: () => { controller.stop(); r.unmount() }, close: async () => { await t.close(); await home.remove() } })
    await controller.start()
    await frameWith(r, contains('Photos'), 'the inbox')
    return { r, store, controller, log, home, bob, ...t }
  }

  it('opens on the inbox: folders with unread counts, newest message first, status line', async () => {
    const { r } = await start()
    const frame = r.lastFrame() ?? ''
    assert.match(frame, /inbox \(3\)/)
    const lines = frame.split('\n')
    const photos = lines.findIndex(l => l.includes('Photos'))
    const lunch = lines.findIndex(l => l.includes('Lunch plans') && !l.includes('Re:'))
    assert.ok(photos < lunch, 'newest first')
    assert.match(lines[photos]!, /N {3}11:50 {2}Bob/, 'unread flag, time, sender')
    assert.match(lines.find(l => l.includes('Re: Lunch'))!, /N@/, 'attachment marker')
    assert.match(frame, /offline \(no daemon\) · servers 0\/0/)
  })

  it('the title line names the main keys of the screen, as many as fit; none past the edge', async () => {
    const { r, store } = await start({ columns: 120 })
    assert.match((r.lastFrame() ?? '').split('\n')[0]!, /Enter open · c new · r reply · \/ search · q quit · d trash *$/)
    await press(r, KEYS.enter)
    const reader = await frameWith(r, contains('Subject: Photos'), 'the reader')
    assert.match(reader.split('\n')[0]!, /r reply · f fwd · d trash · q back · s save · R all *$/)
    store.dispatch({ type: 'resize', columns: 60, rows: 24 })
    const narrow = await frameWith(r, f => f.split('\n').every(l => l.length <= 60), 'the narrow screen')
    assert.match(narrow.split('\n')[0]!, /Reading · 12D3KooW…\w+ +r reply/, 'fewer hints')
  })

  it('j and Enter open a message: headers, body, attachment state, the conversation; it becomes read', async () => {
    const { r } = await start()
    await press(r, 'j', KEYS.enter)
    const frame = await frameWith(r, contains('Conversation: 2 messages'), 'the reader with the thread')
    assert.match(frame, /Subject: Re: Lunch plans/)
    assert.match(frame, /Date: +Tue 10 Mar 2026 11:30/, 'the date as people read it')
    assert.match(frame, /Or one\?/)
    assert.match(frame, /menu\.txt {2}21 B {2}text\/plain {2}here/)
    assert.match(frame, /11:00 +Bob +Lunch plans/, 'the earlier message of the conversation is listed')
    await press(r, 'q')
    const list = await frameWith(r, contains('inbox (2)'), 'one fewer unread')
    assert.doesNotMatch(list.split('\n').find(l => l.includes('Re: Lunch'))!, /N@/)
  })

  it('p goes to the earlier message of the conversation; s saves the attachment (sha256 matches)', async () => {
    const { r, home } = await start()
    await press(r, 'j', KEYS.enter)
    await frameWith(r, contains('menu.txt'), 'the attachment')
    await press(r, 's')
    await frameWith(r, contains('Save menu.txt into:'), 'the save prompt')
    await press(r, KEYS.enter)
    await frameWith(r, contains('saved menu.txt'), 'saved')
    const saved = await readFile(join(home.home, 'saved', 'menu.txt'))
    assert.equal(createHash('sha256').update(saved).digest('hex'), createHash('sha256').update(attachment).digest('hex'))
    await press(r, 'p')
    await frameWith(r, f => f.includes('Subject: Lunch plans') && f.includes('Noon at the usual place?'), 'the first message')
  })

  it('reading a request says what it is and how to accept it; i moves it to the inbox', async () => {
    const { r, controller } = await start({ request: true, columns: 120 })
    await controller.selectFolder('requests')
    await frameWith(r, contains('We met at the conference'), 'the request listed')
    await press(r, KEYS.enter)
    const frame = await frameWith(r, contains('Subject: We met at the conference'), 'the request open')
    assert.match(frame, /A request from someone not in your contacts: i accepts it, d trashes it/)
    await press(r, 'i')
    await frameWith(r, f => f.includes('moved to inbox') && f.includes('(requests is empty)'), 'accepted')
  })

  it('open conversations wider than the screen: the tabs stay on one line around the current one, the others counted', async () => {
    // Two conversations (Photos; Lunch plans with its reply): their tabs take 25 columns.
    const { r, store } = await start()
    await press(r, KEYS.enter)
    await frameWith(r, contains('Subject: Photos'), 'the first open')
    await press(r, 'q', 'j', KEYS.enter)
    await frameWith(r, contains('Subject: Re: Lunch plans'), 'the second open')
    store.dispatch({ type: 'resize', columns: 24, rows: 24 })
    const frame = await frameWith(r, f => f.split('\n').every(l => l.length <= 24), 'the narrow screen')
    const lines = frame.split('\n')
    assert.match(lines[1]!, /‹1 +2:Re: Lunch plans/, 'the current tab, the other counted')
    assert.match(lines[2]!, /^From: /, 'the tabs took one line')
    assert.ok(lines.every(l => l.length <= 24))
    await press(r, ']')
    const first = (await frameWith(r, contains('Subject: Photos'), 'switched to the first')).split('\n')
    assert.ok(first.every(l => l.length <= 24))
    assert.match(first[1]!, /1:Photos +1›/)
    assert.match(first[2]!, /^From: /)
  })

  it('saving into a path that is a file says so in words (not the daemon\'s EEXIST)', async () => {
    const { r, home } = await start({ columns: 120 })
    const file = join(home.home, 'a-file.txt')
    await writeFile(file, 'x')
    await press(r, 'j', KEYS.enter)
    await frameWith(r, contains('menu.txt'), 'the attachment')
    await press(r, 's', '\x15')
    await type(r, file)
    await press(r, KEYS.enter)
    const frame = await frameWith(r, contains('saving: '), 'the refusal')
    assert.match(frame, /saving: a-file\.txt is a file, not a folder: give the folder to save into/)
    assert.doesNotMatch(frame, /EEXIST/)
  })

  it('two conversations open at once; ] switches between them', async () => {
    const { r } = await start()
    await press(r, KEYS.enter)
    await frameWith(r, contains('Subject: Photos'), 'Photos open')
    await press(r, 'q', 'j', KEYS.enter)
    await frameWith(r, contains('Subject: Re: Lunch plans'), 'the lunch conversation open')
    assert.match(r.lastFrame() ?? '', / 1:Photos +2:Re: Lunch plans/)
    await press(r, ']')
    await frameWith(r, contains('Subject: Photos'), 'switched back')
  })

  it('? shows the help generated from the key table, q returns', async () => {
    const { r } = await start({ rows: 40 })
    await press(r, '?')
    const help = await frameWith(r, contains('Mail list'), 'help')
    assert.match(help, /j, Down +next line/)
    assert.match(help, /\? +this help/)
    await press(r, 'q')
    await frameWith(r, contains('Photos'), 'back to the list')
  })

  it('help at 80x24: long lines wrap (nothing cut), the foot says there is more and how to leave, G and PgDn reach the end', async () => {
    const { r } = await start({ columns: 80, rows: 24 })
    await press(r, '?')
    const first = await frameWith(r, contains('Mail list'), 'help')
    assert.ok(first.split('\n').slice(1).every(l => l.length <= 80 && !l.includes('…')), 'no line cut (the title abbreviates the PeerId)')
    assert.match(first.replace(/\s+/g, ' '), /in the trash: empty it, every message for good \(asks first\)/, 'whole, where 80 columns cut it before')
    assert.match(first, /-- \d+ more lines: j\/k, PgDn, G; q back --/)
    await press(r, 'G')
    const end = await frameWith(r, contains('cancel the selected message'), 'the end of the help (the outbox keys)')
    assert.match(end, /-- q back --/)
    await press(r, 'g', '\x1b[6~')
    await frameWith(r, f => !f.includes('Mail list') && f.includes('more lines'), 'a page down')
    await press(r, 'q')
    await frameWith(r, contains('Photos'), 'back to the list')
  })

  it('composing: completion from contacts, attach a file, Ctrl-S queues it and the outcome shows per recipient', async () => {
    const { r, home, api, controller } = await start({ rows: 30 })
    const file = join(home.home, 'notes.txt')
    await writeFile(file, 'notes\n')
    await press(r, 'c')
    await frameWith(r, contains('New message'), 'the composer')
    await type(r, 'bo')
    await frameWith(r, contains('Tab: bob'), 'completion')
    await press(r, KEYS.tab, KEYS.tab, KEYS.tab)
    await type(r, 'Hello')
    await press(r, KEYS.tab)
    await type(r, join(home.home, 'note'))
    await frameWith(r, contains('Tab: ' + file), 'path completion')
    await press(r, KEYS.tab, KEYS.enter, KEYS.tab)
    await type(r, 'Hi Bob')
    await press(r, KEYS.enter)
    await type(r, 'second line')
    const draft = await frameWith(r, contains('second line'), 'the body')
    assert.match(draft, /To +bob/)
    assert.match(draft, /@ .*notes\.txt/)
    await press(r, KEYS.ctrlS)
    const sent = await frameWith(r, contains('bob: waiting'), 'the sending box with bob waiting (no daemon)')
    assert.match(sent, /Sending/)
    assert.match(sent, /Hello/)
    assert.match(sent, /^ {2}outbox: O *\n {2}1 waiting/m, 'the folder column counts it, whole, under the outbox')
    const page = await api.call<{ items: Array<{ subject: string, attachments: unknown[] }> }>('list', { folder: 'sent' })
    assert.equal(page.items[0]?.subject, 'Hello')
    await controller.selectFolder('sent')
    await frameWith(r, f => /→ bob +Hello/.test(f), 'the sent folder lists the recipient, not me')
    assert.equal(page.items[0]?.attachments.length, 1)
  })

  it('attaching: a path with no file, or a folder, is refused in words when added and at send; a file shows its size', async () => {
    const { r, home } = await start({ rows: 30, columns: 140 })
    const file = join(home.home, 'notes.txt')
    await writeFile(file, 'twelve bytes')
    await press(r, 'c')
    await frameWith(r, contains('New message'), 'the composer')
    await type(r, 'bob')
    await press(r, KEYS.tab, KEYS.tab, KEYS.tab)
    const missing = join(home.home, 'no-such-file.pdf')
    await type(r, missing)
    await press(r, KEYS.enter)
    const refused = await frameWith(r, contains('attaching: '), 'the refusal')
    assert.match(refused, /attaching: no file no-such-file\.pdf there; check the path/)
    assert.doesNotMatch(refused, /@ .*no-such-file/, 'not added')
    assert.match(refused, /Attach +.*no-such-file\.pdf▏/, 'the path stays to correct')
    await press(r, KEYS.ctrlS)
    await frameWith(r, f => /sending: no file no-such-file\.pdf there/.test(f) && f.includes('New message'), 'refused at send too, the draft kept')
    await press(r, '\x15')
    await type(r, home.home)
    await press(r, KEYS.enter)
    await frameWith(r, f => /attaching: .* is a folder/.test(f), 'a folder refused')
    await press(r, '\x15')
    await type(r, file)
    await press(r, KEYS.enter)
    await frameWith(r, f => /@ .*notes\.txt +12 B/.test(f), 'the file attached with its size')
  })

  it('composing: the arrows move a cursor (left/right in a field, up/down between body lines); typing and Backspace work there', async () => {
    const { r, api } = await start({ rows: 30 })
    await press(r, 'c')
    await type(r, 'bob')
    await press(r, KEYS.tab, KEYS.tab)
    await type(r, 'Helo')
    await press(r, KEYS.left)
    await type(r, 'l')
    await frameWith(r, contains('Hell▏o'), 'typed before the cursor')
    await press(r, KEYS.tab, KEYS.tab)
    await type(r, 'first line')
    await press(r, KEYS.enter)
    await type(r, 'second')
    await press(r, KEYS.up)
    await frameWith(r, f => /^first ▏line/m.test(f), 'up: the same column of the line above')
    await press(r, KEYS.backspace)
    await type(r, '-')
    await press(r, KEYS.down, KEYS.right)
    await type(r, '!')
    await frameWith(r, f => /^first-line$/m.test(f) && /^second!▏$/m.test(f), 'edited in place, then at the end again')
    await press(r, KEYS.ctrlS)
    await frameWith(r, contains('bob: waiting'), 'queued')
    const sent = await api.call<{ items: Array<{ id: string, subject: string }> }>('list', { folder: 'sent' })
    assert.equal(sent.items[0]?.subject, 'Hello')
    const read = await api.call<{ text: string }>('read', { id: sent.items[0]!.id })
    assert.match(read.text, /^first-line\r?\nsecond!/)
  })

  it('paths typed relative to where peerpost was started, or with ~/, reach the daemon (which runs elsewhere) as absolute paths', async () => {
    const calls: Array<{ method: string, params: { request?: { attachmentPaths?: string[] }, dir?: string } }> = []
    const { r, home } = await start({ rows: 30, columns: 140, wrap: api => ({ ...api, call: async <T, >(method: string, params?: unknown): Promise<T> => { calls.push({ method, params: params as { dir?: string } }); return await api.call<T>(method, params) } }) })
    const cwd = process.cwd()
    process.chdir(home.home)
    try {
      await writeFile(join(home.home, 'notes.txt'), 'notes')
      await press(r, 'c')
      await type(r, 'bob')
      await press(r, KEYS.tab, KEYS.tab, KEYS.tab)
      await type(r, 'notes.txt')
      await press(r, KEYS.enter)
      await frameWith(r, f => /@ .*notes\.txt +5 B/.test(f), 'attached by a relative path')
      await press(r, KEYS.ctrlS)
      await frameWith(r, contains('bob: waiting'), 'queued')
      assert.deepEqual(calls.find(c => c.method === 'send')?.params.request?.attachmentPaths, [join(home.home, 'notes.txt')])
      await press(r, 'j', KEYS.enter)
      await frameWith(r, contains('menu.txt'), 'the message with an attachment')
      await press(r, 's', '\x15')
      await type(r, 'kept')
      await press(r, KEYS.enter)
      await frameWith(r, contains('saved menu.txt'), 'saved')
      assert.equal(calls.find(c => c.method === 'attachments.save')?.params.dir, join(home.home, 'kept'))
    } finally {
      process.chdir(cwd)
    }
  })

  it('r replies with the quote and the thread headers', async () => {
    const { r, api } = await start()
    await press(r, 'j', 'r')
    const frame = await frameWith(r, contains('Reply'), 'the reply draft')
    assert.match(frame, /To +bob/)
    assert.match(frame, /Subject +Re: Lunch plans/)
    assert.match(frame, /> Or one\?/)
    assert.match(frame, /On Tue 10 Mar 2026 11:30, Bob wrote:/, 'the quote header by name and a readable date')
    await type(r, 'One works.')
    await press(r, KEYS.ctrlS)
    await frameWith(r, contains('bob: waiting'), 'queued')
    const page = await api.call<{ items: Array<{ inReplyTo?: string, references: string[] }> }>('list', { folder: 'sent' })
    assert.match(page.items[0]?.inReplyTo ?? '', /@/)
    assert.deepEqual(page.items[0]?.references.slice(0, 1), ['<lunch@x>'])
  })

  it('an error shows in the status line in words, and the UI keeps working', async () => {
    const { r } = await start()
    await press(r, 'c')
    await type(r, 'nobody-known')
    await press(r, KEYS.ctrlS)
    const frame = await frameWith(r, contains('sending: '), 'the error')
    assert.match(frame.replace(/ *\n/g, ' '), /sending: unknown recipient "nobody-known": add their card in Contacts \(C, then a\), or check the name/, 'the advice in the UI\'s keys')
    assert.doesNotMatch(frame, /peerpost contacts add/, 'not the command line\'s advice')
    assert.match(frame, /New message/, 'the draft is kept')
    await press(r, KEYS.escape)
    await frameWith(r, contains('Discard this draft? (y/n)'), 'asked before the typed draft goes')
    await press(r, 'y')
    await frameWith(r, contains('draft discarded'), 'back to the list')
  })

  it('Esc or Ctrl-C on a draft with typing asks first (any key but y keeps it); an untouched draft goes at once; Ctrl-C elsewhere quits', async () => {
    let quit = false
    const { r } = await start({ onQuit: () => { quit = true } })
    await press(r, 'c')
    await frameWith(r, contains('New message'), 'the composer')
    await press(r, KEYS.escape)
    await frameWith(r, f => f.includes('draft discarded') && f.includes('inbox (3)'), 'an untouched draft discarded at once')
    await press(r, 'c')
    await frameWith(r, contains('New message'), 'the composer again')
    await type(r, 'bob')
    await press(r, KEYS.tab, KEYS.tab)
    await type(r, 'Half written')
    await press(r, KEYS.escape)
    await frameWith(r, contains('Discard this draft? (y/n)'), 'the question')
    await press(r, 'n')
    const kept = await frameWith(r, contains('draft kept'), 'kept on n')
    assert.match(kept, /Subject +Half written/)
    await type(r, '!')
    await frameWith(r, contains('Half written!▏'), 'typing goes on in the same field')
    await press(r, KEYS.ctrlC)
    await frameWith(r, contains('Discard this draft? (y/n)'), 'Ctrl-C asks too')
    assert.equal(quit, false, 'Ctrl-C on a typed draft does not quit')
    await press(r, 'y')
    await frameWith(r, f => f.includes('draft discarded') && f.includes('inbox (3)'), 'discarded on y')
    await press(r, KEYS.ctrlC)
    assert.equal(quit, true, 'Ctrl-C on the list quits')
  })

  it('d on a message read from the list opens the next one of the list in its place, as mail clients do', async () => {
    const { r } = await start()
    await press(r, KEYS.enter)
    await frameWith(r, contains('Subject: Photos'), 'the newest open')
    await press(r, 'd')
    const next = await frameWith(r, f => f.includes('Subject: Re: Lunch plans') && f.includes('moved to trash'), 'the next message of the list, in the reader')
    assert.doesNotMatch(next, /Photos/, 'its tab is gone')
    await press(r, 'd')
    await frameWith(r, f => f.includes('Subject: Lunch plans') && !f.includes('Re: Lunch'), 'the last one of the list')
    await press(r, 'd')
    await frameWith(r, f => f.includes('(inbox is empty)'), 'the last one trashed: back to the (empty) list')
  })

  it('d moves to trash and a archives; the folder list follows', async () => {
    const { r, controller } = await start()
    await press(r, 'd')
    await frameWith(r, f => !f.includes('Photos') && f.includes('moved to trash') && f.includes('trash (1)'), 'Photos gone from the inbox')
    await press(r, 'a')
    await frameWith(r, f => f.includes('moved to archive') && f.includes('archive (1)'), 'archived')
    await controller.selectFolder('trash')
    await frameWith(r, contains('Photos'), 'Photos in the trash')
  })

  it('D deletes for good only in the trash, after a y; any other key keeps it; E empties the trash after a y', async () => {
    const { r, controller, api } = await start()
    await press(r, 'D')
    await frameWith(r, contains('D deletes for good only in the trash'), 'refused outside the trash')
    await press(r, 'd')
    await frameWith(r, f => f.includes('moved to trash') && f.includes('trash (1)'), 'Photos in the trash')
    await press(r, 'd')
    await frameWith(r, f => f.includes('moved to trash') && f.includes('trash (2)'), 'Re: Lunch plans in the trash')
    await controller.selectFolder('trash')
    await frameWith(r, f => f.includes('Photos') && f.includes('Re: Lunch plans'), 'both in the trash')
    await press(r, 'D')
    await frameWith(r, contains('for good? (y/n)'), 'the question')
    await press(r, 'n')
    await frameWith(r, contains('nothing deleted'), 'kept on n')
    assert.equal((await api.call<{ items: unknown[] }>('list', { folder: 'trash' })).items.length, 2)
    await press(r, 'D', 'y')
    const frame = await frameWith(r, f => f.includes('deleted for good') && f.includes('trash: 1 message'), 'one deleted for good')
    const left = (await api.call<{ items: Array<{ subject: string }> }>('list', { folder: 'trash' })).items
    assert.equal(left.length, 1)
    assert.ok(!frame.includes(left[0]!.subject === 'Photos' ? 'Re: Lunch plans' : 'Photos'), 'the deleted one is off the screen')
    await press(r, 'E')
    await frameWith(r, contains('Empty trash: 1 message for good? (y/n)'), 'the empty-trash question')
    await press(r, KEYS.escape)
    await frameWith(r, contains('nothing deleted'), 'kept on Escape')
    await press(r, 'E', 'y')
    await frameWith(r, f => f.includes('(trash is empty)') && f.includes('deleted 1 message for good'), 'the trash emptied')
    assert.deepEqual((await api.call<{ items: unknown[] }>('list', { folder: 'trash' })).items, [])
    assert.match(r.lastFrame() ?? '', /inbox \(1\)/, 'the inbox keeps its message')
  })

  it('a long line of the body wraps at the screen edge: its end is on screen, not cut off', async () => {
    const { r, home, bob, mailbox } = await start({ columns: 60 })
    const long = 'This paragraph is one line, as most mail clients send a paragraph, and it ends with the part that matters: meet at 7pm'
    const stored = await storedMessage(home.peerId, { fromName: 'Bob', fromPeer: bob.peerId, subject: 'Long line', text: long, date: NOW })
    await mailbox.add(stored.message, stored.raw, stored.dedupeKey)
    await press(r, '$')
    await frameWith(r, contains('Long line'), 'the new message listed')
    await press(r, 'g', KEYS.enter)
    const frame = await frameWith(r, contains('Subject: Long line'), 'the reader')
    // Read as the lines run on: the whole paragraph is there, its end included.
    assert.match(frame.replace(/ *\n/g, ' '), /ends with the part that matters: meet at 7pm/)
    assert.ok(frame.split('\n').every(l => l.length <= 60))
  })

  it('at 80 columns the status line gives a long message or prompt the whole width: the text typed and what to do stay visible', async () => {
    const { r } = await start({ columns: 80 })
    const last = (f: string): string => f.split('\n').at(-1) ?? ''
    await press(r, 'E')
    const error = await frameWith(r, f => last(f).includes('E empties the trash'), 'the error')
    assert.match(last(error), /E empties the trash: open the trash folder first/)
    await press(r, '/')
    await type(r, 'lunch')
    const prompt = await frameWith(r, f => last(f).includes('lunch▏'), 'what is typed, on screen')
    assert.ok(prompt.split('\n').every(l => l.length <= 80))
    await type(r, ' plans at the usual place on the corner')
    await frameWith(r, f => last(f).includes('on the corner▏'), 'a long search: its end, with the cursor')
    await press(r, KEYS.escape)
    await frameWith(r, f => /online|offline/.test(last(f)), 'the indicators back once the line is free')
  })

  it('an error wider than the screen wraps over the status lines: all of it shows, the screen keeps its height', async () => {
    const { r } = await start({ columns: 60, rows: 20 })
    await press(r, 'C', 'a')
    await type(r, 'garbage')
    await press(r, KEYS.enter)
    const frame = await frameWith(r, contains('adding the contact'), 'the error')
    assert.match(frame.replace(/ *\n/g, ' '), /adding the contact: this is not a peerpost identity card \(expected text starting with "peerpost1:"\)/)
    const lines = frame.split('\n')
    assert.ok(lines.length <= 20 && lines.every(l => l.length <= 60), 'within the screen')
    await press(r, 'j')
    await frameWith(r, f => f.includes('? help') && !f.includes('adding the contact'), 'gone at the next key, the indicators back')
  })

  it('a tiny terminal (30x8): one pane at a time (Tab switches), nothing wraps or falls off, the title stays', async () => {
    const { r, store } = await start()
    store.dispatch({ type: 'resize', columns: 30, rows: 8 })
    const check = (f: string): boolean => { const l = f.split('\n'); return l.length <= 8 && l.every(x => x.length <= 30) && l[0]!.startsWith('peerpost') }
    const list = await frameWith(r, f => check(f) && f.includes('Bob'), 'the messages alone, within the screen')
    assert.doesNotMatch(list, /requests/, 'no folder column beside them')
    await press(r, KEYS.tab)
    await frameWith(r, f => check(f) && f.includes('> inbox') && !f.includes('Bob'), 'the folders alone')
    await press(r, 'G')
    await frameWith(r, f => check(f) && f.includes('> trash'), 'the last folder, scrolled into view')
    await press(r, KEYS.tab, 'C')
    await frameWith(r, f => check(f) && f.includes('bob'), 'contacts within the screen')
    // The reader gives up the full headers, the conversation and all but the selected attachment before the body.
    await press(r, 'q', KEYS.tab, 'g', KEYS.tab)
    await frameWith(r, f => check(f) && f.includes('Photos'), 'the inbox again')
    await press(r, 'j', KEYS.enter)
    const reader = await frameWith(r, f => check(f) && f.includes('Subject: Re: Lunch'), 'the reader within the screen')
    assert.match(reader, /Or one\?/, 'the body shows')
  })

  it('lays out again on resize: no line is wider than the terminal', async () => {
    const { r, store } = await start()
    store.dispatch({ type: 'resize', columns: 50, rows: 12 })
    const frame = await frameWith(r, f => f.split('\n').every(l => l.length <= 50), 'the narrow layout')
    assert.ok(frame.split('\n').length <= 12)
    assert.match(frame, /Photos/)
  })

  it('the contacts pane: presence, fingerprint, and a loud warning when a contact\'s key changed', async () => {
    const { r } = await start({ columns: 120, quarantine: true })
    await press(r, 'C')
    const frame = await frameWith(r, contains('KEY CHANGED: bob'), 'contacts with the warning')
    assert.match(frame, /\? bob/, 'presence unknown: bob has no home server')
    assert.match(frame, /KEY CHANGED: bob/)
    assert.match(frame, /pinned fingerprint ([0-9A-F]{4} ){7}[0-9A-F]{4}/)
  })

  it('new mail appears without a keypress, on top, the cursor staying on its message', async () => {
    const { r, home, bob, mailbox, events } = await start()
    await press(r, 'j')
    const stored = await storedMessage(home.peerId, { fromName: 'Bob', fromPeer: bob.peerId, subject: 'Just arrived', text: 'hi', date: NOW })
    const { id } = await mailbox.add(stored.message, stored.raw, stored.dedupeKey)
    events.emit('mail:received', { id, folder: 'inbox', fromPeer: bob.peerId })
    const frame = await frameWith(r, f => f.includes('Just arrived') && f.includes('inbox (4)'), 'the new message')
    const lines = frame.split('\n')
    assert.ok(lines.findIndex(l => l.includes('Just arrived')) < lines.findIndex(l => l.includes('Photos')))
    await press(r, KEYS.enter)
    await frameWith(r, contains('Subject: Re: Lunch plans'), 'the cursor stayed on the message it was on')
  })

  it('a card copied from a terminal where it wrapped (line breaks inside) pastes whole into the add prompt', async () => {
    const { r } = await start({ columns: 120 })
    const dave = await stranger('dave')
    await press(r, 'C')
    await frameWith(r, contains('Contacts (1)'), 'contacts')
    await press(r, 'a')
    await frameWith(r, contains('Card (peerpost1:…) or name@server:'), 'the add prompt')
    const wrapped = dave.card.match(/.{1,64}/g)!.join('\n')
    r.stdin.write(wrapped) // one paste, as copied: line breaks where the screen wrapped it
    await frameWith(r, f => f.includes(`${dave.card.slice(-20)}▏`), 'the whole card in the prompt, still open')
    await press(r, KEYS.enter)
    await frameWith(r, f => f.includes('Contacts (2)') && f.includes(`pinned dave = ${dave.peerId.slice(0, 12)}`), 'dave pinned')
  })

  it('contacts: M shows my own card (to give to people) with my fingerprint, M again hides it', async () => {
    const { r, api } = await start({ columns: 100, rows: 30 })
    const mine = await api.call<{ card: string, peerId: string }>('card')
    await press(r, 'C')
    await frameWith(r, contains('Contacts (1)'), 'contacts')
    await press(r, 'M')
    const frame = await frameWith(r, contains('My card'), 'my card')
    const text = frame.slice(frame.indexOf('peerpost1:')).split('\n').filter(l => /^[A-Za-z0-9_:-]+ *$/.test(l)).map(l => l.trim()).join('')
    assert.equal(text, mine.card, 'the whole card, in lines that copy back into one')
    assert.match(frame, /My fingerprint ([0-9A-F]{4} ){7}[0-9A-F]{4}/)
    await press(r, 'M')
    await frameWith(r, f => !f.includes('My card'), 'hidden again')
  })

  it('contacts: D removes the selected contact after a y (any other key keeps it)', async () => {
    const { r, api } = await start({ columns: 120 })
    await press(r, 'C')
    await frameWith(r, contains('Contacts (1)'), 'contacts')
    await press(r, 'D')
    await frameWith(r, contains('Remove bob from your contacts? Their next mail goes to requests. (y/n)'), 'the question')
    await press(r, 'n')
    await frameWith(r, f => f.includes('nothing removed') && f.includes('Contacts (1)'), 'kept on n')
    await press(r, 'D', 'y')
    await frameWith(r, f => f.includes('removed bob') && f.includes('Contacts (0)'), 'removed on y')
    assert.deepEqual(await api.call<unknown[]>('contacts.list'), [])
  })

  it('contacts: a pasted card is pinned, and my status is set', async () => {
    const { r, api } = await start({ columns: 120 })
    const carol = await stranger('carol')
    await press(r, 'C')
    await frameWith(r, contains('Contacts (1)'), 'contacts')
    await press(r, 'a')
    await frameWith(r, contains('Card (peerpost1:…) or name@server:'), 'the add prompt')
    r.stdin.write(carol.card) // a paste arrives as one chunk
    await press(r, KEYS.enter)
    await frameWith(r, f => f.includes('Contacts (2)') && f.includes(`pinned carol = ${carol.peerId.slice(0, 12)}`), 'carol pinned')
    await press(r, 's', '\x15')
    await type(r, 'away')
    await press(r, KEYS.enter)
    await frameWith(r, f => f.includes('you are away') && f.includes('me: away') && f.includes('· away ·'), 'my status')
    assert.equal((await api.call<{ status: string }>('presence.get')).status, 'away')
    await press(r, 's', '\x15')
    await type(r, 'sleepy')
    await press(r, KEYS.enter)
    await frameWith(r, contains('setting the status: unknown status "sleepy"'), 'a bad status refused in words')
  })

  it('name@server that now names another key: refused, and both fingerprints shown loudly', async () => {
    const { r, api } = await start({ columns: 140 })
    // The daemon's answer when the directory names another key than the pinned one.
    const pinned = '12D3KooWPinnedPinnedPinnedPinnedPinnedPinned'
    const now = '12D3KooWNewNewNewNewNewNewNewNewNewNewNewNewNe'
    const original = api.call
    api.call = async <T, >(method: string, params?: unknown): Promise<T> => {
      if (method === 'contacts.add') throw new RemoteError('NameKeyChangedError', `KEY CHANGED: dave@203.0.113.7 was pinned to ${pinned} but the directory now names ${now}. Refused: check with them, then \`peerpost contacts remove dave@203.0.113.7\` and add it again if the change is real`)
      return await original<T>(method, params)
    }
    try {
      await press(r, 'C', 'a')
      await type(r, 'dave@203.0.113.7')
      await press(r, KEYS.enter)
      const frame = await frameWith(r, contains('!! KEY CHANGED: dave@203.0.113.7 now names another key'), 'the loud warning')
      assert.match(frame, new RegExp(`pinned +([0-9A-F]{4} ){7}[0-9A-F]{4} +${pinned}`))
      assert.match(frame, new RegExp(`now +([0-9A-F]{4} ){7}[0-9A-F]{4} +${now}`))
      assert.match(frame, /adding the contact: KEY CHANGED/)
    } finally {
      api.call = original
    }
  })

  it('the outbox pane shows each recipient and the transfers (none here)', async () => {
    const { r, api } = await start()
    await api.call('send', { request: { to: ['bob'], subject: 'queued one', text: 'x' } })
    await press(r, 'O')
    const frame = await frameWith(r, contains('queued one'), 'the outbox')
    assert.match(frame, /bob: waiting/)
    assert.match(frame, /Transfers\n\(none running\)/)
  })
})

describe('first-run screen', () => {
  it('creates the identity, shows the card and the fingerprint, then offers a cache server', async () => {
    const { FirstRunFlow } = await import('../../cli/ui/first-run.js')
    const { FirstRunScreen } = await import('../../cli/ui/components/FirstRunScreen.js')
    const { generateKeyMaterial } = await import('../../node/identity/index.js')
    const { createKeystore } = await import('../../storage/index.js')
    const { homePaths } = await import('../../node/home.js')
    const base = await uiHome('firstrun-base')
    const home = join(base.home, 'new-home')
    await mkdir(home)
    let done: HomeApi | undefined
    const flow = new FirstRunFlow({
      home,
      createIdentity: async (name, passphrase) => { await createKeystore(homePaths(home).keystore).create(await generateKeyMaterial({ displayName: name, now: NOW }), passphrase) },
      connect: async passphrase => ({ api: await openLocalService(home, passphrase), started: false }),
      done: r => { done = r.api }
    })
    const r = render(<FirstRunScreen flow={flow} columns={100} />)
    await frameWith(r, contains('Your name'), 'the name field')
    await press(r, KEYS.enter)
    await frameWith(r, contains('type the name'), 'a name is needed')
    await type(r, 'Carol')
    await press(r, KEYS.enter)
    await frameWith(r, contains('Passphrase to seal'), 'the passphrase field')
    await type(r, 'secret')
    await frameWith(r, contains('******'), 'the passphrase is not shown')
    await press(r, KEYS.enter)
    const card = await frameWith(r, contains('Press Enter to continue'), 'the card', 30_000)
    assert.match(card, /peerpost1:/)
    assert.match(card, /Fingerprint ([0-9A-F]{4} ){7}[0-9A-F]{4}/)
    await press(r, KEYS.enter)
    await frameWith(r, contains('Cache server:'), 'the server offer')
    await type(r, 'not-an-address')
    await press(r, KEYS.enter)
    await frameWith(r, contains('adding the server:'), 'a bad address is refused in words')
    for (let i = 0; i < 'not-an-address'.length; i++) await press(r, KEYS.backspace)
    await press(r, KEYS.enter)
    await deadline((async () => { while (done == null) await new Promise(resolve => setTimeout(resolve, 10)) })(), 5000, 'the flow to finish')
    const ks = JSON.parse(await readFile(homePaths(home).keystore, 'utf8'))
    assert.equal(ks.sealed, true, 'sealed with the passphrase')
    assert.ok((await readdir(home)).includes('keystore.json'))
    r.unmount()
    await done!.close()
    await base.remove()
  })
})

/** A home whose inbox holds `count` messages from bob, a minute apart, the newest last; `subject(i)` names each. */
async function largeInbox (name: string, count: number, subject: (i: number) => string = i => `Message ${i + 1}`) {
  const home = await uiHome(name)
  const bob = await stranger('bob')
  const t = await openTestHome(home.home)
  const base = await storedMessage(home.peerId, { fromName: 'Bob', fromPeer: bob.peerId, subject: 'x', text: 'x', date: NOW })
  await Promise.all(Array.from({ length: count }, async (_v, i) => {
    const at = NOW - (count - i) * 60_000
    await t.mailbox.add({ ...base.message, subject: subject(i), messageId: `<p${i}@x>`, date: at, receivedAt: at }, base.raw, `${bob.peerId}\n<p${i}@x>`)
  }))
  return { home, t }
}

/** The app in a 100x20 terminal on `api`, started; `close()` stops it and removes the home of `inbox`. */
async function openInboxApp (inbox: Awaited<ReturnType<typeof largeInbox>>, api: HomeApi = inbox.t.api) {
  const store = createStore(initialState({ columns: 100, rows: 20 }))
  const controller = new Controller({ api: new UiApi(api), store, log: memoryLog() })
  const r = render(<App store={store} controller={controller} now={() => NOW} followResize={false} />)
  const close = async (): Promise<void> => {
    controller.stop()
    r.unmount()
    await inbox.t.close()
    await inbox.home.remove()
  }
  try {
    await controller.start()
  } catch (err) {
    await close()
    throw err
  }
  return { store, r, close }
}

describe('a large folder is paged, never read whole', () => {
  it('asks for one page at start, more as the cursor nears the end, and G walks page by page to the oldest', async () => {
    const COUNT = 1_000
    const inbox = await largeInbox('paging', COUNT)
    const { t } = inbox
    const limits: number[] = []
    const counting: HomeApi = {
      ...t.api,
      call: async <T, >(method: string, params?: unknown): Promise<T> => {
        if (method === 'list') limits.push((params as { limit: number }).limit)
        return await t.api.call<T>(method, params)
      }
    }
    const { store, r, close } = await openInboxApp(inbox, counting)
    try {
      await frameWith(r, contains('Message 1000'), 'the newest message')
      assert.deepEqual(limits, [50], 'one page of 50 at start')
      assert.equal(store.getState().list.items.length, 50)
      for (let i = 0; i < 40; i++) await press(r, 'j')
      await frameWith(r, () => store.getState().list.items.length === 100, 'the next page as the cursor nears the end')
      await press(r, 'G')
      await frameWith(r, f => /Message 1$/m.test(f), 'the oldest message after G', 20_000)
      assert.ok(limits.every(l => l <= 50), 'every request is one page')
      assert.equal(store.getState().list.items.length, COUNT)
    } finally {
      await close()
    }
  })

  it('/ filters what is loaded as you type; Enter searches the whole folder through the daemon, Esc goes back', async () => {
    // Only the oldest few (far past the first page) say "invoice".
    const inbox = await largeInbox('search', 600, i => i < 3 ? `Invoice ${i + 1}` : `Message ${i + 1}`)
    const { store, r, close } = await openInboxApp(inbox)
    try {
      await frameWith(r, contains('Message 600'), 'the newest message')
      await press(r, '/')
      await type(r, 'invoice')
      await frameWith(r, f => f.includes('"invoice": 0 loaded') && f.includes('(no loaded message matches: Enter searches the whole folder)'), 'the live filter of the loaded page')
      await press(r, KEYS.enter)
      const found = await frameWith(r, contains('"invoice": 3 found'), 'the whole folder searched')
      for (const n of [1, 2, 3]) assert.match(found, new RegExp(`Invoice ${n}`))
      assert.doesNotMatch(found, /Message 600/)
      assert.match(found, /"invoice": 3 found \(Esc clears\)/, 'the heading says how to leave the search')
      await press(r, KEYS.escape)
      await frameWith(r, f => f.includes('Message 600') && !f.includes('"invoice"'), 'Esc on the results: the folder again')
      assert.equal(store.getState().list.search, undefined)
      await press(r, '/')
      await type(r, 'invoice')
      await press(r, KEYS.enter)
      await frameWith(r, contains('"invoice": 3 found'), 'searched again')
      await press(r, '/', KEYS.escape)
      await frameWith(r, f => f.includes('Message 600') && !f.includes('"invoice"'), 'Esc in the prompt: the folder again')
      assert.equal(store.getState().list.search, undefined)
    } finally {
      await close()
    }
  })

  it('Enter searches the text of messages through the daemon, even when the whole folder is loaded', async () => {
    const inbox = await largeInbox('search-text', 3)
    const { home, t } = inbox
    const bob = await stranger('bob')
    const report = await storedMessage(home.peerId, { fromName: 'Bob', fromPeer: bob.peerId, subject: 'Report', text: 'The Quarterly figures are attached.', date: NOW })
    await t.mailbox.add(report.message, report.raw, report.dedupeKey)
    const { r, close } = await openInboxApp(inbox)
    try {
      await frameWith(r, f => f.includes('Report') && f.includes('Message 1'), 'all four messages')
      await press(r, '/')
      await type(r, 'quarterly')
      await frameWith(r, contains('(no sender, recipient or subject matches: Enter searches the text too)'), 'no header matches')
      await press(r, KEYS.enter)
      const found = await frameWith(r, contains('"quarterly": 1 found'), 'the text searched')
      assert.match(found, /Report/)
      assert.doesNotMatch(found, /Message 1/)
    } finally {
      await close()
    }
  })
})

describe('the daemon going away under the UI', () => {
  it('a request in flight when the connection drops does not replace "reconnecting" with "quit and start again"; once a daemon is back the UI reconnects', async () => {
    const inbox = await largeInbox('drop', 3)
    const { t } = inbox
    // The daemon as the control client shows it: a held request is rejected and the close told in the same tick.
    const closeListeners: Array<(err: Error) => void> = []
    let held: { reject: (err: Error) => void } | undefined
    let holdNext = false
    const dropping: HomeApi = {
      ...t.api,
      remote: true,
      // The test closes the home itself: the UI closing the dropped connection must not.
      close: async () => {},
      onClose: listener => { closeListeners.push(listener) },
      call: async <T, >(method: string, params?: unknown): Promise<T> => {
        if (holdNext && method === 'folders') {
          holdNext = false
          return await new Promise<T>((_resolve, reject) => { held = { reject } })
        }
        return await t.api.call<T>(method, params)
      }
    }
    let daemonBack = false
    const connect = async (): Promise<HomeApi> => {
      if (!daemonBack) throw new DaemonNotRunningError(inbox.home.home)
      return { ...t.api, remote: true, close: async () => {} }
    }
    const store = createStore(initialState({ columns: 120, rows: 20 }))
    const log = memoryLog()
    const controller = new Controller({ api: new UiApi(dropping, connect), store, log })
    const r = render(<App store={store} controller={controller} now={() => NOW} followResize={false} />)
    try {
      await controller.start()
      await frameWith(r, contains('Message 3'), 'the inbox')
      holdNext = true
      await press(r, '$')
      await deadline((async () => { while (held == null) await new Promise(resolve => setImmediate(resolve)) })(), 5_000, 'the folders request in flight')
      const err = new ControlProtocolError('the daemon closed the control connection')
      held!.reject(err)
      for (const l of closeListeners) l(err)
      await deadline((async () => { while (!log.lines.some(l => l.startsWith('folders failed'))) await new Promise(resolve => setImmediate(resolve)) })(), 5_000, 'the failed request handled')
      const frame = await frameWith(r, contains('offline (no daemon)'), 'the lost daemon on screen')
      assert.match(frame, /the daemon stopped: reconnecting when it runs again/)
      assert.doesNotMatch(frame, /quit and start peerpost again/)
      daemonBack = true
      await frameWith(r, f => f.includes('reconnected to the daemon') && f.includes('online · servers'), 'reconnected', 15_000)
    } finally {
      controller.stop()
      r.unmount()
      await inbox.t.close()
      await inbox.home.remove()
    }
  })
})
