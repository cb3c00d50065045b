/**
 * Keys change. Bob's mail to alice arrives with a card, signed by bob's identity, that
 * carries another encryption key: alice's daemon puts it in quarantine with a loud
 * warning, `read` shows it, `contacts list` flags bob, and `send --to bob` is refused until
 * alice runs `contacts accept-key bob`. A card with bob's PeerId that bob did not sign
 * changes nothing. (A directory that later substitutes another key for a pinned
 * name@server is refused with KEY CHANGED: test/integration/offline-relay-names.test.ts.)
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { generateBoxKeyPair } from '../../node/crypto/index.js'
import { homePaths } from '../../node/home.js'
import { generateKeyMaterial, identityFromKeyMaterial, makeCard } from '../../node/identity/index.js'
import { createKeystore } from '../../storage/keystore.js'
import { cleanup, introduce, makeUser, online, run, runJson } from '../helpers/cli.js'
import { deliverCarrying } from './deliverer.js'
import type { RawClient } from '../helpers/cache-server.js'
import type { User } from '../helpers/cli.js'
import type { Identity } from '../../node/identity/index.js'
import type { IdentityCard } from '../../node/protocol/peerpost.js'

describe('a contact\'s key changes', () => {
  let alice: User, bob: User
  let bobIdentity: Identity
  const clients: RawClient[] = []

  before(async () => {
    alice = await makeUser('alice-keys')
    bob = await makeUser('bob-keys')
    await online(alice)
    await online(bob)
    await introduce([alice, bob])
    bobIdentity = identityFromKeyMaterial(await createKeystore(homePaths(bob.home).keystore).load())
  })
  after(async () => {
    for (const c of clients) await c.stop()
    await cleanup([alice, bob])
  })

  /** A message "from bob" carrying `card`, signed by `signer`, delivered to alice's daemon. */
  const deliverToAlice = async (signer: Identity, card: IdentityCard, subject: string): Promise<string> => await deliverCarrying(alice, signer, card, bob.peerId, subject, clients)

  const bobContact = async (): Promise<any> => (await runJson<any[]>(alice.home, ['contacts', 'list'])).find(c => c.name === bob.name)

  it('a card bob did not sign, with his PeerId and another key, is refused and changes nothing', async () => {
    const mallory = identityFromKeyMaterial(await generateKeyMaterial({ now: Date.now() }))
    // A card naming bob with mallory's key, signed by mallory: the signature cannot verify for bob.
    const forged = { ...makeCard({ ...bobIdentity, boxPublicKey: generateBoxKeyPair().publicKey }, { now: Date.now() + 1 }) }
    forged.signature = mallory.signer.sign(new Uint8Array(forged.signature)) as Uint8Array<ArrayBuffer>
    assert.equal(await deliverToAlice(mallory, forged, 'forged-card'), 'BAD_SIGNATURE')
    assert.equal((await bobContact()).keyChanged, undefined)
  })

  it('bob\'s signed card with a new key: quarantined with a warning that read shows, and bob flagged', async () => {
    const rotated = makeCard({ ...bobIdentity, boxPublicKey: generateBoxKeyPair().publicKey }, { now: Date.now() + 1 })
    assert.equal(await deliverToAlice(bobIdentity, rotated, 'new-key'), 'receipt')
    const quarantined = await runJson<any[]>(alice.home, ['list', '--folder', 'quarantine'])
    const message = quarantined.find(m => m.subject === 'new-key')
    assert.ok(message != null, 'the message is in quarantine')
    assert.match(message.warning, /KEY CHANGED/)
    const shown = await run(alice.home, ['read', message.id])
    assert.equal(shown.code, 0)
    assert.match(shown.stdout, /WARNING: KEY CHANGED/)
    assert.equal((await bobContact()).keyChanged, true)
    assert.match((await run(alice.home, ['contacts', 'list'])).stdout, /KEY CHANGED/)
  })

  it('sending to bob is refused until alice accepts the new key, then goes', async () => {
    const refused = await run(alice.home, ['send', '--to', bob.name, '--subject', 'held', '--body', 'x'])
    assert.notEqual(refused.code, 0)
    assert.match(refused.stderr, /KEY CHANGED.*accept-key/)
    const outbox = await runJson(alice.home, ['status'])
    assert.ok(!outbox.outbox.some((e: any) => e.subject === 'held'), 'nothing was queued')

    const accepted = await runJson(alice.home, ['contacts', 'accept-key', bob.name])
    assert.equal(accepted.keyChanged, undefined)
    assert.equal((await bobContact()).keyChanged, undefined)
    const sent = await run(alice.home, ['send', '--to', bob.name, '--subject', 'after-accept', '--body', 'x'])
    assert.equal(sent.code, 0, sent.stderr)
    // Accepting twice is an error, not a silent no-op.
    assert.notEqual((await run(alice.home, ['contacts', 'accept-key', bob.name])).code, 0)
  })
})
