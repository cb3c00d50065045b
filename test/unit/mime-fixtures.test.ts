import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { describe, it } from 'node:test'
import {
  MalformedMimeError,
  MissingMessageIdError,
  parseMessage,
  parseSummary,
  peerIdFromAddress,
  readEmlForSend,
  summarize
} from '../../node/mime/index.js'
import { headerBlockSummary } from '../../node/mime/parse.js'

// Compiled to dist/test/unit/, the fixtures stay in the source tree.
const FIXTURES = new URL('../../../test/fixtures/eml/', import.meta.url)
const ALICE = '12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA'
const BOB = '12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK'
const CAROL = 'QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N'

async function fixture (name: string): Promise<Uint8Array> {
  return new Uint8Array(await readFile(new URL(name, FIXTURES)))
}

describe('parsing real .eml fixtures', () => {
  it('reads an attachment whose Content-Type is empty as application/octet-stream (it used to throw outside the promise and crash the process)', async () => {
    const msg = await parseMessage(await fixture('empty-content-type.eml'))
    assert.equal(msg.attachments.length, 1)
    assert.equal(msg.attachments[0]?.name, 'a.pdf')
    assert.equal(msg.attachments[0]?.type, 'application/octet-stream')
  })

  it('reads a plain text message from one peer to another', async () => {
    const msg = await parseMessage(await fixture('plain-text.eml'))
    assert.equal(msg.messageId, '<plain-1@peerpost>')
    assert.equal(msg.from, `Alice <${ALICE}@peerpost>`)
    assert.deepEqual(msg.to, [`Bob <${BOB}@peerpost>`])
    assert.deepEqual(msg.cc, [])
    assert.equal(msg.subject, 'Lunch on Friday?')
    assert.equal(msg.date, Date.UTC(2025, 2, 14, 9, 30, 0))
    assert.match(msg.text, /Are you free for lunch on Friday\?/)
    assert.equal(msg.html, undefined)
    assert.equal(msg.inReplyTo, undefined)
    assert.deepEqual(msg.references, [])
    assert.deepEqual(msg.attachments, [])
    assert.equal(peerIdFromAddress(msg.from), ALICE)
  })

  it('reads the same message saved with bare LF line ends', async () => {
    const msg = await parseMessage(await fixture('plain-text-lf.eml'))
    assert.equal(msg.messageId, '<plain-lf-1@peerpost>')
    assert.equal(msg.subject, 'Lunch on Friday?')
    assert.match(msg.text, /Alice/)
  })

  it('reads html + text alternatives, quoted display names, encoded words and mixed domains', async () => {
    const msg = await parseMessage(await fixture('alternative.eml'))
    assert.equal(msg.subject, 'Café menu')
    assert.equal(msg.from, `"Smith, Alice" <${ALICE}@peerpost>`)
    assert.equal(peerIdFromAddress(msg.from), ALICE)
    assert.deepEqual(msg.to, [`Bob <${BOB}@peerpost>`, 'carol@cache.example.org'])
    assert.deepEqual(msg.cc, [`Zöe <${CAROL}@peerpost>`])
    assert.equal(peerIdFromAddress(msg.to[1] ?? ''), undefined)
    assert.equal(msg.text.trim(), 'The café has a new menu.')
    assert.equal(msg.html?.trim(), '<p>The café has a <b>new</b> menu.</p>')
    assert.equal(msg.date, Date.UTC(2025, 2, 15, 17, 5, 42))
  })

  it('reads In-Reply-To and a folded References header', async () => {
    const msg = await parseMessage(await fixture('reply.eml'))
    assert.equal(msg.inReplyTo, '<plain-1@peerpost>')
    assert.deepEqual(msg.references, ['<root-0@peerpost>', '<plain-1@peerpost>'])
  })

  it('reads base64 attachments byte for byte, RFC 2231 names, and names the unnamed', async () => {
    const msg = await parseMessage(await fixture('attachments.eml'))
    assert.equal(msg.text.trim(), 'Three files attached.')
    const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i))
    assert.deepEqual(msg.attachments.map(a => ({ name: a.name, type: a.type, size: a.size })), [
      { name: 'all-bytes.bin', type: 'application/octet-stream', size: 256 },
      { name: 'résumé.csv', type: 'text/csv', size: 10 },
      { name: 'attachment-3.pdf', type: 'application/pdf', size: 19 }
    ])
    const [bin, csv] = msg.attachments
    assert.deepEqual(Buffer.from(bin?.content ?? []), allBytes)
    assert.equal(bin?.sha256, createHash('sha256').update(allBytes).digest('hex'))
    assert.equal(Buffer.from(csv?.content ?? []).toString(), 'a,b\r\n1,2\r\n')
  })

  it('decodes iso-8859-1 bodies and headers, quoted-printable and 8bit', async () => {
    const qp = await parseMessage(await fixture('latin1-qp.eml'))
    assert.equal(qp.subject, 'Déjà vu')
    assert.equal(qp.from, `François <${CAROL}@peerpost>`)
    assert.equal(qp.text.trim(), "Très bien, à bientôt. Garçon, un café crème, s'il vous plaît.")
    assert.equal(qp.date, Date.UTC(2025, 2, 17, 13, 0, 0))

    const eight = await parseMessage(await fixture('latin1-8bit.eml'))
    assert.equal(eight.text.trim(), 'Grüße aus Köln, ça va?')
    assert.equal(eight.from, 'Renée <renee@cache.example.org>')
  })

  it('gives date 0 for an unreadable Date header and skips empty groups', async () => {
    const msg = await parseMessage(await fixture('bad-date.eml'))
    assert.equal(msg.date, 0)
    assert.deepEqual(msg.to, [])
  })

  it('refuses a message whose header never ends', async () => {
    await assert.rejects(parseMessage(await fixture('malformed-no-blank-line.eml')), MalformedMimeError)
  })

  it('refuses a message without a Message-ID, and tells a sender how to add one', async () => {
    const raw = await fixture('no-message-id.eml')
    await assert.rejects(parseMessage(raw), MissingMessageIdError)
    await assert.rejects(readEmlForSend(raw), (err: Error) => {
      assert.equal(err.name, 'MissingMessageIdError')
      assert.match(err.message, /Message-ID: <.+>/)
      return true
    })
  })

  it('accepts a well-formed .eml for send --eml and returns what it parsed', async () => {
    const msg = await readEmlForSend(await fixture('reply.eml'))
    assert.equal(msg.messageId, '<reply-2@peerpost>')
  })

  it('summarizes without bodies or content', async () => {
    const summary = summarize(await parseMessage(await fixture('attachments.eml')))
    assert.equal('text' in summary, false)
    assert.equal('html' in summary, false)
    assert.deepEqual(Object.keys(summary.attachments[0] ?? {}).sort(), ['name', 'sha256', 'size', 'type'])
    assert.equal(summary.subject, 'Files')
    assert.equal(summary.attachments.length, 3)
  })
})

describe('parseSummary: the summary from the header block alone when that is all of it', () => {
  const crlf = (lines: string[]): Uint8Array => new TextEncoder().encode(lines.join('\r\n'))
  const head = ['From: Alice <' + ALICE + '@peerpost>', 'To: Bob <' + BOB + '@peerpost>', 'Subject: s', 'Message-ID: <x-1@peerpost>', 'Date: Fri, 14 Mar 2025 09:30:00 +0000', 'MIME-Version: 1.0']
  // Each is a case the header block alone could get wrong: the body holds attachments.
  const tricky: Record<string, Uint8Array> = {
    'one text part marked as an attachment': crlf([...head, 'Content-Type: text/plain', 'Content-Disposition: attachment; filename="a.txt"', '', 'hello', '']),
    'one non-text part': crlf([...head, 'Content-Type: application/pdf', '', '%PDF', '']),
    'no Content-Type at all': crlf([...head, '', 'plain by default', '']),
    'an empty Content-Type': crlf([...head, 'Content-Type:', '', 'body', '']),
    'two Content-Type lines, text first': crlf([...head, 'Content-Type: text/plain', 'Content-Type: multipart/mixed; boundary="b"', '', '--b', 'Content-Type: text/plain', '', 'hi', '--b', 'Content-Type: application/octet-stream', 'Content-Disposition: attachment; filename="x.bin"', '', 'AAAA', '--b--', '']),
    'multipart with an attachment': crlf([...head, 'Content-Type: multipart/mixed; boundary="b"', '', '--b', 'Content-Type: text/plain', '', 'hi', '--b', 'Content-Type: text/plain; name="n.txt"', 'Content-Disposition: attachment', '', 'file', '--b--', '']),
    'an embedded message': crlf([...head, 'Content-Type: message/rfc822', '', 'Subject: inner', 'Message-ID: <in@x>', '', 'inner body', '']),
    'html only': crlf([...head, 'Content-Type: TEXT/HTML; charset=utf-8', '', '<p>hi</p>', '']),
    // Header blocks the direct reading takes, or must hand to mailparser.
    'LF line ends': new TextEncoder().encode([...head, 'Content-Type: text/plain', '', 'hi', ''].join('\n')),
    'folded To and References': crlf(['From: alice <' + ALICE + '@peerpost>', 'To: Bob B <' + BOB + '@peerpost>,', ' ' + CAROL + '@peerpost', 'References: <a@x>', '\t<b@peerpost>  <c@y>', 'Message-ID: <x-2@peerpost>', 'Content-Type: text/plain', '', 'hi', '']),
    'two Subject lines': crlf([...head, 'Subject: again', 'Content-Type: text/plain', '', 'hi', '']),
    'punycode domain': crlf(['From: a@xn--bcher-kva.example', 'To: b@example.org', 'Message-ID: <x-3@peerpost>', '', 'hi', '']),
    'uppercase domain': crlf(['From: a@Example.ORG', 'To: b@example.org', 'Message-ID: <x-4@peerpost>', '', 'hi', '']),
    'Message-ID without brackets': crlf(['From: a@example.org', 'Message-ID: x-5@peerpost', '', 'hi', '']),
    'a name with a dot': crlf(['From: a.b <a@example.org>', 'Message-ID: <x-6@peerpost>', '', 'hi', '']),
    'no Date, no To, no Subject': crlf(['From: a@example.org', 'Message-ID: <x-7@peerpost>', '', 'hi', '']),
    'a folded Date': crlf(['From: a@example.org', 'Message-ID: <x-8@peerpost>', 'Date: Fri, 14 Mar', ' 2025 09:30:00 +0000', '', 'hi', '']),
    'an unreadable Date': crlf(['From: a@example.org', 'Message-ID: <x-9@peerpost>', 'Date: someday', '', 'hi', '']),
    'a group': crlf(['From: a@example.org', 'To: friends: b@example.org, c@example.org;', 'Message-ID: <x-10@peerpost>', '', 'hi', '']),
    'no Message-ID': crlf(['From: a@example.org', 'Subject: s', '', 'hi', ''])
  }

  it('equals summarize(parseMessage(raw)) for every fixture and tricky case, or fails the same way', async () => {
    const files = (await readdir(FIXTURES)).filter(f => f.endsWith('.eml'))
    const cases: Array<[string, Uint8Array]> = [...await Promise.all(files.map(async f => [f, await fixture(f)] as [string, Uint8Array])), ...Object.entries(tricky)]
    for (const [name, raw] of cases) {
      const whole = await parseMessage(raw).then(m => summarize(m), (err: Error) => err)
      const quick = await parseSummary(raw).catch((err: Error) => err)
      if (whole instanceof Error) {
        assert.ok(quick instanceof Error, `${name}: parseSummary should fail as parseMessage does (${whole.name})`)
        assert.equal(quick.name, whole.name, name)
      } else {
        assert.deepEqual(quick, whole, name)
      }
    }
    // Both ways through parseSummary are taken by these cases.
    const direct = (name: string): boolean => {
      const raw = Buffer.from(tricky[name]!)
      const end = raw.indexOf('\r\n\r\n') >= 0 ? raw.indexOf('\r\n\r\n') + 4 : raw.indexOf('\n\n') + 2
      try {
        return headerBlockSummary(raw.subarray(0, end)) !== undefined
      } catch {
        return true // refused right there, with the error a whole parse gives (checked above)
      }
    }
    // Only a root that may hold more than text is parsed whole; every header oddity is mailparser's own decoding either way.
    const whole = ['one text part marked as an attachment', 'one non-text part', 'two Content-Type lines, text first', 'multipart with an attachment', 'an embedded message']
    for (const name of Object.keys(tricky)) assert.equal(direct(name), !whole.includes(name), `${name}: ${whole.includes(name) ? 'parsed whole' : 'from the header block'}`)
    assert.equal((await parseSummary(tricky['one text part marked as an attachment']!)).attachments.length, 1)
    assert.equal((await parseSummary(tricky['two Content-Type lines, text first']!)).attachments.length, summarize(await parseMessage(tricky['two Content-Type lines, text first']!)).attachments.length)
  })
})
