/**
 * Queued mail follows an accepted key change. Alice queues a message for bob while he is
 * offline; bob comes back with a new encryption key and writes to her, so his card with the
 * new key reaches her daemon. Her outbox holds the queued message (not delivered to the old
 * key, not parked, not failed) while the change waits; `contacts accept-key bob` seals it
 * again to the new key and bob's daemon, holding only the new key, opens it into his inbox.
 * A message delivered before the change stays as it was. Removing bob and adding his new
 * card seals what was queued for him again too. A held message still ends with its
 * lifetime. (The change itself, quarantine and the refused sends: key-change.test.ts.)
 */
import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { ControlClient } from '../../node/control/client.js'
import { generateBoxKeyPair } from '../../node/crypto/index.js'
import { homePaths } from '../../node/home.js'
import { identityFromKeyMaterial, makeCard } from '../../node/identity/index.js'
import { createKeystore } from '../../storage/keystore.js'
import { cleanup, deadline, introduce, makeUser, online, runJson, waitUntil } from '../helpers/cli.js'
import { randomFile } from '../helpers/attachments.js'
import { deliverCarrying } from './deliverer.js'
import type { RawClient } from '../helpers/cache-server.js'
import type { NodeEvent } from '../../node/events.js'
import type { OutboxEntry, RecipientState } from '../../storage/types.js'
import type { User } from '../helpers/cli.js'

/** Fast retries, so held envelopes are looked at again every second (RETRY_MAX_MS). */
const RETRY_MAX_MS = 1_000
const FAST_RETRY = { outbox: { retryBaseMs: 200, retryMaxMs: RETRY_MAX_MS, dialTimeoutMs: 2_000 } }
/** Attachments over this stay on the sender: the queued message carries one, so its re-sealed envelope must carry the reference again. */
const LARGE_OVER = 16 * 1024
const WAIT_MS = 30_000
const heldText = (name: string): RegExp => new RegExp(`^held: ${name}'s key changed, run peerpost contacts accept-key ${name}$`)
const HELD = heldText('bob-reseal')

describe('queued mail follows an accepted key change', () => {
  let alice: User, bob: User
  let queuedId: string, deliveredId: string, bigSha256: string
  let deliveredBefore: RecipientState

  before(async () => {
    alice = await makeUser('alice-reseal', { config: { ...FAST_RETRY, maxParkedAttachmentBytes: LARGE_OVER } })
    bob = await makeUser('bob-reseal')
    await online(alice)
    await online(bob)
    await introduce([alice, bob])
  })
  after(async () => { await cleanup([alice, bob]) })

  const entryOf = async (id: string): Promise<OutboxEntry> => (await runJson<{ entry: OutboxEntry }>(alice.home, ['status', id])).entry
  const bobState = async (id: string): Promise<RecipientState> => (await entryOf(id)).recipients.find(r => r.peerId === bob.peerId)!
  const subjects = async (user: User, folder: string): Promise<string[]> => (await runJson<any[]>(user.home, ['list', '--folder', folder])).map(m => m.subject)

  /** Bob's daemon stops, his keystore gets a new X25519 box key (same identity), and he comes back. */
  async function rotateBobsBoxKey (): Promise<void> {
    await bob.daemon!.stop()
    const path = homePaths(bob.home).keystore
    const keys = await createKeystore(path).load()
    const box = generateBoxKeyPair()
    await rm(path)
    await createKeystore(path).create({ ...keys, boxSecretKey: box.secretKey, boxPublicKey: box.publicKey })
    await online(bob)
  }

  /** Resolves after alice's engine has held `id` for bob `rounds` times (counted from her events). */
  async function heldRounds (id: string, rounds: number): Promise<void> {
    const client = await ControlClient.connect(alice.home)
    try {
      await deadline(new Promise<void>((resolve, reject) => {
        let seen = 0
        client.subscribe((e: NodeEvent) => {
          const d = e.data as { id?: string, peerId?: string, error?: string }
          if (e.type === 'outbox:recipient' && d.id === id && d.peerId === bob.peerId && HELD.test(d.error ?? '') && ++seen >= rounds) resolve()
        }).catch(reject)
      }), WAIT_MS, `${rounds} held rounds of ${id}`)
    } finally {
      client.close()
    }
  }

  it('while bob\'s key change waits, the message queued before it is neither sent to the old key, parked nor failed', async () => {
    deliveredId = (await runJson(alice.home, ['send', '--to', bob.name, '--subject', 'delivered-before', '--body', 'old key'])).id
    deliveredBefore = await waitUntil(alice.home, async () => { const r = await bobState(deliveredId); return r.state === 'delivered' && r }, WAIT_MS, 'the first message delivered')

    await bob.daemon!.stop()
    const big = join(alice.home, 'big.bin')
    bigSha256 = await randomFile(big, 4 * LARGE_OVER)
    queuedId = (await runJson(alice.home, ['send', '--to', bob.name, '--subject', 'queued-before', '--body', 'sealed to the old key at first', '--attach', big])).id
    await waitUntil(alice.home, async () => (await bobState(queuedId)).attempts > 0, WAIT_MS, 'a failed attempt while bob is offline')

    // Bob comes back with a new key and writes to alice: she meets his new card. (Her engine
    // may reach him first: his node cannot open the old envelope, which is not final either.)
    await rotateBobsBoxKey()
    await runJson(bob.home, ['send', '--to', alice.name, '--subject', 'my-new-key', '--body', 'hello'])
    await waitUntil(alice.home, async () => (await subjects(alice, 'quarantine')).includes('my-new-key'), WAIT_MS, 'bob\'s mail with his new card in quarantine')

    const held = await waitUntil(alice.home, async () => { const r = await bobState(queuedId); return HELD.test(r.lastError ?? '') && r }, WAIT_MS, 'the queued message held for the key change')
    // Bob is online all along: three more rounds of alice's engine, and none sends it to him.
    await heldRounds(queuedId, 3)
    const after = await bobState(queuedId)
    assert.equal(after.state, 'pending')
    assert.equal(after.attempts, held.attempts, 'no attempt was made while the change waits')
    assert.equal(after.envelopeId, held.envelopeId)
    assert.equal(after.parkedAt, undefined)
    assert.ok(!(await subjects(bob, 'inbox')).includes('queued-before'))
  })

  it('after accept-key the queued message is sealed to the new key and lands in bob\'s inbox; the delivered one is left alone', async () => {
    const before = await bobState(queuedId)
    const accepted = await runJson(alice.home, ['contacts', 'accept-key', bob.name])
    assert.equal(accepted.keyChanged, undefined)
    assert.deepEqual({ resealed: accepted.resealed, failed: accepted.failed }, { resealed: 1, failed: 0 })
    const delivered = await waitUntil(alice.home, async () => { const r = await bobState(queuedId); return r.state === 'delivered' && r }, WAIT_MS, 'the re-sealed message delivered')
    assert.notEqual(delivered.envelopeId, before.envelopeId, 'sealed again under a new envelope id')
    assert.equal(delivered.lastError, undefined)

    // Bob's daemon holds only the new key: the message opened, and it is his contact's mail.
    const inbox = await runJson<any[]>(bob.home, ['list', '--folder', 'inbox'])
    const got = inbox.filter(m => m.subject === 'queued-before')
    assert.equal(got.length, 1)
    assert.match((await runJson(bob.home, ['read', got[0].id])).text, /sealed to the old key at first/)
    // Its large attachment's reference (and key) came along: bob pulls it from alice, whole.
    const big = await waitUntil(bob.home, async () => (await runJson(bob.home, ['read', got[0].id])).largeAttachments.find((a: any) => a.name === 'big.bin' && a.state === 'here'), WAIT_MS, 'the large attachment pulled')
    assert.equal(big.sha256, bigSha256)

    assert.deepEqual(await bobState(deliveredId), deliveredBefore)
    assert.equal((await subjects(bob, 'inbox')).filter(s => s === 'delivered-before').length, 1)
  })

  it('a contact removed and added again with its new card: what was queued for it is sealed to the new key', async () => {
    await bob.daemon!.stop()
    const id = (await runJson(alice.home, ['send', '--to', bob.name, '--subject', 'queued-before-readd', '--body', 'sealed to the old key, then the new'])).id
    await waitUntil(alice.home, async () => (await bobState(id)).attempts > 0, WAIT_MS, 'a failed attempt while bob is offline')
    const before = await bobState(id)
    // Bob comes back with another new key and sends his card out of band; alice settles it
    // by removing him and adding the new card, not by accept-key.
    await rotateBobsBoxKey()
    const card = (await runJson<{ card: string }>(bob.home, ['card'])).card
    await runJson(alice.home, ['contacts', 'remove', bob.name])
    await runJson(alice.home, ['contacts', 'add', card, '--as', bob.name])
    const delivered = await waitUntil(alice.home, async () => { const r = await bobState(id); return r.state === 'delivered' && r }, WAIT_MS, 'the re-sealed message delivered')
    assert.notEqual(delivered.envelopeId, before.envelopeId, 'sealed again under a new envelope id')
    const got = (await runJson<any[]>(bob.home, ['list', '--folder', 'inbox'])).filter(m => m.subject === 'queued-before-readd')
    assert.equal(got.length, 1)
    assert.match((await runJson(bob.home, ['read', got[0].id])).text, /sealed to the old key, then the new/)
  })
})

describe('a message held for a key change still ends with its lifetime', () => {
  // Held envelopes are looked at again after retryMaxMs at the latest, or when the message's
  // lifetime ends if that is sooner: with retryMaxMs longer than the test waits, only the
  // lifetime can end it in time.
  const LIFETIME_MS = 6_000
  let alice: User, bob: User
  const clients: RawClient[] = []

  before(async () => {
    alice = await makeUser('alice-held', { config: { outbox: { retryBaseMs: 200, retryMaxMs: 120_000, lifetimeMs: LIFETIME_MS, dialTimeoutMs: 2_000 } } })
    bob = await makeUser('bob-held')
    await online(alice)
    await online(bob)
    await introduce([alice, bob])
  })
  after(async () => {
    for (const c of clients) await c.stop()
    await cleanup([alice, bob])
  })

  it('held, then failed when its lifetime ends, saying why it waited', async () => {
    const bobIdentity = identityFromKeyMaterial(await createKeystore(homePaths(bob.home).keystore).load())
    await bob.daemon!.stop()
    const id = (await runJson(alice.home, ['send', '--to', bob.name, '--subject', 'held-to-the-end', '--body', 'x'])).id
    const state = async (): Promise<RecipientState> => (await runJson<{ entry: OutboxEntry }>(alice.home, ['status', id])).entry.recipients[0]!
    // Bob's own signed card with a new key reaches alice (from elsewhere: his daemon is down).
    const rotated = makeCard({ ...bobIdentity, boxPublicKey: generateBoxKeyPair().publicKey }, { now: Date.now() + 1 })
    assert.equal(await deliverCarrying(alice, bobIdentity, rotated, bob.peerId, 'new-key-held', clients), 'receipt')

    await waitUntil(alice.home, async () => heldText(bob.name).test((await state()).lastError ?? ''), WAIT_MS, 'the message held for the key change')
    const failed = await waitUntil(alice.home, async () => { const r = await state(); return r.state === 'failed' && r }, WAIT_MS, 'the held message failed at the end of its lifetime')
    assert.match(failed.lastError ?? '', new RegExp(`^gave up after \\d+ attempts: held: ${bob.name}'s key changed`))
  })
})
