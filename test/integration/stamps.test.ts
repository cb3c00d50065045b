/**
 * Stamps only where they are needed (node/restamp.ts). A recipient tells a sender that it
 * has it as a contact, next to each receipt; the sender then seals its envelopes to that
 * recipient without a proof-of-work stamp. A stampless envelope that is refused for want of
 * one (the recipient removed the sender, or a cache server asks every deposit) gets a
 * stamp minted on it and goes again at once: alice's retry delay is two minutes here, so a
 * backoff would run past every deadline below. Mail sealed stampless that reaches a former
 * contact through a holder lands in requests; a stranger's is dropped.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { sealEnvelope } from '../../node/crypto/index.js'
import { ControlClient } from '../../node/control/client.js'
import { cardFromText, generateKeyMaterial, identityFromKeyMaterial, makeCard } from '../../node/identity/index.js'
import { eventually, park, rawClient, scrape } from '../helpers/cache-server.js'
import { cleanup, runJson, waitUntil } from '../helpers/cli.js'
import { FAST_NODE, onlineContacts, pairOnServer, recipientState, startNode } from '../helpers/offline.js'
import type { CacheServerProcess, RawClient } from '../helpers/cache-server.js'
import type { User } from '../helpers/cli.js'
import type { NodeEvent } from '../../node/events.js'

/** Alice retries after two minutes at the earliest: anything that waits for a backoff misses the deadlines. */
const SLOW_RETRY_NODE = { ...FAST_NODE, outbox: { ...FAST_NODE.outbox, retryBaseMs: 120_000, retryMaxMs: 600_000 } }
const DEADLINE_MS = 30_000

/** Every `mail:received` of a running daemon: message id -> whether its envelope carried a stamp. */
async function watchStamps (user: User): Promise<{ stamped: Map<string, boolean>, close: () => void }> {
  const client = await ControlClient.connect(user.home)
  const stamped = new Map<string, boolean>()
  await client.subscribe((e: NodeEvent) => {
    if (e.type === 'mail:received') stamped.set((e.data as { id: string }).id, (e.data as { stamped?: boolean }).stamped === true)
  })
  return { stamped, close: () => { client.close() } }
}

/** Every `outbox:recipient` error alice's daemon reports, by outbox id. */
async function watchErrors (user: User): Promise<{ errors: Map<string, string[]>, close: () => void }> {
  const client = await ControlClient.connect(user.home)
  const errors = new Map<string, string[]>()
  await client.subscribe((e: NodeEvent) => {
    const d = e.data as { id: string, error?: string }
    if (e.type === 'outbox:recipient' && d.error != null) errors.set(d.id, [...(errors.get(d.id) ?? []), d.error])
  })
  return { errors, close: () => { client.close() } }
}

const contactOf = async (user: User, name: string): Promise<any> => (await runJson<any[]>(user.home, ['contacts', 'list'])).find(c => c.name === name)
const localId = async (user: User, folder: string, messageId: string): Promise<string[]> =>
  (await runJson<any[]>(user.home, ['list', '--folder', folder, '--limit', '1000'])).filter(m => m.messageId === messageId).map(m => m.id)

describe('stamps only where needed: a contact who has us gets no stamp, a refusal gets one at once', () => {
  let server: CacheServerProcess
  let alice: User, bob: User
  let bobSees: Awaited<ReturnType<typeof watchStamps>>
  let aliceErrors: Awaited<ReturnType<typeof watchErrors>>

  let stop: () => Promise<void>

  before(async () => {
    // bob's home server asks every deposit for the default proof of work.
    ;({ server, alice, bob, stop } = await pairOnServer({ server: { parking: { stampBits: 10 } }, alice: SLOW_RETRY_NODE }))
    bobSees = await watchStamps(bob)
    aliceErrors = await watchErrors(alice)
  })
  after(async () => {
    bobSees?.close()
    aliceErrors?.close()
    await stop?.()
  })

  const send = async (subject: string, wait = true): Promise<any> =>
    await runJson(alice.home, ['send', '--to', 'bob', '--subject', subject, '--body', subject, ...(wait ? ['--wait', '--timeout', String(DEADLINE_MS)] : [])])

  it('after the first delivery to bob, who has alice, her envelopes to him carry no stamp', async () => {
    assert.equal((await contactOf(alice, 'bob')).stampExempt, undefined)
    const first = await send('first')
    assert.equal(first.entry.recipients[0].state, 'delivered')
    const [firstId] = await localId(bob, 'inbox', first.messageId)
    await waitUntil(bob.home, async () => bobSees.stamped.has(firstId!), DEADLINE_MS, 'bob\'s event for the first message')
    assert.equal(bobSees.stamped.get(firstId!), true, 'the first envelope is stamped: alice did not know yet')
    assert.equal((await contactOf(alice, 'bob')).stampExempt, true, 'alice remembers that bob has her')

    for (const subject of ['second', 'third']) {
      const sent = await send(subject)
      assert.equal(sent.entry.recipients[0].state, 'delivered')
      const [id] = await localId(bob, 'inbox', sent.messageId)
      await waitUntil(bob.home, async () => bobSees.stamped.has(id!), DEADLINE_MS, `bob's event for ${subject}`)
      assert.equal(bobSees.stamped.get(id!), false, `${subject} went without a stamp`)
    }
  })

  it('bob removes alice: her stampless envelope is refused STAMP_REQUIRED, stamped and delivered once, at once', async () => {
    await runJson(bob.home, ['contacts', 'remove', 'alice'])
    const sent = await send('after removal', false)
    const state = await waitUntil(alice.home, async () => {
      const r = await recipientState(alice, sent.id, 'bob')
      return r?.state === 'delivered' ? r : undefined
    }, DEADLINE_MS, 'alice\'s stamped retry to be delivered without a backoff')
    assert.equal(state.attempts, 2, 'one refused attempt, one delivered')
    assert.ok((aliceErrors.errors.get(sent.id) ?? []).some(e => /STAMP_REQUIRED/.test(e)), `alice saw the refusal: ${JSON.stringify(aliceErrors.errors.get(sent.id))}`)
    const ids = await localId(bob, 'requests', sent.messageId)
    assert.equal(ids.length, 1, 'once, in requests: alice is a stranger to bob now')
    assert.deepEqual(await localId(bob, 'inbox', sent.messageId), [])
    await waitUntil(bob.home, async () => bobSees.stamped.has(ids[0]!), DEADLINE_MS, 'bob\'s event for it')
    assert.equal(bobSees.stamped.get(ids[0]!), true)
    assert.equal((await contactOf(alice, 'bob')).stampExempt, undefined, 'alice forgot the exemption')

    // Her next envelope is stamped from the start: no refusal.
    const next = await send('stamped again')
    assert.equal(next.entry.recipients[0].state, 'delivered')
    assert.equal(next.entry.recipients[0].attempts, 1)
  })

  it('parking on a server that asks for stamps works for a sender bob exempts', async () => {
    await runJson(bob.home, ['contacts', 'add', (await runJson(alice.home, ['card'])).card, '--as', 'alice'])
    // bob answers the next delivery with the exemption again.
    assert.equal((await send('contacts again')).entry.recipients[0].state, 'delivered')
    assert.equal((await contactOf(alice, 'bob')).stampExempt, true)

    await bob.daemon!.stop()
    const sent = await send('parked for bob', false)
    const parked = await waitUntil(alice.home, async () => {
      const r = await recipientState(alice, sent.id, 'bob')
      return r?.state === 'parked' ? r : undefined
    }, DEADLINE_MS, 'the stamped envelope to be parked without a backoff')
    assert.deepEqual(parked.parkedAt, [server.peerId])
    assert.ok((aliceErrors.errors.get(sent.id) ?? []).some(e => /STAMP_REQUIRED/.test(e)), 'the server refused the stampless deposit first')
    assert.equal((await scrape(server)).get('peerpost_rejections_total{reason="stamp_required"}'), 1)
    assert.equal((await contactOf(alice, 'bob')).stampExempt, true, 'a server\'s demand does not change what bob said')

    await startNode(bob)
    await waitUntil(bob.home, async () => (await localId(bob, 'inbox', sent.messageId)).length === 1, DEADLINE_MS, 'bob to pull it into his inbox')
  })
})

describe('mail sealed without a stamp that comes through a holder', () => {
  let server: CacheServerProcess
  let alice: User, bob: User
  const clients: RawClient[] = []

  let stop: () => Promise<void>

  before(async () => {
    // A server that asks no stamp (the default): it takes alice's stampless envelope as it is.
    ;({ server, alice, bob, stop } = await pairOnServer())
  })
  after(async () => {
    for (const c of clients) await c.stop()
    await stop?.()
  })

  it('a former contact\'s lands in requests; a stranger\'s is dropped', async () => {
    await runJson(alice.home, ['send', '--to', 'bob', '--subject', 'hello', '--body', 'hi', '--wait'])
    assert.equal((await contactOf(alice, 'bob')).stampExempt, true)
    const bobCard = cardFromText((await runJson(bob.home, ['card'])).card)
    await bob.daemon!.stop()

    const sent = await runJson(alice.home, ['send', '--to', 'bob', '--subject', 'sealed while a contact', '--body', 'no stamp needed then', '--wait', '--timeout', String(DEADLINE_MS)])
    assert.equal(sent.entry.recipients[0].state, 'parked')

    // A stranger parks a stampless envelope for bob too (this server asks no stamp).
    const mallory = identityFromKeyMaterial(await generateKeyMaterial({ displayName: 'mallory', now: Date.now() }))
    const mime = new TextEncoder().encode(`From: ${mallory.peerIdString}@peerpost\r\nSubject: spam\r\nMessage-ID: <spam@test>\r\n\r\nbuy\r\n`)
    const spam = sealEnvelope({ sender: mallory, senderCard: makeCard(mallory, { now: Date.now() }), recipient: { peerId: bob.peerId, boxPublicKey: bobCard.boxPublicKey }, mime, timestamp: Date.now(), stampBits: 0 })
    const depositor = await rawClient({ serverPeerId: server.peerId })
    clients.push(depositor)
    const [deposit] = await park(depositor, server, [{ envelopeId: spam.envelopeId, bytes: spam.bytes }])
    assert.equal(deposit?.ok, true)
    assert.equal((await scrape(server)).get('peerpost_parked_envelopes'), 2)

    // bob removes alice while offline (on his home directly), then comes back.
    await runJson(bob.home, ['contacts', 'remove', 'alice'])
    await startNode(bob)
    await waitUntil(bob.home, async () => (await localId(bob, 'requests', sent.messageId)).length === 1, DEADLINE_MS, 'alice\'s stampless mail in bob\'s requests')
    // Both acked: the server holds nothing; the stranger's is in no folder.
    await eventually(async () => (await scrape(server)).get('peerpost_parked_envelopes') === 0, DEADLINE_MS, 'the server to hold nothing')
    for (const folder of ['inbox', 'requests', 'quarantine']) {
      assert.ok(!(await runJson<any[]>(bob.home, ['list', '--folder', folder, '--limit', '1000'])).some(m => m.subject === 'spam'), `no spam in ${folder}`)
    }
    assert.deepEqual(await localId(bob, 'inbox', sent.messageId), [])
  })
})

describe('mail sealed without a stamp that a co-recipient held', () => {
  let alice: User, bob: User, carol: User

  before(async () => {
    // No cache server: what bob cannot take directly is parked on carol, who got it too.
    ;[alice, bob, carol] = await onlineContacts(['alice', 'bob', 'carol']) as [User, User, User]
  })
  after(async () => { await cleanup([alice, bob, carol]) })

  it('reaches bob after he removed alice, in requests', async () => {
    await runJson(alice.home, ['send', '--to', 'bob', '--subject', 'hello', '--body', 'hi', '--wait'])
    assert.equal((await contactOf(alice, 'bob')).stampExempt, true)
    await bob.daemon!.stop()

    const sent = await runJson(alice.home, ['send', '--to', 'bob', '--to', 'carol', '--subject', 'for you both', '--body', 'bob is away'])
    const parked = await waitUntil(alice.home, async () => {
      const r = await recipientState(alice, sent.id, 'bob')
      return r?.state === 'parked' ? r : undefined
    }, DEADLINE_MS, 'bob\'s stampless envelope to be parked on carol')
    assert.deepEqual(parked.parkedAt, [carol.peerId])

    await runJson(bob.home, ['contacts', 'remove', 'alice'])
    await startNode(bob)
    await waitUntil(bob.home, async () => (await localId(bob, 'requests', sent.messageId)).length === 1, DEADLINE_MS, 'the held message in bob\'s requests')
    await waitUntil(carol.home, async () => (await runJson(carol.home, ['status'])).holding.envelopes === 0, DEADLINE_MS, 'carol to drop her copy after bob\'s ack')
  })
})
