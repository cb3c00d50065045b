import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { cleanup, makeUser, online, run, runJson, tempDir } from '../helpers/cli.js'
import type { User } from '../helpers/cli.js'

const MIB = 1024 * 1024

/**
 * `send --attach` of a large file seals it into the blob store before the message is
 * queued, which takes a while for a big one: the sender sees how far it is, on stderr, so
 * `--json` on stdout stays one clean document.
 */
describe('send shows how far a large attachment is stored', () => {
  let alice: User
  let bob: User
  let files: string
  let big: string

  before(async () => {
    alice = await makeUser('alice')
    bob = await makeUser('bob')
    files = await tempDir('send-progress')
    big = join(files, 'film.bin')
    await writeFile(big, randomBytes(5 * MIB))
    // One progress event per 1 MiB chunk, so the test sees each step without timing anything.
    await runJson(alice.home, ['config', 'set', 'blobs.progressIntervalMs', '0'])
    await online(alice)
    await runJson(alice.home, ['contacts', 'add', (await runJson(bob.home, ['card'])).card, '--as', 'bob'])
  })
  after(async () => {
    await cleanup([alice, bob])
    await rm(files, { recursive: true, force: true })
  })

  /** The progress lines of a `send --progress` run, checked to climb chunk by chunk to the whole file. */
  function progressOf (stderr: string): string[] {
    const lines = stderr.trimEnd().split('\n')
    const done = lines.map(l => /^storing film\.bin: (\S+ \S+) of 5\.0 MiB \((\d+)%\)$/.exec(l))
    assert.ok(done.every(m => m != null), `only progress lines: ${stderr}`)
    const percents = done.map(m => Number(m![2]))
    assert.equal(percents[0], 0, 'a first line as storing starts')
    assert.equal(percents.at(-1), 100, 'a last line at the whole file')
    assert.ok(percents.length >= 6, `a line per chunk: ${percents.join(' ')}`)
    assert.deepEqual([...percents].sort((a, b) => a - b), percents, 'never going back')
    return lines
  }

  it('with --progress (stderr no terminal) a line per step, and --json stays clean on stdout', async () => {
    const r = await run(alice.home, ['--json', 'send', '--to', 'bob', '--subject', 'film', '--body', 'the film', '--attach', big, '--progress'])
    assert.equal(r.code, 0, r.stderr)
    const sent = JSON.parse(r.stdout) as { id: string }
    assert.match(sent.id, /\S/)
    const lines = progressOf(r.stderr)
    assert.equal(lines.at(-1), 'storing film.bin: 5.0 MiB of 5.0 MiB (100%)')
  })

  it('without --progress, and stderr no terminal, nothing on stderr', async () => {
    const r = await run(alice.home, ['send', '--to', 'bob', '--subject', 'film again', '--body', 'the film', '--attach', big])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stderr, '')
    assert.match(r.stdout, /^queued \S+ for bob\n$/)
  })

  it('with no daemon running, the command stores it itself and shows the same', async () => {
    await alice.daemon!.stop()
    const r = await run(alice.home, ['send', '--to', 'bob', '--subject', 'film offline', '--body', 'the film', '--attach', big, '--progress'])
    assert.equal(r.code, 0, r.stderr)
    progressOf(r.stderr)
    assert.match(r.stdout, /^queued \S+ for bob \(the daemon is not running: it goes out when it starts\)\n$/)
  })
})
