/**
 * The mail file formats on their own: mboxrd quoting (written and read back byte for
 * byte, however many `>` a From line had), what a cut or foreign file reads as, and
 * Maildir names, flags and never overwriting.
 */
import { strict as assert } from 'node:assert'
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { mboxFromLine, mboxrdEntry, readMboxrd } from '../../storage/mboxrd.js'
import type { MboxEntry } from '../../storage/mboxrd.js'
import { seededRandom } from '../helpers/random.js'
import { ensureMaildir, maildirEntries, maildirFileName, maildirUnique, maildirUniques, parseMaildirName, writeMaildirMessage } from '../../storage/maildir.js'

const bytes = (s: string): Buffer => Buffer.from(s, 'utf8')
const MAX = 1024 * 1024

async function readAll (path: string, maxMessageBytes = MAX): Promise<MboxEntry[]> {
  const all: MboxEntry[] = []
  for await (const e of readMboxrd(path, { maxMessageBytes })) all.push(e)
  return all
}

describe('mboxrd', () => {
  let dir: string
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'peerpost-mbox-')) })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  const messages = [
    bytes('Subject: one\r\n\r\nFrom the start of a line\r\n>From quoted once\r\n>>From twice\r\nFromage is no From line\r\n'),
    bytes('Subject: two\n\nFrom \n>From \nlast line without newline'),
    bytes('From: someone@example\nSubject: three\n\n\n\nends with blank lines\n\n'),
    bytes('Subject: four\r\n\r\n' + 'x'.repeat(300_000) + '\r\nFrom after a long line\r\n')
  ]

  it('quotes every >*From line with one more > and reads each message back as it was', async () => {
    const path = join(dir, 'round.mbox')
    await writeFile(path, Buffer.concat(messages.flatMap((m, i) => mboxrdEntry(mboxFromLine(`m${i}@peerpost`, 1_700_000_000_000), m))))
    const text = (await readFile(path)).toString('latin1')
    assert.match(text, /^From m0@peerpost Tue Nov 14 22:13:20 2023\n/)
    assert.match(text, /\r\n>From the start of a line\r\n>>From quoted once\r\n>>>From twice\r\nFromage/)
    const read = await readAll(path)
    assert.equal(read.length, messages.length)
    read.forEach((e, i) => {
      assert.equal(e.error, undefined)
      assert.equal(e.index, i + 1)
      assert.equal(e.fromLine, `From m${i}@peerpost Tue Nov 14 22:13:20 2023`)
      // The one message without a final newline gets one: mbox has no way to keep that.
      const expected = i === 1 ? Buffer.concat([messages[i]!, bytes('\n')]) : messages[i]
      assert.ok(e.raw?.equals(expected!), `message ${i + 1} read back as written`)
    })
  })

  it('random messages of From-like lines, LF or CRLF, read back exactly (seeded: PEERPOST_SEED replays)', async () => {
    const random = seededRandom('mboxrd round trip')
    const pieces = ['From ', 'From x', '>From ', '>>>From y', 'From', '>From', ' From ', 'F', '', '\r', 'text', '>']
    const made: Buffer[] = []
    for (let i = 0; i < 200; i++) {
      const eol = random() < 0.5 ? '\n' : '\r\n'
      const lines = Array.from({ length: Math.floor(random() * 8) }, () => pieces[Math.floor(random() * pieces.length)]!)
      made.push(bytes(`Subject: ${i}${eol}${eol}${lines.join(eol)}${random() < 0.8 ? eol : ''}`))
    }
    const path = join(dir, 'random.mbox')
    await writeFile(path, Buffer.concat(made.flatMap(m => mboxrdEntry(mboxFromLine('r', 0), m))))
    const read = await readAll(path)
    assert.equal(read.length, made.length)
    read.forEach((e, i) => {
      const m = made[i]!
      const expected = m.at(-1) === 0x0a ? m : Buffer.concat([m, bytes('\n')])
      assert.ok(e.raw?.equals(expected), `message ${i}: ${JSON.stringify(m.toString())} read back as ${JSON.stringify(e.raw?.toString())}`)
    })
  })

  it('random bytes after a From line: every entry is bytes within the limit or a typed error, never a crash', async () => {
    const random = seededRandom('mboxrd random bytes')
    const alphabet = Buffer.from('From >\r\n\nab\u0000', 'latin1')
    const path = join(dir, 'noise.mbox')
    for (let round = 0; round < 50; round++) {
      const noise = Buffer.alloc(Math.floor(random() * 4000), 0).map(() => alphabet[Math.floor(random() * alphabet.length)]!)
      await writeFile(path, Buffer.concat([bytes('From x\n'), noise]))
      for (const e of await readAll(path, 500)) {
        if (e.raw !== undefined) assert.ok(e.raw.length <= 502, `entry ${e.index} within the limit`)
        else assert.ok(['MailFileTooLargeError', 'TruncatedMboxError'].includes(e.error?.name ?? ''), `entry ${e.index}: ${String(e.error)}`)
      }
    }
  })

  it('a file cut inside its last message gives the whole ones and TruncatedMboxError for the last', async () => {
    const whole = Buffer.concat(messages.slice(0, 2).flatMap(m => mboxrdEntry(mboxFromLine('x', 0), m)))
    const path = join(dir, 'cut.mbox')
    await writeFile(path, Buffer.concat([whole, mboxrdEntry(mboxFromLine('x', 0), messages[0]!)[0]!, bytes('Subject: cut\r\n\r\nhalf a li')]))
    const read = await readAll(path)
    assert.deepEqual(read.map(e => e.error?.name), [undefined, undefined, 'TruncatedMboxError'])
    assert.equal(read[2]?.raw, undefined)
  })

  it('a message over the size limit is skipped with MailFileTooLargeError, the next one still read', async () => {
    const path = join(dir, 'large.mbox')
    await writeFile(path, Buffer.concat([...mboxrdEntry('From a x\n', messages[3]!), ...mboxrdEntry('From b x\n', messages[0]!)]))
    const read = await readAll(path, 100_000)
    assert.deepEqual(read.map(e => e.error?.name), ['MailFileTooLargeError', undefined])
    assert.ok(read[1]?.raw?.equals(messages[0]!))
  })

  it('a file that does not start with a From line is NotMboxError; an empty one has no messages', async () => {
    const path = join(dir, 'not.mbox')
    await writeFile(path, 'Subject: hi\r\n\r\nbody\r\n')
    await assert.rejects(readAll(path), { name: 'NotMboxError' })
    await writeFile(path, '')
    assert.deepEqual(await readAll(path), [])
  })
})

describe('Maildir', () => {
  let dir: string
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'peerpost-maildir-')) })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  it('names: a stable unique part from the id, :2, then S for a read message', () => {
    const unique = maildirUnique('0196a1b2c3d4e5f6a7b8', 1_700_000_000_999)
    assert.equal(unique, '1700000000.0196a1b2c3d4e5f6a7b8.peerpost')
    assert.equal(maildirFileName(unique, { seen: true }), `${unique}:2,S`)
    assert.equal(maildirFileName(unique, { seen: false }), `${unique}:2,`)
    assert.deepEqual(parseMaildirName(`${unique}:2,FRS`), { unique, flags: 'FRS' })
    assert.deepEqual(parseMaildirName('1700000000.x.host'), { unique: '1700000000.x.host', flags: '' })
  })

  it('writes through tmp/ into cur/, never over an existing file, and lists cur/ and new/ with their seen flag', async () => {
    const box = join(dir, 'inbox')
    await ensureMaildir(box)
    assert.deepEqual((await readdir(box)).sort(), ['cur', 'new', 'tmp'])
    assert.equal(await writeMaildirMessage(box, 'a:2,S', bytes('first')), true)
    assert.equal(await writeMaildirMessage(box, 'a:2,S', bytes('second')), false)
    assert.equal((await readFile(join(box, 'cur', 'a:2,S'))).toString(), 'first')
    assert.deepEqual(await readdir(join(box, 'tmp')), [])
    await writeMaildirMessage(box, 'b:2,', bytes('unread'))
    await writeFile(join(box, 'new', 'c'), 'new mail')
    await writeFile(join(box, 'cur', '.hidden'), 'not a message')
    const entries = []
    for await (const e of maildirEntries(box)) entries.push({ name: e.name, seen: e.seen })
    assert.deepEqual(entries.sort((x, y) => x.name.localeCompare(y.name)), [{ name: 'a:2,S', seen: true }, { name: 'b:2,', seen: false }, { name: 'c', seen: false }])
    assert.deepEqual([...await maildirUniques(box)].sort(), ['a', 'b', 'c'])
  })
})
