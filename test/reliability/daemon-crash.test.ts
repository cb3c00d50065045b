/**
 * kill -9 of the daemons at random (seeded) moments.
 *
 * - The recipient, while it pulls mail parked for it: it is killed right after storing a
 *   random one of the messages, before its acks reach the server. The test checks that
 *   the window was hit (messages both in the inbox and still held), then restarts it:
 *   they come again and each lands once.
 * - The sender, while N messages go to 3 online recipients: killed at random points
 *   (between sends and while a send is in flight), restarted each time. Every message
 *   whose send was answered reaches every recipient exactly once; one whose send was cut
 *   off by the kill arrives at most once.
 */
import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import { after, describe, it } from 'node:test'
import { ControlClient } from '../../node/control/client.js'
import { cardFromText, cardToText, generateKeyMaterial, identityFromKeyMaterial, makeCard } from '../../node/identity/index.js'
import { parseMessage } from '../../node/mime/index.js'
import { openHome } from '../../node/home.js'
import { createNetwork } from '../../node/network.js'
import { FetchSession } from '../../node/protocol/fetch.js'
import { openEnvelope, sealEnvelope } from '../../node/crypto/index.js'
import { eventually, park, rawClient, scrape, startCacheServer } from '../helpers/cache-server.js'
import { cleanup, deadline, introduce, makeUser, online, runJson, tempDir } from '../helpers/cli.js'
import { FAST_NODE, FAST_SERVER, startNode, useServers } from '../helpers/offline.js'
import { seededRandom } from '../helpers/random.js'
import { size } from './size.js'
import type { CacheServerProcess, RawClient } from '../helpers/cache-server.js'
import type { User } from '../helpers/cli.js'
import type { NodeEvent } from '../../node/events.js'

/** Every message in a folder of a home (no daemon needed), as Message-IDs. */
async function folderIds (user: User, folder = 'inbox'): Promise<string[]> {
  const items = await runJson<any[]>(user.home, ['list', '--folder', folder, '--limit', '1000'])
  return items.map(m => m.messageId)
}

function counts (ids: string[]): Map<string, number> {
  const m = new Map<string, number>()
  for (const id of ids) m.set(id, (m.get(id) ?? 0) + 1)
  return m
}

describe('the recipient crashes after fetching, before acking', () => {
  const PARKED = size(150, 1_000)
  let server: CacheServerProcess | undefined
  let serverHome: string | undefined
  let bob: User | undefined
  const clients: RawClient[] = []
  after(async () => {
    for (const c of clients) await c.stop()
    if (bob != null) await cleanup([bob])
    await server?.kill()
    if (serverHome != null) await rm(serverHome, { recursive: true, force: true })
  })

  it(`${PARKED} messages parked for bob: killed mid-retrieval, the unacked ones come again and every message lands once`, async () => {
    const random = seededRandom('recipient-crash')
    serverHome = await tempDir('recipient-crash-server')
    server = await startCacheServer(serverHome, { config: FAST_SERVER })
    bob = await makeUser('bob-crash', { config: FAST_NODE })
    await useServers(bob, [server])
    const bobCard = (await runJson(bob.home, ['card'])).card as string
    const bobBox = cardFromText(bobCard)
    const alice = identityFromKeyMaterial(await generateKeyMaterial({ displayName: 'alice', now: Date.now() }))
    const aliceCard = makeCard(alice, { now: Date.now() })
    await runJson(bob.home, ['contacts', 'add', cardToText(aliceCard), '--as', 'alice'])

    // Alice's real sealed mail, parked by some node on bob's home server.
    const depositor = await rawClient({ serverPeerId: server.peerId })
    clients.push(depositor)
    const messageIds: string[] = []
    const envelopes = Array.from({ length: PARKED }, (_, i) => {
      const messageId = `<crash-${i}-${Date.now()}@alice>`
      messageIds.push(messageId)
      const mime = new TextEncoder().encode(`From: alice@peerpost\r\nTo: bob@peerpost\r\nSubject: parked ${i}\r\nMessage-ID: ${messageId}\r\n\r\nbody ${i}\r\n`)
      return sealEnvelope({ sender: alice, senderCard: aliceCard, recipient: { peerId: bob!.peerId, boxPublicKey: bobBox.boxPublicKey }, mime, timestamp: Date.now() })
    })
    for (let i = 0; i < envelopes.length; i += 25) assert.ok((await park(depositor, server, envelopes.slice(i, i + 25))).every(o => o.ok))

    // Bob comes online and pulls; he dies right after storing a random one of them.
    const killAfter = 1 + Math.floor(random() * (PARKED / 2))
    await startNode(bob)
    const client = await ControlClient.connect(bob.home)
    let stored = 0
    const killed = Promise.withResolvers<void>()
    await client.subscribe((e: NodeEvent) => {
      if (e.type === 'mail:received' && ++stored === killAfter) bob!.daemon!.kill().then(killed.resolve, killed.reject)
    })
    await deadline(killed.promise, 60_000, 'bob to store the chosen message')
    client.close()

    // The window: messages in bob's inbox whose envelopes the server still holds.
    const inbox = await folderIds(bob)
    const held = await heldFor(bob, server)
    const window = inbox.filter(id => held.includes(id))
    assert.ok(inbox.length >= killAfter, `bob stored ${inbox.length} before dying`)
    assert.ok(window.length > 0, `the kill fell between storing and acking (inbox ${inbox.length}, held ${held.length})`)

    await startNode(bob)
    await eventually(async () => (await scrape(server!)).get('peerpost_parked_envelopes') === 0, 60_000, 'the server to hold nothing for bob')
    const after = counts(await folderIds(bob))
    for (const id of messageIds) assert.equal(after.get(id), 1, `${id} is in bob's inbox once`)
    assert.equal([...after.values()].reduce((a, b) => a + b, 0), PARKED)
    console.log(JSON.stringify({ recipientCrash: { parked: PARKED, killedAfterStoring: killAfter, storedBeforeKill: inbox.length, storedButUnacked: window.length } }))
  })
})

/** What the server still holds for `user`, as Message-IDs (read with the user's own key while its daemon is down). */
async function heldFor (user: User, server: CacheServerProcess): Promise<string[]> {
  const home = await openHome(user.home)
  const identity = home.identity
  await home.close()
  const node = await createNetwork({ privateKey: identity.privateKey, listen: [] })
  await node.start()
  try {
    const session = await FetchSession.open(node, { peerId: server.peerId, addrs: server.addrs })
    const ids = (await session.listAll()).map(h => h.envelopeId)
    const out: string[] = []
    for (let i = 0; i < ids.length; i += 100) {
      for (const bytes of await session.get(ids.slice(i, i + 100))) out.push((await parseMessage(openEnvelope(bytes, identity).mime)).messageId)
    }
    await session.close()
    return out
  } finally {
    await node.stop()
  }
}

describe('the sender crashes while messages go to 3 recipients', () => {
  const COUNT = size(60, 500)
  const KILLS = size(3, 8)
  let users: User[] = []
  after(async () => { await cleanup(users) })

  it(`${COUNT} messages to 3 recipients, ${KILLS} kill -9 of the sender at random points: each answered message arrives exactly once everywhere`, async () => {
    const random = seededRandom('sender-crash')
    const alice = await makeUser('alice-crash', { config: FAST_NODE })
    const recipients = [await makeUser('r1'), await makeUser('r2'), await makeUser('r3')]
    users = [alice, ...recipients]
    for (const u of users) await online(u)
    await introduce(users)

    // Kill points: before send number k, either between sends or while it is in flight.
    const killAt = new Set<number>()
    while (killAt.size < KILLS) killAt.add(1 + Math.floor(random() * (COUNT - 1)))
    const answered: string[] = []
    const cut: string[] = []
    let client = await ControlClient.connect(alice.home)
    for (let i = 0; i < COUNT; i++) {
      const subject = `crash ${i}`
      // Settled at once into a value: a send cut off by the kill must not be an unhandled rejection.
      const sending = client.call<{ messageId: string }>('send', { request: { to: recipients.map(r => r.name), subject, text: `body ${i}` } })
        .then(r => r.messageId, () => undefined)
      if (killAt.has(i)) {
        // Half the kills land while this send is in flight, half right after it returns.
        if (random() < 0.5) await sending
        await alice.daemon!.kill()
        const messageId = await sending
        if (messageId != null) answered.push(messageId)
        else cut.push(subject)
        client.close()
        await online(alice)
        client = await ControlClient.connect(alice.home)
        continue
      }
      const messageId = await sending
      assert.ok(messageId != null, `send ${i} was answered`)
      answered.push(messageId)
    }
    client.close()

    for (const r of recipients) {
      await eventually(async () => {
        const ids = new Set(await folderIds(r))
        return answered.every(id => ids.has(id))
      }, 120_000, `${r.name} to have every answered message`)
      const got = await runJson<any[]>(r.home, ['list', '--limit', '1000'])
      const byId = counts(got.map(m => m.messageId))
      for (const id of answered) assert.equal(byId.get(id), 1, `${id} reached ${r.name} exactly once`)
      const bySubject = counts(got.map(m => m.subject))
      for (const s of cut) assert.ok((bySubject.get(s) ?? 0) <= 1, `"${s}" (send cut off by the kill) arrived at most once at ${r.name}`)
      assert.ok([...bySubject.values()].every(n => n === 1), `no subject twice at ${r.name}`)
    }
    console.log(JSON.stringify({ senderCrash: { messages: COUNT, recipients: 3, kills: KILLS, answered: answered.length, cutOff: cut.length } }))
  })
})
