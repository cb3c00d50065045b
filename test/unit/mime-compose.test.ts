import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import {
  composeMessage,
  InvalidAddressError,
  InvalidMessageIdError,
  MimeTooLargeError,
  parseMessage,
  parseSummary,
  peerIdFromAddress,
  summarize,
  toMailbox
} from '../../node/mime/index.js'
import { compileMessage, composeWithNodemailer, onePartBytes } from '../../node/mime/compose.js'

const ALICE = '12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA'
const BOB = '12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK'
const CAROL = 'QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N'
const MiB = 1024 * 1024
// Whole seconds: RFC 5322 dates carry no milliseconds.
const DATE = Date.UTC(2025, 5, 1, 12, 34, 56)

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

describe('compose -> parse round trip', () => {
  it('alice writes bob a reply with html and three attachments; bob reads exactly that', async () => {
    const exactlyOneMiB = new Uint8Array(randomBytes(MiB))
    const justUnder = new Uint8Array(randomBytes(MiB - 1))
    const small = new TextEncoder().encode('line one\nline two\r\nno final newline')
    const { raw, messageId } = await composeMessage({
      from: { name: 'Alice Liddell', peerId: ALICE },
      to: [{ name: 'Bob', peerId: BOB }],
      cc: [{ name: 'Zoë, the cat', peerId: CAROL }, 'dave@cache.example.org'],
      subject: 'Re: plans — ünïcode ✓',
      date: DATE,
      messageId: '<reply-42@peerpost>',
      inReplyTo: '<question-41@peerpost>',
      references: ['<root-1@peerpost>', 'question-41@peerpost'],
      text: 'See the three files.\nBye',
      html: '<p>See the <b>three</b> files.</p>',
      attachments: [
        { filename: 'one-mib.bin', content: exactlyOneMiB },
        { filename: 'just-under.dat', content: justUnder, contentType: 'application/x-peerpost-test' },
        { filename: 'notes.txt', content: small }
      ]
    })
    assert.equal(messageId, '<reply-42@peerpost>')

    const msg = await parseMessage(raw)
    assert.equal(msg.messageId, messageId)
    assert.equal(msg.date, DATE)
    assert.equal(peerIdFromAddress(msg.from), ALICE)
    assert.equal(msg.from, `Alice Liddell <${ALICE}@peerpost>`)
    assert.deepEqual(msg.to, [`Bob <${BOB}@peerpost>`])
    assert.deepEqual(msg.cc, [`"Zoë, the cat" <${CAROL}@peerpost>`, 'dave@cache.example.org'])
    assert.equal(msg.subject, 'Re: plans — ünïcode ✓')
    assert.equal(msg.inReplyTo, '<question-41@peerpost>')
    assert.deepEqual(msg.references, ['<root-1@peerpost>', '<question-41@peerpost>'])
    assert.equal(msg.text.trim(), 'See the three files.\nBye')
    assert.equal(msg.html?.trim(), '<p>See the <b>three</b> files.</p>')

    assert.deepEqual(msg.attachments.map(a => [a.name, a.type, a.size]), [
      ['one-mib.bin', 'application/octet-stream', 1_048_576],
      ['just-under.dat', 'application/x-peerpost-test', 1_048_575],
      ['notes.txt', 'text/plain', small.byteLength]
    ])
    assert.deepEqual(msg.attachments.map(a => a.sha256), [sha256(exactlyOneMiB), sha256(justUnder), sha256(small)])
    assert.deepEqual(msg.attachments.map(a => sha256(a.content)), msg.attachments.map(a => a.sha256))
  })

  it('keeps the given Message-ID and Date byte for byte in the header', async () => {
    const { raw } = await composeMessage({
      from: { peerId: ALICE }, to: [{ peerId: BOB }], subject: 's', date: new Date(DATE), messageId: 'fixed-1@peerpost', text: 't'
    })
    const header = Buffer.from(raw).toString('latin1').split('\r\n\r\n')[0] ?? ''
    assert.match(header, /^Message-ID: <fixed-1@peerpost>$/m)
    assert.match(header, /^Date: Sun, 01 Jun 2025 12:34:56 \+0000$/m)
  })

  it('generates a random <…@peerpost> Message-ID when none is given', async () => {
    const input = { from: { peerId: ALICE }, to: [{ peerId: BOB }], subject: 's', date: DATE, text: 't' }
    const a = await composeMessage(input)
    const b = await composeMessage(input)
    assert.match(a.messageId, /^<[0-9a-f]{32}@peerpost>$/)
    assert.notEqual(a.messageId, b.messageId)
    assert.equal((await parseMessage(a.raw)).messageId, a.messageId)
  })

  it('refuses bad Message-IDs and addresses instead of writing a broken header', async () => {
    const base = { from: { peerId: ALICE }, to: [{ peerId: BOB }], subject: 's', date: DATE, text: 't' }
    await assert.rejects(composeMessage({ ...base, messageId: '<a b@peerpost>' }), InvalidMessageIdError)
    await assert.rejects(composeMessage({ ...base, messageId: 'no-at-sign' }), InvalidMessageIdError)
    await assert.rejects(composeMessage({ ...base, inReplyTo: 'x\r\nBcc: eve@evil' }), InvalidMessageIdError)
    await assert.rejects(composeMessage({ ...base, to: ['bob'] }), InvalidAddressError)
    await assert.rejects(composeMessage({ ...base, to: [{ peerId: 'I0Ol' }] }), InvalidAddressError)
  })

  it('refuses to compose a message over maxBytes', async () => {
    await assert.rejects(composeMessage({
      from: { peerId: ALICE },
      to: [{ peerId: BOB }],
      subject: 's',
      date: DATE,
      text: 't',
      attachments: [{ filename: 'big.bin', content: new Uint8Array(600 * 1024) }]
    }, { maxBytes: 512 * 1024 }), MimeTooLargeError)
  })
})

describe('parseSummary of composed messages (the Sent copy and the receiver index from it)', () => {
  // Printable ASCII with spaces, and the characters that make a composer quote, encode or fold.
  const tricky = fc.constantFrom(' ', '  ', '"', '\\', ',', ';', ':', '<', '>', '@', '(', ')', '.', '=?', '?=', '=?utf-8?q?x?=', 'é', 'ü', '✓', '\t', '\r\n', 'x'.repeat(80))
  const text = fc.array(fc.oneof(fc.string({ maxLength: 12 }), tricky), { maxLength: 6 }).map(parts => parts.join(''))
  const name = fc.option(text, { nil: undefined })
  const address = fc.oneof(
    fc.constantFrom(BOB, CAROL).map(peerId => ({ peerId })),
    fc.constantFrom('dave@cache.example.org', 'Eve.Smith+x@Example.ORG').map(a => ({ address: a }))
  )
  const recipient = fc.tuple(address, name).map(([a, n]) => n === undefined ? a : { ...a, name: n })

  it('is what summarizing a whole parse gives, for any headers and content', async () => {
    await fc.assert(fc.asyncProperty(
      fc.record({
        fromName: name,
        to: fc.array(recipient, { minLength: 1, maxLength: 3 }),
        cc: fc.array(recipient, { maxLength: 2 }),
        subject: text,
        inReplyTo: fc.option(fc.constant('<parent-1@peerpost>'), { nil: undefined }),
        references: fc.array(fc.constantFrom('<a@peerpost>', 'b@peerpost', '<c.d-e@example.org>'), { maxLength: 4 }),
        html: fc.option(fc.constant('<p>hi</p>'), { nil: undefined }),
        attachments: fc.array(fc.record({ filename: fc.constantFrom('a.txt', 'b.pdf', 'ü n.bin'), content: fc.uint8Array({ maxLength: 64 }) }), { maxLength: 2 }),
        ms: fc.integer({ min: 0, max: 999 })
      }),
      async input => {
        let composed
        try {
          composed = await composeMessage({
            from: input.fromName === undefined ? { peerId: ALICE } : { name: input.fromName, peerId: ALICE },
            to: input.to,
            cc: input.cc,
            subject: input.subject,
            date: DATE + input.ms,
            inReplyTo: input.inReplyTo,
            references: input.references,
            text: 'hello',
            html: input.html,
            attachments: input.attachments
          })
        } catch (err) {
          if (err instanceof InvalidAddressError) return
          throw err
        }
        const parsed = summarize(await parseMessage(composed.raw))
        // What a receiver indexes by (parseSummary) is the same too.
        assert.deepEqual(await parseSummary(composed.raw), parsed)
      }
    ), { numRuns: 300 })

    const plain = await composeMessage({ from: { name: 'alice', peerId: ALICE }, to: [{ name: 'Bob B', peerId: BOB }], cc: ['dave@cache.example.org'], subject: 'bench 17: 4 KiB [x]', date: DATE + 500, text: 'x'.repeat(4096) })
    const summary = await parseSummary(plain.raw)
    assert.deepEqual(summary, summarize(await parseMessage(plain.raw)))
    assert.equal(summary.date, DATE)
  })
})

describe('one-part text messages: nodemailer\'s header block and content, without build()\'s stream pipeline', () => {
  const line = fc.array(fc.constantFrom('a', 'Z', '0', ' ', '\t', '.', '-', 'From ', '=', '?', ':', '>', 'x'.repeat(20)), { maxLength: 4 }).map(p => p.join(''))
  const body = fc.array(fc.tuple(line, fc.constantFrom('\n', '\r\n')), { minLength: 1, maxLength: 6 }).chain(ls =>
    fc.boolean().map(trailing => ls.map(([l, nl], i) => l + (i < ls.length - 1 || trailing ? nl : '')).join('')))
  const word = fc.constantFrom('bob', 'Bob', 'x-y', "o'neil", 'a.b', 'Q', 'bench 17', 're: x')
  const mailbox = fc.tuple(fc.option(word, { nil: undefined }), fc.constantFrom(`${BOB}@peerpost`, `${CAROL}@peerpost`, 'dave@cache.example.org'))
    .map(([name, address]) => toMailbox(name === undefined ? { address } : { name, address }))

  it('are byte for byte what build() writes, whenever that way is taken', async () => {
    let written = 0
    await fc.assert(fc.asyncProperty(
      fc.record({
        from: mailbox,
        // Mostly one recipient: two peer addresses make a header line long enough to fold.
        to: fc.oneof({ weight: 4, arbitrary: mailbox.map(m => [m]) }, { weight: 1, arbitrary: fc.array(mailbox, { minLength: 2, maxLength: 3 }) }),
        cc: fc.oneof({ weight: 4, arbitrary: fc.constant<Array<ReturnType<typeof toMailbox>>>([]) }, { weight: 1, arbitrary: fc.array(mailbox, { minLength: 1, maxLength: 2 }) }),
        subject: fc.oneof(fc.constant(''), word, fc.constantFrom('bench 4095', 'a: <b> "c" (d) [e]', 'x'.repeat(60))),
        inReplyTo: fc.option(fc.constant('<parent-1@peerpost>'), { nil: undefined }),
        references: fc.array(fc.constantFrom('<a@peerpost>', '<c.d-e@example.org>'), { maxLength: 3 }),
        text: fc.oneof(body, fc.constantFrom('x', 'ü', 'a\rb', 'y'.repeat(77), 'y'.repeat(76) + '\n' + 'z'.repeat(76), 'y'.repeat(76) + '\r\n' + 'z'.repeat(77) + '\r\n', 'w'.repeat(76) + '\r\n')),
        ms: fc.integer({ min: 0, max: 999 })
      }),
      async input => {
        const headers = { from: input.from, to: input.to, cc: input.cc, subject: input.subject, date: new Date(DATE + input.ms), messageId: '<m-1@peerpost>', inReplyTo: input.inReplyTo, references: input.references }
        const fast = onePartBytes(compileMessage(headers, input.text, undefined, []))
        if (fast === undefined) return
        written++
        assert.equal(Buffer.from(fast).toString('latin1'), (await compileMessage(headers, input.text, undefined, []).build()).toString('latin1'))
      }
    ), { numRuns: 300 })
    assert.ok(written > 100, `most generated messages take that way (${written})`)
  })

  it('the bench\'s 4 KiB message takes that way; 8-bit text and long lines are built (quoted-printable), all equal to build()', async () => {
    const base = { from: { name: 'alice', peerId: ALICE }, to: [{ name: 'bob', peerId: BOB }], subject: 'bench 1', date: DATE, messageId: '<m-2@peerpost>' }
    const text = 'The quick brown fox jumps over the lazy dog; peerpost bench payload text\n'.repeat(56)
    const h = { from: toMailbox(base.from), to: base.to.map(toMailbox), cc: [], subject: base.subject, date: new Date(DATE), messageId: base.messageId, inReplyTo: undefined, references: [] }
    assert.ok(onePartBytes(compileMessage(h, text, undefined, [])) !== undefined)
    assert.deepEqual((await composeMessage({ ...base, text })).raw, new Uint8Array(await compileMessage(h, text, undefined, []).build()))
    assert.equal(onePartBytes(compileMessage(h, 'caf\u00e9', undefined, [])), undefined)
    assert.equal(onePartBytes(compileMessage(h, 'x'.repeat(77), undefined, [])), undefined)
    for (const sample of ['caf\u00e9', 'x'.repeat(77), 'w'.repeat(76) + '\r\n', 'bare\rCR', '', 'no final newline', 'ends in CR\r']) {
      assert.deepEqual(await composeWithNodemailer(h, sample, undefined, []), new Uint8Array(await compileMessage(h, sample, undefined, []).build()), JSON.stringify(sample))
    }
    // Headers that need encoding or folding: nodemailer's own buildHeaders writes them.
    const unicode = { ...h, subject: 'Grüße aus Köln, ein recht langer Betreff der gefaltet werden muss', to: [toMailbox({ name: 'Zoë Ünal', peerId: BOB })] }
    assert.ok(onePartBytes(compileMessage(unicode, text, undefined, [])) !== undefined)
    assert.deepEqual(await composeWithNodemailer(unicode, text, undefined, []), new Uint8Array(await compileMessage(unicode, text, undefined, []).build()))
    const html = await composeMessage({ ...base, text: 'hi', html: '<p>hi</p>' })
    assert.match(Buffer.from(html.raw).toString(), /multipart\/alternative/)
  })
})
