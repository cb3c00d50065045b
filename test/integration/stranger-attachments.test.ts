/**
 * A stranger's large attachments (mail that lands in requests): up to
 * `blobs.maxStrangerBytes` they are pulled like a contact's; a larger one waits, saying
 * why, until the person accepts it (moves the message to the inbox, or `transfers --retry`).
 * Real daemons on 127.0.0.1; alice has bob's card, bob does not have hers.
 */
import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { cleanup, makeUser, online, run, runJson, tempDir, waitUntil } from '../helpers/cli.js'
import { downloads, MiB, randomFile, readByMessageId } from '../helpers/attachments.js'
import { FAST_NODE } from '../helpers/offline.js'
import type { User } from '../helpers/cli.js'

const LIMIT = 2 * MiB

describe('a stranger\'s large attachment over blobs.maxStrangerBytes waits until it is accepted', () => {
  let alice: User, bob: User, files: string
  before(async () => {
    alice = await makeUser('alice', { config: FAST_NODE })
    bob = await makeUser('bob', { config: { ...FAST_NODE, blobs: { maxStrangerBytes: LIMIT } } })
    await online(alice)
    await online(bob)
    const card = await runJson<{ card: string }>(bob.home, ['card'])
    await runJson(alice.home, ['contacts', 'add', card.card, '--as', 'bob'])
    files = await tempDir('stranger-files')
  })
  after(async () => {
    await cleanup([alice, bob])
    if (files != null) await rm(files, { recursive: true, force: true })
  })

  /** alice sends bob one file; resolves to bob's copy of the message (in requests) once it is there. */
  async function sendFile (name: string, size: number): Promise<{ id: string, blobId: string, sha256: string }> {
    const path = join(files, name)
    const sha256 = await randomFile(path, size)
    const sent = await runJson(alice.home, ['send', '--to', 'bob', '--subject', name, '--body', 'from a stranger', '--attach', path, '--wait', '--timeout', '20000'])
    assert.equal(sent.entry.recipients[0].state, 'delivered')
    const read = await waitUntil<any>(bob.home, async () => {
      const requests = await runJson<any[]>(bob.home, ['list', '--folder', 'requests'])
      const m = requests.find(x => x.messageId === sent.messageId)
      return m == null ? undefined : await runJson(bob.home, ['read', m.id])
    }, 20_000, `${name} in bob's requests`)
    return { id: read.id, blobId: read.largeAttachments[0].blobId, sha256 }
  }

  const transfer = async (blobId: string): Promise<any> => (await downloads(bob)).find(d => d.blobId === blobId)

  it('one under the limit is pulled at once; one over it waits with the reason until the message is moved to the inbox', async () => {
    const small = await sendFile('under.bin', LIMIT - MiB / 2)
    await waitUntil(bob.home, async () => (await transfer(small.blobId))?.state === 'complete', 30_000, 'the stranger\'s file under the limit to be pulled')

    const big = await sendFile('over.bin', LIMIT + MiB)
    const waiting = await waitUntil(bob.home, async () => {
      const d = await transfer(big.blobId)
      return d?.state === 'waiting' && /not from a contact/.test(d.reason ?? '') ? d : undefined
    }, 20_000, 'the file over the limit to wait for acceptance')
    assert.match(waiting.reason, new RegExp(`not from a contact and over 2 MiB \\(blobs.maxStrangerBytes\\): move the message to your inbox or run \`peerpost transfers --retry ${big.blobId}\``))
    assert.equal(waiting.bytesDone, 0)

    // Throwing it away is not accepting it: it waits on, now saying it is in the trash.
    assert.equal((await run(bob.home, ['delete', big.id])).code, 0)
    await waitUntil(bob.home, async () => /^in the trash and over 2 MiB \(blobs.maxStrangerBytes\): move the message out of the trash/.test((await transfer(big.blobId))?.reason ?? ''), 20_000, 'the trashed file to wait, saying it is in the trash')
    assert.equal((await transfer(big.blobId)).bytesDone, 0)

    const moved = await run(bob.home, ['move', big.id, 'inbox'])
    assert.equal(moved.code, 0, moved.stderr)
    assert.match(moved.stdout, new RegExp(`moved ${big.id} to inbox`))
    await waitUntil(bob.home, async () => (await transfer(big.blobId))?.state === 'complete', 30_000, 'the accepted file to be pulled')
    const read = await readByMessageId(bob, (await runJson(bob.home, ['read', big.id])).messageId)
    assert.equal(read.largeAttachments[0].state, 'here')
    assert.equal(read.largeAttachments[0].sha256, big.sha256)
  })

  it('`transfers --retry` accepts one left in requests, and the acceptance outlives a restart; `move` refuses an unknown folder', async () => {
    const big = await sendFile('retry.bin', LIMIT + MiB)
    await waitUntil(bob.home, async () => /not from a contact/.test((await transfer(big.blobId))?.reason ?? ''), 20_000, 'the file to wait for acceptance')
    // Accepted while alice is away, then bob's daemon restarts before she is back.
    await alice.daemon!.stop()
    const retried = await run(bob.home, ['transfers', '--retry', big.blobId])
    assert.equal(retried.code, 0, retried.stderr)
    // Accepted: it now waits for alice (a stranger to bob: named by her PeerId), not for bob.
    await waitUntil(bob.home, async () => {
      const d = await transfer(big.blobId)
      return d?.state === 'waiting' && d.waitingFor === alice.peerId && !/not from a contact/.test(d.reason ?? '')
    }, 20_000, 'the accepted file to wait for alice')
    await bob.daemon!.stop()
    await online(bob)
    await online(alice)
    await waitUntil(bob.home, async () => (await transfer(big.blobId))?.state === 'complete', 30_000, 'the accepted file pulled after the restart, without accepting it again')
    const bad = await run(bob.home, ['move', big.id, 'elsewhere'])
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /elsewhere/)
    assert.equal((await runJson(bob.home, ['read', big.id])).folder, 'requests')
  })
})
