import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { cleanup, freePort, makeUser, online, run, runJson, tempDir } from '../helpers/cli.js'
import { startCacheServer } from '../helpers/cache-server.js'
import type { RunResult, User } from '../helpers/cli.js'
import type { Server } from 'node:net'

/**
 * The mistake gives exactly one line on stderr, `peerpost: ...`, that says what to do, and
 * the exit code. (A cache server's JSON lifecycle log lines, such as keystore-created, are
 * its log, not the error.)
 */
function oneLine (r: RunResult, code: number, says: RegExp): void {
  assert.equal(r.code, code, `exit code (stderr: ${r.stderr})`)
  const lines = r.stderr.trimEnd().split('\n').filter(l => !l.startsWith('{"ts":'))
  assert.equal(lines.length, 1, `one line, got: ${r.stderr}`)
  assert.match(lines[0]!, /^peerpost: /)
  assert.match(lines[0]!, says)
}

/** A well-formed PeerId of no running server. */
const SOME_SERVER = '12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN'

/** Hold a TCP port on 127.0.0.1, as another program would. */
async function holdPort (): Promise<{ port: number, server: Server }> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(0, '127.0.0.1', resolve) })
  const address = server.address()
  return { port: typeof address === 'object' && address != null ? address.port : 0, server }
}

describe('common mistakes give one line that says what to do', () => {
  let alice: User
  let scratch: string
  let held: { port: number, server: Server }

  before(async () => {
    alice = await makeUser('alice')
    scratch = await tempDir('mistakes')
    held = await holdPort()
  })
  after(async () => {
    held.server.close()
    await cleanup([alice])
    await rm(scratch, { recursive: true, force: true })
  })

  it('no daemon running: a command that needs it says how to start it', async () => {
    oneLine(await run(alice.home, ['send', '--to', 'bob', '--body', 'hi', '--wait']), 1, /no daemon is running for .*: start it with `peerpost daemon --home /)
  })

  it('a wrong home (no identity there) says to check --home or run init, and creates nothing', async () => {
    const missing = join(scratch, 'no-such-home')
    oneLine(await run(missing, ['list']), 1, /no identity in .*no-such-home: check --home \(or \$PEERPOST_HOME\) if you have one elsewhere, or create one with `peerpost init --home .*no-such-home`/)
    oneLine(await run(missing, ['daemon', '--listen', '/ip4/127.0.0.1/tcp/0']), 1, /no identity in .*: check --home .* or create one with `peerpost init/)
    assert.equal(existsSync(missing), false)
  })

  it('a home that is a file says --home must name a folder', async () => {
    const file = join(scratch, 'a-file')
    await writeFile(file, 'not a home')
    oneLine(await run(file, ['list']), 1, /not a directory .*: --home \(or \$PEERPOST_HOME\) must name a folder/)
  })

  it('an unknown contact says how to add one, and queues nothing', async () => {
    oneLine(await run(alice.home, ['send', '--to', 'nobody', '--body', 'hi']), 2, /unknown recipient "nobody": add their card first with `peerpost contacts add CARD --as NAME`/)
    assert.deepEqual(await runJson(alice.home, ['list', '--folder', 'outbox']), [])
  })

  it('a mistyped command or option names the help to read', async () => {
    oneLine(await run(alice.home, ['sned']), 2, /unknown command 'sned' .*Did you mean send\?.*\(see `peerpost --help`\)/)
    oneLine(await run(alice.home, ['send', '--to', 'bob', '--bdy', 'x']), 2, /unknown option '--bdy'.*\(see `peerpost send --help`\)/)
    oneLine(await run(alice.home, ['presence', '--status', 'asleep']), 2, /'asleep' is invalid. Allowed choices are available, away, busy, dnd.*\(see `peerpost presence --help`\)/)
  })

  it('a sealed keystore: passphrase missing, wrong, or its file missing', async () => {
    const home = join(scratch, 'sealed')
    const good = join(scratch, 'pass')
    const bad = join(scratch, 'wrong')
    await writeFile(good, 'correct horse\n')
    await writeFile(bad, 'battery staple\n')
    assert.equal((await run(home, ['--passphrase-file', good, 'init'])).code, 0)
    oneLine(await run(home, ['list']), 1, /keystore .* is sealed with a passphrase: give its passphrase with --passphrase-file FILE \(or \$PEERPOST_PASSPHRASE_FILE\)/)
    oneLine(await run(home, ['--passphrase-file', bad, 'list']), 1, /wrong passphrase: .*check the passphrase file/)
    oneLine(await run(home, ['--passphrase-file', join(scratch, 'nope'), 'list']), 2, /the passphrase file .*nope does not exist: give the file you sealed the keystore with/)
    assert.equal((await run(home, ['--passphrase-file', good, 'list'])).code, 0)
  })

  it('a port in use: the daemon and the cache server say to pick another --listen', async () => {
    const taken = `/ip4/127.0.0.1/tcp/${held.port}`
    oneLine(await run(alice.home, ['daemon', '--listen', taken]), 1, new RegExp(`cannot listen on ${taken}: the port is in use .*pick another port with --listen`))
    const cacheHome = join(scratch, 'cache')
    oneLine(await run(cacheHome, ['cache-server', '--listen', taken]), 1, new RegExp(`cannot listen on ${taken}: the port is in use`))
  })

  it('a metrics port in use: the cache server says which config key to change', async () => {
    const cacheHome = join(scratch, 'cache-metrics')
    const config = join(scratch, 'cache-metrics.json')
    await writeFile(config, JSON.stringify({ metrics: { address: `127.0.0.1:${held.port}` } }))
    oneLine(await run(cacheHome, ['cache-server', '--listen', '/ip4/127.0.0.1/tcp/0', '--config', config]), 1, new RegExp(`cannot serve metrics on 127.0.0.1:${held.port}: the port is in use .*"metrics": \\{"address"`))
  })

  it('a node and a cache server never share a home: each refuses the other\'s, and changes nothing there', async () => {
    const cacheHome = join(scratch, 'cache-kind')
    const server = await startCacheServer(cacheHome)
    await server.stop()
    const serverKeystore = await readFile(join(cacheHome, 'keystore.json'))
    oneLine(await run(cacheHome, ['daemon', '--listen', '/ip4/127.0.0.1/tcp/0']), 2, /belongs to a cache server, not a node: nothing was changed; give this command another --home/)
    oneLine(await run(cacheHome, ['list']), 2, /belongs to a cache server, not a node/)
    // alice's home was marked by `init`, before any daemon ran in it.
    const aliceKeystore = await readFile(join(alice.home, 'keystore.json'))
    oneLine(await run(alice.home, ['cache-server', '--listen', '/ip4/127.0.0.1/tcp/0']), 2, /belongs to a node \(a user's home\), not a cache server/)
    assert.deepEqual(await readFile(join(alice.home, 'keystore.json')), aliceKeystore)
    assert.deepEqual(await readFile(join(cacheHome, 'keystore.json')), serverKeystore)
    // Each still works in its own home.
    const again = await startCacheServer(cacheHome)
    assert.equal(again.peerId, server.peerId)
    await again.stop()
  })

  it('a second daemon on the same home says the first owns it', async () => {
    await online(alice)
    try {
      oneLine(await run(alice.home, ['daemon', '--listen', '/ip4/127.0.0.1/tcp/0']), 1, /a daemon is already running for .*: it owns the home; use the other commands while it runs, or stop it first/)
    } finally {
      await alice.daemon!.stop()
    }
  })

  it('a cache server that does not answer: name@server and servers add --register say to check it', async () => {
    const port = await freePort()
    oneLine(await run(alice.home, ['contacts', 'add', `bob@127.0.0.1:${port}`]), 1, new RegExp(`cache server /ip4/127.0.0.1/tcp/${port} is unreachable \\(connection refused\\): check the address, that the server runs`))
    const addr = `/ip4/127.0.0.1/tcp/${port}/p2p/${SOME_SERVER}`
    oneLine(await run(alice.home, ['servers', 'add', addr, '--register', 'alice']), 1, /cache server .* is unreachable \(connection refused\)/)
    // The server stays configured; `servers list` says why it is not connected.
    assert.match((await run(alice.home, ['servers', 'list'])).stdout, /not connected \(the daemon is not running\)/)
    await online(alice)
    try {
      assert.match((await run(alice.home, ['servers', 'list'])).stdout, new RegExp(`${addr}  not connected \\(the daemon keeps retrying: check the address, that the server runs`))
    } finally {
      await alice.daemon!.stop()
    }
  })
})
