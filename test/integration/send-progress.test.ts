import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { cleanup, makeUser, online, run, runJson, tempDir, waitUntil } from '../helpers/cli.js'
import { refOf } from '../helpers/blob-peers.js'
import { openHome } from '../../node/home.js'
import { createNetwork } from '../../node/network.js'
import { pullBlob } from '../../node/protocol/blob.js'
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

/**
 * The sender serves a large attachment's chunks itself, so it knows how far a recipient
 * that has not finished got: `status ID` says it next to the recipient still waiting.
 */
describe('status ID says how far a recipient pulled a large attachment from me', () => {
  let alice: User
  let bob: User
  let files: string

  before(async () => {
    alice = await makeUser('alice')
    bob = await makeUser('bob')
    files = await tempDir('pulled-part')
    await online(alice)
    await runJson(alice.home, ['contacts', 'add', (await runJson(bob.home, ['card'])).card, '--as', 'bob'])
  })
  after(async () => {
    await cleanup([alice, bob])
    await rm(files, { recursive: true, force: true })
  })

  it('bob pulls the first chunks and stops: alice sees the part, then nothing once he has it all', async () => {
    const big = join(files, 'report.bin')
    await writeFile(big, randomBytes(8 * MIB))
    const sent = await runJson<{ id: string }>(alice.home, ['send', '--to', 'bob', '--subject', 'report', '--body', 'the report', '--attach', big])
    const blobId = (await runJson<{ attachments: Array<{ blobId: string }> }>(alice.home, ['status', sent.id])).attachments[0]!.blobId
    const before = await run(alice.home, ['status', sent.id])
    assert.match(before.stdout, /report\.bin {2}8\.0 MiB: has it: nobody yet; waiting: bob\n?$/)

    // The reference bob's envelope would carry (read from alice's store while her daemon is down).
    await alice.daemon!.stop()
    const aliceHome = await openHome(alice.home)
    const record = (await aliceHome.blobs.get(blobId))!
    await aliceHome.close()
    await online(alice)

    // Bob's node, as bob (his key), pulls the first chunk and stops: a pull cut short.
    const bobHome = await openHome(bob.home)
    const node = await createNetwork({ privateKey: bobHome.identity.privateKey, listen: ['/ip4/127.0.0.1/tcp/0'] })
    try {
      await node.start()
      const stop = new AbortController()
      const download = await bobHome.downloads.open(refOf(record))
      await assert.rejects(pullBlob(node, { peerId: alice.peerId, addrs: alice.daemon!.addrs }, download, { inFlight: 1, signal: stop.signal, onProgress: () => { stop.abort() } }))
    } finally {
      await node.stop()
      await bobHome.close()
    }
    const part = await runJson<{ attachments: Array<{ pulling?: Array<{ recipient: string, chunksServed: number, chunkCount: number }> }> }>(alice.home, ['status', sent.id])
    const pulling = part.attachments[0]!.pulling?.[0]
    assert.equal(pulling?.recipient, 'bob')
    assert.equal(pulling.chunkCount, 8)
    assert.ok(pulling.chunksServed >= 1 && pulling.chunksServed < 8, `part of it served: ${pulling.chunksServed}`)
    assert.match((await run(alice.home, ['status', sent.id])).stdout, /report\.bin {2}8\.0 MiB: has it: nobody yet; waiting: bob \(pulled \d+% from me, \d of 8 chunks\)/)

    // Bob's daemon pulls the rest once his newer card (with his address) lets the message reach him: alice then drops her copy.
    await online(bob)
    await runJson(alice.home, ['contacts', 'add', (await runJson(bob.home, ['card'])).card, '--as', 'bob'])
    await waitUntil(alice.home, async () => (await runJson<{ attachments: Array<{ have: string[], held: boolean }> }>(alice.home, ['status', sent.id])).attachments[0]!.held === false, 60_000, 'bob to have the whole attachment')
  })
})
