/**
 * Co-recipients as holders of a large attachment, between real libp2p nodes on 127.0.0.1
 * (TCP + Noise + Yamux), the puller being the daemon's own Transfers: a co-recipient serves
 * the sender's exact sealed chunks, to the listed recipients only; a pull whose holder goes
 * away resumes from another holder at its last verified chunk; and a holder that serves bad
 * data is set aside while the pull completes from another.
 */
import { strict as assert } from 'node:assert'
import { createHash, randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { after, before, describe, it } from 'node:test'
import { logger } from '@libp2p/logger'
import { NodeEvents } from '../../node/events.js'
import { pullBlob, serveBlobs } from '../../node/protocol/blob.js'
import { Transfers } from '../../node/transfers.js'
import { createHeldBlobs, sealChunk } from '../../storage/index.js'
import { randomStream, refOf, startPeer, stopPeer } from '../helpers/blob-peers.js'
import { deadline } from '../helpers/ready-process.js'
import type { NodeEvent } from '../../node/events.js'
import type { Peer } from '../helpers/blob-peers.js'
import type { BlobRecord, Contacts, DownloadInfo, ServableBlobs } from '../../storage/index.js'

const KiB = 1024
const CHUNK = 64 * KiB
const HOUR = 3_600_000
const log = logger('peerpost:test:holders')
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const sha256File = async (path: string): Promise<string> => createHash('sha256').update(await readFile(path)).digest('hex')

/** The download record a recipient of `record` (sent by `sender`) registers, naming `coRecipients`. */
function infoFor (record: BlobRecord, sender: Peer, coRecipients: string[]): DownloadInfo {
  return { messageId: `m-${record.blobId.slice(0, 8)}`, name: 'film.bin', type: 'application/octet-stream', from: sender.id, locations: [{ peerId: sender.id, addrs: sender.target.addrs ?? [] }], homeServers: [], coRecipients }
}

/** `puller` pulls `record` from `holder` into its downloads, registered as a recipient that names `coRecipients`. */
async function pullAs (puller: Peer, holder: Peer, record: BlobRecord, coRecipients: string[]): Promise<void> {
  await puller.downloads.register(refOf(record), infoFor(record, holder, coRecipients))
  const done = await pullBlob(puller.node, holder.target, await puller.downloads.open(refOf(record)))
  assert.equal(done.state, 'complete')
}

/** Chunk indexes each peer was served, per holder. */
function servedLog (): { log: Map<string, number[]>, onChunkServed: (blobId: string, index: number, peer: string) => void } {
  const served = new Map<string, number[]>()
  return { log: served, onChunkServed: (_blobId, index, peer) => { served.set(peer, [...(served.get(peer) ?? []), index]) } }
}

/** Transfers for `carol`, who knows where her co-recipients are (as her contacts would tell). */
function transfersOf (carol: Peer, known: Peer[], events: NodeEvents): Transfers {
  const contacts = { getByPeerId: async (peerId: string) => { const p = known.find(k => k.id === peerId); return p == null ? undefined : { name: p.name, addrs: p.target.addrs, homeServers: [] } } } as unknown as Contacts
  return new Transfers({ libp2p: carol.node, downloads: carol.downloads, contacts, events, log, now: Date.now, random: Math.random }, { retryBaseMs: 100, retryMaxMs: 500, dialTimeoutMs: 2_000, progressIntervalMs: 0, inFlight: 2 })
}

/** Resolves with the first event `match` accepts, or rejects after `ms`. */
async function eventOf (events: NodeEvents, match: (e: NodeEvent) => boolean, ms: number, what: string): Promise<NodeEvent> {
  return await new Promise((resolve, reject) => {
    const timer = setTimeout(() => { stop(); reject(new Error(`timed out waiting for ${what}`)) }, ms)
    const stop = events.subscribe(e => { if (match(e)) { clearTimeout(timer); stop(); resolve(e) } })
  })
}

describe('a co-recipient serves a blob it pulled whole', () => {
  let alice: Peer, bob: Peer, carol: Peer, mallory: Peer
  let enabled = true
  let accepted = true
  const served = servedLog()

  before(async () => {
    [alice, bob, carol, mallory] = await Promise.all(['alice', 'bob', 'carol', 'mallory'].map(startPeer)) as [Peer, Peer, Peer, Peer]
    await serveBlobs(alice.node, alice.blobs, { log })
    await serveBlobs(bob.node, createHeldBlobs(bob.blobs, bob.downloads, { serveReceived: () => enabled, mayServe: async () => accepted }), { log, onChunkServed: served.onChunkServed })
  })
  after(async () => { await Promise.all([alice, bob, carol, mallory].map(stopPeer)) })

  it('as the sender\'s exact sealed chunks, to the recipients the sender listed and nobody else', async () => {
    const record = await alice.blobs.put(randomStream(20 * CHUNK + 77), { recipients: [bob.id, carol.id], retentionMs: HOUR, chunkSize: CHUNK })
    await pullAs(bob, alice, record, [carol.id])
    const held = createHeldBlobs(bob.blobs, bob.downloads, { serveReceived: () => true })
    assert.deepEqual((await held.get(record.blobId))?.recipients, [carol.id])
    const reader = await held.openReader(record.blobId)
    for (let i = 0; i < record.chunkCount; i++) assert.deepEqual(Buffer.from(await reader.read(i)), Buffer.from(await alice.blobs.readChunk(record.blobId, i)), `chunk ${i}`)
    await reader.close()

    // mallory, not listed, hears NOT_FOUND; carol gets the whole file from bob alone.
    await mallory.downloads.register(refOf(record), infoFor(record, alice, []))
    await assert.rejects(pullBlob(mallory.node, bob.target, await mallory.downloads.open(refOf(record))), { name: 'PeerRefusedError', code: 'NOT_FOUND' })
    assert.equal(served.log.get(mallory.id), undefined)
    await pullAs(carol, bob, record, [bob.id])
    assert.equal(await sha256File(carol.downloads.receivedPath(record.blobId)), hex(record.sha256))
    assert.equal(served.log.get(carol.id)?.length, record.chunkCount)

    // With blobs.serveCoRecipients off, or for mail bob has not accepted, he serves nothing he received.
    await carol.downloads.remove(record.blobId)
    await carol.downloads.register(refOf(record), infoFor(record, alice, [bob.id]))
    for (const [on, ok] of [[false, true], [true, false]] as const) {
      enabled = on
      accepted = ok
      await assert.rejects(pullBlob(carol.node, bob.target, await carol.downloads.open(refOf(record))), { name: 'PeerRefusedError', code: 'NOT_FOUND' })
    }
    enabled = true
    accepted = true
    assert.equal(served.log.get(carol.id)?.length, record.chunkCount, 'nothing more was served')
  })
})

describe('carol\'s pull switches holders', () => {
  let alice: Peer, bob: Peer, carol: Peer, liar: Peer
  const served = servedLog()

  before(async () => {
    [alice, bob, carol, liar] = await Promise.all(['alice', 'bob', 'carol', 'liar'].map(startPeer)) as [Peer, Peer, Peer, Peer]
    await serveBlobs(alice.node, alice.blobs, { log })
    await serveBlobs(bob.node, createHeldBlobs(bob.blobs, bob.downloads, { serveReceived: () => true }), { log, onChunkServed: served.onChunkServed })
  })
  after(async () => { await Promise.all([alice, bob, carol, liar].map(stopPeer)) })

  it('the liar, a co-recipient who knows the key, serves chunks that authenticate but are not the file: set aside, carol gets it from bob', async () => {
    const record = await alice.blobs.put(randomStream(16 * CHUNK + 5), { recipients: [bob.id, liar.id, carol.id], retentionMs: HOUR, chunkSize: CHUNK })
    await pullAs(bob, alice, record, [liar.id, carol.id])
    // Each chunk sealed under the right key and nonce, over random bytes: only the sha256 tells.
    const forged: ServableBlobs = {
      get: async () => ({ ...record, recipients: [carol.id] }),
      openReader: async () => ({ read: async (i: number) => new Uint8Array(Buffer.concat(sealChunk(record.cipher, record.key, Buffer.from(record.blobId, 'hex'), i, randomBytes(i === record.chunkCount - 1 ? 5 : CHUNK)))), close: async () => {} }),
      markCompleted: async () => record
    }
    await serveBlobs(liar.node, forged, { log })
    // alice is away: carol asks her co-recipients, the liar first.
    await alice.node.stop()
    const events = new NodeEvents()
    const states: NodeEvent[] = []
    events.subscribe(e => { if (e.type === 'transfer:state') states.push(e) })
    const transfers = transfersOf(carol, [alice, bob, liar], events)
    await carol.downloads.register(refOf(record), infoFor(record, alice, [liar.id, bob.id]))
    const complete = eventOf(events, e => e.type === 'transfer:state' && (e.data as any).state !== 'waiting' && (e.data as any).state !== 'pulling', 30_000, 'carol\'s pull to end')
    transfers.attempt(record.blobId)
    assert.equal(((await complete).data as any).state, 'complete', JSON.stringify(states.map(s => s.data)))
    await transfers.stop()
    assert.equal(await sha256File(carol.downloads.receivedPath(record.blobId)), hex(record.sha256))
    assert.ok(states.some(s => /^liar served bad data: .*; starting again from another holder$/.test((s.data as any).reason ?? '')), JSON.stringify(states.map(s => s.data)))
    assert.deepEqual((await carol.downloads.get(record.blobId))?.info?.badHolders, [liar.id])
    assert.equal(served.log.get(carol.id)?.length, record.chunkCount, 'bob served it all, from the first chunk')
  })
})

describe('a holder goes away in the middle of carol\'s pull', () => {
  let alice: Peer, bob: Peer, carol: Peer
  const served = servedLog()

  before(async () => {
    [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map(startPeer)) as [Peer, Peer, Peer]
    await serveBlobs(alice.node, alice.blobs, { log, onChunkServed: (blobId, index, peer) => { if (peer === carol.id && index === 12) void alice.node.stop() } })
    await serveBlobs(bob.node, createHeldBlobs(bob.blobs, bob.downloads, { serveReceived: () => true }), { log, onChunkServed: served.onChunkServed })
  })
  after(async () => { await Promise.all([alice, bob, carol].map(stopPeer)) })

  it('carol goes on from bob at her last verified chunk', async () => {
    const record = await alice.blobs.put(randomStream(32 * CHUNK), { recipients: [bob.id, carol.id], retentionMs: HOUR, chunkSize: CHUNK })
    await pullAs(bob, alice, record, [carol.id])
    const events = new NodeEvents()
    const transfers = transfersOf(carol, [alice, bob], events)
    await carol.downloads.register(refOf(record), infoFor(record, alice, [bob.id]))
    const complete = eventOf(events, e => e.type === 'transfer:state' && (e.data as any).state === 'complete', 30_000, 'carol\'s pull to complete')
    transfers.attempt(record.blobId)
    await complete
    await transfers.stop()
    assert.equal(await sha256File(carol.downloads.receivedPath(record.blobId)), hex(record.sha256))
    const fromBob = served.log.get(carol.id) ?? []
    assert.ok(fromBob.length > 0 && fromBob.length < record.chunkCount, `bob served ${fromBob.length} of ${record.chunkCount} chunks`)
    // Resumed where carol's durable record stood after alice went: not from the start.
    assert.ok(Math.min(...fromBob) > 0, `bob started at chunk ${Math.min(...fromBob)}`)
    assert.deepEqual(fromBob, [...fromBob].sort((a, b) => a - b))
    assert.equal((await carol.downloads.get(record.blobId))?.info?.sources?.join(), [alice.id, bob.id].join())
  })
})

describe('carol got it from bob and owes alice a "done" that fails the first time', () => {
  let alice: Peer, bob: Peer, carol: Peer
  let readable = true
  let failDone = 1
  let recorded!: (peer: string) => void
  const carolRecorded = new Promise<string>(resolve => { recorded = resolve })

  before(async () => {
    [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map(startPeer)) as [Peer, Peer, Peer]
    // Once bob has it, alice cannot read the file (so carol pulls it from bob), and her first
    // "done" from carol fails as a timed-out answer would: alice stays online and connected,
    // so neither her presence nor a new connection says anything new afterwards.
    const flaky: ServableBlobs = {
      get: async blobId => await alice.blobs.get(blobId),
      openReader: async blobId => { if (!readable) throw new Error(`cannot read ${blobId} now`); return await alice.blobs.openReader(blobId) },
      markCompleted: async (blobId, peer) => {
        if (peer === carol.id && failDone-- > 0) throw new Error('answer lost')
        const updated = await alice.blobs.markCompleted(blobId, peer)
        if (peer === carol.id) recorded(peer)
        return updated
      }
    }
    await serveBlobs(alice.node, flaky, { log })
    await serveBlobs(bob.node, createHeldBlobs(bob.blobs, bob.downloads, { serveReceived: () => true }), { log })
  })
  after(async () => { await Promise.all([alice, bob, carol].map(stopPeer)) })

  it('tells her again after a backoff, without waiting for a presence push or a new connection', async () => {
    const record = await alice.blobs.put(randomStream(8 * CHUNK + 3), { recipients: [bob.id, carol.id], retentionMs: HOUR, chunkSize: CHUNK })
    await pullAs(bob, alice, record, [carol.id])
    readable = false
    const events = new NodeEvents()
    const transfers = transfersOf(carol, [alice, bob], events)
    try {
      await carol.downloads.register(refOf(record), infoFor(record, alice, [bob.id]))
      const complete = eventOf(events, e => e.type === 'transfer:state' && (e.data as any).state === 'complete', 30_000, 'carol\'s pull from bob')
      transfers.attempt(record.blobId)
      await complete
      assert.equal(await deadline(carolRecorded, 15_000, 'alice to record carol\'s "done", told again'), carol.id)
      assert.equal(failDone, -1, 'the first "done" failed, the second was recorded')
      assert.deepEqual((await alice.blobs.get(record.blobId))?.completed.sort(), [bob.id, carol.id].sort())
    } finally {
      await transfers.stop()
    }
  })
})
