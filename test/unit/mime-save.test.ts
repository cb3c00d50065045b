import assert from 'node:assert/strict'
import { mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { MAX_FILENAME_BYTES, sanitizeFilename, saveAttachments } from '../../node/mime/index.js'

const utf8 = (s: string): number => Buffer.byteLength(s, 'utf8')

describe('sanitizeFilename', () => {
  const cases: Array<[string, string]> = [
    ['report.pdf', 'report.pdf'],
    ['../../.bashrc', '_bashrc'],
    ['/etc/passwd', 'passwd'],
    ['C:\\x', 'x'],
    ['..\\..\\Windows\\System32\\evil.dll', 'evil.dll'],
    ['CON', '_CON'],
    ['con.txt', '_con.txt'],
    ['LPT9.tar.gz', '_LPT9.tar.gz'],
    ['nul .txt', '_nul .txt'],
    ['console.txt', 'console.txt'],
    ['a\u0000b.txt', 'ab.txt'],
    ['line\r\nbreak.txt', 'linebreak.txt'],
    ['evil\u202Etxt.exe', 'eviltxt.exe'],
    ['\u2066hidden\u2069.pdf', 'hidden.pdf'],
    ['what?.txt', 'what_.txt'],
    ['a:b|c*.txt', 'a_b_c_.txt'],
    ['trailing... ', 'trailing'],
    ['.', 'attachment'],
    ['..', 'attachment'],
    ['', 'attachment'],
    ['   ', 'attachment'],
    ['dir/', 'attachment'],
    ['\u202E', 'attachment']
  ]
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} -> ${JSON.stringify(expected)}`, () => {
      assert.equal(sanitizeFilename(input), expected)
    })
  }

  it('caps a 300-character name at 200 bytes and keeps the extension', () => {
    const out = sanitizeFilename(`${'a'.repeat(300)}.pdf`)
    assert.equal(utf8(out), MAX_FILENAME_BYTES)
    assert.ok(out.endsWith('.pdf'))
  })

  it('caps multi-byte names without splitting a character', () => {
    const out = sanitizeFilename(`${'é'.repeat(150)}${'😀'.repeat(50)}.txt`)
    assert.ok(utf8(out) <= MAX_FILENAME_BYTES)
    assert.ok(out.endsWith('.txt'))
    assert.equal(out, Buffer.from(out, 'utf8').toString('utf8'))
    assert.doesNotMatch(out, /\uFFFD/)
  })

  it('never returns a name with a separator, a leading dot or a control character', () => {
    const nasty = ['../', '/', '\\', '.', '\u0000', '\u202E', 'CON', ' ', 'a']
    for (let i = 0; i < 2000; i++) {
      let name = ''
      for (let j = 0; j < 8; j++) name += nasty[(i * 7 + j * 13 + ((i >> j) & 5)) % nasty.length]
      const out = sanitizeFilename(name)
      assert.doesNotMatch(out, /[/\\\u0000-\u001f]|^\.|[. ]$/, `${JSON.stringify(name)} -> ${JSON.stringify(out)}`)
      assert.ok(out.length > 0)
    }
  })
})

describe('saveAttachments', () => {
  let root: string
  before(async () => { root = await mkdtemp(path.join(tmpdir(), 'peerpost-mime-save-')) })
  after(async () => { await rm(root, { recursive: true, force: true }) })

  it('writes hostile names inside the directory only', async () => {
    const dir = path.join(root, 'inbox-a')
    const names = ['../../.bashrc', '/etc/passwd', 'C:\\x', 'CON', 'evil\u202Etxt.exe', '']
    const written = await saveAttachments(dir, names.map((name, i) => ({ name, content: Buffer.from(`file ${i}`) })))
    assert.equal(written.length, names.length)
    for (const file of written) {
      assert.equal(path.dirname(file), dir)
      const rel = path.relative(dir, file)
      assert.ok(!rel.startsWith('..') && !path.isAbsolute(rel))
    }
    assert.deepEqual((await readdir(dir)).sort(), ['_CON', '_bashrc', 'attachment', 'eviltxt.exe', 'passwd', 'x'])
    assert.deepEqual((await readdir(root)).sort(), ['inbox-a'])
  })

  it('never overwrites: saving the same name twice gives two files', async () => {
    const dir = path.join(root, 'inbox-b')
    const [first] = await saveAttachments(dir, [{ name: 'photo.jpg', content: Buffer.from('first') }])
    const [second, third] = await saveAttachments(dir, [
      { name: 'photo.jpg', content: Buffer.from('second') },
      { name: 'photo.jpg', content: Buffer.from('third') }
    ])
    assert.equal(path.basename(first ?? ''), 'photo.jpg')
    assert.equal(path.basename(second ?? ''), 'photo (1).jpg')
    assert.equal(path.basename(third ?? ''), 'photo (2).jpg')
    assert.equal(await readFile(first ?? '', 'utf8'), 'first')
    assert.equal(await readFile(second ?? '', 'utf8'), 'second')
    assert.equal(await readFile(third ?? '', 'utf8'), 'third')
  })

  it('does not follow a planted symlink, and leaves existing files alone', async () => {
    const dir = path.join(root, 'inbox-c')
    const outside = path.join(root, 'victim.txt')
    await writeFile(outside, 'precious')
    await saveAttachments(dir, [])
    await symlink(outside, path.join(dir, 'notes.txt'))
    const [file] = await saveAttachments(dir, [{ name: 'notes.txt', content: Buffer.from('attacker') }])
    assert.equal(path.basename(file ?? ''), 'notes (1).txt')
    assert.equal(await readFile(outside, 'utf8'), 'precious')
  })

  it('numbers names without an extension and keeps long names under the cap', async () => {
    const dir = path.join(root, 'inbox-d')
    const long = `${'b'.repeat(300)}.tar`
    const written = await saveAttachments(dir, [
      { name: 'README', content: Buffer.from('1') },
      { name: 'README', content: Buffer.from('2') },
      { name: long, content: Buffer.from('3') },
      { name: long, content: Buffer.from('4') }
    ])
    const names = written.map(f => path.basename(f))
    assert.equal(names[0], 'README')
    assert.equal(names[1], 'README (1)')
    assert.ok(names[3]?.endsWith(' (1).tar'))
    for (const n of names) assert.ok(utf8(n) <= MAX_FILENAME_BYTES)
  })
})
