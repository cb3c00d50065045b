import { strict as assert } from 'node:assert'
import { createHash, randomBytes } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, beforeEach, describe, it } from 'node:test'
import { logger } from '@libp2p/logger'
import { lpStream } from '@libp2p/utils'
import { BLOB_PROTOCOL, pullBlob, serveBlobs } from '../../node/protocol/blob.js'
import { BlobChunk, BlobRequest } from '../../node/protocol/peerpost.js'
import { randomStream, refOf, startPeer, stopPeer } from '../helpers/blob-peers.js'
import type { Peer } from '../helpers/blob-peers.js'
import type { BlobRecord } from '../../storage/index.js'
import type { Connection, Stream } from '@libp2p/interface'

const MiB = 1024 * 1024
const HOUR = 3_600_000
const log = logger('peerpost:test:blob')

const sha256File = async (path: string): Promise<string> => createHash('sha256').update(await readFile(path)).digest('hex')
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

describe('/peerpost/blob/1.0.0 between real nodes', () => {
  let alice: Peer, bob: Peer, mallory: Peer
  /** Chunk index -> times alice served it, per blob. */
  const served = new Map<string, Map<number, number>>()
  const completed: string[] = []

  before(async () => {
    [alice, bob, mallory] = await Promise.all([startPeer('alice'), startPeer('bob'), startPeer('mallory')])
    await serveBlobs(alice.node, alice.blobs, {
      log,
      onChunkServed (blobId, index) {
        const counts = served.get(blobId) ?? new Map<number, number>()
        counts.set(index, (counts.get(index) ?? 0) + 1)
        served.set(blobId, counts)
      },
      onCompleted (_record, peer) { completed.push(peer) }
    })
  })
  after(async () => {
    await Promise.all([stopPeer(alice), stopPeer(bob), stopPeer(mallory)])
  })

  it('bob pulls a 20 MiB attachment from alice; mallory, not a recipient, hears the same NOT_FOUND as for an unknown blob', async () => {
    const record = await alice.blobs.put(randomStream(20 * MiB), { recipients: [bob.id], retentionMs: HOUR })
    assert.equal(record.chunkCount, 20)
    const progress: number[] = []
    const download = await bob.downloads.open(refOf(record))
    const done = await pullBlob(bob.node, alice.target, download, { onProgress: (bytes, total) => { assert.equal(total, 20 * MiB); progress.push(bytes) } })
    assert.equal(done.state, 'complete')
    assert.equal(progress.length, 20)
    assert.equal(progress.at(-1), 20 * MiB)
    assert.equal(await sha256File(bob.downloads.receivedPath(record.blobId)), hex(record.sha256))
    // bob told alice he has it all: she may now forget him.
    assert.deepEqual((await alice.blobs.get(record.blobId))?.completed, [bob.id])
    assert.deepEqual(completed, [bob.id])

    const refusals: Array<{ name: string, code: string, message: string }> = []
    for (const [who, ref] of [[mallory, refOf(record)], [bob, { ...refOf(record), blobId: randomBytes(16) }]] as const) {
      const attempt = await who.downloads.open(ref)
      const err: any = await pullBlob(who.node, alice.target, attempt).then(() => assert.fail('served'), (e: unknown) => e)
      refusals.push({ name: err.name, code: err.code, message: err.message })
      // A refusal is not bad data: the download waits for another holder.
      assert.equal((await who.downloads.get(attempt.blobId))?.state, 'pending')
    }
    assert.deepEqual(refusals[0], refusals[1])
    assert.equal(refusals[0]?.name, 'PeerRefusedError')
    assert.equal(refusals[0]?.code, 'NOT_FOUND')
  })

  it('an aborted pull resumes from the last verified chunk; at most the in-flight chunks are served twice', async t => {
    const inFlight = 4
    const record = await alice.blobs.put(randomStream(24 * MiB), { recipients: [bob.id], retentionMs: HOUR })
    const controller = new AbortController()
    const first = await bob.downloads.open(refOf(record))
    await assert.rejects(pullBlob(bob.node, alice.target, first, {
      inFlight,
      signal: controller.signal,
      onProgress: bytes => { if (bytes >= 12 * MiB) controller.abort() }
    }), { name: 'AbortError' })
    const paused = await bob.downloads.get(record.blobId)
    assert.equal(paused?.state, 'pending')
    assert.equal(paused?.nextChunk, 12)

    const second = await bob.downloads.open(refOf(record))
    assert.equal(second.record.nextChunk, 12)
    const done = await pullBlob(bob.node, alice.target, second, { inFlight })
    assert.equal(done.state, 'complete')
    assert.equal(await sha256File(bob.downloads.receivedPath(record.blobId)), hex(record.sha256))
    const counts = served.get(record.blobId)!
    for (let i = 0; i < record.chunkCount; i++) assert.ok((counts.get(i) ?? 0) >= 1, `chunk ${i} served`)
    const twice = [...counts.values()].filter(n => n > 1).length
    t.diagnostic(`aborted at chunk 12 of ${record.chunkCount}; ${twice} chunks served twice (in flight: ${inFlight})`)
    assert.ok(twice <= inFlight, `${twice} chunks served twice`)
  })

  it('answers hostile requests with an error and serves nothing', async () => {
    const record = await alice.blobs.put(randomStream(2 * MiB), { recipients: [mallory.id], retentionMs: HOUR })
    const ask = async (request: Partial<BlobRequest> | Uint8Array): Promise<BlobChunk | string> => {
      const stream = await mallory.node.dialProtocol(alice.node.getMultiaddrs()[0]!, BLOB_PROTOCOL, { signal: AbortSignal.timeout(10_000) })
      const lp = lpStream(stream, { maxDataLength: 2 * MiB })
      await lp.write(request instanceof Uint8Array ? request : BlobRequest.encode(request))
      try {
        return BlobChunk.decode((await lp.read({ signal: AbortSignal.timeout(10_000) })).subarray())
      } catch (err: any) {
        return String(err?.name)
      } finally {
        stream.abort(new Error('done'))
      }
    }
    const id = Buffer.from(record.blobId, 'hex')
    const code = (answer: BlobChunk | string): string => typeof answer === 'string' ? answer : answer.error?.code ?? 'no error'
    assert.equal(code(await ask({ blobId: id, firstChunk: 0, count: 17 })), 'TOO_LARGE')
    assert.equal(code(await ask({ blobId: id, firstChunk: 1, count: 2 })), 'MALFORMED')
    assert.equal(code(await ask({ blobId: id, firstChunk: 0, count: 0 })), 'TOO_LARGE')
    // Not random bytes: those decode as a valid request now and then (then NOT_FOUND). A run
    // of 0xff is a tag varint that never ends, which no protobuf decoder accepts.
    assert.equal(code(await ask(new Uint8Array(100).fill(0xff))), 'MALFORMED')
    assert.equal(code(await ask({ blobId: randomBytes(5), firstChunk: 0, count: 1 })), 'NOT_FOUND')
    const ok = await ask({ blobId: id, firstChunk: 1, count: 1 })
    assert.ok(typeof ok !== 'string' && ok.index === 1 && ok.last && ok.data.byteLength === MiB + 16)
  })

  describe('a lying holder', () => {
    type Lie = 'tamper' | 'wrong-size' | 'extra' | 'oversize' | 'reorder'
    let liar: Peer
    let lie: Lie = 'tamper'
    let record: BlobRecord
    const CHUNK = 64 * 1024

    /** Serves alice's sealed chunks, except for the one lie it is told to tell. */
    async function lyingHandler (stream: Stream, _connection: Connection): Promise<void> {
      const lp = lpStream(stream, { maxDataLength: 256 })
      const send = async (chunk: Partial<BlobChunk>): Promise<void> => { await lp.write(BlobChunk.encode(chunk)) }
      try {
        while (true) {
          const request = BlobRequest.decode((await lp.read()).subarray())
          const blobId = hex(request.blobId)
          if (request.done) {
            if (lie === 'extra') await send({ blobId: request.blobId, index: record.chunkCount, data: new Uint8Array(CHUNK + 16) })
            else await send({ blobId: request.blobId, done: true })
            continue
          }
          for (let index = request.firstChunk; index < request.firstChunk + request.count; index++) {
            let data = new Uint8Array(await alice.blobs.readChunk(blobId, index))
            let at = index
            if (index === 2 && lie === 'tamper') data[100] = data[100]! ^ 0xff
            if (index === 2 && lie === 'wrong-size') data = data.subarray(0, data.byteLength - 1)
            if (index === record.chunkCount - 1 && lie === 'oversize') data = new Uint8Array(Buffer.concat([data, randomBytes(1000)]))
            if (index === 3 && lie === 'reorder') at = 4
            await send({ blobId: request.blobId, index: at, data, last: index === record.chunkCount - 1 })
          }
        }
      } catch {
        // The puller hung up.
      }
      await stream.close().catch(() => {})
    }

    before(async () => {
      liar = await startPeer('liar')
      await liar.node.handle(BLOB_PROTOCOL, lyingHandler, { runOnLimitedConnection: true })
      record = await alice.blobs.put(randomStream(8 * CHUNK - 5), { recipients: [bob.id], retentionMs: HOUR, chunkSize: CHUNK })
    })
    after(async () => { await stopPeer(liar) })
    beforeEach(async () => { await bob.downloads.remove(record.blobId) })

    const cases: Array<[Lie, string]> = [
      ['tamper', 'ChunkVerificationError'],
      ['wrong-size', 'ChunkSizeError'],
      ['oversize', 'ChunkSizeError'],
      ['extra', 'ExtraChunkError'],
      ['reorder', 'ChunkOutOfOrderError']
    ]
    for (const [which, errorName] of cases) {
      it(`that tells the lie "${which}" is caught (${errorName}) and the partial data is thrown away`, async () => {
        lie = which
        const download = await bob.downloads.open(refOf(record))
        await assert.rejects(pullBlob(bob.node, liar.target, download), { name: errorName })
        const failed = await bob.downloads.get(record.blobId)
        assert.equal(failed?.state, 'failed')
        assert.ok((failed?.reason ?? '').length > 10, failed?.reason)
        // Nothing of it is left: no partial file, nothing in received/.
        for (const folder of ['incoming', 'received']) {
          const names = await readdir(join(bob.home, 'blobs', folder)).catch(() => [] as string[])
          assert.ok(!names.some(n => n.startsWith(record.blobId)), `${folder}: ${names.join(', ')}`)
        }
      })
    }

    it('after a lie, the honest sender still delivers the blob', async () => {
      lie = 'tamper'
      await assert.rejects(pullBlob(bob.node, liar.target, await bob.downloads.open(refOf(record))), { name: 'ChunkVerificationError' })
      const done = await pullBlob(bob.node, alice.target, await bob.downloads.open(refOf(record)))
      assert.equal(done.state, 'complete')
      assert.equal(await sha256File(bob.downloads.receivedPath(record.blobId)), hex(record.sha256))
    })
  })
})
