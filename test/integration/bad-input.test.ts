import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { ControlClient } from '../../node/control/client.js'
import { boxSeal, sealEnvelope } from '../../node/crypto/index.js'
import { cardFromText, generateKeyMaterial, identityFromKeyMaterial, makeCard, peerIdBytesFromString } from '../../node/identity/index.js'
import { createNetwork } from '../../node/network.js'
import { DELIVER_PROTOCOL } from '../../node/protocol/deliver.js'
import { DeliverRequest, DeliverResponse, InnerRecord, SealedEnvelope } from '../../node/protocol/peerpost.js'
import { cleanup, deadline, makeUser, online, runJson } from '../helpers/cli.js'
import type { User } from '../helpers/cli.js'
import type { PeerpostLibp2p } from '../../node/network.js'
import type { Stream } from '@libp2p/interface'

/** What came back on a stream: a decoded response, or the stream closing/resetting without one. */
type Answer = { response: DeliverResponse } | { closed: string }

async function answer (stream: Stream): Promise<Answer> {
  const lp = lpStream(stream, { maxDataLength: 64 * 1024 })
  try {
    const frame = await lp.read({ signal: AbortSignal.timeout(15_000) })
    return { response: DeliverResponse.decode(frame.subarray()) }
  } catch (err: any) {
    return { closed: String(err?.name) }
  }
}

const noReceipt = (a: Answer): boolean => 'closed' in a || a.response.receipt == null

describe('a daemon facing hostile input on /peerpost/deliver/1.0.0', () => {
  let bob: User
  let raw: PeerpostLibp2p
  let bobBoxKey: Uint8Array
  let bobAddr: string

  before(async () => {
    bob = await makeUser('bob')
    await online(bob)
    bobAddr = bob.daemon!.addrs[0]!
    bobBoxKey = cardFromText((await runJson(bob.home, ['card'])).card).boxPublicKey
    const keys = await generateKeyMaterial({ displayName: 'mallory', now: Date.now() })
    raw = await createNetwork({ privateKey: identityFromKeyMaterial(keys).privateKey, listen: [] })
    await raw.start()
  })
  after(async () => {
    await raw?.stop()
    await cleanup([bob])
  })

  const open = async (): Promise<Stream> => raw.dialProtocol(multiaddr(bobAddr), DELIVER_PROTOCOL, { signal: AbortSignal.timeout(10_000) })

  async function stored (): Promise<number> {
    const client = await ControlClient.connect(bob.home)
    try {
      let n = 0
      for (const folder of ['inbox', 'requests', 'quarantine']) n += (await client.call<any>('list', { folder, limit: 1000 })).items.length
      return n
    } finally { client.close() }
  }

  it('answers garbage with an error or a closed stream', async () => {
    for (let i = 0; i < 5; i++) {
      const stream = await open()
      stream.send(randomBytes(2048))
      await stream.close()
      assert.ok(noReceipt(await answer(stream)))
    }
  })

  it('drops a truncated frame', async () => {
    const stream = await open()
    const frame = DeliverRequest.encode({ envelope: new Uint8Array(randomBytes(500)) })
    stream.send(frame.subarray(0, 100))
    await stream.close()
    assert.ok(noReceipt(await answer(stream)))
  })

  it('refuses a 100 MiB length prefix without buffering it', async () => {
    const stream = await open()
    const prefix = Buffer.from([0x80, 0x80, 0x80, 0x32]) // varint 100 MiB
    stream.send(prefix)
    stream.send(randomBytes(1024))
    const a = await answer(stream)
    if ('response' in a) assert.equal(a.response.error?.code, 'TOO_LARGE')
    else assert.ok(a.closed)
  })

  it('refuses an envelope for someone else', async () => {
    const me = identityFromKeyMaterial(await generateKeyMaterial({ now: Date.now() }))
    const other = identityFromKeyMaterial(await generateKeyMaterial({ now: Date.now() }))
    const sealed = sealEnvelope({ sender: me, senderCard: makeCard(me, { now: Date.now() }), recipient: { peerId: other.peerIdString, boxPublicKey: other.boxPublicKey }, mime: new TextEncoder().encode('Subject: x\r\nMessage-ID: <a@b>\r\n\r\nhi\r\n'), timestamp: Date.now() })
    const stream = await open()
    stream.send(lpFrame(DeliverRequest.encode({ envelope: sealed.bytes })))
    await stream.close()
    const a = await answer(stream)
    assert.ok('response' in a)
    assert.equal(a.response.error?.code, 'WRONG_RECIPIENT')
    assert.equal(a.response.error?.retryable, false)
  })

  it('refuses an envelope whose inner signature was tampered with', async () => {
    const me = identityFromKeyMaterial(await generateKeyMaterial({ now: Date.now() }))
    const inner = InnerRecord.encode({
      senderCard: makeCard(me, { now: Date.now() }),
      timestamp: BigInt(Date.now()),
      mime: new TextEncoder().encode('Subject: forged\r\nMessage-ID: <forged@x>\r\n\r\nhi\r\n'),
      blobRefs: [],
      signature: new Uint8Array(randomBytes(64))
    })
    const box = boxSeal(inner, bobBoxKey)
    const envelope = SealedEnvelope.encode({ recipient: peerIdBytesFromString(bob.peerId), envelopeId: new Uint8Array(randomBytes(16)), ...box })
    const stream = await open()
    stream.send(lpFrame(DeliverRequest.encode({ envelope })))
    await stream.close()
    const a = await answer(stream)
    assert.ok('response' in a)
    assert.equal(a.response.error?.code, 'BAD_SIGNATURE')
  })

  it('keeps running and stored nothing', async () => {
    assert.equal(await stored(), 0)
    const status = await deadline(runJson(bob.home, ['status']), 10_000, 'status')
    assert.equal(status.peerId, bob.peerId)
    assert.equal(bob.daemon!.proc.exitCode, null)
  })
})

function lpFrame (bytes: Uint8Array): Uint8Array {
  const len: number[] = []
  let n = bytes.byteLength
  while (n >= 0x80) { len.push((n & 0x7f) | 0x80); n >>>= 7 }
  len.push(n)
  return Buffer.concat([Buffer.from(len), bytes])
}
