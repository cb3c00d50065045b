import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import { after, before, describe, it } from 'node:test'
import { peerIdBytesFromString } from '../../node/identity/index.js'
import { Notice, NoticeKind } from '../../node/protocol/notice.js'
import { withdrawEnvelope } from '../../node/protocol/withdraw.js'
import { cacheHomePaths } from '../../cache-server/home.js'
import { parseCacheConfig } from '../../cache-server/config.js'
import { startCacheServer as startServerHere } from '../../cache-server/server.js'
import { DISK_CHECK_INTERVAL_MS } from '../../storage/disk-reserve.js'
import { createNoticeStore, openDatabase } from '../../storage/index.js'
import { auditCacheServer, eventually, opaqueEnvelope, park, rawClient, scrape, startCacheServer } from '../helpers/cache-server.js'
import { cleanup, deadline, freePort, recipientEvent, run, runJson, tempDir, waitUntil } from '../helpers/cli.js'
import { FAST_NODE, FAST_SERVER, inboxCopies, onlineContacts, pairOnServer, recipientState, startNode } from '../helpers/offline.js'
import type { CacheServerProcess, RawClient } from '../helpers/cache-server.js'
import type { RunningCacheServer } from '../../cache-server/server.js'
import type { User } from '../helpers/cli.js'

const metric = async (server: CacheServerProcess, name: string): Promise<number> => (await scrape(server)).get(name) ?? -1

describe('withdrawing a copy parked on a cache server', () => {
  let server: CacheServerProcess
  let alice: User, bob: User
  let stop: () => Promise<void>
  let mallory: RawClient | undefined
  let depositor: RawClient | undefined
  let close: (() => void) | undefined

  before(async () => {
    ({ server, alice, bob, stop } = await pairOnServer())
    await bob.daemon!.stop()
  })
  after(async () => {
    close?.()
    await mallory?.stop()
    await depositor?.stop()
    await stop()
  })

  it('the server deletes a deposit only for its depositor; anyone else hears "not here"', async () => {
    depositor = await rawClient({ serverPeerId: server.peerId })
    mallory = await rawClient()
    const envelope = opaqueEnvelope(bob.peerId)
    const [outcome] = await park(depositor, server, [envelope])
    assert.equal(outcome?.ok, true)
    const parked = await metric(server, 'peerpost_parked_envelopes')
    const request = { envelopeId: envelope.envelopeId, recipient: peerIdBytesFromString(bob.peerId) }

    assert.equal(await withdrawEnvelope(mallory.libp2p, server, request), 'not-here')
    assert.equal(await withdrawEnvelope(depositor.libp2p, server, { ...request, recipient: peerIdBytesFromString(mallory.peerId) }), 'not-here', 'the right id for another recipient')
    assert.equal(await metric(server, 'peerpost_parked_envelopes'), parked)

    assert.equal(await withdrawEnvelope(depositor.libp2p, server, request), 'withdrawn')
    assert.equal(await metric(server, 'peerpost_parked_envelopes'), parked - 1)
    assert.equal(await metric(server, 'peerpost_withdrawals_total'), 1)
    assert.equal(await withdrawEnvelope(depositor.libp2p, server, request), 'not-here', 'already withdrawn')
    await assert.rejects(withdrawEnvelope(depositor.libp2p, server, { ...request, envelopeId: new Uint8Array(3) }), { name: 'PeerRefusedError', code: 'MALFORMED' })
  })

  it('alice cancels her message to offline bob: the server deletes the parked copy, mallory could not, and bob never gets it', async () => {
    const sent = await runJson(alice.home, ['send', '--to', 'bob', '--subject', 'Take me back', '--body', 'oops', '--wait', '--timeout', '20000'])
    const parkedCopy = sent.entry.recipients[0]
    assert.equal(parkedCopy.state, 'parked')
    assert.deepEqual(parkedCopy.parkedAt, [server.peerId])
    const before = await metric(server, 'peerpost_parked_envelopes')
    assert.equal(before, 1)

    // Mallory knows the envelope id and the recipient, and still cannot take it away.
    mallory ??= await rawClient()
    const request = { envelopeId: new Uint8Array(Buffer.from(parkedCopy.envelopeId, 'hex')), recipient: peerIdBytesFromString(bob.peerId) }
    assert.equal(await withdrawEnvelope(mallory.libp2p, server, request), 'not-here')
    assert.equal(await metric(server, 'peerpost_parked_envelopes'), 1)

    const cancelled = await recipientEvent(alice.home, sent.id, 'cancelled')
    close = cancelled.close
    const cancel = await runJson(alice.home, ['outbox', 'cancel', sent.id])
    assert.deepEqual(cancel.recipients.map((r: any) => [r.address, r.state, r.cancelled]), [['bob', 'cancelled', true]])
    assert.deepEqual(cancel.recipients[0].withdrawal, [{ peerId: server.peerId, outcome: 'withdrawn' }])
    assert.equal(cancel.recipients[0].mayHaveBeenFetched, undefined)
    assert.equal(await deadline(cancelled.event, 10_000, 'the cancelled event'), bob.peerId)
    assert.equal(await metric(server, 'peerpost_parked_envelopes'), 0)
    const stored = await recipientState(alice, sent.id, 'bob')
    assert.equal(stored.state, 'cancelled')
    assert.equal(stored.parkedAt, undefined)
    assert.match((await run(alice.home, ['status', sent.id])).stdout, /bob: cancelled after it was parked - withdrawn from /)

    // Nothing is left to take back now: a typed error, nothing changes.
    const again = await run(alice.home, ['outbox', 'cancel', sent.id])
    assert.equal(again.code, 1)
    assert.match(again.stderr, /bob is cancelled already/)

    // A second message, not cancelled, parks too. Bob comes online with a notice for each
    // waiting on the server; once the second is in his inbox, the first would be too had
    // it not been withdrawn (both are pulled in the same pass).
    const second = await runJson(alice.home, ['send', '--to', 'bob', '--subject', 'Still going', '--body', 'hi', '--wait', '--timeout', '20000'])
    assert.equal(second.entry.recipients[0].state, 'parked')
    await startNode(bob)
    await waitUntil(bob.home, async () => await inboxCopies(bob, second.messageId) === 1, 30_000, 'bob to pull the second message')
    await eventually(async () => await metric(server, 'peerpost_parked_envelopes') === 0, 10_000, 'the server to hold nothing after bob\'s ack')
    assert.equal(await inboxCopies(bob, sent.messageId), 0)
    assert.deepEqual((await runJson<any[]>(bob.home, ['list'])).map(m => m.subject), ['Still going'])
    // The notice about the withdrawn one found nothing: bob's node carries on quietly.
    assert.equal((await runJson(bob.home, ['status'])).running, true)
    assert.equal((await recipientState(alice, sent.id, 'bob')).state, 'cancelled')
  })

  it('a copy bob already fetched: the server no longer has it, tells alice (only her) he fetched it, and he shows delivered', async () => {
    await bob.daemon!.stop()
    const sent = await runJson(alice.home, ['send', '--to', 'bob', '--subject', 'Too late', '--body', 'fetched before the cancel', '--wait', '--timeout', '20000'])
    assert.equal(sent.entry.recipients[0].state, 'parked')
    await startNode(bob)
    await waitUntil(bob.home, async () => await inboxCopies(bob, sent.messageId) === 1, 30_000, 'bob to pull the parked message')
    await eventually(async () => await metric(server, 'peerpost_parked_envelopes') === 0, 10_000, 'the server to hold nothing after bob\'s ack')

    // Mallory, asking with the right ids, hears what an unknown envelope gets.
    mallory ??= await rawClient()
    const request = { envelopeId: new Uint8Array(Buffer.from(sent.entry.recipients[0].envelopeId, 'hex')), recipient: peerIdBytesFromString(bob.peerId) }
    assert.equal(await withdrawEnvelope(mallory.libp2p, server, request), 'not-here')

    const cancel = await runJson(alice.home, ['outbox', 'cancel', sent.id])
    assert.deepEqual(cancel.recipients.map((r: any) => [r.address, r.state, r.cancelled, r.mayHaveBeenFetched]), [['bob', 'delivered', false, undefined]])
    assert.deepEqual(cancel.recipients[0].withdrawal, [{ peerId: server.peerId, outcome: 'fetched' }])
    const said = await run(alice.home, ['outbox', 'cancel', sent.id])
    assert.equal(said.code, 1, 'nothing is left to take back')
    assert.match(said.stderr, /bob already has it \(delivered: it cannot be taken back\)/)
    const text = await run(alice.home, ['status', sent.id])
    assert.match(text.stdout, /bob: delivered \(fetched before a cancel could take it back - already fetched from .*\)/)
    assert.equal((await recipientState(alice, sent.id, 'bob')).state, 'delivered')
    assert.equal(await inboxCopies(bob, sent.messageId), 1, 'what bob has stays his')

    // The server's counters agree with its records after the withdraws and acks.
    await server.stop()
    const audit = await auditCacheServer(server.home)
    assert.equal(audit.code, 0, audit.stderr)
    assert.deepEqual(audit.report?.problems, [])
    assert.equal(audit.report?.consistent, true)
  })
})

describe('a copy withdrawn from a co-recipient: its notice on bob\'s server goes too', () => {
  let server: CacheServerProcess
  let alice: User, bob: User, carol: User

  before(async () => {
    // The server asks deposits for more proof of work than alice mints: bob's copies park on
    // carol (a co-recipient), while the notice naming carol waits for bob on the server.
    server = await startCacheServer(await tempDir('cache'), { config: { ...FAST_SERVER, parking: { stampBits: 24 } } })
    ;[alice, bob, carol] = await onlineContacts(['alice', 'bob', 'carol'], { servers: [server], configs: { alice: FAST_NODE, bob: FAST_NODE, carol: FAST_NODE } }) as [User, User, User]
    await bob.daemon!.stop()
  })
  after(async () => {
    await cleanup([alice, bob, carol])
    await server?.kill()
    if (server != null) await rm(server.home, { recursive: true, force: true })
  })

  it('the server drops alice\'s notice about the withdrawn copy; bob gets the next one', async () => {
    const parkedOnCarol = async (id: string): Promise<void> => {
      await waitUntil(alice.home, async () => {
        const r = await recipientState(alice, id, 'bob')
        return r?.state === 'parked' && r.parkedAt?.[0] === carol.peerId
      }, 30_000, 'bob\'s copy parked on carol')
    }
    const first = await runJson(alice.home, ['send', '--to', 'bob', '--to', 'carol', '--subject', 'Withdrawn', '--body', 'x'])
    await parkedOnCarol(first.id)
    const cancel = await runJson(alice.home, ['outbox', 'cancel', first.id, '--recipient', 'bob'])
    assert.deepEqual(cancel.recipients[0].withdrawal, [{ peerId: carol.peerId, outcome: 'withdrawn' }])

    const second = await runJson(alice.home, ['send', '--to', 'bob', '--to', 'carol', '--subject', 'Kept', '--body', 'y'])
    await parkedOnCarol(second.id)
    await startNode(bob)
    await waitUntil(bob.home, async () => await inboxCopies(bob, second.messageId) === 1, 30_000, 'bob to pull the second message from carol')
    assert.equal(await inboxCopies(bob, first.messageId), 0)
    assert.equal((await runJson(bob.home, ['status'])).running, true)
    const withdrawn = await recipientState(alice, first.id, 'bob')
    assert.equal(withdrawn.state, 'cancelled')

    // Bob acks a notice only once its envelope landed, and the first never did: a notice
    // about it is gone from the server only because alice's withdraw took it away there.
    // (Before, it stayed, and bob looked for the copy on carol after each reconnect.)
    await server.stop()
    const db = await openDatabase(cacheHomePaths(server.home).db, { kind: 'cache-server' })
    try {
      const notices = await createNoticeStore(db, { maxPerRecipient: 1000, maxPerPoster: 1000, maxNoticeBytes: 64 * 1024, retentionMs: 3_600_000 }).listFor(bob.peerId)
      const waiting = notices.map(n => Notice.decode(n.bytes)).filter(n => n.kind === NoticeKind.MESSAGE_WAITING).map(n => Buffer.from(n.envelopeId).toString('hex'))
      assert.ok(!waiting.includes(withdrawn.envelopeId), `no notice for the withdrawn copy: ${JSON.stringify(waiting)}`)
    } finally {
      await db.close()
    }
  })
})

describe('a withdraw that races its holder stopping', () => {
  const homes: string[] = []
  let users: User[] = []
  let server: RunningCacheServer | undefined
  let depositor: RawClient | undefined
  after(async () => {
    await depositor?.stop()
    await cleanup(users)
    await server?.stop()
    for (const dir of homes) await rm(dir, { recursive: true, force: true })
  })

  it('alice cancels while her server stops (a deposit still draining): it answers "shutting down", not "does not support withdrawing"; once it is back she asks again and the copy goes', async () => {
    const home = await tempDir('cache-stopping')
    homes.push(home)
    const listen = [`/ip4/127.0.0.1/tcp/${await freePort()}`]
    // Run here, not as a process, so its disk can be held: the presence sweep, which reads
    // the free disk too, is slowed so that only deposits read it.
    const config = parseCacheConfig({ ...FAST_SERVER, presence: { ...FAST_SERVER.presence, sweepIntervalMs: 600_000 }, metrics: { address: '127.0.0.1:0' } })
    let holding = false
    const hold = Promise.withResolvers<void>()
    const reading = Promise.withResolvers<void>()
    const draining = Promise.withResolvers<void>()
    let skew = 0
    server = await startServerHere({
      home,
      listen,
      config,
      now: () => Date.now() + skew,
      lifecycle: event => { if (event === 'shutdown-draining') draining.resolve() },
      freeDiskBytes: async () => {
        if (holding) { reading.resolve(); await hold.promise }
        return 100 * 1024 ** 3
      }
    })
    users = await onlineContacts(['alice', 'bob'], { servers: [server] })
    const [alice, bob] = users as [User, User]
    await bob.daemon!.stop()
    const sent = await runJson(alice.home, ['send', '--to', 'bob', '--subject', 'Cancel me while the server stops', '--body', 'x', '--wait', '--timeout', '20000'])
    assert.deepEqual(sent.entry.recipients[0].parkedAt, [server.peerId])

    // Another deposit reads the disk (its last reading is old now) and is held there,
    // under way: the server, told to stop, waits for it with its connections still up.
    holding = true
    skew = DISK_CHECK_INTERVAL_MS
    depositor = await rawClient()
    const deposit = park(depositor, server, [opaqueEnvelope(bob.peerId)]).catch(() => [])
    await deadline(reading.promise, 10_000, 'the deposit to read the disk')
    const stopped = server.stop()
    await deadline(draining.promise, 10_000, 'the server to wait for the deposit under way')

    const cancel = await runJson(alice.home, ['outbox', 'cancel', sent.id])
    const [answer] = cancel.recipients[0].withdrawal
    assert.equal(cancel.recipients[0].state, 'parked', 'the copy is still on the server')
    assert.equal(answer.outcome, 'unreachable', `asked again later, not given up on: ${JSON.stringify(answer)}`)
    assert.match(answer.error, /shutting down/)
    hold.resolve()
    await deposit
    await stopped

    server = await startServerHere({ home, listen, config, lifecycle: () => {} })
    await waitUntil(alice.home, async () => (await recipientState(alice, sent.id, 'bob'))?.state === 'cancelled', 30_000, 'alice to withdraw the copy once the server is back')
    const m = await scrape({ metrics: server.metricsUrl! })
    assert.equal(m.get('peerpost_withdrawals_total'), 1)
    assert.equal(m.get('peerpost_parked_envelopes'), 1, 'the other deposit, finished while the server stopped, is all that is left')
  })
})
