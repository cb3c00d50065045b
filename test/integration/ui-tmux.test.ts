import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { BIN, cleanup, introduce, makeUser, online, run, runJson, tempDir, waitUntil } from '../helpers/cli.js'
import { MiB, randomFile, sha256File, startPair } from '../helpers/attachments.js'
import { FAST_NODE, startNode } from '../helpers/offline.js'
import { TmuxServer, tmuxVersion } from '../helpers/tmux.js'
import type { User } from '../helpers/cli.js'
import type { Pair } from '../helpers/attachments.js'

/**
 * The mail UI in a real terminal: tmux runs `peerpost` for alice and for bob against their
 * real daemons on 127.0.0.1, keys go in with send-keys and the screens are read with
 * capture-pane. PEERPOST_UI_CAPTURE_DIR=dir also saves the main screens (README screenshots).
 */
const TMUX = tmuxVersion()
const SKIP = TMUX == null ? 'tmux is not installed (apt-get install -y tmux): the real-terminal UI tests need it' : false
const CAPTURES = process.env.PEERPOST_UI_CAPTURE_DIR

/** `peerpost --home HOME ui ...` with the Node running the tests. */
const peerpost = (home: string, ...args: string[]): string[] => [process.execPath, BIN, '--home', home, ...args]

describe('mail UI in tmux with two daemons', { skip: SKIP }, () => {
  let alice: User
  let bob: User
  let tmux: TmuxServer
  let work: string

  before(async () => {
    if (CAPTURES != null) await mkdir(CAPTURES, { recursive: true })
    alice = await makeUser('alice')
    bob = await makeUser('bob')
    await online(alice)
    await online(bob)
    await introduce([alice, bob])
    tmux = new TmuxServer()
    work = await tempDir('ui-tmux')
  })
  after(async () => {
    await tmux?.close()
    await cleanup([alice, bob].filter(u => u != null))
    if (work != null) await rm(work, { recursive: true, force: true })
  })

  it('alice sends with an attachment, bob sees it arrive, saves it (sha256 matches) and replies into her thread', async () => {
    const attachment = randomBytes(200 * 1024)
    const file = join(work, 'report.bin')
    await writeFile(file, attachment)
    // Over the 1 MiB the message carries itself: it stays on alice's node and bob pulls it.
    const large = randomBytes(3 * 1024 * 1024)
    const largeFile = join(work, 'video.bin')
    await writeFile(largeFile, large)
    const bobSaves = join(work, 'bob-downloads')

    const a = await tmux.open('alice', peerpost(alice.home, 'ui', '--save-dir', join(work, 'alice-downloads')))
    const b = await tmux.open('bob', peerpost(bob.home, 'ui', '--save-dir', bobSaves))
    await a.waitFor('inbox is empty', 'alice\'s inbox')
    await b.waitFor('inbox is empty', 'bob\'s inbox')
    await a.waitFor(/online · servers 0\/0 · available/, 'alice\'s status line')

    // Compose: To with completion, subject, the attachment by path, the body; Ctrl-S.
    await a.press('c')
    await a.waitFor('New message', 'the composer')
    await a.type('bo')
    await a.waitFor('Tab: bob', 'completion of bob')
    await a.press('Tab')
    await a.waitFor(/To +bob▏/, 'bob completed')
    await a.press('Tab', 'Tab')
    await a.type('Quarterly report')
    await a.press('Tab')
    await a.type(file)
    await a.waitFor(/Attach +.*report\.bin▏/, 'the path typed')
    await a.press('Enter')
    await a.waitFor(/@ .*report\.bin/, 'the file attached')
    await a.type(largeFile)
    await a.waitFor(/Attach +.*video\.bin▏/, 'the second path typed')
    await a.press('Enter')
    await a.waitFor(/@ .*video\.bin/, 'the large file attached')
    await a.press('Tab')
    await a.type('Here it is.')
    await a.waitFor('Here it is.▏', 'the body typed')
    await a.snapshot(CAPTURES, 'compose')
    await a.press('C-s')
    await a.waitFor('bob: delivered', 'bob\'s outcome on alice\'s screen')
    await a.snapshot(CAPTURES, 'sent')

    // Bob's inbox shows it without a key press.
    await b.waitFor(s => s.includes('Quarterly report') && s.includes('inbox (1)'), 'the message in bob\'s inbox')
    await b.snapshot(CAPTURES, 'inbox')
    await b.press('Enter')
    await b.waitFor(/report\.bin +200\.0 KiB +application\/octet-stream +here/, 'the reader with the attachment')
    // The large one is pulled from alice at once (both are online): pulling n%, then here.
    await b.waitFor(/video\.bin +3\.0 MiB +application\/octet-stream +here/, 'the large attachment pulled')
    await b.snapshot(CAPTURES, 'reader')
    await b.press('s')
    await b.waitFor('Save report.bin into:', 'the save prompt')
    await b.press('Enter')
    await b.waitFor('saved report.bin', 'saved')
    const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')
    assert.equal(sha(await readFile(join(bobSaves, 'report.bin'))), sha(attachment))
    await b.press('J', 's')
    await b.waitFor('Save video.bin into:', 'the save prompt for the large one')
    await b.press('Enter')
    await b.waitFor('saved video.bin', 'saved the large one')
    assert.equal(sha(await readFile(join(bobSaves, 'video.bin'))), sha(large))

    // Bob replies; the reply shows up in alice's inbox and in her conversation.
    await b.press('r')
    await b.waitFor(/Subject +Re: Quarterly report/, 'the reply draft')
    await b.type('Thanks, got it.')
    await b.waitFor('Thanks, got it.▏', 'the reply typed')
    await b.press('C-s')
    await b.waitFor('alice: delivered', 'alice\'s outcome on bob\'s screen')

    await a.waitFor('Re: Quarterly report', 'the reply in alice\'s inbox')
    await a.press('Enter')
    const thread = await a.waitFor('Conversation: 2 messages', 'the conversation on alice\'s screen')
    assert.match(thread, /Thanks, got it\./)
    assert.match(thread, /alice +Quarterly report/)
    assert.match(thread, /bob +Re: Quarterly report/)
    await a.snapshot(CAPTURES, 'thread')

    // The other screens, for the README.
    await a.press('q', 'C')
    await a.waitFor('Fingerprint', 'contacts')
    await a.snapshot(CAPTURES, 'contacts')
    await a.press('O')
    await a.waitFor(/Quarterly report[\s\S]*bob: delivered[\s\S]*Transfers/, 'the outbox with the sent message')
    await a.snapshot(CAPTURES, 'outbox')
    await a.press('?')
    await a.waitFor('Mail list', 'help')
    await a.snapshot(CAPTURES, 'help')
    await a.press('q', 'q', 'q')
    await a.waitFor('[exited 0]', 'the UI to quit cleanly')
  })

  it('bob forwards alice\'s message to her with both attachments (the small one inside, the large one pulled again)', async () => {
    const b = await tmux.open('bob-forward', peerpost(bob.home, 'ui'))
    await b.waitFor(/inbox[\s\S]*Quarterly report/, 'alice\'s message in bob\'s inbox')
    await b.press('Enter')
    await b.waitFor(/video\.bin +3\.0 MiB +application\/octet-stream +here/, 'the reader, the large attachment here')
    await b.press('f')
    await b.waitFor(/Subject +Fwd: Quarterly report/, 'the forward draft')
    await b.waitFor(s => /@ .*report\.bin/.test(s) && /@ .*video\.bin/.test(s), 'both attachments carried')
    await b.type('alice')
    await b.press('C-s')
    await b.waitFor('alice: delivered', 'the forward delivered')
    const forwarded = await waitUntil(alice.home, async () => {
      const inbox = await runJson<any[]>(alice.home, ['list'])
      const m = inbox.find(x => x.subject === 'Fwd: Quarterly report')
      if (m == null) return undefined
      const read = await runJson(alice.home, ['read', m.id])
      return read.largeAttachments?.[0]?.state === 'here' ? read : undefined
    }, 60_000, 'the forward in alice\'s inbox with its large attachment here')
    assert.deepEqual(forwarded.attachments.map((x: any) => x.name), ['report.bin'])
    assert.equal(forwarded.largeAttachments[0].name, 'video.bin')
    assert.match(forwarded.text, /Forwarded message[\s\S]*Here it is\./)
    const saved = await runJson(alice.home, ['read', forwarded.id, '--save-attachments', join(work, 'alice-forwarded')])
    const sha = async (path: string): Promise<string> => createHash('sha256').update(await readFile(path)).digest('hex')
    const originals = join(work, 'bob-downloads')
    for (const name of ['report.bin', 'video.bin']) {
      assert.equal(await sha(saved.saved.find((p: string) => p.endsWith(name))), await sha(join(originals, name)), name)
    }
    await b.press('q', 'q')
    await b.waitFor('[exited 0]', 'bob\'s UI to quit')
  })

  it('bob deletes alice\'s message for good from the trash (D, then y): gone from his folders with its large attachment\'s file', async () => {
    const [m] = (await runJson<any[]>(bob.home, ['list'])).filter(x => x.subject === 'Quarterly report')
    assert.ok(m?.blobs?.[0] != null, 'bob has the message and its large attachment')
    const receivedFile = join(bob.home, 'blobs', 'received', m.blobs[0].blobId)
    await readFile(receivedFile)
    const b = await tmux.open('bob-delete', peerpost(bob.home, 'ui'))
    await b.waitFor(/inbox[\s\S]*Quarterly report/, 'alice\'s message in bob\'s inbox')
    await b.press('D')
    await b.waitFor('D deletes for good only in the trash', 'refused outside the trash')
    await b.press('d')
    await b.waitFor(s => s.includes('moved to trash') && !s.includes('Quarterly report'), 'moved to the trash')
    // Folders (Tab), the last one (G: trash), back to its messages (Tab).
    await b.press('Tab', 'G', 'Tab')
    await b.waitFor(/trash: 1 message[\s\S]*Quarterly report/, 'the trash with the message')
    await b.press('D')
    await b.waitFor('Delete "Quarterly report" for good? (y/n)', 'the question')
    await b.press('n')
    await b.waitFor(s => s.includes('nothing deleted') && s.includes('Quarterly report'), 'kept on n')
    await b.press('D')
    await b.waitFor('for good? (y/n)', 'the question again')
    await b.press('y')
    await b.waitFor(s => s.includes('deleted for good') && s.includes('(trash is empty)'), 'deleted for good')
    assert.equal((await run(bob.home, ['read', m.id])).code, 2, 'no such message')
    await assert.rejects(readFile(receivedFile), { code: 'ENOENT' }, 'the large attachment\'s file is gone')
    await b.press('q')
    await b.waitFor('[exited 0]', 'bob\'s UI to quit')
  })

  it('Ctrl-E writes the body in $EDITOR and comes back; a resize lays the screen out again', async () => {
    const editor = join(work, 'editor.sh')
    await writeFile(editor, '#!/bin/sh\nprintf "Written in the editor\\n" >> "$1"\n', { mode: 0o755 })
    const t = await tmux.open('alice-editor', peerpost(alice.home, 'ui'), { env: { EDITOR: editor } })
    await t.waitFor(/Folders[\s\S]*online · servers/, 'alice\'s list')
    await t.press('c')
    await t.waitFor('New message', 'the composer')
    await t.press('C-e')
    await t.waitFor('Written in the editor', 'the body from the editor')
    await t.type('bob')
    await t.waitFor(/To +bob▏/, 'typing goes to the draft again (raw mode is back)')
    await t.press('Escape')
    await t.waitFor('Discard this draft? (y/n)', 'asked first: the draft has a body and a recipient')
    await t.press('y')
    await t.waitFor('draft discarded', 'back to the list')
    await t.resize(64, 16)
    const narrow = await t.waitFor(s => s.split('\n')[0]!.trimEnd().length <= 64 && /inbox/.test(s) && /\? help/.test(s), 'the narrow layout')
    assert.ok(narrow.split('\n').every(l => l.length <= 64))
    await t.resize(120, 36)
    await t.waitFor(s => s.split('\n')[0]!.trimEnd().length > 64 || /Folders {11}inbox/.test(s), 'the wide layout again')
    await t.press('q')
    await t.waitFor('[exited 0]', 'the UI to quit')
  })

  it('the daemon restarting under an open UI: said at once, reconnected when it is back, and new mail shows live again', async () => {
    const t = await tmux.open('alice-restart', peerpost(alice.home, 'ui'))
    await t.waitFor(/Folders[\s\S]*online · servers/, 'alice\'s list')
    await alice.daemon!.stop()
    await t.waitFor(s => s.includes('the daemon stopped: reconnecting when it runs again') && s.includes('offline (no daemon)'), 'the lost daemon on screen')
    await online(alice)
    await t.waitFor(s => s.includes('reconnected to the daemon') && /online · servers/.test(s), 'reconnected, without a key press')
    // Sent after the reconnect: it shows live, so the UI follows the new daemon's events.
    await runJson(bob.home, ['send', '--to', 'alice', '--subject', 'After the restart', '--body', 'hello again', '--wait', '--timeout', '20000'])
    await t.waitFor('After the restart', 'bob\'s message in alice\'s list, without a key press')
    await t.press('q')
    await t.waitFor('[exited 0]', 'the UI to quit')
  })

  it('a stopped daemon: the status line says $ starts it, and $ does (then the UI reconnects by itself)', async () => {
    const t = await tmux.open('alice-start', peerpost(alice.home, 'ui'))
    await t.waitFor(/Folders[\s\S]*online · servers/, 'alice\'s list')
    await alice.daemon!.stop()
    try {
      await t.waitFor(s => s.includes('the daemon stopped: reconnecting when it runs again; $ starts it') && s.includes('offline (no daemon)'), 'the lost daemon on screen, with what to do')
      await t.press('$')
      await t.waitFor(s => s.includes('reconnected to the daemon') && /online · servers/.test(s), 'a daemon started from the UI, reconnected', 60_000)
      assert.ok(daemonOf(alice.home) != null, 'a daemon runs for alice\'s home')
      await t.press('q')
      await t.waitFor('[exited 0]', 'the UI to quit')
    } finally {
      // The daemon the UI started is stopped; the test's own takes its place for the next tests.
      const pid = daemonOf(alice.home)
      if (pid != null) await stopPid(pid)
      await online(alice)
    }
  })

  it('alice takes back a message offline bob has not got (X on the outbox, asked first)', async () => {
    await bob.daemon!.stop()
    try {
      const sent = await runJson(alice.home, ['send', '--to', 'bob', '--subject', 'Never mind', '--body', 'scratch that'])
      const t = await tmux.open('alice-cancel', peerpost(alice.home, 'ui'))
      await t.waitFor(/Folders[\s\S]*online · servers/, 'alice\'s list')
      await t.press('O')
      await t.waitFor(/Never mind[\s\S]*bob: waiting/, 'the message waiting for bob, selected (the newest)')
      await t.press('X')
      await t.waitFor('Cancel "Never mind" to bob? (y/n)', 'the question')
      await t.press('n')
      await t.waitFor(s => s.includes('nothing cancelled') && /Never mind[\s\S]*bob: waiting/.test(s), 'kept on n')
      await t.press('X')
      await t.waitFor('to bob? (y/n)', 'the question again')
      await t.press('y')
      await t.waitFor(s => /Never mind[\s\S]*bob: cancelled \(not sent\)/.test(s) && s.includes('bob: cancelled'), 'cancelled, on the outbox and the status line')
      const entry = (await runJson(alice.home, ['status', sent.id])).entry
      assert.equal(entry.recipients[0].state, 'cancelled')
      await t.press('X')
      await t.waitFor('nothing to cancel: no recipient of this message is still waiting', 'a second X refused')
      await t.press('q', 'q')
      await t.waitFor('[exited 0]', 'the UI to quit')
    } finally {
      await online(bob)
    }
  })

  it('a sealed home with no daemon asks for the passphrase, then starts the daemon', async () => {
    const home = join(work, 'dan-home')
    const passFile = join(work, 'dan-pass')
    await writeFile(passFile, 'correct horse\n')
    const init = await run(home, ['init', '--name', 'dan', '--passphrase-file', passFile])
    assert.equal(init.code, 0, init.stderr)
    const d = await tmux.open('dan', peerpost(home))
    let daemonPid: number | undefined
    try {
      await d.waitFor('Passphrase:', 'the unlock screen')
      await d.type('wrong')
      await d.press('Enter')
      await d.waitFor(/unlocking: .*(passphrase|stopped)/i, 'a wrong passphrase said in words', 60_000)
      for (let i = 0; i < 'wrong'.length; i++) await d.press('BSpace')
      await d.type('correct horse')
      await d.press('Enter')
      const inbox = await d.waitFor('inbox is empty', 'the inbox', 60_000)
      assert.match(inbox, /started the daemon in the background/)
      daemonPid = daemonOf(home)
      assert.ok(daemonPid != null)
      // The daemon going away is said at once, and the status line stops claiming online.
      await stopPid(daemonPid)
      await d.waitFor(s => s.includes('the daemon stopped') && s.includes('offline (no daemon)'), 'the lost daemon on screen')
      await d.press('q')
      await d.waitFor('[exited 0]', 'the UI to quit')
    } finally {
      daemonPid ??= daemonOf(home)
      if (daemonPid != null) await stopPid(daemonPid)
    }
  })

  it('first run on an empty home: identity, card, skip the server, a working inbox (daemon started in the background)', async () => {
    const home = join(work, 'carol-home')
    const c = await tmux.open('carol', peerpost(home))
    let daemonPid: number | undefined
    try {
      await c.waitFor('Your name', 'the welcome screen')
      await c.snapshot(CAPTURES, 'first-run')
      await c.type('Carol')
      await c.press('Enter')
      await c.waitFor('Passphrase to seal', 'the passphrase question')
      await c.press('Enter')
      const card = await c.waitFor('Press Enter to continue', 'the card', 60_000)
      assert.match(card, /peerpost1:/)
      assert.match(card, /Fingerprint ([0-9A-F]{4} ){7}[0-9A-F]{4}/)
      await c.snapshot(CAPTURES, 'first-run-card')
      await c.press('Enter')
      await c.waitFor('Cache server:', 'the cache server offer')
      await c.press('Enter')
      const inbox = await c.waitFor('inbox is empty', 'the inbox')
      assert.match(inbox, /started the daemon in the background/)
      assert.match(inbox, /online · servers 0\/0/)
      daemonPid = daemonOf(home)
      assert.ok(daemonPid != null, 'a daemon runs for the new home')
      await c.press('q')
      await c.waitFor('[exited 0]', 'the UI to quit')
      assert.ok(isAlive(daemonPid), 'the daemon keeps running after the UI quits')
    } finally {
      daemonPid ??= daemonOf(home)
      if (daemonPid != null) await stopPid(daemonPid)
    }
  })
})

/** The PeerId of the daemon the UI started for `home`, found by its command line (the home is unique to this test). */
function daemonOf (home: string): number | undefined {
  const ps = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
  const line = ps.split('\n').find(l => l.includes(`--home ${home} `) && l.trimEnd().endsWith(' daemon'))
  return line == null ? undefined : Number(line.trim().split(/\s+/)[0])
}

/** SIGTERM a daemon the UI started and wait (bounded) until it is gone; SIGKILL if it will not go. */
async function stopPid (pid: number): Promise<void> {
  if (!isAlive(pid)) return
  process.kill(pid, 'SIGTERM')
  const until = Date.now() + 15_000
  while (isAlive(pid) && Date.now() < until) await new Promise(resolve => setTimeout(resolve, 100))
  if (isAlive(pid)) process.kill(pid, 'SIGKILL')
}

function isAlive (pid: number): boolean {
  try { process.kill(pid, 0); return true } catch { return false }
}

describe('mail UI in tmux with a cache server: presence, parked mail, an attachment waiting for its sender', { skip: SKIP }, () => {
  let pair: Pair
  let tmux: TmuxServer

  before(async () => {
    pair = await startPair({ ...FAST_NODE, blobs: { progressIntervalMs: 0 } }, { server: true })
    tmux = new TmuxServer()
  })
  after(async () => {
    await tmux?.close()
    await pair?.stop()
  })

  it('alice sees bob\'s presence change live, sends while he is offline (parked at the server), and his copy of the large attachment waits for her until she is back', async () => {
    const { alice, bob, files } = pair
    const big = join(files, 'holiday.mov')
    const bigHash = await randomFile(big, 4 * MiB)

    const a = await tmux.open('alice-srv', peerpost(alice.home, 'ui'))
    await a.waitFor('servers 1/1', 'alice connected to her home server')
    await a.press('C')
    await a.waitFor(/● bob +available/, 'bob available in alice\'s contacts')
    await runJson(bob.home, ['presence', '--status', 'away'])
    await a.waitFor(/● bob +away/, 'bob away, without a key press')
    await bob.daemon!.stop()
    await a.waitFor(/○ bob +offline/, 'bob offline, without a key press')
    await a.snapshot(CAPTURES, 'contacts-presence')

    await a.press('c')
    await a.waitFor('New message', 'the composer')
    await a.type('bob')
    await a.press('Tab', 'Tab')
    await a.type('While you were out')
    await a.press('Tab')
    await a.type(big)
    await a.press('Enter')
    await a.waitFor(/@ .*holiday\.mov/, 'the large file attached')
    await a.press('Tab')
    await a.type('The film from the trip.')
    await a.waitFor('The film from the trip.▏', 'the body typed')
    await a.press('C-s')
    await a.waitFor(/bob: parked at server 127\.0\.0\.1:\d+ \(waiting for them to fetch it\)/, 'bob\'s copy parked at alice\'s home server, named by its address')
    await a.snapshot(CAPTURES, 'sent-parked')
    await a.press('q')
    await a.waitFor('[exited 0]', 'alice\'s UI to quit')
    await alice.daemon!.stop()

    await startNode(bob)
    const b = await tmux.open('bob-srv', peerpost(bob.home, 'ui'))
    await b.waitFor('While you were out', 'the parked message fetched into bob\'s inbox')
    await b.press('Enter')
    await b.waitFor(/holiday\.mov +4\.0 MiB +\S+ +waiting for alice/, 'the attachment waiting for alice')
    await b.snapshot(CAPTURES, 'reader-waiting')
    await startNode(alice)
    await b.waitFor(/holiday\.mov +4\.0 MiB +\S+ +here/, 'pulled once alice is back, without a key press', 60_000)
    await b.press('s')
    await b.waitFor('Save holiday.mov into:', 'the save prompt')
    await b.press('C-u')
    await b.type(join(files, 'bob-saved'))
    await b.press('Enter')
    const savedScreen = await b.waitFor('saved holiday.mov', 'saved')
    assert.match(savedScreen, new RegExp(`saved holiday\\.mov in ${join(files, 'bob-saved')}`))
    assert.equal(await sha256File(join(files, 'bob-saved', 'holiday.mov')), bigHash)
    await b.press('q', 'q')
    await b.waitFor('[exited 0]', 'bob\'s UI to quit')
  })
})
