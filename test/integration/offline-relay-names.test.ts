import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { eventually, startCacheServer } from '../helpers/cache-server.js'
import { cleanup, freePort, introduce, makeUser, run, runJson, tempDir, waitUntil } from '../helpers/cli.js'
import { FAST_NODE, FAST_SERVER, serverAddr, startNode, useServers } from '../helpers/offline.js'
import type { CacheServerProcess } from '../helpers/cache-server.js'
import type { User } from '../helpers/cli.js'

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

describe('bob is reachable only through his server\'s relay', () => {
  let server: CacheServerProcess
  let alice: User, bob: User

  before(async () => {
    // On a port outside the ephemeral range: it restarts on the same one (freePort).
    server = await startCacheServer(await tempDir('cache'), { config: FAST_SERVER, port: await freePort() })
    alice = await makeUser('alice', { config: FAST_NODE })
    bob = await makeUser('bob', { config: FAST_NODE })
    await useServers(alice, [server])
    await useServers(bob, [server])
    await startNode(alice)
    // No TCP listener at all: only a /p2p-circuit reservation on the home server.
    await startNode(bob, { listen: ['/p2p-circuit'] })
    await eventually(async () => (await runJson(bob.home, ['status'])).addrs.some((a: string) => a.includes('/p2p-circuit')), 10_000, 'bob\'s relay reservation')
    await introduce([alice, bob])
  })
  after(async () => {
    await cleanup([alice, bob])
    await server.kill()
    await rm(server.home, { recursive: true, force: true })
  })

  it('delivers directly over the relay (not parked); bob pulls its 5 MiB attachment from alice over the relay too', async () => {
    const status = await runJson(bob.home, ['status'])
    assert.ok(status.addrs.every((a: string) => a.includes('/p2p-circuit')), `bob has only relayed addresses: ${status.addrs.join(' ')}`)
    const files = await tempDir('files')
    const big = randomBytes(5 * 1024 * 1024)
    await writeFile(join(files, 'big.bin'), big)
    const sent = await runJson(alice.home, ['send', '--to', 'bob', '--subject', 'over the relay', '--body', 'big one', '--attach', join(files, 'big.bin'), '--wait', '--timeout', '30000'])
    assert.equal(sent.entry.recipients[0].state, 'delivered')
    const summary = (await runJson<any[]>(bob.home, ['list'])).find(m => m.messageId === sent.messageId)
    assert.ok(summary, 'bob has it')
    // Over maxParkedAttachmentBytes (1 MiB) it is a large attachment: it stays on alice and
    // bob's node pulls it, through the same relay.
    const large = await waitUntil(bob.home, async () => {
      const read = await runJson(bob.home, ['read', summary.id])
      return read.largeAttachments.find((a: any) => a.name === 'big.bin' && a.state === 'here')
    }, 30_000, 'bob to pull big.bin over the relay')
    assert.equal(large.sha256, sha(big))
    await rm(files, { recursive: true, force: true })
  })

  it('gets the reservation back after the server restarts, and is reachable again', async () => {
    const port = Number(/\/tcp\/(\d+)/.exec(serverAddr(server))![1])
    await server.stop()
    server = await startCacheServer(server.home, { config: FAST_SERVER, port })
    // bob's link re-joins, the relay transport reserves again, bob heartbeats the new address.
    await waitUntil(alice.home, async () => {
      const bobView = (await runJson<any[]>(alice.home, ['contacts', 'list'])).find(c => c.name === 'bob')
      return bobView.presence?.online === true && bobView.presence.addrs.some((a: string) => a.includes('/p2p-circuit'))
    }, 15_000, 'bob back online through the relay')
    const sent = await runJson(alice.home, ['send', '--to', 'bob', '--subject', 'after restart', '--body', 'still there', '--wait', '--timeout', '20000'])
    assert.equal(sent.entry.recipients[0].state, 'delivered')
  })
})

describe('name@server', () => {
  let server: CacheServerProcess
  let alice: User, bob: User, carol: User

  before(async () => {
    // On a port outside the ephemeral range: it restarts on the same one (freePort).
    server = await startCacheServer(await tempDir('cache'), { config: FAST_SERVER, port: await freePort() })
    alice = await makeUser('alice', { config: FAST_NODE })
    bob = await makeUser('bob', { config: FAST_NODE })
    carol = await makeUser('carol', { config: FAST_NODE })
    // alice names the server only by host:port: its PeerId is whatever answers there.
    await startNode(bob)
  })
  after(async () => {
    await cleanup([alice, bob, carol])
    await server.kill()
    await rm(server.home, { recursive: true, force: true })
  })

  it('registers bob, resolves bob@host:port on first send, pins it, and delivers', async () => {
    const added = await runJson(bob.home, ['servers', 'add', serverAddr(server), '--register', 'Bob'])
    const port = /\/tcp\/(\d+)/.exec(serverAddr(server))![1]
    assert.equal(added.registered, `bob@127.0.0.1:${port}`)
    assert.equal(added.servers.length, 1)
    const card = await runJson(bob.home, ['card'])
    assert.ok(card.card.startsWith('peerpost1:'))

    await startNode(alice)
    const sent = await runJson(alice.home, ['send', '--to', `bob@127.0.0.1:${port}`, '--subject', 'by name', '--body', 'found you', '--wait', '--timeout', '20000'])
    assert.equal(sent.recipients[0].peerId, bob.peerId)
    assert.ok(['delivered', 'parked'].includes(sent.entry.recipients[0].state))
    const pinned = (await runJson<any[]>(alice.home, ['contacts', 'list'])).find(c => c.name === `bob@127.0.0.1:${port}`)
    assert.equal(pinned.peerId, bob.peerId)
    assert.deepEqual(pinned.homeServers, [serverAddr(server)])
    // alice is a stranger to bob: her mail waits in his requests folder.
    await waitUntil(bob.home, async () => (await runJson<any[]>(bob.home, ['list', '--folder', 'requests'])).some(m => m.messageId === sent.messageId), 15_000, 'bob to get mail sent by name')
  })

  it('refuses the same name for another key, clearly', async () => {
    // carol has no daemon: the command opens her home and dials the server itself.
    const taken = await run(carol.home, ['servers', 'add', serverAddr(server), '--register', 'bob'])
    assert.notEqual(taken.code, 0)
    assert.match(taken.stderr, /cannot register "bob" on .*already registered by another key/)
    // And alice's pin is not moved by anything carol did.
    const port = /\/tcp\/(\d+)/.exec(serverAddr(server))![1]
    const again = await runJson(alice.home, ['contacts', 'add', `bob@127.0.0.1:${port}`])
    assert.equal(again.peerId, bob.peerId)
    const unknown = await run(alice.home, ['send', '--to', `nobody@127.0.0.1:${port}`, '--body', 'x'])
    assert.equal(unknown.code, 2)
    assert.match(unknown.stderr, /unknown recipient "nobody@127.0.0.1/)
  })

  it('refuses loudly when the name later resolves to another key, and keeps the pinned one', async () => {
    // The directory at that address forgets bob (a new server on the same port) and carol takes the name.
    const port = Number(/\/tcp\/(\d+)/.exec(serverAddr(server))![1])
    await server.stop()
    await rm(server.home, { recursive: true, force: true })
    server = await startCacheServer(await tempDir('cache-new'), { config: FAST_SERVER, port })
    await runJson(carol.home, ['servers', 'add', serverAddr(server), '--register', 'bob'])
    const changed = await run(alice.home, ['contacts', 'add', `bob@127.0.0.1:${port}`])
    assert.equal(changed.code, 1)
    assert.match(changed.stderr, /KEY CHANGED: bob@127.0.0.1:\d+ was pinned to \S+ but the directory now names/)
    // Sending by that name still goes to the key alice pinned first.
    const sent = await runJson(alice.home, ['send', '--to', `bob@127.0.0.1:${port}`, '--body', 'still you?'])
    assert.equal(sent.recipients[0].peerId, bob.peerId)
  })
})
