import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { reducer } from '../../cli/ui/reducer.js'
import { initialState, listRows, visibleItems } from '../../cli/ui/state.js'
import { KEY_BINDINGS, PLAIN_KEY, commandFor, helpLines, keyLabel, keyName, printable, splitPresses } from '../../cli/ui/keys.js'
import { forwardable, forwardDraft, newDraft, replyDraft } from '../../cli/ui/drafts.js'
import type { Action } from '../../cli/ui/reducer.js'
import type { AppState } from '../../cli/ui/state.js'
import type { MessageView } from '../../cli/ui/ui-api.js'
import type { MessageSummary } from '../../storage/types.js'

const ALICE = '12D3KooWAnceAnceAnceAnceAnceAnceAnceAnceAnceAnceAn'
const BOB = '12D3KooWBobBobBobBobBobBobBobBobBobBobBobBobBobBo'
const CAROL = '12D3KooWCaroCaroCaroCaroCaroCaroCaroCaroCaroCaroCa'

function summary (i: number, extra: Partial<MessageSummary> = {}): MessageSummary {
  return { id: `id${String(i).padStart(4, '0')}`, folder: 'inbox', messageId: `<m${i}@x>`, fromPeer: BOB, from: `Bob <${BOB}@peerpost>`, to: [], cc: [], subject: `subject ${i}`, date: 1_700_000_000_000 - i * 1000, receivedAt: 1_700_000_000_000 - i * 1000, unread: true, attachments: [], references: [], size: 100, ...extra }
}

const run = (state: AppState, ...actions: Action[]): AppState => actions.reduce(reducer, state)
const page = (n: number, from = 0): Action => ({ type: 'list/page', folder: 'inbox', items: Array.from({ length: n }, (_v, i) => summary(from + i)), next: 'more', append: from > 0 })

describe('ui reducer: the message list', () => {
  it('moves the cursor within what is loaded and scrolls just enough to keep it on screen', () => {
    let s = run(initialState({ columns: 80, rows: 12 }), page(30))
    const rows = listRows(s)
    s = run(s, { type: 'move', to: -1 })
    assert.equal(s.list.selected, 0, 'cannot go above the first')
    s = run(s, ...Array.from({ length: rows + 2 }, (): Action => ({ type: 'move', to: 1 })))
    assert.equal(s.list.selected, rows + 2)
    assert.equal(s.list.top, 3, 'the list scrolled by the rows passed')
    s = run(s, { type: 'move', to: 'bottom' })
    assert.equal(s.list.selected, 29)
    s = run(s, { type: 'move', to: 'top' })
    assert.deepEqual([s.list.selected, s.list.top], [0, 0])
  })

  it('appends the next page, and a folder change starts from nothing', () => {
    let s = run(initialState(), page(50), page(50, 50))
    assert.equal(s.list.items.length, 100)
    assert.equal(s.list.items[50]?.id, 'id0050')
    s = run(s, { type: 'folder/select', folder: 'sent' })
    assert.deepEqual([s.list.folder, s.list.items.length, s.list.loaded], ['sent', 0, false])
    s = run(s, page(5))
    assert.equal(s.list.items.length, 0, 'a page of another folder arriving late is ignored')
  })

  it('a message moved to another folder leaves the list; a read one stays, marked read', () => {
    let s = run(initialState(), page(3))
    s = run(s, { type: 'message/changed', summary: { ...summary(1), unread: false } })
    assert.equal(s.list.items[1]?.unread, false)
    s = run(s, { type: 'message/changed', summary: { ...summary(1), folder: 'trash' } })
    assert.deepEqual(s.list.items.map(m => m.id), ['id0000', 'id0002'])
  })

  it('messages deleted for good leave the list and every conversation; a reader left with none goes back to the list', () => {
    let s = run(initialState(), page(3), { type: 'move', to: 'bottom' })
    s = run(s, { type: 'conversation/open', id: 'id0002' }, { type: 'conversation/loaded', id: 'id0002', message: undefined as unknown as MessageView, thread: [summary(1), summary(2)] })
    assert.equal(s.screen, 'reader')
    s = run(s, { type: 'messages/removed', ids: ['id0001'] })
    assert.deepEqual(s.list.items.map(m => m.id), ['id0000', 'id0002'])
    assert.deepEqual(s.conversations[0]?.thread.map(m => m.id), ['id0002'])
    assert.equal(s.screen, 'reader')
    s = run(s, { type: 'messages/removed', ids: ['id0002'] })
    assert.deepEqual(s.list.items.map(m => m.id), ['id0000'])
    assert.equal(s.list.selected, 0, 'the cursor stays on the list')
    assert.deepEqual(s.conversations, [])
    assert.equal(s.screen, 'mail')
  })

  it('the filter keeps the loaded messages whose sender or subject match', () => {
    const s = run(initialState(), page(12), { type: 'filter', text: 'SUBJECT 1' })
    assert.deepEqual(visibleItems(s.list).map(m => m.subject), ['subject 1', 'subject 10', 'subject 11'])
  })

  it('a resize keeps the selected message on screen', () => {
    let s = run(initialState({ columns: 100, rows: 40 }), page(40), { type: 'move', to: 30 })
    assert.equal(s.list.top, 0)
    s = run(s, { type: 'resize', columns: 60, rows: 12 })
    assert.ok(s.list.selected >= s.list.top && s.list.selected < s.list.top + listRows(s))
    assert.equal(s.size.columns, 60)
  })
})

describe('ui reducer: conversations', () => {
  const message = (id: string): MessageView => ({ id, folder: 'inbox', messageId: `<${id}@x>`, from: 'Bob', fromPeer: BOB, to: [], cc: [], subject: id, date: '', text: 'a\nb\nc', references: [], attachments: [{ name: 'a.txt', type: 'text/plain', size: 1 }, { name: 'b.txt', type: 'text/plain', size: 1 }] })

  it('opening a message of an open conversation switches to it instead of opening another', () => {
    let s = run(initialState(), { type: 'conversation/open', id: 'a' }, { type: 'conversation/loaded', id: 'a', message: message('a'), thread: [summary(1, { id: 'a' }), summary(2, { id: 'b' })] })
    s = run(s, { type: 'conversation/open', id: 'c' })
    assert.equal(s.conversations.length, 2)
    assert.equal(s.active, 1)
    s = run(s, { type: 'conversation/open', id: 'b' })
    assert.equal(s.conversations.length, 2, 'b is in the first conversation')
    assert.deepEqual([s.active, s.conversations[0]?.id], [0, 'b'])
    s = run(s, { type: 'conversation/switch', delta: 1 })
    assert.equal(s.active, 1)
    s = run(s, { type: 'conversation/switch', delta: 1 })
    assert.equal(s.active, 0, 'wraps around')
    s = run(s, { type: 'conversation/close' }, { type: 'conversation/close' })
    assert.deepEqual([s.conversations.length, s.screen], [0, 'mail'])
  })

  it('an HTML-only body scrolls by its rendered lines', () => {
    const html = `<p>${Array.from({ length: 30 }, (_v, i) => `line ${i}`).join('<br>')}</p>`
    let s = run(initialState({ columns: 80, rows: 12 }), { type: 'conversation/open', id: 'h' }, { type: 'conversation/loaded', id: 'h', message: { ...message('h'), text: '', html }, thread: [] })
    s = run(s, { type: 'move', to: 'bottom' })
    assert.equal(s.conversations[0]?.scroll, 29)
  })

  it('selects attachments within bounds', () => {
    let s = run(initialState(), { type: 'conversation/open', id: 'a' }, { type: 'conversation/loaded', id: 'a', message: message('a'), thread: [] })
    s = run(s, { type: 'attachment/select', delta: 1 }, { type: 'attachment/select', delta: 1 })
    assert.equal(s.conversations[0]?.attachment, 1)
    s = run(s, { type: 'attachment/select', delta: -5 })
    assert.equal(s.conversations[0]?.attachment, 0)
  })
})

describe('ui reducer: composing', () => {
  const contacts = [{ name: 'bob', peerId: BOB, addrs: [], homeServers: [], pinnedAt: 0 }, { name: 'bobby@cache.example', peerId: CAROL, addrs: [], homeServers: [], pinnedAt: 0 }]

  it('typing an address offers contacts (names, name@server, PeerIds) and Tab takes the first', () => {
    let s = run(initialState(), { type: 'contacts/loaded', items: contacts, keyChanged: {} }, { type: 'draft/start', draft: newDraft() })
    s = run(s, { type: 'draft/type', text: 'bo' })
    assert.deepEqual(s.draft?.completions, ['bob', 'bobby@cache.example'])
    s = run(s, { type: 'draft/complete' })
    assert.equal(s.draft?.to, 'bob')
    s = run(s, { type: 'draft/type', text: ', 12D3KooWCa' })
    assert.deepEqual(s.draft?.completions, [CAROL])
    s = run(s, { type: 'draft/complete' })
    assert.equal(s.draft?.to, `bob, ${CAROL}`)
  })

  it('fields advance in order; the attach field collects paths; backspace on an empty one drops the last', () => {
    let s = run(initialState(), { type: 'draft/start', draft: newDraft('bob') })
    assert.equal(s.draft?.field, 'subject')
    s = run(s, { type: 'draft/field', delta: 1 }, { type: 'draft/type', text: '/tmp/a.txt' }, { type: 'draft/attach' }, { type: 'draft/type', text: '/tmp/b.txt' }, { type: 'draft/attach' })
    assert.deepEqual(s.draft?.attachments, ['/tmp/a.txt', '/tmp/b.txt'])
    s = run(s, { type: 'draft/backspace' })
    assert.deepEqual(s.draft?.attachments, ['/tmp/a.txt'])
    s = run(s, { type: 'draft/field', delta: 1 }, { type: 'draft/type', text: 'line 1' }, { type: 'draft/newline' }, { type: 'draft/type', text: 'line 2' })
    assert.equal(s.draft?.body, 'line 1\nline 2')
    s = run(s, { type: 'draft/sent', id: 'o1', subject: 'x' })
    assert.equal(s.draft, undefined)
    assert.deepEqual(s.sending.map(x => x.id), ['o1'])
  })

  const original: MessageView = { id: 'x', folder: 'inbox', messageId: '<m2@x>', from: `Bob <${BOB}@peerpost>`, fromPeer: BOB, to: [`Alice <${ALICE}@peerpost>`, `Carol <${CAROL}@peerpost>`], cc: [], subject: 'Plans', date: '2026-01-01T00:00:00.000Z', text: 'see you\nat 5', references: ['<m1@x>'], attachments: [] }

  it('reply quotes the body, threads by In-Reply-To/References and writes to the verified sender', () => {
    const d = replyDraft(original, false, ALICE, contacts)
    assert.equal(d.to, 'bob')
    assert.equal(d.cc, '')
    assert.equal(d.subject, 'Re: Plans')
    assert.equal(d.inReplyTo, '<m2@x>')
    assert.deepEqual(d.references, ['<m1@x>', '<m2@x>'])
    assert.match(d.body, /> see you\n> at 5/)
    assert.equal(replyDraft({ ...original, subject: 'Re: Plans' }, false, ALICE, contacts).subject, 'Re: Plans')
  })

  it('reply to an imported message (no verified sender) writes to the peerpost address its From names', () => {
    assert.equal(replyDraft({ ...original, fromPeer: '' }, false, ALICE, contacts).to, 'bob')
    assert.equal(replyDraft({ ...original, fromPeer: '', from: 'someone <someone@example.org>' }, false, ALICE, contacts).to, '')
  })

  it('reply-all adds the other recipients, never me', () => {
    const d = replyDraft(original, true, ALICE, contacts)
    assert.equal(d.to, 'bob')
    assert.equal(d.cc, 'bobby@cache.example', 'carol shown by her contact name')
  })

  it('forward carries the text under a header block', () => {
    const d = forwardDraft(original)
    assert.equal(d.subject, 'Fwd: Plans')
    assert.equal(d.to, '')
    assert.match(d.body, /Forwarded message[\s\S]*Subject: Plans[\s\S]*see you/)
  })

  it('forward carries the attachments that are here (saved paths, their temp folder) and names the large ones not here yet', () => {
    const m: MessageView = {
      ...original,
      attachments: [
        { name: 'a.txt', type: 'text/plain', size: 3 },
        { name: 'film.mkv', type: 'video/x-matroska', size: 5e6, blobId: 'b1', state: 'here' },
        { name: 'big.iso', type: 'application/octet-stream', size: 9e8, blobId: 'b2', state: 'pulling', received: 10 }
      ]
    }
    assert.deepEqual(forwardable(m), ['a.txt', 'film.mkv'])
    const d = forwardDraft(m, { paths: ['/tmp/f/a.txt', '/tmp/f/film.mkv'], tempDir: '/tmp/f' })
    assert.deepEqual(d.attachments, ['/tmp/f/a.txt', '/tmp/f/film.mkv'])
    assert.equal(d.tempDir, '/tmp/f')
    assert.match(d.body, /\[not here yet, so not forwarded: big\.iso\]/)
    assert.doesNotMatch(forwardDraft(original).body, /not forwarded/)
  })
})

describe('ui key table', () => {
  it('help is generated from the table: every binding appears with its keys', () => {
    const help = helpLines().join('\n')
    for (const b of KEY_BINDINGS) assert.ok(help.includes(b.help), `help lists "${b.help}"`)
    assert.ok(help.includes(keyLabel('C-s')))
  })

  it('no key means two things on one screen', () => {
    const seen = new Map<string, string>()
    for (const b of KEY_BINDINGS) {
      for (const screen of b.screens) {
        for (const key of b.keys) {
          const k = `${screen}:${key}`
          assert.ok(!seen.has(k) || seen.get(k) === b.command, `${k} is bound to ${seen.get(k)} and ${b.command}`)
          seen.set(k, b.command)
        }
      }
    }
  })

  it('vim and arrow keys both move; q quits the list but goes back elsewhere', () => {
    assert.equal(commandFor('mail', 'j'), 'down')
    assert.equal(commandFor('mail', 'down'), 'down')
    assert.equal(commandFor('mail', 'q'), 'quit')
    assert.equal(commandFor('reader', 'q'), 'back')
    assert.equal(commandFor('compose', 'j'), undefined, 'typing j in a draft is text')
  })

  it('presses that arrive in one read are split: control characters are keys, never text', () => {
    const names = (input: string, text: boolean): string[] => splitPresses(input, PLAIN_KEY, text).map(([i, k]) => keyName(i, k))
    assert.deepEqual(names('s\x15/tmp/x\r', true), ['s', 'C-u', '/tmp/x', 'enter'])
    assert.deepEqual(names('jj\r', false), ['j', 'j', 'enter'])
    assert.deepEqual(names('bob\t\tHi', true), ['bob', 'tab', 'tab', 'Hi'])
    assert.deepEqual(names('ab\x7f', true), ['ab', 'backspace'])
    assert.equal(printable('a\x15b\x00c'), 'abc')
  })
})

describe('ui reducer: the sending box', () => {
  it('a send whose recipients all have an outcome (none still waiting) leaves the box once settled; waiting ones stay', () => {
    const entry = (id: string, states: Array<'delivered' | 'pending' | 'parked' | 'failed'>) => ({
      id, messageId: `<${id}@x>`, subject: id, createdAt: 0, expiresAt: 1,
      recipients: states.map((state, i) => ({ peerId: `p${i}`, address: `r${i}`, state, attempts: 1, nextAttemptAt: 0, envelopeId: `e${i}` }))
    })
    let s = run(initialState({ columns: 80, rows: 24 }),
      { type: 'draft/start', draft: newDraft('bob') }, { type: 'draft/sent', id: 'waiting', subject: 'waiting' },
      { type: 'draft/start', draft: newDraft('bob') }, { type: 'draft/sent', id: 'done', subject: 'done' },
      { type: 'draft/start', draft: newDraft('bob') }, { type: 'draft/sent', id: 'new', subject: 'new' })
    s = run(s, { type: 'sending/entry', entry: entry('waiting', ['delivered', 'pending']) }, { type: 'sending/entry', entry: entry('done', ['delivered', 'parked', 'failed']) })
    const before = listRows(s)
    s = run(s, { type: 'sending/settled' })
    assert.deepEqual(s.sending.map(x => x.id), ['new', 'waiting'], 'the settled one gone; one with no outcome yet and one still waiting stay')
    assert.ok(listRows(s) > before, 'the list gets its rows back')
  })
})
