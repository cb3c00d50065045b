/**
 * The sender's Sent copy is indexed from what it composed when that is certain
 * (composed-summary.ts): whenever composeMessage gives a summary, it must be exactly what
 * parseSummary reads from the composed bytes, as a receiver would.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { composeMessage } from '../../node/mime/compose.js'
import { parseSummary } from '../../node/mime/parse.js'
import type { ComposeInput } from '../../node/mime/compose.js'

const RUNS = process.env.PEERPOST_SOAK === '1' ? 20_000 : 400
const PEER = '12D3KooWHsVjTnJ1odGwqGyBkv5Qn8pLu4eR8cQxVXqJKxGz3Wbm'

// Plain and not: words, specials, quotes, encoded-word look-alikes, non-ASCII, spacing, length.
const piece = fc.oneof(
  fc.constantFrom('Alice', 'bob', 'Ann Lee', 'R2D2', '', ' ', '  ', 'O\'Brien', 'Doe, John', '"Q"', 'a.b', '=?utf-8?q?x?=', 'Zoë', '東京', 'tab\there', 'x'.repeat(70), 'Re: hi', '(note)', '<x>', 'a@b', '\\'),
  fc.string({ maxLength: 12 }),
  fc.stringMatching(/^[A-Za-z0-9 ]{0,20}$/)
)
const noisy = fc.array(piece, { maxLength: 4 }).map(parts => parts.join(''))
// Half the values are of the plain kind the fast path takes.
const name = fc.oneof(noisy, fc.constant(''), fc.stringMatching(/^[A-Za-z0-9]{1,8}( [A-Za-z0-9]{1,8}){0,2}$/))
const subject = fc.oneof(noisy, fc.constant(''), fc.stringMatching(/^[\x21-\x7e]{1,10}( [\x21-\x7e]{1,10}){0,3}$/))
const mailbox = fc.record({ name, address: fc.constantFrom(`${PEER}@peerpost`, 'carol@example.org', 'd.e+f@mail.example') })
const messageId = fc.constantFrom('<a1@peerpost>', '<x.y-z@host.example>', '<weird!#$%@x>')

const input = fc.record({
  from: mailbox,
  to: fc.array(mailbox, { minLength: 1, maxLength: 3 }),
  cc: fc.array(mailbox, { maxLength: 2 }),
  subject,
  date: fc.integer({ min: 0, max: 4_102_444_800_000 }),
  inReplyTo: fc.option(messageId, { nil: undefined }),
  references: fc.array(messageId, { maxLength: 3 }),
  text: fc.constantFrom('hello\n', 'line one\r\nline two\r\n', ''),
  html: fc.option(fc.constant('<p>hi</p>'), { nil: undefined, freq: 4 })
}) as fc.Arbitrary<ComposeInput>

describe('the summary of a composed message, without parsing it', () => {
  it('whenever one is given, it is what parseSummary reads from the composed bytes', async () => {
    let given = 0
    await fc.assert(fc.asyncProperty(input, async msg => {
      const composed = await composeMessage(msg)
      if (composed.summary === undefined) return
      given++
      assert.deepEqual(composed.summary, await parseSummary(composed.raw))
    }), { numRuns: RUNS })
    assert.ok(given > RUNS / 20, `a summary was given for ${given} of ${RUNS} messages: the fast path is taken`)
  })

  it('is given for a plain message and its replies, and left to the parser otherwise', async () => {
    const plain: ComposeInput = { from: { name: 'Alice Liddell', address: `${PEER}@peerpost` }, to: [{ name: 'bob', address: 'bob@example.org' }], subject: 'Lunch at 12:30? (or later)', date: 1_760_000_000_123, text: 'hi\n', inReplyTo: '<a1@peerpost>', references: ['<a0@peerpost>', '<a1@peerpost>'] }
    const composed = await composeMessage(plain)
    assert.deepEqual(composed.summary, await parseSummary(composed.raw))
    assert.equal(composed.summary?.date, 1_760_000_000_000, 'to the second, as the Date header has it')
    for (const [label, change] of [
      ['a non-ASCII name', { from: { name: 'Zoë', address: `${PEER}@peerpost` } }],
      ['a name with specials', { to: [{ name: 'Doe, John', address: 'j@example.org' }] }],
      ['a long subject', { subject: 'word '.repeat(20).trim() }],
      ['an encoded-word look-alike', { subject: '=?utf-8?q?hi?=' }],
      ['HTML', { html: '<p>hi</p>' }],
      ['an attachment', { attachments: [{ filename: 'a.txt', content: new Uint8Array([1]) }] }]
    ] as const) {
      assert.equal((await composeMessage({ ...plain, ...change } as ComposeInput)).summary, undefined, label)
    }
  })
})
