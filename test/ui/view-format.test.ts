import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { bodyText, fit, longDate, peerNames, recipientLine, senderName, shortDate, wrapText } from '../../cli/ui/view-format.js'
import type { RecipientState } from '../../storage/types.js'

// Dates on screen are local time: these checks are written for UTC unless a test sets another zone.
process.env.TZ = 'UTC'

describe('ui text helpers', () => {
  it('a parked recipient names the holders: my servers by address, co-recipients by contact name', () => {
    const names = peerNames(
      [{ addr: '/ip4/203.0.113.7/tcp/4455/p2p/12D3KooWServer', peerId: '12D3KooWServer', connected: true }],
      [{ name: 'carol', peerId: '12D3KooWCarol', addrs: [], homeServers: [], pinnedAt: 0 }]
    )
    const r: RecipientState = { peerId: 'p', address: 'bob', state: 'parked', attempts: 1, nextAttemptAt: 0, parkedAt: ['12D3KooWServer', '12D3KooWCarol', '12D3KooWUnknownUnknownXYZ'], envelopeId: 'e' }
    assert.equal(recipientLine(r, 0, names), 'bob: parked at server 203.0.113.7:4455, carol, 12D3KooW…ownXYZ (waiting for them to fetch it)')
    assert.equal(recipientLine({ ...r, state: 'delivered' }, 0, names), 'bob: delivered')
    assert.match(recipientLine({ ...r, state: 'pending', nextAttemptAt: 5000, lastError: 'offline' }, 0, names), /bob: waiting, attempt 2 in 5s \(offline\)/)
  })

  it('an HTML-only body is rendered as text; a text part is shown as it is', () => {
    const m = { id: 'x', folder: 'inbox' as const, messageId: '<x@y>', from: 'a', fromPeer: 'p', to: [], cc: [], subject: 's', date: '', references: [], attachments: [] }
    const text = bodyText({ ...m, text: '', html: '<h1>Hello</h1><p>See <a href="https://example.org">the site</a>.</p><script>x()</script>' }, 80)
    assert.match(text, /HELLO/)
    assert.match(text, /See the site \[https:\/\/example\.org\]\./)
    assert.doesNotMatch(text, /<|x\(\)/)
    assert.equal(bodyText({ ...m, text: 'plain', html: '<p>other</p>' }, 80), 'plain')
  })

  it('wrapText breaks long lines at spaces (a word longer than the width is cut), keeps short lines, empty lines and quote marks', () => {
    const paragraph = 'one line per paragraph, the way most mail clients write it, ending with: meet at 7pm'
    const lines = wrapText(paragraph, 30)
    assert.ok(lines.every(l => l.length <= 30), lines.join('|'))
    assert.equal(lines.join(' '), paragraph, 'nothing lost, words whole')
    assert.deepEqual(wrapText('short\n\nlines', 30), ['short', '', 'lines'])
    assert.deepEqual(wrapText('x'.repeat(25), 10), ['x'.repeat(10), 'x'.repeat(10), 'x'.repeat(5)])
    const quoted = wrapText('> > a quoted paragraph that is longer than the width', 24)
    assert.ok(quoted.every(l => l.startsWith('> > ') && l.length <= 24), quoted.join('|'))
    assert.equal(quoted.map(l => l.slice(4)).join(' '), 'a quoted paragraph that is longer than the width')
    const marked = wrapText('▏> > a quoted paragraph that is longer than the width', 24, '▏')
    assert.ok(marked[0]!.startsWith('▏> > ') && marked.slice(1).every(l => l.startsWith('> > ') && l.length <= 24), marked.join('|'))
    assert.equal(marked.join('').split('▏').length, 2, 'the mark once')
  })

  it('dates are in the local time zone: the list\'s short form and the reader\'s full one', () => {
    const tz = process.env.TZ
    process.env.TZ = 'Asia/Kolkata' // UTC+05:30, no daylight saving
    try {
      const now = Date.parse('2026-03-10T12:00:00Z')
      assert.equal(shortDate(Date.parse('2026-03-10T08:05:00Z'), now), '13:35')
      assert.equal(shortDate(Date.parse('2026-03-09T20:00:00Z'), now), '01:30', 'already today there')
      assert.equal(longDate('2026-03-10T08:05:00.000Z'), 'Tue 10 Mar 2026 13:35')
      assert.equal(longDate('not a date'), 'not a date')
    } finally {
      if (tz == null) delete process.env.TZ
      else process.env.TZ = tz
    }
  })

  it('dates: time today, month and day this year, the full date before', () => {
    const now = Date.parse('2026-03-10T12:00:00Z')
    assert.equal(shortDate(Date.parse('2026-03-10T08:05:00Z'), now), '08:05')
    assert.equal(shortDate(Date.parse('2026-01-02T08:05:00Z'), now), 'Jan 02')
    assert.equal(shortDate(Date.parse('2024-01-02T08:05:00Z'), now), '2024-01-02')
  })

  it('fit cuts with an ellipsis and pads, keeping inner spaces; senderName takes the display name', () => {
    assert.equal(fit('abcdef', 4), 'abc…')
    assert.equal(fit('a  b', 6), 'a  b  ')
    assert.equal(fit('line\nbreak', 20).trimEnd(), 'line break')
    assert.equal(senderName('Bob <12D3KooWX@peerpost>'), 'Bob')
    assert.equal(senderName('"Bob, Jr." <x@peerpost>'), 'Bob, Jr.')
    assert.equal(senderName('x@peerpost'), 'x@peerpost')
  })
})

describe('ui log', () => {
  it('goes to ui.log in the home; past its size bound the old one is kept as ui.log.1', async () => {
    const { mkdtemp, readFile, rm, writeFile } = await import('node:fs/promises')
    const { tmpdir } = await import('node:os')
    const { join } = await import('node:path')
    const { fileLog } = await import('../../cli/ui/log.js')
    const home = await mkdtemp(join(tmpdir(), 'peerpost-uilog-'))
    try {
      await writeFile(join(home, 'ui.log'), 'x'.repeat(200))
      const log = fileLog(home, 100)
      log('opened %s', 'inbox')
      await log.close()
      assert.match(await readFile(join(home, 'ui.log'), 'utf8'), /^\S+ opened inbox\n$/)
      assert.equal((await readFile(join(home, 'ui.log.1'), 'utf8')).length, 200)
    } finally {
      await rm(home, { recursive: true, force: true })
    }
  })
})
