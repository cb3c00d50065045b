import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import { after, before, describe, it } from 'node:test'
import { startCacheServer } from '../helpers/cache-server.js'
import { cleanup, freePort, introduce, makeUser, run, runJson, tempDir, waitUntil } from '../helpers/cli.js'
import { FAST_NODE, FAST_SERVER, recipientState, startNode, useServers } from '../helpers/offline.js'
import type { CacheServerProcess } from '../helpers/cache-server.js'
import type { User } from '../helpers/cli.js'

/** bob as alice's `contacts list --json` shows him. */
const bobSeenBy = async (alice: User): Promise<any> => (await runJson<any[]>(alice.home, ['contacts', 'list'])).find(c => c.name === 'bob')

describe('presence: alice sees bob come, change status, go silent, and return', () => {
  let server: CacheServerProcess
  let port: number, serverHome: string
  let alice: User, bob: User

  before(async () => {
    port = await freePort()
    serverHome = await tempDir('cache')
    server = await startCacheServer(serverHome, { config: FAST_SERVER, port })
    // alice retries only after a minute: whatever reaches bob sooner was woken by presence.
    alice = await makeUser('alice', { config: { ...FAST_NODE, outbox: { ...FAST_NODE.outbox, retryBaseMs: 60_000, retryMaxMs: 120_000 } } })
    bob = await makeUser('bob', { config: FAST_NODE })
    await useServers(alice, [server])
    await useServers(bob, [server])
    await startNode(alice)
    await startNode(bob)
    await introduce([alice, bob])
  })
  after(async () => {
    await cleanup([alice, bob])
    await server.kill()
    await rm(serverHome, { recursive: true, force: true })
  })

  it('shows bob online, then each status he sets', async () => {
    await waitUntil(alice.home, async () => (await bobSeenBy(alice)).presence?.online === true, 10_000, 'bob online in alice\'s contacts')
    assert.equal((await bobSeenBy(alice)).presence.status, 'available')

    const set = await runJson(bob.home, ['presence', '--status', 'away'])
    assert.equal(set.status, 'away')
    assert.equal((await runJson(bob.home, ['presence'])).status, 'away')
    await waitUntil(alice.home, async () => (await bobSeenBy(alice)).presence?.status === 'away', 10_000, 'alice to see bob away')
    await runJson(bob.home, ['presence', '--status', 'dnd'])
    await waitUntil(alice.home, async () => (await bobSeenBy(alice)).presence?.status === 'dnd', 10_000, 'alice to see bob dnd')
    const text = await run(alice.home, ['contacts', 'list'])
    assert.match(text.stdout, /bob .* online, dnd/)
    const bad = await run(bob.home, ['presence', '--status', 'sleeping'])
    assert.equal(bad.code, 2)
  })

  it('turns bob offline after the timeout when his heartbeats stop (kill -9)', async () => {
    await bob.daemon!.kill()
    const seen = await waitUntil(alice.home, async () => { const b = await bobSeenBy(alice); return b.presence?.online === false ? b : undefined }, 10_000, 'bob offline after the presence timeout')
    assert.ok(seen.presence.lastSeen > 0)
    assert.match((await run(alice.home, ['contacts', 'list'])).stdout, /bob .* offline, last seen/)
  })

  it('wakes alice\'s outbox when bob returns: the pending message goes out by itself', async () => {
    // Nowhere to park while the server is down: the message waits in alice's outbox.
    await server.stop()
    const sent = await runJson(alice.home, ['send', '--to', 'bob', '--subject', 'when you are back', '--body', 'hi', '--wait', '--timeout', '20000'])
    assert.equal(sent.entry.recipients[0].state, 'pending')
    assert.match(sent.entry.recipients[0].lastError, /no holder took it/)
    const text = await run(alice.home, ['status'])
    assert.match(text.stdout, /bob: waiting, attempt 2/)

    server = await startCacheServer(serverHome, { config: FAST_SERVER, port })
    await startNode(bob)
    await waitUntil(alice.home, async () => (await recipientState(alice, sent.id, 'bob')).state === 'delivered', 20_000, 'alice to deliver to bob when presence says he is back')
    const inbox = await runJson<any[]>(bob.home, ['list'])
    assert.equal(inbox.filter(m => m.messageId === sent.messageId).length, 1)
  })
})
