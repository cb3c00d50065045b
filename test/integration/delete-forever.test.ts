/**
 * Deleting mail for good, with real daemons and a real cache server on 127.0.0.1: a message
 * deleted from the trash is gone from every listing, search and read, with its large
 * attachment's file; a pull still waiting for it stops; the same message delivered again
 * (same sender and Message-ID), directly or by a holder, is acknowledged and not stored.
 */
import assert from 'node:assert/strict'
import { mkdir, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { sealEnvelope } from '../../node/crypto/index.js'
import { cardFromText, identityFromKeyMaterial, makeCard } from '../../node/identity/index.js'
import { createKeystore } from '../../storage/index.js'
import { eventually, park, rawClient, scrape } from '../helpers/cache-server.js'
import { run, runJson, waitUntil } from '../helpers/cli.js'
import { downloads, MiB, randomFile } from '../helpers/attachments.js'
import { FAST_NODE, pairOnServer, startNode } from '../helpers/offline.js'
import { deliverer, outcomeCode } from '../reliability/deliverer.js'
import type { RawClient } from '../helpers/cache-server.js'
import type { CacheServerProcess } from '../helpers/cache-server.js'
import type { User } from '../helpers/cli.js'
import type { Identity } from '../../node/identity/index.js'

const FOLDERS = ['inbox', 'requests', 'sent', 'quarantine', 'archive', 'trash']
const PULL_MS = 60_000
/** Above maxParkedAttachmentBytes (1 MiB): a large attachment, pulled from the sender. */
const LARGE = 2 * MiB

const held = async (server: CacheServerProcess): Promise<number> => (await scrape(server)).get('peerpost_parked_envelopes') ?? -1

/** Every copy of a message (by Message-ID) in any of the user's folders. */
async function copies (user: User, messageId: string): Promise<any[]> {
  const found: any[] = []
  for (const folder of FOLDERS) found.push(...(await runJson<any[]>(user.home, ['list', '--folder', folder, '--limit', '1000'])).filter(m => m.messageId === messageId))
  return found
}

/** Files under the user's blobs/<sub> folder (none when it does not exist). */
async function blobFiles (user: User, sub: 'received' | 'incoming'): Promise<string[]> {
  return await readdir(join(user.home, 'blobs', sub)).catch(() => [])
}

describe('deleting mail for good', () => {
  let server: CacheServerProcess
  let alice: User, bob: User, files: string
  let aliceIdentity: Identity
  const clients: RawClient[] = []
  let stop: () => Promise<void> = async () => {}

  before(async () => {
    const pair = await pairOnServer({ alice: FAST_NODE, bob: FAST_NODE });
    ({ server, alice, bob, stop } = pair)
    files = join(alice.home, 'files-to-send')
    await mkdir(files)
    // alice's own keys (her keystore is not sealed): the test re-delivers her mail as she would.
    aliceIdentity = identityFromKeyMaterial(await createKeystore(join(alice.home, 'keystore.json')).load())
  })
  after(async () => {
    for (const c of clients) await c.stop()
    await stop()
  })

  /** alice's mail to bob, sealed by her key, with this Message-ID. */
  async function sealedFromAlice (messageId: string, subject: string): Promise<{ envelopeId: Uint8Array, bytes: Uint8Array }> {
    const box = cardFromText((await runJson(bob.home, ['card'])).card).boxPublicKey
    const mime = new TextEncoder().encode(`From: alice <${alice.peerId}@peerpost>\r\nTo: bob <${bob.peerId}@peerpost>\r\nSubject: ${subject}\r\nMessage-ID: ${messageId}\r\n\r\ndelivered again\r\n`)
    const sealed = sealEnvelope({ sender: aliceIdentity, senderCard: makeCard(aliceIdentity, { now: Date.now() }), recipient: { peerId: bob.peerId, boxPublicKey: box }, mime, timestamp: Date.now() })
    return { envelopeId: sealed.envelopeId, bytes: sealed.bytes }
  }

  it('a message with a large attachment: refused while in the inbox; from the trash, gone from list, search and read, with its file', async () => {
    const big = join(files, 'film.bin')
    await randomFile(big, LARGE)
    const sent = await runJson(alice.home, ['send', '--to', 'bob', '--subject', 'holiday film', '--body', 'a unique word: zanzibar', '--attach', big, '--wait', '--timeout', '20000'])
    assert.equal(sent.entry.recipients[0].state, 'delivered')
    await waitUntil(bob.home, async () => (await downloads(bob)).some(d => d.state === 'complete'), PULL_MS, 'bob to pull the film')
    const [m] = await copies(bob, sent.messageId)
    assert.equal(m.folder, 'inbox')
    const blobId = m.blobs[0].blobId
    assert.deepEqual(await blobFiles(bob, 'received'), [blobId])

    const refused = await run(bob.home, ['delete', '--forever', m.id])
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, new RegExp(`message ${m.id} is in inbox, not in trash.*\`peerpost delete ${m.id}\` moves it there`))
    assert.equal((await copies(bob, sent.messageId)).length, 1, 'nothing deleted')

    assert.deepEqual(await runJson(bob.home, ['delete', m.id]), { trashed: [m.id] })
    assert.equal((await runJson(bob.home, ['list', '--folder', 'trash', '--search', 'zanzibar'])).items.length, 1, 'found in the trash by its text (cached now)')
    assert.deepEqual(await runJson(bob.home, ['delete', '--forever', m.id]), { deleted: [m.id] })

    assert.deepEqual(await copies(bob, sent.messageId), [])
    for (const folder of FOLDERS) assert.deepEqual((await runJson(bob.home, ['list', '--folder', folder, '--search', 'zanzibar'])).items, [])
    const read = await run(bob.home, ['read', m.id])
    assert.equal(read.code, 2)
    assert.match(read.stderr, new RegExp(`no message with id ${m.id}`))
    assert.deepEqual(await blobFiles(bob, 'received'), [], 'the film\'s file is gone')
    assert.deepEqual(await downloads(bob), [], 'no transfer names it')
    assert.deepEqual((await runJson<any[]>(bob.home, ['list', '--folder', 'trash'])), [])
  })

  it('a pull still waiting for its sender stops when its message is deleted', async () => {
    const big = join(files, 'slides.bin')
    await randomFile(big, LARGE)
    await bob.daemon!.stop()
    const sent = await runJson(alice.home, ['send', '--to', 'bob', '--subject', 'slides', '--body', 'for monday', '--attach', big, '--wait', '--timeout', '20000'])
    assert.equal(sent.entry.recipients[0].state, 'parked')
    await alice.daemon!.stop()
    await startNode(bob)
    const waiting = await waitUntil(bob.home, async () => {
      const d = (await downloads(bob)).find(x => x.name === 'slides.bin')
      return d?.state === 'waiting' && /waiting for alice/.test(d.reason ?? '') ? d : undefined
    }, 30_000, 'bob to have the message, its attachment waiting for alice')
    await runJson(bob.home, ['delete', waiting.messageId])
    assert.deepEqual(await runJson(bob.home, ['delete', '--forever', waiting.messageId]), { deleted: [waiting.messageId] })
    assert.deepEqual(await downloads(bob), [])
    assert.deepEqual(await blobFiles(bob, 'incoming'), [])
    await startNode(alice)
    // alice back online wakes whatever waits for her: nothing does any more.
    await waitUntil(bob.home, async () => (await runJson(bob.home, ['contacts', 'list'])).find((c: any) => c.name === 'alice')?.presence?.online === true, 30_000, 'bob to see alice online')
    assert.deepEqual(await downloads(bob), [])
    assert.deepEqual(await blobFiles(bob, 'incoming'), [])
  })

  it('the same message delivered again, by its sender or by a holder, gets its receipt and is not stored', async () => {
    const sent = await runJson(alice.home, ['send', '--to', 'bob', '--subject', 'once only', '--body', 'hello', '--wait', '--timeout', '20000'])
    assert.equal(sent.entry.recipients[0].state, 'delivered')
    const [m] = await copies(bob, sent.messageId)
    await runJson(bob.home, ['delete', m.id])
    await runJson(bob.home, ['delete', '--forever', m.id])

    // Directly, as alice's retry would: a signed receipt (checked by the deliverer), nothing stored.
    // A new Message-ID in the same call lands: the path works.
    const c = await rawClient()
    clients.push(c)
    const deliver = deliverer(c)
    const target = { peerId: bob.peerId, addrs: bob.daemon!.addrs }
    const [again] = await deliver(target, [await sealedFromAlice(sent.messageId, 'once only')])
    assert.equal(outcomeCode(again), 'receipt')
    const [fresh] = await deliver(target, [await sealedFromAlice('<fresh-1@test>', 'fresh')])
    assert.equal(outcomeCode(fresh), 'receipt')
    assert.equal((await copies(bob, '<fresh-1@test>')).length, 1)
    assert.deepEqual(await copies(bob, sent.messageId), [])

    // From a holder: parked on bob's home server while he is away, pulled and acked when he
    // returns (the server then holds nothing), and still not stored.
    await bob.daemon!.stop()
    const depositor = await rawClient()
    clients.push(depositor)
    const parked = await park(depositor, server, [await sealedFromAlice(sent.messageId, 'once only'), await sealedFromAlice('<fresh-2@test>', 'fresh')])
    assert.deepEqual(parked.map(outcomeCode), ['receipt', 'receipt'])
    assert.equal(await held(server), 2)
    await startNode(bob)
    await waitUntil(bob.home, async () => (await copies(bob, '<fresh-2@test>')).length === 1, 30_000, 'bob to pull what his server holds')
    await eventually(async () => await held(server) === 0, 15_000, 'the server to hold nothing once bob acked both')
    assert.deepEqual(await copies(bob, sent.messageId), [])
  })

  it('empty-trash deletes many messages at once; the other folders keep theirs', async () => {
    const c = await rawClient()
    clients.push(c)
    const n = 60
    const envelopes = []
    for (let i = 0; i < n; i++) envelopes.push(await sealedFromAlice(`<bulk-${i}@test>`, `bulk ${i}`))
    envelopes.push(await sealedFromAlice('<keep@test>', 'keep me'))
    const outcomes = await deliverer(c)({ peerId: bob.peerId, addrs: bob.daemon!.addrs }, envelopes)
    assert.ok(outcomes.every(o => outcomeCode(o) === 'receipt'))
    const inbox = await runJson<any[]>(bob.home, ['list', '--limit', '1000'])
    const bulk = inbox.filter(m => m.messageId.startsWith('<bulk-')).map(m => m.id)
    assert.equal(bulk.length, n)
    assert.deepEqual((await runJson(bob.home, ['delete', ...bulk])).trashed.length, n)
    const before = (await runJson<any[]>(bob.home, ['list'])).length
    const emptied = await run(bob.home, ['empty-trash'])
    assert.equal(emptied.code, 0, emptied.stderr)
    assert.match(emptied.stdout, new RegExp(`deleted ${n} messages from the trash for good`))
    assert.deepEqual(await runJson(bob.home, ['list', '--folder', 'trash']), [])
    assert.equal((await runJson<any[]>(bob.home, ['list'])).length, before)
    assert.equal((await copies(bob, '<keep@test>')).length, 1)
    assert.deepEqual(await runJson(bob.home, ['empty-trash']), { deleted: 0 })
    // Delivered again after the purge: receipted, not back.
    const [again] = await deliverer(c)({ peerId: bob.peerId, addrs: bob.daemon!.addrs }, [await sealedFromAlice('<bulk-7@test>', 'bulk 7')])
    assert.equal(outcomeCode(again), 'receipt')
    assert.deepEqual(await copies(bob, '<bulk-7@test>'), [])
  })

  it('bad ids: unknown, malformed, or one bad among good ones: a clear error and nothing deleted', async () => {
    const c = await rawClient()
    clients.push(c)
    await deliverer(c)({ peerId: bob.peerId, addrs: bob.daemon!.addrs }, [await sealedFromAlice('<bad-ids@test>', 'bad ids')])
    const [m] = await copies(bob, '<bad-ids@test>')
    await runJson(bob.home, ['delete', m.id])

    // Moving to the trash checks every id first, too.
    const [keep] = await copies(bob, '<keep@test>')
    const trashUnknown = await run(bob.home, ['delete', keep.id, 'ffffffffffffffffffff'])
    assert.equal(trashUnknown.code, 2)
    assert.match(trashUnknown.stderr, /no message with id ffffffffffffffffffff/)
    assert.equal((await copies(bob, '<keep@test>'))[0]?.folder, 'inbox', 'nothing moved')

    const unknown = await run(bob.home, ['delete', '--forever', 'ffffffffffffffffffff'])
    assert.equal(unknown.code, 2)
    assert.match(unknown.stderr, /no message with id ffffffffffffffffffff/)
    const mixed = await run(bob.home, ['delete', '--forever', m.id, 'ffffffffffffffffffff'])
    assert.equal(mixed.code, 2)
    assert.match(mixed.stderr, /no message with id ffffffffffffffffffff/)
    const malformed = await run(bob.home, ['delete', '--forever', '../etc'])
    assert.equal(malformed.code, 2)
    assert.match(malformed.stderr, /"\.\.\/etc" is not a valid id/)
    const none = await run(bob.home, ['delete', '--forever'])
    assert.equal(none.code, 2)
    assert.match(none.stderr, /missing required argument/)
    assert.equal((await copies(bob, '<bad-ids@test>'))[0]?.folder, 'trash', 'still in the trash')
  })
})
