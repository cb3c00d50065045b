import { strict as assert } from 'node:assert'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { defaultLogger } from '@libp2p/logger'
import { streamPair } from '@libp2p/utils'
import { generateKeyMaterial, identityFromKeyMaterial, peerIdBytesFromString } from '../../node/identity/index.js'
import { ErrorCode, WithdrawRequest, WithdrawResponse, WithdrawResult } from '../../node/protocol/peerpost.js'
import { RpcSession } from '../../node/protocol/rpc.js'
import { withdrawHandler } from '../../node/protocol/withdraw.js'
import { Notice, NoticeKind, newNotice } from '../../node/protocol/notice.js'
import { dropWaitingNotices } from '../../cache-server/withdraw.js'
import { createNoticeStore, createParkingStore, DEFAULT_PARKING_LIMITS, openDatabase } from '../../storage/index.js'
import type { Connection } from '@libp2p/interface'
import type { Database, ParkedEnvelope, ParkingStore } from '../../storage/index.js'

// The store's side (only the depositor, counters, races) is in storage-parking.test.ts.

const T0 = 1_700_000_000_000
const envId = (n: number): string => n.toString(16).padStart(32, '0')
/** Real PeerIds: the handler decodes the recipient from its bytes. */
const peer = async (): Promise<string> => identityFromKeyMaterial(await generateKeyMaterial({ now: T0 })).peerIdString
const [ALICE, BOB, MALLORY] = await Promise.all([peer(), peer(), peer()]) as [string, string, string]

describe('withdrawing on a holder: the protocol handler, and the cache server dropping its notices', () => {
  let dir: string
  let db: Database
  let parking: ParkingStore

  /** A withdraw session to the handler whose connection's remote peer is `from`. */
  const session = async (from: string, onWithdrawn?: (e: ParkedEnvelope) => void, stopping?: () => string | undefined): Promise<{ rpc: RpcSession<WithdrawRequest, WithdrawResponse>, served: Promise<void> }> => {
    const [client, server] = await streamPair()
    const handle = withdrawHandler(parking, { log: defaultLogger().forComponent('test:withdraw'), ...(onWithdrawn != null ? { onWithdrawn } : {}), ...(stopping != null ? { stopping } : {}) })
    const connection = { remotePeer: { toString: () => from } } as unknown as Connection
    return { rpc: new RpcSession<WithdrawRequest, WithdrawResponse>(client, { request: WithdrawRequest, response: WithdrawResponse }, 512, 5_000), served: handle(server, connection) }
  }
  const request = (n: number, recipient = BOB): WithdrawRequest => ({ envelopeId: new Uint8Array(Buffer.from(envId(n), 'hex')), recipient: peerIdBytesFromString(recipient) })
  const held = async (): Promise<string[]> => (await parking.list(BOB)).items.map(e => e.envelopeId)

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'peerpost-withdraw-'))
    db = await openDatabase(join(dir, 'db'))
    parking = await createParkingStore(db, DEFAULT_PARKING_LIMITS)
    await parking.deposit({ envelopeId: envId(1), recipient: BOB, depositor: ALICE, bytes: new Uint8Array(100), now: T0 })
  })
  afterEach(async () => {
    await db.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('withdraws only for the depositor; anyone else hears what an unknown envelope gets', async () => {
    const mallory = await session(MALLORY)
    assert.equal((await mallory.rpc.request(request(1))).result, WithdrawResult.NOT_HERE)
    assert.equal((await mallory.rpc.request(request(9))).result, WithdrawResult.NOT_HERE)
    await mallory.rpc.close()
    await mallory.served
    assert.deepEqual(await held(), [envId(1)])

    const told: ParkedEnvelope[] = []
    const alice = await session(ALICE, e => { told.push(e) })
    assert.equal((await alice.rpc.request(request(1, MALLORY))).result, WithdrawResult.NOT_HERE, 'the right id for another recipient')
    assert.equal((await alice.rpc.request(request(1))).result, WithdrawResult.WITHDRAWN)
    assert.equal((await alice.rpc.request(request(1))).result, WithdrawResult.NOT_HERE)
    await alice.rpc.close()
    await alice.served
    assert.deepEqual(told.map(e => [e.envelopeId, e.recipient]), [[envId(1), BOB]])
    assert.deepEqual(await held(), [])
    assert.deepEqual(parking.usage(), { count: 0, bytes: 0 })
    assert.equal((await parking.audit()).consistent, true)
  })

  it('while the holder stops: refuses with its words as a retryable error, and withdraws nothing', async () => {
    let stopping: string | undefined = 'this holder is stopping: withdraw again once it is back'
    const refused = await session(ALICE, undefined, () => stopping)
    await assert.rejects(refused.rpc.request(request(1)), (err: Error & { code?: string, retryable?: boolean }) =>
      err.code === 'INTERNAL' && err.retryable === true && /this holder is stopping/.test(err.message))
    await refused.rpc.close()
    await refused.served
    assert.deepEqual(await held(), [envId(1)])
    stopping = undefined
    const alice = await session(ALICE, undefined, () => stopping)
    assert.equal((await alice.rpc.request(request(1))).result, WithdrawResult.WITHDRAWN)
    await alice.rpc.close()
    await alice.served
  })

  it('tells the depositor, and nobody else, that the recipient already fetched it', async () => {
    assert.equal(await parking.ack(BOB, [envId(1)]), 1)
    const mallory = await session(MALLORY)
    assert.deepEqual(await mallory.rpc.request(request(1)), { result: WithdrawResult.NOT_HERE, fetched: false })
    await mallory.rpc.close()
    await mallory.served
    const alice = await session(ALICE)
    assert.deepEqual(await alice.rpc.request(request(1)), { result: WithdrawResult.NOT_HERE, fetched: true })
    assert.deepEqual(await alice.rpc.request(request(1, MALLORY)), { result: WithdrawResult.NOT_HERE, fetched: false }, 'the right id for another recipient')
    assert.deepEqual(await alice.rpc.request(request(9)), { result: WithdrawResult.NOT_HERE, fetched: false }, 'never here')
    await alice.rpc.close()
    await alice.served
  })

  it('reads across versions: a holder from before `fetched` means not here; the new field is one a previous reader skips', () => {
    // The previous version's NOT_HERE answer: field 1 only (NOT_HERE = 2 in the schema).
    const before = Uint8Array.from([0x08, 0x02])
    assert.deepEqual(WithdrawResponse.decode(before), { result: WithdrawResult.NOT_HERE, fetched: false })
    // Today's answer is that, then field 3 (varint): a reader without field 3 skips it by
    // its wire type, and reads NOT_HERE as it always did.
    assert.deepEqual(WithdrawResponse.encode({ result: WithdrawResult.NOT_HERE, fetched: true }), Uint8Array.from([...before, 0x18, 0x01]))
    assert.deepEqual(WithdrawResponse.encode({ result: WithdrawResult.NOT_HERE, fetched: false }), before)
  })

  it('answers a malformed request with a typed MALFORMED error and deletes nothing', async () => {
    const alice = await session(ALICE)
    const malformed = (err: Error & { code?: ErrorCode }): boolean => err.name === 'PeerRefusedError' && err.code === ErrorCode.MALFORMED
    await assert.rejects(alice.rpc.request({ ...request(1), envelopeId: new Uint8Array(15) }), malformed)
    await assert.rejects(alice.rpc.request({ ...request(1), recipient: new Uint8Array([1, 2, 3]) }), malformed)
    await alice.rpc.close()
    await alice.served
    assert.deepEqual(await held(), [envId(1)])
  })

  it('drops the waiting notices the depositor posted about a withdrawn envelope, and no others', async () => {
    const notices = createNoticeStore(db, { maxPerRecipient: 100, maxPerPoster: 100, maxNoticeBytes: 64 * 1024, retentionMs: 3_600_000 })
    const post = async (poster: string, n: number, kind = NoticeKind.MESSAGE_WAITING, recipient = BOB): Promise<string> => {
      const notice = newNotice({ kind, recipient: peerIdBytesFromString(recipient), envelopeId: new Uint8Array(Buffer.from(envId(n), 'hex')), locations: [], blobLocations: [], created: T0 })
      const noticeId = Buffer.from(notice.noticeId).toString('hex')
      await notices.add({ noticeId, recipient, poster, bytes: Notice.encode(notice), created: T0, expiresAt: T0 + 3_600_000 })
      return noticeId
    }
    await post(ALICE, 1)
    const kept = [await post(MALLORY, 1), await post(ALICE, 2), await post(ALICE, 1, NoticeKind.ENVELOPE_EXPIRED)]
    await post(ALICE, 1, NoticeKind.MESSAGE_WAITING, MALLORY)
    const withdrawn = await parking.withdraw(ALICE, BOB, envId(1))
    assert.ok(withdrawn)
    assert.equal(await dropWaitingNotices(notices, withdrawn), 1)
    assert.deepEqual((await notices.listFor(BOB)).map(n => n.noticeId).sort(), kept.sort())
    assert.equal((await notices.listFor(MALLORY)).length, 1, 'another recipient\'s notices are not looked at')
    assert.equal(await dropWaitingNotices(notices, withdrawn), 0)

    // A copy parked elsewhere (on a co-recipient) is announced here too: its poster's withdraw
    // drops that notice although nothing is held here; anyone else's drops nothing.
    await post(ALICE, 5)
    assert.equal(await dropWaitingNotices(notices, { depositor: MALLORY, recipient: BOB, envelopeId: envId(5) }), 0)
    assert.equal(await dropWaitingNotices(notices, { depositor: ALICE, recipient: BOB, envelopeId: envId(5) }), 1)
    assert.deepEqual((await notices.listFor(BOB)).map(n => n.noticeId).sort(), kept.sort())
  })
})
