/**
 * Only the recipient can list, fetch or ack (delete) what a cache server parks for it.
 * The recipient is the Noise-authenticated remote PeerId of the connection: a request
 * carries no identity, key or signature of its own that could be forged or swapped, so
 * the attacks left are asking for another's envelope ids, cursors and notices, and
 * replaying the recipient's own request bytes. Each must change nothing, and its reply
 * must be byte for byte the reply to "nothing here".
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { after, before, describe, it } from 'node:test'
import { sha256 } from '../../node/crypto/index.js'
import { FETCH_MAX_RESPONSE_BYTES, FETCH_PROTOCOL } from '../../node/protocol/fetch.js'
import { FramedStream } from '../../node/protocol/framed.js'
import { NOTICE_MAX_FRAME_BYTES, NOTICE_PROTOCOL } from '../../node/protocol/notice.js'
import { ErrorCode, FetchOp, FetchRequest, FetchResponse, NoticeMessage, NoticeRequest } from '../../node/protocol/peerpost.js'
import { openStream } from '../../node/protocol/rpc.js'
import { auditCacheServer, hex, opaqueEnvelope, park, rawClient, startCacheServer } from '../helpers/cache-server.js'
import { tempDir } from '../helpers/cli.js'
import type { CacheServerProcess, RawClient } from '../helpers/cache-server.js'
import type { OutgoingEnvelope } from '../../node/protocol/deliver.js'

const PARKED = 7

/** Send each frame on one stream and return the raw reply frames (what an attacker sees). */
async function exchange (client: RawClient, server: CacheServerProcess, protocol: string, frames: Uint8Array[], maxBytes: number): Promise<Buffer[]> {
  const stream = await openStream(client.libp2p, { peerId: server.peerId, addrs: server.addrs }, protocol, 10_000)
  const framed = new FramedStream(stream, maxBytes)
  const replies: Buffer[] = []
  for (const frame of frames) {
    await framed.write(frame, 10_000)
    const reply = await framed.read(10_000)
    assert.ok(reply != null, 'the server answered')
    replies.push(Buffer.from(reply))
  }
  await framed.close()
  return replies
}

const fetchFrame = (op: FetchOp, fields: Partial<FetchRequest> = {}): Uint8Array => FetchRequest.encode({ op, envelopeIds: [], cursor: new Uint8Array(0), limit: 0, ...fields })
const ids = (n: number): Array<Uint8Array<ArrayBuffer>> => Array.from({ length: n }, () => new Uint8Array(randomBytes(16)))

describe('only the recipient', () => {
  let home: string
  let server: CacheServerProcess
  let alice: RawClient, bob: RawClient, mallory: RawClient, carol: RawClient
  let parked: OutgoingEnvelope[]
  const fetch = async (c: RawClient, frames: Uint8Array[]): Promise<Buffer[]> => exchange(c, server, FETCH_PROTOCOL, frames, FETCH_MAX_RESPONSE_BYTES)
  const bobsView = async (): Promise<Buffer[]> => fetch(bob, [fetchFrame(FetchOp.LIST, { limit: 500 }), fetchFrame(FetchOp.GET, { envelopeIds: parked.map(e => e.envelopeId) as Array<Uint8Array<ArrayBuffer>> })])
  let bobBefore: Buffer[]

  before(async () => {
    home = await tempDir('only-recipient')
    server = await startCacheServer(home)
    ;[alice, bob, mallory, carol] = await Promise.all([rawClient(), rawClient(), rawClient(), rawClient()])
    parked = Array.from({ length: PARKED }, () => opaqueEnvelope(bob.peerId, 1024))
    const outcomes = await park(alice, server, parked)
    assert.ok(outcomes.every(o => o.ok), 'alice parked mail for bob')
    bobBefore = await bobsView()
    assert.equal(FetchResponse.decode(bobBefore[0]!).held.length, PARKED)
  })
  after(async () => {
    for (const c of [alice, bob, mallory, carol]) await c?.stop()
    await server?.kill()
    if (home != null) await rm(home, { recursive: true, force: true })
  })

  it('LIST: mallory sees exactly what carol, who has nothing parked, sees', async () => {
    const [m] = await fetch(mallory, [fetchFrame(FetchOp.LIST, { limit: 500 })])
    const [c] = await fetch(carol, [fetchFrame(FetchOp.LIST, { limit: 500 })])
    assert.equal(FetchResponse.decode(m!).held.length, 0)
    assert.deepEqual(m, c)
  })

  it('LIST with bob\'s own cursor: the same answer as a made-up cursor', async () => {
    const [page] = await fetch(bob, [fetchFrame(FetchOp.LIST, { limit: 2 })])
    const bobsCursor = FetchResponse.decode(page!).next
    assert.ok(bobsCursor.byteLength > 0, 'bob has a second page')
    const [withBobs] = await fetch(mallory, [fetchFrame(FetchOp.LIST, { limit: 500, cursor: bobsCursor })])
    const [madeUp] = await fetch(mallory, [fetchFrame(FetchOp.LIST, { limit: 500, cursor: new Uint8Array(Buffer.from(Buffer.from('x'.repeat(40)).toString('base64url'))) })])
    const [carols] = await fetch(carol, [fetchFrame(FetchOp.LIST, { limit: 500, cursor: bobsCursor })])
    assert.equal(FetchResponse.decode(withBobs!).held.length, 0)
    // A permanent refusal (it was INTERNAL and retryable, with an error logged per request).
    assert.equal(FetchResponse.decode(withBobs!).error?.code, ErrorCode.MALFORMED)
    assert.equal(FetchResponse.decode(withBobs!).error?.retryable, false)
    assert.deepEqual(withBobs, madeUp)
    assert.deepEqual(withBobs, carols)
  })

  it('GET of bob\'s envelope ids: the same bytes as a GET of ids that exist nowhere', async () => {
    const bobsIds = parked.map(e => e.envelopeId) as Array<Uint8Array<ArrayBuffer>>
    const [theirs, none] = await fetch(mallory, [fetchFrame(FetchOp.GET, { envelopeIds: bobsIds }), fetchFrame(FetchOp.GET, { envelopeIds: ids(PARKED) })])
    assert.equal(FetchResponse.decode(theirs!).envelopes.length, 0)
    assert.deepEqual(theirs, none)
  })

  it('ACK of bob\'s envelope ids deletes nothing and answers like an ACK of unknown ids', async () => {
    const bobsIds = parked.map(e => e.envelopeId) as Array<Uint8Array<ArrayBuffer>>
    const [theirs, none] = await fetch(mallory, [fetchFrame(FetchOp.ACK, { envelopeIds: bobsIds }), fetchFrame(FetchOp.ACK, { envelopeIds: ids(PARKED) })])
    assert.equal(FetchResponse.decode(theirs!).acked, 0)
    assert.deepEqual(theirs, none)
  })

  it('bob\'s own request bytes, replayed by mallory, do what they do for anyone with nothing parked', async () => {
    // The exact frames bob sends, with his ids: the request names no recipient to swap.
    const bobsGet = fetchFrame(FetchOp.GET, { envelopeIds: parked.slice(0, 3).map(e => e.envelopeId) as Array<Uint8Array<ArrayBuffer>> })
    const bobsAck = fetchFrame(FetchOp.ACK, { envelopeIds: parked.slice(0, 3).map(e => e.envelopeId) as Array<Uint8Array<ArrayBuffer>> })
    const mallorys = await fetch(mallory, [bobsGet, bobsAck, bobsAck])
    const carols = await fetch(carol, [bobsGet, bobsAck, bobsAck])
    assert.deepEqual(mallorys, carols)
    assert.equal(FetchResponse.decode(mallorys[1]!).acked, 0)
  })

  it('notices: subscribing tells mallory nothing of bob\'s mail (the same frames carol gets), and her acks remove nothing', async () => {
    const subscribe = NoticeRequest.encode({ subscribe: true, ack: [] })
    const [m] = await exchange(mallory, server, NOTICE_PROTOCOL, [subscribe], NOTICE_MAX_FRAME_BYTES)
    const [c] = await exchange(carol, server, NOTICE_PROTOCOL, [subscribe], NOTICE_MAX_FRAME_BYTES)
    assert.equal(NoticeMessage.decode(m!).notices.length, 0)
    assert.deepEqual(m, c)
    // Bob's held-envelope notices use the envelope id as notice id: mallory acks them all.
    const ack = NoticeRequest.encode({ subscribe: true, ack: parked.map(e => e.envelopeId) as Array<Uint8Array<ArrayBuffer>> })
    await exchange(mallory, server, NOTICE_PROTOCOL, [ack], NOTICE_MAX_FRAME_BYTES)
    const [b] = await exchange(bob, server, NOTICE_PROTOCOL, [subscribe], NOTICE_MAX_FRAME_BYTES)
    assert.equal(NoticeMessage.decode(b!).notices.length, PARKED, 'bob is still told of all his mail')
  })

  it('after all that, bob\'s view is byte for byte what it was, and the store is consistent', async () => {
    const now = await bobsView()
    assert.deepEqual(now, bobBefore)
    const got = FetchResponse.decode(now[1]!).envelopes
    assert.deepEqual(got.map(b => hex(sha256(b))), parked.map(e => hex(sha256(e.bytes))))
    assert.equal(await server.stop(), 0)
    const audit = await auditCacheServer(home)
    assert.equal(audit.code, 0, audit.stderr)
    assert.equal(audit.report?.counted.count, PARKED)
    assert.deepEqual(audit.report?.counters, audit.report?.counted)
  })
})
