/**
 * Large attachments end to end, with real daemons and a real cache server on 127.0.0.1:
 * they stay on the sender, each recipient pulls them (at once, or when the sender comes
 * back), resumably, and a holder's bad data is refused. CI sizes are small; PEERPOST_SOAK=1
 * runs the sizes of issue 4 (300 MiB online, 50 MiB offline, 200 MiB kill -9).
 */
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { open, readFile, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { ControlClient } from '../../node/control/client.js'
import { scrape } from '../helpers/cache-server.js'
import { logger } from '@libp2p/logger'
import { lpStream } from '@libp2p/utils'
import { sealEnvelope } from '../../node/crypto/index.js'
import { cardFromText, generateKeyMaterial, identityFromKeyMaterial, makeCard, peerIdBytesFromString } from '../../node/identity/index.js'
import { composeMessage } from '../../node/mime/index.js'
import { createNetwork } from '../../node/network.js'
import { BLOB_PROTOCOL, serveBlobs } from '../../node/protocol/blob.js'
import { DeliverProtocol } from '../../node/protocol/deliver.js'
import { BlobChunk, BlobRef, BlobRequest } from '../../node/protocol/peerpost.js'
import { cleanup, deadline, makeUser, runJson, tempDir, waitUntil } from '../helpers/cli.js'
import { downloads, KiB, MiB, peakRssMiB, randomFile, readByMessageId, sha256File, startPair } from '../helpers/attachments.js'
import { FAST_NODE, startNode } from '../helpers/offline.js'
import { BLOB_CIPHER_AES_256_GCM, BLOB_CIPHER_CHACHA20_POLY1305, createBlobStore, DEFAULT_SYNC_EVERY_BYTES, openDatabase } from '../../storage/index.js'
import type { Pair } from '../helpers/attachments.js'
import type { PeerpostLibp2p } from '../../node/network.js'
import type { Identity } from '../../node/identity/index.js'
import type { Database } from '../../storage/index.js'
import type { Stream } from '@libp2p/interface'
import type { CacheServerProcess } from '../helpers/cache-server.js'
import type { User } from '../helpers/cli.js'
import type { NodeEvent } from '../../node/events.js'

const SOAK = process.env.PEERPOST_SOAK === '1'
const ONLINE_SIZE = (SOAK ? 300 : 20) * MiB
const OFFLINE_SIZE = (SOAK ? 50 : 8) * MiB
const KILL_SIZE = (SOAK ? 200 : 40) * MiB
const SMALL_SIZE = 200 * KiB
const RSS_BOUND_MIB = 200
const IN_FLIGHT = 4
/** Chunks written between two fsyncs: a crash loses at most these (they are pulled again). */
const SYNC_CHUNKS = DEFAULT_SYNC_EVERY_BYTES / MiB
/** Per-chunk progress events, so a test can act at "about half". */
const NODE = { ...FAST_NODE, blobs: { progressIntervalMs: 0, inFlight: IN_FLIGHT } }
const PULL_MS = SOAK ? 300_000 : 60_000

const largeOf = (read: any): any => read.largeAttachments[0]

describe('alice sends bob (online) a large attachment', () => {
  let pair: Pair, alice: User, bob: User, files: string
  before(async () => {
    // Progress events a few times a second (the default), as a UI gets them.
    pair = await startPair({ ...FAST_NODE, blobs: { inFlight: IN_FLIGHT } });
    ({ alice, bob, files } = pair)
  })
  after(async () => { await pair.stop() })

  it(`${ONLINE_SIZE / MiB} MiB: bob pulls it at once, same sha256, both daemons' peak RSS under ${RSS_BOUND_MIB} MiB; alice drops it once bob has it`, async t => {
    const big = join(files, 'video.bin')
    const small = join(files, 'note.txt')
    const bigHash = await randomFile(big, ONLINE_SIZE)
    const smallHash = await randomFile(small, SMALL_SIZE)
    const sent = await runJson(alice.home, ['send', '--to', 'bob', '--subject', 'big one', '--body', 'see attached', '--attach', big, '--attach', small, '--wait', '--timeout', '20000'])
    assert.equal(sent.entry.recipients[0].state, 'delivered')

    // Watched through `transfers` (what a UI would poll), not by re-reading the message: the
    // peak RSS measured is the transfer's.
    await waitUntil(bob.home, async () => (await downloads(bob))[0]?.state === 'complete', PULL_MS, 'bob to pull the attachment')
    const read = await readByMessageId(bob, sent.messageId)
    assert.equal(largeOf(read).state, 'here')
    assert.deepEqual(read.attachments.map((a: any) => a.name), ['note.txt'], 'the small one rides inside the message')
    assert.equal(largeOf(read).name, 'video.bin')
    assert.equal(largeOf(read).size, ONLINE_SIZE)
    assert.equal(largeOf(read).sha256, bigHash)

    const out = join(files, 'saved')
    const saved = await runJson(bob.home, ['read', read.id, '--save-attachments', out])
    assert.equal(saved.saved.length, 2)
    const savedBig = saved.saved.find((p: string) => p.endsWith('video.bin'))
    assert.equal(await sha256File(savedBig), bigHash)
    assert.equal(await sha256File(saved.saved.find((p: string) => p.endsWith('note.txt'))), smallHash)

    const rss = { alice: await peakRssMiB(alice.daemon!.proc.pid!), bob: await peakRssMiB(bob.daemon!.proc.pid!) }
    t.diagnostic(`peak RSS: alice ${Math.round(rss.alice)} MiB, bob ${Math.round(rss.bob)} MiB`)
    assert.ok(rss.alice < RSS_BOUND_MIB, `alice's daemon peaked at ${rss.alice} MiB`)
    assert.ok(rss.bob < RSS_BOUND_MIB, `bob's daemon peaked at ${rss.bob} MiB`)

    // Bob said he has it all: alice, whose only recipient he is, keeps it no longer.
    const status = await waitUntil(alice.home, async () => {
      const s = await runJson(alice.home, ['status', sent.id])
      return s.attachments[0].held === false ? s : undefined
    }, 10_000, 'alice to drop the blob')
    assert.equal(status.attachments[0].name, 'video.bin')
    const sentRead = await runJson(alice.home, ['read', sent.id])
    assert.equal(largeOf(sentRead).state, 'gone')
  })
})

describe('bob is offline when alice sends a large and a small attachment', () => {
  let pair: Pair, server: CacheServerProcess, alice: User, bob: User, files: string
  before(async () => {
    pair = await startPair(NODE, { server: true });
    ({ alice, bob, files } = pair)
    server = pair.server!
    await bob.daemon!.stop()
  })
  after(async () => { await pair.stop() })

  const sendBoth = async (subject: string): Promise<{ sent: any, bigHash: string }> => {
    const big = join(files, `${subject}.bin`)
    const bigHash = await randomFile(big, OFFLINE_SIZE)
    await randomFile(join(files, 'small.dat'), SMALL_SIZE)
    const sent = await runJson(alice.home, ['send', '--to', 'bob', '--subject', subject, '--body', 'while you were out', '--attach', big, '--attach', join(files, 'small.dat'), '--wait', '--timeout', '20000'])
    assert.equal(sent.entry.recipients[0].state, 'parked')
    return { sent, bigHash }
  }

  it('the small one is parked inside the envelope, the large one never reaches the server; bob returns while alice is online and gets both', async () => {
    const { sent, bigHash } = await sendBoth('first')
    const metrics = await scrape(server)
    const heldBytes = metrics.get('peerpost_parked_bytes') ?? -1
    assert.ok(heldBytes > SMALL_SIZE, `the server holds the small attachment (${heldBytes} bytes)`)
    assert.ok(heldBytes < 2 * MiB, `the server holds ${heldBytes} bytes: the large attachment stayed with alice`)

    await startNode(bob)
    const read = await waitUntil(bob.home, async () => {
      const r = await readByMessageId(bob, sent.messageId)
      return r != null && largeOf(r).state === 'here' ? r : undefined
    }, PULL_MS, 'bob to get the message and pull the attachment')
    assert.equal(read.attachments.length, 1)
    assert.equal(read.attachments[0].size, SMALL_SIZE)
    const saved = await runJson(bob.home, ['read', read.id, '--save-attachments', join(files, 'out1')])
    assert.equal(await sha256File(saved.saved.find((p: string) => p.endsWith('first.bin'))), bigHash)
    await bob.daemon!.stop()
  })

  it('bob returns while alice is offline: the large one waits for alice, and completes by itself when she comes back', async () => {
    const { sent, bigHash } = await sendBoth('second')
    await alice.daemon!.stop()

    await startNode(bob)
    const waiting = await waitUntil(bob.home, async () => {
      const r = await readByMessageId(bob, sent.messageId)
      return r != null && /waiting for alice to come online/.test(largeOf(r).reason ?? '') ? r : undefined
    }, 20_000, 'bob to have the message, the attachment waiting for alice')
    assert.equal(largeOf(waiting).state, 'waiting')
    assert.equal(waiting.attachments.length, 1, 'the small attachment is here')
    assert.equal(waiting.text.trim(), 'while you were out')
    const listed = await downloads(bob)
    assert.ok(listed.some(d => d.state === 'waiting' && d.waitingForName === 'alice'))

    await startNode(alice)
    const read = await waitUntil(bob.home, async () => {
      const r = await readByMessageId(bob, sent.messageId)
      return r != null && largeOf(r).state === 'here' ? r : undefined
    }, PULL_MS, 'bob\'s copy to complete once alice is back')
    const saved = await runJson(bob.home, ['read', read.id, '--save-attachments', join(files, 'out2')])
    assert.equal(await sha256File(saved.saved.find((p: string) => p.endsWith('second.bin'))), bigHash)
  })
})

describe('pulls that break', () => {
  let pair: Pair, alice: User, bob: User, files: string
  before(async () => {
    pair = await startPair(NODE, { server: true });
    ({ alice, bob, files } = pair)
  })
  after(async () => { await pair.stop() })

  it(`kill -9 of bob at about half of a ${KILL_SIZE / MiB} MiB pull: after a restart it resumes, and only the chunks since the last fsync and those in flight are served twice`, async t => {
    const big = join(files, 'kill.bin')
    const bigHash = await randomFile(big, KILL_SIZE)
    // Bob watches his own events and is killed the moment half is written.
    const client = await ControlClient.connect(bob.home)
    let half: Promise<void>
    try {
      half = new Promise<void>(resolve => {
        void client.subscribe((e: NodeEvent) => {
          if (e.type === 'transfer:progress' && (e.data as { bytesDone: number }).bytesDone >= KILL_SIZE / 2) resolve()
        })
      })
      await runJson(alice.home, ['send', '--to', 'bob', '--subject', 'kill', '--body', 'x', '--attach', big])
      await deadline(half, PULL_MS, 'half of the pull')
      await bob.daemon!.kill()
    } finally {
      client.close()
    }
    const partial = (await downloads(bob))[0]
    t.diagnostic(`killed with ${partial.bytesDone} of ${KILL_SIZE} bytes durable`)
    assert.equal(partial.state, 'waiting')
    assert.ok(partial.bytesDone >= KILL_SIZE / 2 - SYNC_CHUNKS * MiB, `${partial.bytesDone} bytes kept`)
    assert.ok(partial.bytesDone < KILL_SIZE)

    await startNode(bob)
    await waitUntil(bob.home, async () => (await downloads(bob))[0]?.state === 'complete', PULL_MS, 'the pull to resume and complete')
    const inbox = await runJson<any[]>(bob.home, ['list'])
    const saved = await runJson(bob.home, ['read', inbox[0].id, '--save-attachments', join(files, 'out-kill')])
    assert.equal(await sha256File(saved.saved[0]), bigHash)
    const uploads = (await runJson(alice.home, ['transfers'])).uploads
    const upload = uploads.find((u: any) => u.peer === bob.peerId)
    t.diagnostic(`chunks served twice: ${upload.chunksRepeated} (in flight: ${IN_FLIGHT}, fsync every ${SYNC_CHUNKS} chunks)`)
    assert.equal(upload.chunksServed, KILL_SIZE / MiB)
    // Written since the last fsync, requested ahead, and the one being written when the process died.
    assert.ok(upload.chunksRepeated <= SYNC_CHUNKS + IN_FLIGHT + 1, `${upload.chunksRepeated} chunks served twice`)
  })

  it('a holder that serves a tampered chunk: bob refuses it and the attachment is failed, with the reason, and never saved; a retry once it is mended completes', async () => {
    await bob.daemon!.stop()
    const big = join(files, 'tampered.bin')
    const bigHash = await randomFile(big, 4 * MiB)
    const sent = await runJson(alice.home, ['send', '--to', 'bob', '--subject', 'tampered', '--body', 'x', '--attach', big, '--wait', '--timeout', '20000'])
    assert.equal(sent.entry.recipients[0].state, 'parked')
    // Alice's disk (or alice) changes one byte of chunk 2 of the sealed blob.
    const { blobIds } = (await runJson(alice.home, ['list', '--folder', 'outbox'])).find((e: any) => e.id === sent.id)
    const file = join(alice.home, 'blobs', 'store', `${blobIds[0] as string}.sealed`)
    const flipByte = async (): Promise<void> => {
      const handle = await open(file, 'r+')
      try {
        const at = 2 * (MiB + 16) + 1000
        const byte = Buffer.alloc(1)
        await handle.read(byte, 0, 1, at)
        byte[0] = byte[0]! ^ 0xff
        await handle.write(byte, 0, 1, at)
      } finally {
        await handle.close()
      }
    }
    await flipByte()

    await startNode(bob)
    const read = await waitUntil(bob.home, async () => {
      const r = await readByMessageId(bob, sent.messageId)
      return r != null && largeOf(r).state === 'failed' ? r : undefined
    }, PULL_MS, 'bob to refuse the tampered attachment')
    assert.match(largeOf(read).reason, /alice served bad data: chunk 2 failed authentication/)
    const saved = await runJson(bob.home, ['read', read.id, '--save-attachments', join(files, 'out-tampered')])
    assert.deepEqual(saved.saved, [])
    const incoming = join(bob.home, 'blobs', 'incoming', `${blobIds[0] as string}.partial`)
    await assert.rejects(stat(incoming), 'the partial data is thrown away')

    // Alice's file is mended; bob asks for it again, and this time it is the file.
    await flipByte()
    const retried = await runJson(bob.home, ['transfers', '--retry', blobIds[0]])
    assert.notEqual(retried.state, 'failed')
    await waitUntil(bob.home, async () => (await downloads(bob)).find(d => d.blobId === blobIds[0])?.state === 'complete', PULL_MS, 'the retried pull to complete')
    const again = await runJson(bob.home, ['read', read.id, '--save-attachments', join(files, 'out-mended')])
    assert.equal(await sha256File(again.saved[0]), bigHash)
  })
})

describe('mallory sends bob a message whose attachment she holds, and lies about its size', () => {
  let bob: User, mallory: PeerpostLibp2p, files: string
  before(async () => {
    files = await tempDir('files')
    bob = await makeUser('bob', { config: NODE })
    await startNode(bob)
  })
  after(async () => {
    await mallory?.stop()
    await cleanup([bob])
    await rm(files, { recursive: true, force: true })
  })

  it('a holder that serves more bytes than declared: bob refuses them, the attachment is failed with the reason, and nothing is saved', async () => {
    const keys = await generateKeyMaterial({ displayName: 'mallory', now: Date.now() })
    const identity = identityFromKeyMaterial(keys)
    mallory = await createNetwork({ privateKey: identity.privateKey, listen: ['/ip4/127.0.0.1/tcp/0'] })
    // Mallory's holder answers the first request with a chunk 100 bytes longer than the ref allows.
    await mallory.handle(BLOB_PROTOCOL, (stream: Stream) => {
      void (async () => {
        const lp = lpStream(stream)
        const request = BlobRequest.decode((await lp.read()).subarray())
        const data = new Uint8Array(MiB + 16 + 100).fill(1)
        await lp.write(BlobChunk.encode({ blobId: request.blobId, index: request.firstChunk, data, last: false, done: false }))
      })().catch(() => { stream.abort(new Error('mallory gave up')) })
    })
    await mallory.start()
    const ref = madeUpRef(identity, 'not-what-it-says.bin', BLOB_CIPHER_AES_256_GCM)
    await deliverOwnEnvelope(identity, mallory, bob, ref)
    const failed = await waitForLarge(bob, 'failed', 'bob to refuse mallory\'s chunk')
    assert.match(largeOf(failed).reason, /served bad data: chunk 0 has/)
    assert.equal(failed.text.trim(), 'a file for you')
    const saved = await runJson(bob.home, ['read', failed.id, '--save-attachments', join(files, 'out')])
    assert.deepEqual(saved.saved, [])
  })
})

/** A 2 MiB blob reference naming `holder` with a random key and hash (no such blob exists anywhere). */
function madeUpRef (holder: Identity, name: string, cipher: number): BlobRef {
  return {
    blobId: new Uint8Array(randomBytes(16)),
    name,
    type: 'application/octet-stream',
    size: BigInt(2 * MiB),
    chunkSize: MiB,
    sha256: new Uint8Array(randomBytes(32)),
    key: new Uint8Array(randomBytes(32)),
    locations: [peerIdBytesFromString(holder.peerIdString)],
    cipher,
    recipients: []
  }
}

/** Seal a message carrying `ref` from `sender` to bob and deliver it from `node` (a sender built by hand); asserts bob took it. */
async function deliverOwnEnvelope (sender: Identity, node: PeerpostLibp2p, bob: User, ref: BlobRef): Promise<void> {
  const addrs = node.getMultiaddrs().map(String)
  const { raw: mime } = await composeMessage({ from: { peerId: sender.peerIdString }, to: [{ peerId: bob.peerId }], subject: 'a file', date: new Date(), text: 'a file for you' })
  const bobBoxKey = cardFromText((await runJson(bob.home, ['card'])).card).boxPublicKey
  const sealed = sealEnvelope({ sender, senderCard: makeCard(sender, { addrs, homeServers: [], now: Date.now() }), recipient: { peerId: bob.peerId, boxPublicKey: bobBoxKey }, mime, blobRefs: [ref], timestamp: Date.now() })
  const deliver = new DeliverProtocol({ libp2p: node, log: logger('peerpost:test:sender'), verifyReceipt: () => {} }, { maxEnvelopeBytes: 1024 * 1024, dialTimeoutMs: 5_000, responseTimeoutMs: 10_000 })
  const [outcome] = await deliver.deliver({ peerId: bob.peerId, addrs: bob.daemon!.addrs }, [{ envelopeId: sealed.envelopeId, bytes: sealed.bytes }])
  assert.equal(outcome?.ok, true, 'bob takes the message itself')
}

/** The first message in bob's requests folder, read, once its large attachment is in `state`. */
async function waitForLarge (bob: User, state: string, what: string): Promise<any> {
  return await waitUntil(bob.home, async () => {
    const list = await runJson<any[]>(bob.home, ['list', '--folder', 'requests'])
    const r = list[0] == null ? undefined : await runJson(bob.home, ['read', list[0].id])
    return r != null && largeOf(r).state === state ? r : undefined
  }, 30_000, what)
}

describe('senders from before and after the blob cipher change', () => {
  let bob: User, sender: PeerpostLibp2p, identity: Identity, db: Database, files: string
  /** Blob requests the sender's holder was asked, by blob id. */
  const asked: string[] = []
  before(async () => {
    files = await tempDir('files')
    bob = await makeUser('bob', { config: NODE })
    await startNode(bob)
    identity = identityFromKeyMaterial(await generateKeyMaterial({ displayName: 'olga', now: Date.now() }))
    sender = await createNetwork({ privateKey: identity.privateKey, listen: ['/ip4/127.0.0.1/tcp/0'] })
    db = await openDatabase(join(files, 'db'))
  })
  after(async () => {
    await sender?.stop()
    await db?.close()
    await cleanup([bob])
    await rm(files, { recursive: true, force: true })
  })

  it('a BlobRef without a cipher (a blob sealed with ChaCha20-Poly1305 before the field existed) still pulls and verifies', async () => {
    const blobs = createBlobStore(db, { dir: join(files, 'blobs') })
    await serveBlobs(sender, { ...blobs, get: async id => { asked.push(id); return await blobs.get(id) } }, { log: logger('peerpost:test:olga') })
    await sender.start()
    const size = 3 * MiB + 5
    const plain = randomBytes(size)
    const record = await blobs.put((async function * () { yield plain })(), { recipients: [bob.peerId], retentionMs: 3_600_000, cipher: BLOB_CIPHER_CHACHA20_POLY1305 })
    // Built as an old sender built it: no cipher field at all; its bytes are those of cipher 0.
    const old = { blobId: new Uint8Array(Buffer.from(record.blobId, 'hex')), name: 'old.bin', type: 'application/octet-stream', size: BigInt(size), chunkSize: record.chunkSize, sha256: new Uint8Array(record.sha256), key: new Uint8Array(record.key), locations: [peerIdBytesFromString(identity.peerIdString)] }
    const ref = BlobRef.decode(BlobRef.encode(old as BlobRef))
    assert.equal(ref.cipher, BLOB_CIPHER_CHACHA20_POLY1305)
    assert.deepEqual(BlobRef.encode(ref), BlobRef.encode(old as BlobRef))
    await deliverOwnEnvelope(identity, sender, bob, ref)
    const read = await waitForLarge(bob, 'here', 'bob to pull the old-format blob')
    assert.equal(largeOf(read).sha256, createHash('sha256').update(plain).digest('hex'))
    const saved = await runJson(bob.home, ['read', read.id, '--save-attachments', join(files, 'out')])
    assert.deepEqual(await readFile(saved.saved[0]), plain)
  })

  it('a BlobRef naming a cipher bob does not know: the message lands, that attachment is failed with UnknownBlobCipherError\'s reason, and nothing is pulled', async () => {
    const ref = madeUpRef(identity, 'from-the-future.bin', 7)
    asked.length = 0
    await deliverOwnEnvelope(identity, sender, bob, ref)
    const failed = await waitUntil(bob.home, async () => {
      const list = await runJson<any[]>(bob.home, ['list', '--folder', 'requests'])
      for (const item of list) {
        const r = await runJson(bob.home, ['read', item.id])
        if (largeOf(r)?.name === 'from-the-future.bin' && largeOf(r).state === 'failed') return r
      }
      return undefined
    }, 30_000, 'bob to fail the attachment with the unknown cipher')
    assert.equal(failed.text.trim(), 'a file for you')
    assert.match(largeOf(failed).reason, /cipher number 7, which this version of peerpost does not know/)
    assert.equal((await downloads(bob)).find((t: any) => t.name === 'from-the-future.bin')?.state, 'failed')
    assert.deepEqual(asked, [], 'bob never asked the holder for a blob he cannot open')
  })
})
