/**
 * A co-recipient serves a large attachment it pulled to the message's other recipients
 * (design section 5: "blobs are pulled from the sender or any holder"), with real daemons
 * and a real cache server on 127.0.0.1: alice sends to bob and carol and goes offline, and
 * carol, who was offline while bob pulled, gets the file from bob; nobody else does.
 */
import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { lpStream } from '@libp2p/utils'
import { BLOB_NOT_FOUND_MESSAGE, BLOB_PROTOCOL } from '../../node/protocol/blob.js'
import { BlobChunk, BlobRequest } from '../../node/protocol/peerpost.js'
import { openStream } from '../../node/protocol/rpc.js'
import { rawClient, startCacheServer } from '../helpers/cache-server.js'
import { cleanup, runJson, tempDir, waitUntil } from '../helpers/cli.js'
import { downloads, MiB, randomFile, readByMessageId, sha256File } from '../helpers/attachments.js'
import { FAST_SERVER, onlineContacts, startNode } from '../helpers/offline.js'
import type { CacheServerProcess, RawClient } from '../helpers/cache-server.js'
import type { User } from '../helpers/cli.js'

const SIZE = 3 * MiB + 123
const PULL_MS = 60_000
const largeOf = (read: any): any => read.largeAttachments[0]

/** The message (by Message-ID) in `user`'s inbox once its large attachment is in a state `ok` accepts. */
async function waitForLarge (user: User, messageId: string, ok: (large: any) => boolean, what: string): Promise<any> {
  return await waitUntil(user.home, async () => {
    const r = await readByMessageId(user, messageId)
    return r != null && ok(largeOf(r)) ? r : undefined
  }, PULL_MS, what)
}

/** What `transfers` says `user` served (uploads), to whom. */
async function uploads (user: User): Promise<any[]> {
  return (await runJson(user.home, ['transfers'])).uploads
}

describe('alice sends bob and carol a large attachment and goes offline: carol gets it from bob', () => {
  let server: CacheServerProcess, alice: User, bob: User, carol: User, files: string
  let dave: RawClient | undefined

  before(async () => {
    files = await tempDir('files')
    server = await startCacheServer(await tempDir('cache'), { config: FAST_SERVER })
    ;[alice, bob, carol] = await onlineContacts(['alice', 'bob', 'carol'], { servers: [server] }) as [User, User, User]
    await carol.daemon!.stop()
  })
  // Each step copes with what a failed before() did not make.
  after(async () => {
    await dave?.stop()
    await cleanup([alice, bob, carol])
    if (server != null) {
      await server.kill()
      await rm(server.home, { recursive: true, force: true })
    }
    if (files != null) await rm(files, { recursive: true, force: true })
  })

  it('bob pulls it from alice; alice stops; carol waits for alice or bob, and gets the whole file from bob once he is back', async () => {
    const big = join(files, 'film.bin')
    const hash = await randomFile(big, SIZE)
    const sent = await runJson(alice.home, ['send', '--to', 'bob', '--to', 'carol', '--subject', 'The film', '--body', 'for you both', '--attach', big, '--wait', '--timeout', '20000'])
    assert.deepEqual(sent.entry.recipients.map((r: any) => r.state).sort(), ['delivered', 'parked'])
    const atBob = await waitForLarge(bob, sent.messageId, l => l.state === 'here', 'bob to pull the attachment from alice')
    const blobId: string = largeOf(atBob).blobId
    assert.equal(largeOf(atBob).sha256, hash)

    // alice goes away for good; bob goes away too before carol comes online.
    await alice.daemon!.stop()
    await bob.daemon!.stop()
    await startNode(carol)
    const waiting = await waitForLarge(carol, sent.messageId, l => l.state === 'waiting' && /or for bob/.test(l.reason ?? ''), 'carol to wait for alice or bob')
    assert.match(largeOf(waiting).reason, /^waiting for alice to come online \(or for bob, who got it too\)$/)

    // bob comes back: his presence wakes carol's download, which he serves.
    await startNode(bob)
    const here = await waitForLarge(carol, sent.messageId, l => l.state === 'here', 'carol to pull the attachment from bob')
    assert.equal(largeOf(here).sha256, hash)
    const saved = await runJson(carol.home, ['read', here.id, '--save-attachments', join(files, 'carol')])
    assert.equal(await sha256File(saved.saved[0]), hash)
    assert.equal((await downloads(carol)).find((d: any) => d.blobId === blobId)?.state, 'complete')
    const served = await waitUntil(bob.home, async () => (await uploads(bob)).find((u: any) => u.blobId === blobId && u.peer === carol.peerId && u.completed === true), 10_000, 'bob to see carol done')
    assert.equal(served.chunksServed, Math.ceil(SIZE / MiB))
    // bob still has his own copy: serving it changed nothing of his.
    assert.equal(largeOf(await readByMessageId(bob, sent.messageId)).state, 'here')
    assert.deepEqual((await runJson(alice.home, ['status', sent.id])).attachments[0].waiting, ['carol'], 'alice, offline, never heard from carol')

    // alice comes back: carol owes her a "done" (she got the file elsewhere), and alice,
    // whose recipients both have it now, drops her copy.
    await startNode(alice)
    const status = await waitUntil(alice.home, async () => {
      const s = await runJson(alice.home, ['status', sent.id])
      return s.attachments[0].held === false ? s : undefined
    }, 30_000, 'alice to hear carol has it and drop the blob')
    assert.equal(status.attachments[0].name, 'film.bin')
  })

  it('dave, who is not a recipient, is refused by bob with NOT_FOUND and served nothing', async () => {
    const blobId = (await downloads(bob))[0].blobId as string
    dave = await rawClient()
    const stream = await openStream(dave.libp2p, { peerId: bob.peerId, addrs: bob.daemon!.addrs.map(a => a.replace(/\/p2p\/.*$/, '')) }, BLOB_PROTOCOL, 10_000)
    const lp = lpStream(stream, { maxDataLength: 2 * MiB })
    await lp.write(BlobRequest.encode({ blobId: new Uint8Array(Buffer.from(blobId, 'hex')), firstChunk: 0, count: 1 }))
    const answer = BlobChunk.decode((await lp.read({ signal: AbortSignal.timeout(10_000) })).subarray())
    stream.abort(new Error('done'))
    assert.equal(answer.error?.code, 'NOT_FOUND')
    assert.equal(answer.error?.message, BLOB_NOT_FOUND_MESSAGE)
    assert.equal(answer.data.byteLength, 0)
    assert.ok(!(await uploads(bob)).some((u: any) => u.peer === dave!.peerId), 'nothing was served to dave')
  })
})
