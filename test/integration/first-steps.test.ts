import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { BUILT, cleanup, deadline, makeUser, online, run, runJson, tempDir, waitUntil } from '../helpers/cli.js'
import { startCacheServer } from '../helpers/cache-server.js'
import type { CacheServerProcess } from '../helpers/cache-server.js'
import type { RunResult, User } from '../helpers/cli.js'

/**
 * What a new user meets following the README's first steps: each step says what happened,
 * and each mistake one line, `peerpost: ...`, with exit 2 for a wrong command line (an
 * option's value, or something named that does not exist) and nothing changed.
 */
function usage (r: RunResult, says: RegExp): void {
  assert.equal(r.code, 2, `exit code (stderr: ${r.stderr})`)
  const lines = r.stderr.trimEnd().split('\n')
  assert.equal(lines.length, 1, `one line, got: ${r.stderr}`)
  assert.match(lines[0]!, /^peerpost: /)
  assert.match(lines[0]!, says)
}

describe('first steps with a friend, as the README tells them', () => {
  let alice: User
  let bob: User
  let server: CacheServerProcess
  let serverAddr: string
  let files: string

  before(async () => {
    alice = await makeUser('alice')
    bob = await makeUser('bob')
    files = await tempDir('first-steps')
    server = await startCacheServer(join(files, 'cache'))
    serverAddr = server.addrs.find(a => a.includes('/127.0.0.1/'))!
    await online(alice)
  })
  after(async () => {
    await cleanup([alice, bob])
    await server.stop()
    await rm(files, { recursive: true, force: true })
  })

  it('`servers add` with the daemon running reports the server connected, not "check the address"', async () => {
    const r = await run(alice.home, ['servers', 'add', serverAddr, '--register', 'alice'])
    assert.equal(r.code, 0, r.stderr)
    const hostPort = /\/ip4\/([^/]+)\/tcp\/(\d+)\//.exec(serverAddr)!.slice(1).join(':')
    assert.equal(r.stdout.trim(), `${serverAddr}  connected\nregistered as alice@${hostPort}`)
  })

  it('a friend\'s newer card, given again under the same name, updates their addresses and home servers', async () => {
    // Printed before his daemon runs, bob's card has no address: it says so, on stderr.
    const printed = await run(bob.home, ['card'])
    assert.equal(printed.code, 0, printed.stderr)
    const oldCard = printed.stdout.trim()
    assert.match(oldCard, /^peerpost1:\S+$/)
    assert.match(printed.stderr, /^peerpost: note: this card carries no address to reach you at \(the daemon is not running\).*Start `peerpost daemon` and print it again/)
    await runJson(alice.home, ['contacts', 'add', oldCard, '--as', 'bob'])
    // bob starts his node and takes a home server: his card now says where to find him.
    await online(bob)
    assert.equal((await run(bob.home, ['servers', 'add', serverAddr, '--register', 'bob'])).code, 0)
    const reprinted = await run(bob.home, ['card'])
    assert.equal(reprinted.stderr, '', 'a card with addresses needs no note')
    const newCard = reprinted.stdout.trim()
    assert.notEqual(newCard, oldCard)

    const updated = await run(alice.home, ['contacts', 'add', newCard, '--as', 'bob'])
    assert.equal(updated.code, 0, updated.stderr)
    assert.equal(updated.stdout.trim(), `updated bob = ${bob.peerId}: addresses and home servers from the newer card`)
    const [pinned] = await runJson<Array<{ name: string, homeServers: string[], addrs: string[] }>>(alice.home, ['contacts', 'list'])
    assert.equal(pinned!.name, 'bob')
    assert.deepEqual(pinned!.homeServers, [serverAddr])
    assert.ok(pinned!.addrs.some(a => a.endsWith(`/p2p/${bob.peerId}`)), 'the running daemon\'s address came with the card')

    // The same card again (no --as: the pinned name) changes nothing and says so.
    const again = await run(alice.home, ['contacts', 'add', newCard])
    assert.equal(again.code, 0, again.stderr)
    assert.match(again.stdout, /^bob = .* is pinned with this card already \(nothing newer in it\)/)
    // The older card never replaces the newer one.
    assert.equal((await run(alice.home, ['contacts', 'add', oldCard])).code, 0)
    assert.deepEqual((await runJson<Array<{ homeServers: string[] }>>(alice.home, ['contacts', 'list']))[0]!.homeServers, [serverAddr])
    // Under another name it is still refused: one PeerId, one contact.
    const other = await run(alice.home, ['contacts', 'add', newCard, '--as', 'bob2'])
    assert.equal(other.code, 1)
    assert.match(other.stderr, /already pinned as contact "bob"/)
    // bob's name on the server is the bob she pinned from his card: said so, not refused.
    const hostPort = /\/ip4\/([^/]+)\/tcp\/(\d+)\//.exec(serverAddr)!.slice(1).join(':')
    const byName = await run(alice.home, ['contacts', 'add', `bob@${hostPort}`])
    assert.equal(byName.code, 0, byName.stderr)
    assert.match(byName.stdout.trim(), new RegExp(`^bob = ${bob.peerId} is pinned with this card already .*: bob@${hostPort} is bob$`))
    assert.deepEqual((await runJson<Array<{ name: string }>>(alice.home, ['contacts', 'list'])).map(c => c.name), ['bob'])
  })

  it('a message parked for an offline friend names the server it waits on by its address, in status and when cancelled', async () => {
    await bob.daemon!.stop()
    bob.daemon = undefined
    const hostPort = /\/ip4\/([^/]+)\/tcp\/(\d+)\//.exec(serverAddr)!.slice(1).join(':')
    const sent = await run(alice.home, ['send', '--to', 'bob', '--subject', 'while away', '--body', 'hi', '--wait'])
    assert.equal(sent.code, 0, sent.stderr)
    assert.match(sent.stdout, new RegExp(`\n  bob: parked at server ${hostPort} \\(waiting for them to fetch it\\)`))
    const id = sent.stdout.split(' ')[0]!
    assert.match((await run(alice.home, ['status', id])).stdout, new RegExp(`bob: parked at server ${hostPort} `))
    assert.match((await run(alice.home, ['list', '--folder', 'outbox'])).stdout, new RegExp(`bob: parked at server ${hostPort} `))
    const cancelled = await run(alice.home, ['outbox', 'cancel', id])
    assert.equal(cancelled.code, 0, cancelled.stderr)
    assert.match(cancelled.stdout, new RegExp(`bob: taken back - withdrawn from server ${hostPort}`))
  })

  it('transfers name the people a large attachment comes from and goes to', async () => {
    await online(bob)
    await runJson(bob.home, ['contacts', 'add', (await runJson(alice.home, ['card'])).card, '--as', 'alice'])
    const film = join(files, 'film.bin')
    await writeFile(film, Buffer.alloc(2 * 1024 * 1024, 7))
    const sent = await runJson(alice.home, ['send', '--to', 'bob', '--subject', 'the film', '--body', 'here', '--attach', film, '--wait'])
    assert.equal(sent.entry.recipients[0].state, 'delivered')
    await waitUntil(bob.home, async () => (await runJson<{ downloads: Array<{ state: string }> }>(bob.home, ['transfers'])).downloads.some(d => d.state === 'complete'), 60_000, 'bob has the film')
    assert.match((await run(bob.home, ['transfers'])).stdout, /^film\.bin {2}2\.0 MiB {2}from alice {2}here$/m)
    // Saving it into a path that is a file says so (was a bare EEXIST from mkdir).
    const [got] = await runJson<Array<{ id: string }>>(bob.home, ['list'])
    usage(await run(bob.home, ['read', got!.id, '--save-attachments', film]), /--save-attachments .*film\.bin is a file, not a folder: give a folder to save into/)
    await waitUntil(alice.home, async () => (await runJson<{ uploads: Array<{ completed: boolean }> }>(alice.home, ['transfers'])).uploads.some(u => u.completed), 60_000, 'alice was told bob has it')
    assert.match((await run(alice.home, ['transfers'])).stdout, /^ {2}\S+… {2}to bob {2}\d+ chunk\(s\), complete$/m)
  })

  it('mail to yourself is refused before anything is queued (it would be taken for the sent copy and vanish), and so is pinning your own card', async () => {
    const queued = await runJson<unknown[]>(alice.home, ['list', '--folder', 'outbox'])
    const own = (await runJson(alice.home, ['card'])).card
    usage(await run(alice.home, ['contacts', 'add', own, '--as', 'me']), /this is your own card: give it to your friends/)
    usage(await run(alice.home, ['send', '--to', 'alice@' + /\/ip4\/([^/]+)\/tcp\/(\d+)\//.exec(serverAddr)!.slice(1).join(':'), '--body', 'note to self']), /"alice@.*" is you: peerpost does not send mail to yourself/)
    assert.deepEqual(await runJson(alice.home, ['list', '--folder', 'outbox']), queued)
    assert.deepEqual((await runJson<Array<{ name: string }>>(alice.home, ['contacts', 'list'])).map(c => c.name), ['bob'])
  })

  it('files named on `send` that are missing or folders: exit 2, the option named, nothing queued', async () => {
    await mkdir(join(files, 'photos'), { recursive: true })
    const queued = await runJson<unknown[]>(alice.home, ['list', '--folder', 'outbox'])
    usage(await run(alice.home, ['send', '--to', 'bob', '--body', 'hi', '--attach', join(files, 'nope.jpg')]), /--attach .*nope\.jpg: no such file \(nothing was sent\)/)
    usage(await run(alice.home, ['send', '--to', 'bob', '--body', 'hi', '--attach', join(files, 'photos')]), /--attach .*photos is a folder, not a file .*attach its files one by one/)
    usage(await run(alice.home, ['send', '--to', 'bob', '--body-file', join(files, 'nope.txt')]), /--body-file .*nope\.txt: no such file/)
    usage(await run(alice.home, ['send', '--to', 'bob', '--body', 'x', '--html-file', join(files, 'nope.html')]), /--html-file .*nope\.html: no such file/)
    usage(await run(alice.home, ['send', '--to', 'bob', '--eml', join(files, 'photos')]), /--eml .*photos is a folder, not a file/)
    assert.deepEqual(await runJson(alice.home, ['list', '--folder', 'outbox']), queued)
  })

  it('numbers on the command line must be whole and positive, Message-IDs well formed', async () => {
    const queued = await runJson<unknown[]>(alice.home, ['list', '--folder', 'outbox'])
    usage(await run(alice.home, ['list', '--limit', 'abc']), /--limit <n>.*'abc' is invalid\. Give a whole number from 1 up\..*\(see `peerpost list --help`\)/)
    usage(await run(alice.home, ['list', '--limit', '0']), /'0' is invalid/)
    usage(await run(alice.home, ['send', '--to', 'bob', '--body', 'x', '--wait', '--timeout', 'soon']), /--timeout <ms>.*'soon' is invalid/)
    usage(await run(alice.home, ['stop', '--timeout', '-5']), /'-5' is invalid/)
    usage(await run(alice.home, ['send', '--to', 'bob', '--body', 'x', '--in-reply-to', 'garbage']), /invalid Message-ID "garbage": expected <unique-part@domain>/)
    assert.deepEqual(await runJson(alice.home, ['list', '--folder', 'outbox']), queued)
  })

  it('addresses, servers, contacts and blob ids that are wrong or unknown: exit 2, what to give instead', async () => {
    usage(await run(alice.home, ['servers', 'add', 'cache.example.org']), /"cache\.example\.org" is not a cache server's address \(a multiaddr starts with \/\): give the address from the server's ready line, ending in \/p2p\//)
    usage(await run(alice.home, ['servers', 'add', '/ip4/127.0.0.1/tcp/4455']), /it names no \/p2p\/<PeerId>/)
    usage(await run(alice.home, ['servers', 'remove', '/ip4/127.0.0.1/tcp/1/p2p/12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN']), /is not one of your home servers: `peerpost servers list` shows them/)
    assert.deepEqual((await runJson<Array<{ addr: string }>>(alice.home, ['servers', 'list'])).map(s => s.addr), [serverAddr])
    const hostPort = /\/ip4\/([^/]+)\/tcp\/(\d+)\//.exec(serverAddr)!.slice(1).join(':')
    usage(await run(alice.home, ['contacts', 'add', `nobody@${hostPort}`]), new RegExp(`unknown recipient "nobody@${hostPort}": nobody registered that name on that server; check the spelling, or ask them for their card`))
    usage(await run(alice.home, ['contacts', 'remove', 'nobody']), /no contact named "nobody": `peerpost contacts list` shows your contacts/)
    usage(await run(alice.home, ['contacts', 'accept-key', 'nobody']), /no contact named "nobody"/)
    const card = (await runJson(bob.home, ['card'])).card
    usage(await run(alice.home, ['contacts', 'add', card.slice(0, 60), '--as', 'cut']), /the card text is damaged or cut short: copy the whole line `peerpost card` printed/)
    usage(await run(alice.home, ['contacts', 'add', card, '--as', '']), /"" cannot be a contact's name: it is empty; give --as a word you will type in --to/)
    usage(await run(alice.home, ['contacts', 'add', card, '--as', 'a\tb']), /cannot be a contact's name: it has control characters/)
    assert.deepEqual((await runJson<Array<{ name: string }>>(alice.home, ['contacts', 'list'])).map(c => c.name), ['bob'])
    usage(await run(alice.home, ['transfers', '--retry', 'nothere']), /no large attachment with blob id nothere is recorded here/)
    // status ID takes what send printed: a received message's id is no outbox entry (it said "no message with id", of a message that is there).
    const [received] = await runJson<Array<{ id: string }>>(bob.home, ['list'])
    usage(await run(bob.home, ['status', received!.id]), new RegExp(`no outbox entry with id ${received!.id}: \`peerpost list --folder outbox\` shows the ids of what you sent`))
    const fresh = await makeUser('carol')
    try {
      usage(await run(fresh.home, ['daemon', '--listen', 'tcp:4001']), /"tcp:4001" is not a multiaddr \(--listen, or "listen" in config\.json\): give one like \/ip4\/0\.0\.0\.0\/tcp\/4001/)
    } finally { await cleanup([fresh]) }
  })

  it('config set says when a running daemon takes the new value only at its next start', async () => {
    const later = await run(alice.home, ['config', 'set', 'outbox.retryMaxMs', '300000'])
    assert.equal(later.code, 0, later.stderr)
    assert.equal(later.stdout.trim(), 'outbox.retryMaxMs = 300000 (the running daemon uses it from its next start: `peerpost stop`, then start it again)')
    assert.equal((await run(alice.home, ['config', 'set', 'holding.enabled', 'true'])).stdout.trim(), 'holding.enabled = true')
    assert.deepEqual(await runJson(alice.home, ['config', 'set', 'outbox.retryMaxMs', '300000']), { key: 'outbox.retryMaxMs', value: 300000 })
  })

  it('a second daemon on the home says how to stop the first', async () => {
    const r = await run(alice.home, ['daemon', '--listen', '/ip4/127.0.0.1/tcp/0'])
    assert.equal(r.code, 1)
    assert.match(r.stderr, new RegExp(`stop it first with \`peerpost stop --home ${alice.home}\``))
  })
})

describe('list pages', () => {
  let dana: User
  let mail: string
  before(async () => {
    dana = await makeUser('dana')
    mail = await tempDir('pages')
    for (let i = 1; i <= 3; i++) {
      await writeFile(join(mail, `m${i}.eml`), `From: someone <someone@example.org>\r\nTo: dana <dana@example.org>\r\nSubject: note ${i}\r\nDate: Mon, 30 Nov 2026 10:0${i}:00 +0000\r\nMessage-ID: <note${i}@example.org>\r\n\r\nnote ${i}\r\n`)
      assert.equal((await run(dana.home, ['import', '--from', join(mail, `m${i}.eml`), '--folder', 'inbox'])).code, 0)
    }
  })
  after(async () => {
    await cleanup([dana])
    await rm(mail, { recursive: true, force: true })
  })

  it('a new home with no daemon: status says you appear offline, contacts says how to add one', async () => {
    const status = await run(dana.home, ['status'])
    assert.equal(status.code, 0, status.stderr)
    assert.match(status.stdout, /\nDaemon: {2}not running\n/)
    assert.match(status.stdout, /\nStatus: {2}available \(the daemon is not running: you appear offline\)\n/)
    const contacts = await run(dana.home, ['contacts', 'list'])
    assert.equal(contacts.stdout.trim(), '(no contacts: pin a friend\'s card with `peerpost contacts add CARD --as NAME`, or `contacts add name@server`)')
  })

  it('the inbox says when unread mail waits in requests, and reading a request says how to accept it', async () => {
    const maildir = join(mail, 'stranger')
    for (const sub of ['cur', 'new', 'tmp']) await mkdir(join(maildir, sub), { recursive: true })
    await writeFile(join(maildir, 'new', '1.stranger'), 'From: erin <erin@example.org>\r\nTo: dana <dana@example.org>\r\nSubject: hello stranger\r\nMessage-ID: <erin1@example.org>\r\n\r\nyou do not know me\r\n')
    assert.equal((await run(dana.home, ['import', '--from', maildir, '--folder', 'requests'])).code, 0)
    const inbox = await run(dana.home, ['list'])
    assert.match(inbox.stdout, /\n\(1 unread in requests \(from people who are not your contacts\): `peerpost list --folder requests`\)\n$/)
    const [request] = await runJson<Array<{ id: string }>>(dana.home, ['list', '--folder', 'requests'])
    const read = await run(dana.home, ['read', request!.id])
    assert.match(read.stdout, new RegExp(`This is a request: its sender is not one of your contacts\\. \`peerpost move ${request!.id} inbox\` accepts it`))
    // Read now: the inbox says nothing more about it.
    assert.doesNotMatch((await run(dana.home, ['list'])).stdout, /in requests/)
  })

  it('init refuses a name no card can carry, and makes nothing (every card and message of that identity would fail)', async () => {
    const home = join(mail, 'long-name')
    usage(await run(home, ['init', '--name', 'x'.repeat(129)]), /that name is 129 characters long: it goes into your card, which carries at most 128 characters on one line/)
    usage(await run(home, ['init', '--name', 'two\nlines']), /that name has control characters/)
    assert.equal(existsSync(home), false, 'no home was made')
    assert.equal((await run(home, ['init', '--name', 'x'.repeat(128)])).code, 0)
    assert.equal((await run(home, ['card'])).code, 0)
  })

  it('a daemon that listens only through relays says it has no address yet, not "ready on " and nothing', async () => {
    const proc = spawn(BUILT.file, [...BUILT.args, '--home', dana.home, 'daemon', '--listen', '/p2p-circuit'], { stdio: ['ignore', 'pipe', 'pipe'] })
    const exited = once(proc, 'exit')
    try {
      const line = await deadline(new Promise<string>((resolve, reject) => {
        let buf = ''
        proc.stdout.on('data', (d: Buffer) => { buf += d.toString(); const nl = buf.indexOf('\n'); if (nl !== -1) resolve(buf.slice(0, nl)) })
        void exited.then(([code]) => { reject(new Error(`the daemon exited (${String(code)}) before its ready line`)) })
      }), 20_000, 'the daemon\'s ready line')
      assert.match(line, /^peerpost daemon \S+ ready on \(no address yet: with --listen \/p2p-circuit it gets one through each home server's relay once joined; `peerpost status` shows them\)$/)
    } finally {
      if (proc.exitCode == null && proc.signalCode == null) proc.kill('SIGTERM')
      await deadline(exited, 15_000, 'the daemon to stop')
    }
  })

  it('send --eml of a file that is not a message, or too large for one, names the file; nothing is read whole or queued', async () => {
    const frank = await makeUser('frank')
    try {
      await runJson(dana.home, ['contacts', 'add', (await runJson(frank.home, ['card'])).card, '--as', 'frank'])
      const notMail = join(mail, 'photo.jpg')
      await writeFile(notMail, Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46]))
      usage(await run(dana.home, ['send', '--to', 'frank', '--eml', notMail]), /--eml .*photo\.jpg cannot be sent as it is \(nothing was sent\): malformed message/)
      await runJson(dana.home, ['config', 'set', 'limits.maxMimeBytes', '1024'])
      const big = join(mail, 'big.eml')
      await writeFile(big, `From: dana <dana@example.org>\r\nTo: frank <frank@example.org>\r\nSubject: big\r\nMessage-ID: <big@example.org>\r\n\r\n${'x'.repeat(4096)}\r\n`)
      usage(await run(dana.home, ['send', '--to', 'frank', '--eml', big]), /--eml .*big\.eml cannot be sent as it is \(nothing was sent\): it is \d+ bytes, over the 1024 bytes a message may have \(limits\.maxMimeBytes\)/)
      assert.deepEqual(await runJson(dana.home, ['list', '--folder', 'outbox']), [])
    } finally {
      await runJson(dana.home, ['config', 'set', 'limits.maxMimeBytes', String(32 * 1024 * 1024)])
      await cleanup([frank])
    }
  })

  it('output piped into a reader that stops early (`read --raw | head`) ends quietly: exit 0, no stack trace', async () => {
    const big = join(mail, 'big-body.eml')
    await writeFile(big, `From: gus <gus@example.org>\r\nTo: dana <dana@example.org>\r\nSubject: long\r\nMessage-ID: <long@example.org>\r\n\r\n${'a line of text\r\n'.repeat(100_000)}`)
    assert.equal((await run(dana.home, ['import', '--from', big, '--folder', 'archive'])).code, 0)
    const [long] = await runJson<Array<{ id: string }>>(dana.home, ['list', '--folder', 'archive'])
    const proc = spawn(BUILT.file, [...BUILT.args, '--home', dana.home, 'read', long!.id, '--raw'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    proc.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    const exited = once(proc, 'exit')
    // Like `head`: take the first bytes, then close the pipe while the command still writes.
    await deadline(once(proc.stdout, 'data'), 20_000, 'the first bytes of the message')
    proc.stdout.destroy()
    const [code] = await deadline(exited, 20_000, 'the command to end')
    assert.equal(stderr, '')
    assert.equal(code, 0)
  })

  it('a page that is not the last says how to see the rest', async () => {
    const first = await run(dana.home, ['list', '--limit', '2'])
    assert.equal(first.code, 0, first.stderr)
    const lines = first.stdout.trimEnd().split('\n')
    assert.equal(lines.length, 3)
    const cursor = /^\(older ones follow: add --cursor (\S+), or a larger --limit\)$/.exec(lines[2]!)?.[1]
    assert.ok(cursor != null, first.stdout)
    const rest = await run(dana.home, ['list', '--limit', '2', '--cursor', cursor])
    assert.equal(rest.code, 0, rest.stderr)
    const restLines = rest.stdout.trimEnd().split('\n')
    assert.equal(restLines.length, 1, 'the last page says nothing more')
    const subjects = [...lines.slice(0, 2), ...restLines].map(l => /note \d/.exec(l)?.[0])
    assert.deepEqual(subjects.sort(), ['note 1', 'note 2', 'note 3'])
    // --json keeps its shape: the array of the page's messages.
    assert.equal((await runJson<unknown[]>(dana.home, ['list', '--limit', '2'])).length, 2)
  })
})
