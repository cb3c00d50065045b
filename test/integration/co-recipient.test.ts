import assert from 'node:assert/strict'
import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { FetchSession } from '../../node/protocol/fetch.js'
import { rawClient, startCacheServer } from '../helpers/cache-server.js'
import { cleanup, introduce, makeUser, run, runJson, tempDir, waitUntil } from '../helpers/cli.js'
import { FAST_NODE, FAST_SERVER, inboxCopies, onlineContacts, recipientState, startNode, useServers } from '../helpers/offline.js'
import type { CacheServerProcess, RawClient } from '../helpers/cache-server.js'
import type { User } from '../helpers/cli.js'

/** What `status` says a node holds for offline co-recipients. */
const holding = async (user: User): Promise<{ enabled: boolean, envelopes: number, bytes: number }> => (await runJson(user.home, ['status'])).holding

describe('carol is offline and no cache server is reachable: bob, who got the message too, holds hers', () => {
  let alice: User, bob: User, carol: User
  let dave: RawClient | undefined

  before(async () => {
    // Everyone uses one home server, which then goes away: parking there fails, so the
    // routing policy falls back to the co-recipient.
    const server = await startCacheServer(await tempDir('cache'), { config: FAST_SERVER })
    ;[alice, bob, carol] = await onlineContacts(['alice', 'bob', 'carol'], { servers: [server] }) as [User, User, User]
    await carol.daemon!.stop()
    await server.kill()
    await rm(server.home, { recursive: true, force: true })
  })
  after(async () => {
    await dave?.stop()
    await cleanup([alice, bob, carol])
  })

  it('parks the envelope for carol on bob; carol gets it from bob after alice has gone; bob\'s copy goes with her ack', async () => {
    const sent = await runJson(alice.home, ['send', '--to', 'bob', '--to', 'carol', '--subject', 'For you both', '--body', 'carol is away'])
    const parked = await waitUntil(alice.home, async () => {
      const r = await recipientState(alice, sent.id, 'carol')
      return r?.state === 'parked' ? r : undefined
    }, 30_000, 'carol\'s envelope to be parked')
    assert.deepEqual(parked.parkedAt, [bob.peerId])
    assert.equal((await recipientState(alice, sent.id, 'bob')).state, 'delivered')
    assert.match((await run(alice.home, ['status'])).stdout, /carol: parked at bob \(/)
    const held = await holding(bob)
    assert.equal(held.envelopes, 1)
    assert.ok(held.bytes > 0)
    assert.match((await run(bob.home, ['status'])).stdout, /Holding: 1 envelope\(s\), \d+ bytes for offline co-recipients \(on;/)

    // Someone else asking bob for carol's mail sees nothing, gets nothing, deletes nothing.
    dave = await rawClient()
    const session = await FetchSession.open(dave.libp2p, { peerId: bob.peerId, addrs: bob.daemon!.addrs.map(a => a.replace(/\/p2p\/.*$/, '')) }, { timeoutMs: 10_000 })
    const id = new Uint8Array(Buffer.from(parked.envelopeId, 'hex'))
    assert.deepEqual(await session.listAll(), [])
    assert.deepEqual(await session.get([id]), [])
    assert.equal(await session.ack([id]), 0)
    await session.close()
    assert.equal((await holding(bob)).envelopes, 1)

    await alice.daemon!.stop()
    // bob crashes and comes back: what he gave a receipt for was on disk, and he picks up
    // telling carol where he left off.
    await bob.daemon!.kill()
    await startNode(bob)
    assert.equal((await holding(bob)).envelopes, 1)
    await startNode(carol)
    // Nobody but bob has it: carol's inbox can only fill from him (told directly, as her server is down).
    await waitUntil(carol.home, async () => await inboxCopies(carol, sent.messageId) === 1, 30_000, 'carol to get the message from bob')
    await waitUntil(bob.home, async () => (await holding(bob)).envelopes === 0, 15_000, 'bob to delete his copy after carol\'s ack')
    const inbox = await runJson<any[]>(carol.home, ['list'])
    const read = await runJson(carol.home, ['read', inbox.find(m => m.messageId === sent.messageId).id])
    assert.equal(read.fromPeer, alice.peerId)
    assert.equal(read.text.trim(), 'carol is away')
    assert.equal(await inboxCopies(carol, sent.messageId), 1)
  })
})

describe('carol\'s server refuses her envelope but takes the notice, which names bob', () => {
  let alice: User, bob: User, carol: User
  let server: CacheServerProcess

  before(async () => {
    // The server takes notices but no envelope of this size: parking there fails for a
    // reason of its own (TOO_LARGE), and the co-recipient holds it instead.
    server = await startCacheServer(await tempDir('cache'), { config: { ...FAST_SERVER, parking: { maxEnvelopeBytes: 100 } } })
    alice = await makeUser('alice', { config: FAST_NODE })
    bob = await makeUser('bob', { config: FAST_NODE })
    carol = await makeUser('carol', { config: FAST_NODE })
    for (const u of [alice, bob, carol]) await useServers(u, [server])
    for (const u of [alice, bob, carol]) await startNode(u)
    // bob and carol do not know each other: bob cannot tell carol himself, so what carol
    // gets she found through the notice alice posted on her server.
    await introduce([alice, bob])
    await introduce([alice, carol])
    await carol.daemon!.stop()
  })
  after(async () => {
    await cleanup([alice, bob, carol])
    await server.kill()
    await rm(server.home, { recursive: true, force: true })
  })

  it('carol starts after alice has gone, reads the notice on her server and fetches from bob', async () => {
    const sent = await runJson(alice.home, ['send', '--to', 'bob', '--to', 'carol', '--subject', 'Via the notice', '--body', 'ask bob'])
    const parked = await waitUntil(alice.home, async () => {
      const r = await recipientState(alice, sent.id, 'carol')
      return r?.state === 'parked' ? r : undefined
    }, 30_000, 'carol\'s envelope to be parked')
    assert.deepEqual(parked.parkedAt, [bob.peerId])

    await alice.daemon!.stop()
    await startNode(carol)
    await waitUntil(carol.home, async () => await inboxCopies(carol, sent.messageId) === 1, 30_000, 'carol to fetch from bob')
    await waitUntil(bob.home, async () => (await holding(bob)).envelopes === 0, 15_000, 'bob to delete his copy after carol\'s ack')
  })
})

describe('carol\'s server holds neither her envelope nor notices: bob learns from her presence that she is back', () => {
  let alice: User, bob: User, carol: User
  let server: CacheServerProcess

  before(async () => {
    // The server refuses both the envelope and the notice, but publishes presence.
    server = await startCacheServer(await tempDir('cache'), { config: { ...FAST_SERVER, parking: { maxEnvelopeBytes: 100 }, notices: { maxNoticeBytes: 10 } } })
    alice = await makeUser('alice', { config: FAST_NODE })
    // bob re-checks on his own only every minute: what wakes him within the test is the
    // server's presence push saying carol came online.
    bob = await makeUser('bob', { config: { ...FAST_NODE, outbox: { ...FAST_NODE.outbox, retryMaxMs: 60_000 } } })
    carol = await makeUser('carol', { config: FAST_NODE })
    for (const u of [alice, bob, carol]) await useServers(u, [server])
    for (const u of [alice, bob, carol]) await startNode(u)
    await introduce([alice, bob, carol])
    await carol.daemon!.stop()
  })
  after(async () => {
    await cleanup([alice, bob, carol])
    await server.kill()
    await rm(server.home, { recursive: true, force: true })
  })

  it('bob tells carol directly when her server says she is online; she fetches and he deletes', async () => {
    const sent = await runJson(alice.home, ['send', '--to', 'bob', '--to', 'carol', '--subject', 'Presence', '--body', 'told by bob'])
    await waitUntil(alice.home, async () => (await recipientState(alice, sent.id, 'carol'))?.state === 'parked', 30_000, 'carol\'s envelope to be parked on bob')
    await alice.daemon!.stop()
    await startNode(carol)
    await waitUntil(carol.home, async () => await inboxCopies(carol, sent.messageId) === 1, 30_000, 'bob to tell carol and carol to fetch')
    await waitUntil(bob.home, async () => (await holding(bob)).envelopes === 0, 15_000, 'bob to delete his copy after carol\'s ack')
  })
})

describe('bob decides what he holds: holding off, a full quota', () => {
  let alice: User, bob: User, carol: User

  before(async () => {
    ;[alice, bob, carol] = await onlineContacts(['alice', 'bob', 'carol']) as [User, User, User]
    await carol.daemon!.stop()
  })
  after(async () => { await cleanup([alice, bob, carol]) })

  it('`peerpost config` gets and sets keys, persisted, and refuses unknown keys and bad values', async () => {
    assert.equal((await runJson(bob.home, ['config', 'get', 'holding.enabled'])).value, true)
    assert.deepEqual(await runJson(bob.home, ['config', 'set', 'holding.enabled', 'false']), { key: 'holding.enabled', value: false })
    assert.equal((await runJson(bob.home, ['config', 'get', 'holding.enabled'])).value, false)
    assert.equal(JSON.parse(await readFile(join(bob.home, 'config.json'), 'utf8')).holding.enabled, false)
    assert.equal((await runJson(bob.home, ['config'])).holding.enabled, false)

    const unknown = await run(bob.home, ['config', 'set', 'holding.nope', '1'])
    assert.equal(unknown.code, 2)
    assert.match(unknown.stderr, /unknown config key "holding.nope"/)
    const bad = await run(bob.home, ['config', 'set', 'holding.maxBytes', '-5'])
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /holding\.maxBytes/)
    assert.equal((await runJson(bob.home, ['config', 'get', 'holding.maxBytes'])).value, 256 * 1024 * 1024)
  })

  it('holding off: bob refuses (REFUSED) and alice keeps carol\'s envelope queued; a full quota: QUOTA_EXCEEDED; room again: parked', async () => {
    const sent = await runJson(alice.home, ['send', '--to', 'bob', '--to', 'carol', '--subject', 'Hold this?', '--body', 'x'])
    const refused = await waitUntil(alice.home, async () => {
      const r = await recipientState(alice, sent.id, 'carol')
      return r?.state === 'pending' && /refused \(REFUSED\)/.test(r.lastError ?? '') ? r : undefined
    }, 30_000, 'bob to refuse holding')
    assert.match(refused.lastError, /holding is turned off/)
    assert.equal((await recipientState(alice, sent.id, 'bob')).state, 'delivered')
    assert.equal((await holding(bob)).envelopes, 0)

    // Quota first, then holding on: a retry between the two must not find room.
    await runJson(bob.home, ['config', 'set', 'holding.maxBytes', '100'])
    await runJson(bob.home, ['config', 'set', 'holding.enabled', 'true'])
    const full = await waitUntil(alice.home, async () => {
      const r = await recipientState(alice, sent.id, 'carol')
      return r?.state === 'pending' && /QUOTA_EXCEEDED/.test(r.lastError ?? '') ? r : undefined
    }, 30_000, 'bob to refuse for a full quota')
    assert.match(full.lastError, /quota total-bytes is full/)
    assert.equal((await holding(bob)).envelopes, 0)

    await runJson(bob.home, ['config', 'set', 'holding.maxBytes', String(1024 * 1024)])
    const parked = await waitUntil(alice.home, async () => {
      const r = await recipientState(alice, sent.id, 'carol')
      return r?.state === 'parked' ? r : undefined
    }, 30_000, 'carol\'s envelope to be parked once bob has room')
    assert.deepEqual(parked.parkedAt, [bob.peerId])
    assert.equal((await holding(bob)).envelopes, 1)

    // One sender cannot fill bob's quota for everyone: alice already has one envelope held.
    await runJson(bob.home, ['config', 'set', 'holding.maxCountPerDepositor', '1'])
    const second = await runJson(alice.home, ['send', '--to', 'bob', '--to', 'carol', '--subject', 'And this?', '--body', 'y'])
    const depositorFull = await waitUntil(alice.home, async () => {
      const r = await recipientState(alice, second.id, 'carol')
      return r?.state === 'pending' && /QUOTA_EXCEEDED/.test(r.lastError ?? '') ? r : undefined
    }, 30_000, 'bob to refuse a second envelope from alice')
    assert.match(depositorFull.lastError, /quota depositor-count is full \(at most 1 envelopes deposited by this sender\)/)
    assert.equal((await holding(bob)).envelopes, 1)
    await runJson(bob.home, ['config', 'set', 'holding.maxCountPerDepositor', '2'])
    await waitUntil(alice.home, async () => (await recipientState(alice, second.id, 'carol'))?.state === 'parked', 30_000, 'parked once alice has room at bob')
    assert.equal((await holding(bob)).envelopes, 2)
  })
})

describe('bob\'s disk is nearly full: he keeps holding.minFreeDiskBytes free', () => {
  let alice: User, bob: User, dave: User, carol: User

  before(async () => {
    // More than any disk here has free: as if bob's disk had filled up (the cache server's
    // disk test does the same with parking.minFreeDiskBytes).
    const configs = { bob: { ...FAST_NODE, holding: { minFreeDiskBytes: 2 ** 50 } } }
    ;[alice, bob, dave, carol] = await onlineContacts(['alice', 'bob', 'dave', 'carol'], { configs }) as [User, User, User, User]
    await carol.daemon!.stop()
  })
  after(async () => { await cleanup([alice, bob, dave, carol]) })

  it('bob refuses like a full quota and nothing is stored; alice parks on dave instead; once bob lowers the reserve he takes the copy nobody else could', async () => {
    const onlyBob = await runJson(alice.home, ['send', '--to', 'bob', '--to', 'carol', '--subject', 'Only bob could hold this', '--body', 'x'])
    const refused = await waitUntil(alice.home, async () => {
      const r = await recipientState(alice, onlyBob.id, 'carol')
      return r?.state === 'pending' && /QUOTA_EXCEEDED/.test(r.lastError ?? '') ? r : undefined
    }, 30_000, 'bob to refuse holding for disk space')
    assert.match(refused.lastError, /this node's disk is full \(it keeps 1125899906842624 bytes free and has \d+\): nothing was stored/)
    assert.equal((await holding(bob)).envelopes, 0)

    // With another co-recipient online, the refusal sends the copy there.
    const withDave = await runJson(alice.home, ['send', '--to', 'bob', '--to', 'dave', '--to', 'carol', '--subject', 'Dave can hold this', '--body', 'y'])
    const onDave = await waitUntil(alice.home, async () => {
      const r = await recipientState(alice, withDave.id, 'carol')
      return r?.state === 'parked' ? r : undefined
    }, 30_000, 'carol\'s copy to be parked on dave')
    assert.deepEqual(onDave.parkedAt, [dave.peerId])
    assert.equal((await holding(bob)).envelopes, 0)
    assert.equal((await holding(dave)).envelopes, 1)

    // A reserve below the least the database needs is refused; 0 turns the check off, at once.
    const tooSmall = await run(bob.home, ['config', 'set', 'holding.minFreeDiskBytes', '1000'])
    assert.notEqual(tooSmall.code, 0)
    assert.match(tooSmall.stderr, /holding\.minFreeDiskBytes: must be 0 \(no check\) or at least 67108864/)
    await runJson(bob.home, ['config', 'set', 'holding.minFreeDiskBytes', '0'])
    const onBob = await waitUntil(alice.home, async () => {
      const r = await recipientState(alice, onlyBob.id, 'carol')
      return r?.state === 'parked' ? r : undefined
    }, 30_000, 'carol\'s first copy to be parked on bob once he has room')
    assert.deepEqual(onBob.parkedAt, [bob.peerId])
    assert.equal((await holding(bob)).envelopes, 1)
  })
})

describe('bob holds carol\'s copy only for his retention time', () => {
  let alice: User, bob: User, carol: User

  before(async () => {
    const configs = { bob: { ...FAST_NODE, holding: { retentionMs: 1_500, sweepIntervalMs: 200 } } }
    ;[alice, bob, carol] = await onlineContacts(['alice', 'bob', 'carol'], { configs }) as [User, User, User]
    await carol.daemon!.stop()
  })
  after(async () => { await cleanup([alice, bob, carol]) })

  it('deletes it unfetched when retention ends and tells alice, whose outbox shows carol failed', async () => {
    const sent = await runJson(alice.home, ['send', '--to', 'bob', '--to', 'carol', '--subject', 'Short stay', '--body', 'x'])
    // Parked on bob, then expired there: "expired unfetched on bob" says both (retention is
    // short enough that "parked" may come and go between two looks).
    const failed = await waitUntil(alice.home, async () => {
      const r = await recipientState(alice, sent.id, 'carol')
      return r?.state === 'failed' ? r : undefined
    }, 30_000, 'bob to report the expiry to alice')
    assert.match(failed.lastError, new RegExp(`expired unfetched on ${bob.peerId}`))
    assert.equal((await holding(bob)).envelopes, 0)
  })
})

describe('bob comes back while carol is still away', () => {
  let alice: User, bob: User, carol: User

  before(async () => {
    // Long backoff for alice, so "at once" and "at carol's next attempt" are far apart.
    alice = await makeUser('alice', { config: { outbox: { retryBaseMs: 200, retryMaxMs: 60_000, dialTimeoutMs: 2_000 } } })
    bob = await makeUser('bob', { config: FAST_NODE })
    carol = await makeUser('carol', { config: FAST_NODE })
    for (const u of [alice, bob, carol]) await startNode(u)
    await introduce([alice, bob, carol])
    await bob.daemon!.stop()
    await carol.daemon!.stop()
  })
  after(async () => { await cleanup([alice, bob, carol]) })

  it('alice parks carol\'s copy on bob as soon as bob has the message, not at carol\'s next attempt', async () => {
    const sent = await runJson(alice.home, ['send', '--to', 'bob', '--to', 'carol', '--subject', 'Both away', '--body', 'x'])
    const waiting = await waitUntil(alice.home, async () => {
      const r = await recipientState(alice, sent.id, 'carol')
      return r?.state === 'pending' && r.attempts >= 7 ? r : undefined
    }, 60_000, 'carol\'s backoff to grow')
    assert.ok(waiting.nextAttemptAt - Date.now() > 5_000, 'carol\'s next attempt is seconds away')

    await startNode(bob)
    // bob writing to alice connects them: alice tries bob at once and he gets the message.
    await runJson(bob.home, ['send', '--to', 'alice', '--body', 'back'])
    await waitUntil(alice.home, async () => (await recipientState(alice, sent.id, 'carol'))?.state === 'parked', 30_000, 'carol\'s copy to be parked on bob')
    assert.ok(Date.now() < waiting.nextAttemptAt, 'parked before carol\'s own next attempt was due')
    assert.equal((await recipientState(alice, sent.id, 'bob')).state, 'delivered')
    assert.deepEqual((await recipientState(alice, sent.id, 'carol')).parkedAt, [bob.peerId])
  })
})

describe('alice is offline when bob\'s copy for carol expires: the notice waits on her home server', () => {
  let server: CacheServerProcess
  let alice: User, bob: User, carol: User

  before(async () => {
    // alice's home server takes notices but no envelope (every one is over its 100-byte
    // limit), so carol's copy goes to bob, the co-recipient.
    server = await startCacheServer(await tempDir('cache'), { config: { ...FAST_SERVER, parking: { maxEnvelopeBytes: 100 } } })
    alice = await makeUser('alice', { config: FAST_NODE })
    bob = await makeUser('bob', { config: { ...FAST_NODE, holding: { retentionMs: 8_000, sweepIntervalMs: 200 } } })
    carol = await makeUser('carol', { config: FAST_NODE })
    await useServers(alice, [server])
    for (const u of [alice, bob, carol]) await startNode(u)
    await introduce([alice, bob, carol])
    await carol.daemon!.stop()
  })
  after(async () => {
    await cleanup([alice, bob, carol])
    await server?.kill()
    if (server != null) await rm(server.home, { recursive: true, force: true })
  })

  it('bob leaves the expiry on alice\'s home server; alice learns carol\'s copy failed when she is back', async () => {
    const sent = await runJson(alice.home, ['send', '--to', 'bob', '--to', 'carol', '--subject', 'Expires while I am away', '--body', 'x'])
    await waitUntil(alice.home, async () => (await recipientState(alice, sent.id, 'carol'))?.state === 'parked', 30_000, 'carol\'s copy held by bob')
    assert.deepEqual((await recipientState(alice, sent.id, 'carol')).parkedAt, [bob.peerId])
    await alice.daemon!.stop()
    assert.equal((await holding(bob)).envelopes, 1, 'alice was offline before the copy expired (else this test shows nothing: raise bob\'s retention)')
    await waitUntil(bob.home, async () => (await holding(bob)).envelopes === 0, 30_000, 'the copy to expire on bob')

    await startNode(alice)
    const failed = await waitUntil(alice.home, async () => {
      const r = await recipientState(alice, sent.id, 'carol')
      return r?.state === 'failed' ? r : undefined
    }, 30_000, 'alice to learn of the expiry from her home server')
    assert.match(failed.lastError, new RegExp(`expired unfetched on ${bob.peerId}`))
  })
})
