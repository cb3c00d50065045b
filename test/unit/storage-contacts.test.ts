import { strict as assert } from 'node:assert'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { FORMER_CONTACT_MS, openHomeStore } from '../../storage/index.js'
import type { ContactRecord, HomeStore } from '../../storage/index.js'

function contact (name: string, peerId: string): ContactRecord {
  return {
    name,
    peerId,
    card: new Uint8Array([1, 2, 3, name.length]),
    cardCreated: 1_700_000_000_000,
    boxPublicKey: 'ab'.repeat(32),
    addrs: ['/ip4/127.0.0.1/tcp/4001'],
    homeServers: [],
    pinnedAt: 1_700_000_000_000,
    updatedAt: 1_700_000_000_000
  }
}

describe('contacts', () => {
  let dir: string
  let store: HomeStore
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'peerpost-contacts-'))
    store = await openHomeStore(join(dir, 'db'))
  })
  afterEach(async () => {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('pins a contact, found by name and by PeerId', async () => {
    const bob = contact('bob', '12D3KooWBob')
    await store.contacts.add(bob)
    assert.deepEqual(await store.contacts.get('bob'), bob)
    assert.deepEqual(await store.contacts.getByPeerId('12D3KooWBob'), bob)
    assert.equal(await store.contacts.get('carol'), undefined)
    assert.equal(await store.contacts.getByPeerId('12D3KooWCarol'), undefined)
  })

  it('refuses a taken name or an already pinned PeerId', async () => {
    await store.contacts.add(contact('bob', '12D3KooWBob'))
    await assert.rejects(store.contacts.add(contact('bob', '12D3KooWOther')), { name: 'ContactExistsError' })
    await assert.rejects(store.contacts.add(contact('robert', '12D3KooWBob')), { name: 'ContactExistsError' })
    assert.deepEqual((await store.contacts.list()).map(c => c.name), ['bob'])
  })

  it('updates the same name and PeerId only, and removes both indexes', async () => {
    await store.contacts.add(contact('bob', '12D3KooWBob'))
    await store.contacts.update({ ...contact('bob', '12D3KooWBob'), addrs: ['/ip4/10.0.0.2/tcp/4001'] })
    assert.deepEqual((await store.contacts.getByPeerId('12D3KooWBob'))?.addrs, ['/ip4/10.0.0.2/tcp/4001'])
    await assert.rejects(store.contacts.update(contact('bob', '12D3KooWOther')), { name: 'ContactNotFoundError' })

    await store.contacts.remove('bob')
    assert.equal(await store.contacts.get('bob'), undefined)
    assert.equal(await store.contacts.getByPeerId('12D3KooWBob'), undefined)
    await assert.rejects(store.contacts.remove('bob'), { name: 'ContactNotFoundError' })
    await store.contacts.add(contact('robert', '12D3KooWBob'))
  })

  it('lookups are cached, but every write shows at once and a caller\'s copy is its own', async () => {
    // Looked up (and cached) as absent, then added: found.
    assert.equal(await store.contacts.getByPeerId('12D3KooWBob'), undefined)
    assert.equal(await store.contacts.get('bob'), undefined)
    await store.contacts.add(contact('bob', '12D3KooWBob'))
    const seen = await store.contacts.getByPeerId('12D3KooWBob')
    assert.equal(seen?.name, 'bob')
    // Changing my copy changes nothing for the next caller.
    seen!.addrs = ['/ip4/10.9.9.9/tcp/1']
    assert.deepEqual((await store.contacts.get('bob'))?.addrs, contact('bob', '12D3KooWBob').addrs)
    // Lookups concurrent with an update see the old or the new record, and afterwards only the new.
    const during = Promise.all([store.contacts.getByPeerId('12D3KooWBob'), store.contacts.get('bob')])
    await store.contacts.update({ ...contact('bob', '12D3KooWBob'), addrs: ['/ip4/10.0.0.2/tcp/4001'] })
    await during
    assert.deepEqual((await store.contacts.getByPeerId('12D3KooWBob'))?.addrs, ['/ip4/10.0.0.2/tcp/4001'])
    assert.deepEqual((await store.contacts.get('bob'))?.addrs, ['/ip4/10.0.0.2/tcp/4001'])
    await store.contacts.remove('bob')
    assert.equal(await store.contacts.getByPeerId('12D3KooWBob'), undefined)
    assert.equal(await store.contacts.get('bob'), undefined)
  })

  it('remembers a removed contact as a former one until it is pinned again', async () => {
    assert.equal(await store.contacts.wasContact('12D3KooWBob'), false)
    await store.contacts.add(contact('bob', '12D3KooWBob'))
    assert.equal(await store.contacts.wasContact('12D3KooWBob'), false)
    await store.contacts.remove('bob')
    assert.equal(await store.contacts.wasContact('12D3KooWBob'), true)
    await store.contacts.add(contact('robert', '12D3KooWBob'))
    assert.equal(await store.contacts.wasContact('12D3KooWBob'), false)
  })

  it('forgets a former contact FORMER_CONTACT_MS after its removal, and drops its record at the next removal', async () => {
    let clock = Date.UTC(2026, 0, 1)
    const timed = await openHomeStore(join(dir, 'db-timed'), { now: () => clock })
    try {
      await timed.contacts.add(contact('bob', '12D3KooWBob'))
      await timed.contacts.add(contact('carol', '12D3KooWCarol'))
      await timed.contacts.remove('bob')
      clock += FORMER_CONTACT_MS
      assert.equal(await timed.contacts.wasContact('12D3KooWBob'), true, 'still within the window at its last millisecond')
      clock += 1
      assert.equal(await timed.contacts.wasContact('12D3KooWBob'), false, 'a stranger again')
      assert.equal(await timed.db.sublevels.contacts.former.get('12D3KooWBob'), String(Date.UTC(2026, 0, 1)), 'kept until the next removal')
      await timed.contacts.remove('carol')
      assert.equal(await timed.db.sublevels.contacts.former.get('12D3KooWBob'), undefined, 'dropped with the next removal')
      assert.equal(await timed.contacts.wasContact('12D3KooWCarol'), true)
    } finally {
      await timed.close()
    }
  })

  it('sets the stamp-exempt mark only on a contact, writing only a change, and other updates keep it', async () => {
    assert.equal(await store.contacts.setStampExempt('12D3KooWBob', true), false)
    await store.contacts.add(contact('bob', '12D3KooWBob'))
    const readBefore = await store.contacts.getByPeerId('12D3KooWBob')
    assert.equal(await store.contacts.setStampExempt('12D3KooWBob', true), true)
    // An update from a copy read before the mark was set (the receiver placing a newer card) keeps it.
    await store.contacts.update({ ...readBefore!, addrs: ['/ip4/10.0.0.3/tcp/4001'] })
    assert.equal((await store.contacts.getByPeerId('12D3KooWBob'))?.stampExempt, true)
    const before = store.db.syncedBatches
    assert.equal(await store.contacts.setStampExempt('12D3KooWBob', true), false)
    assert.equal(store.db.syncedBatches, before)
    const marked = await store.contacts.getByPeerId('12D3KooWBob')
    assert.equal(marked?.stampExempt, true)
    await store.contacts.update({ ...marked!, addrs: ['/ip4/10.0.0.2/tcp/4001'] })
    await store.close()
    store = await openHomeStore(join(dir, 'db'))
    assert.equal((await store.contacts.get('bob'))?.stampExempt, true)
    assert.equal(await store.contacts.setStampExempt('12D3KooWBob', false), true)
    assert.equal((await store.contacts.get('bob'))?.stampExempt, undefined)
  })
})
