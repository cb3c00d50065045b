/**
 * The sender keeps one deliver stream per peer open between messages (issue 8: a new
 * stream costs ~3x an open one's round trip), shares it between concurrent callers,
 * closes it when idle, and recovers without an error when the receiver closed it first.
 * Two real libp2p nodes on 127.0.0.1; the receiver signs real receipts.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromString } from '@libp2p/peer-id'
import { lpStream } from '@libp2p/utils'
import { sha256, signReceipt } from '../../node/crypto/index.js'
import { generateKeyMaterial, identityFromKeyMaterial } from '../../node/identity/index.js'
import { createNetwork } from '../../node/network.js'
import { DELIVER_PROTOCOL, DELIVER_PROTOCOL_1_1, DeliverProtocol, PARK_PROTOCOL, protocolVersions } from '../../node/protocol/deliver.js'
import { MessageRefusedError } from '../../node/protocol/errors.js'
import { DeliverRequest, DeliverResponse, ErrorCode } from '../../node/protocol/peerpost.js'
import { eventually } from '../helpers/cache-server.js'
import type { PeerpostLibp2p } from '../../node/network.js'
import type { DeliverTarget, OutgoingEnvelope } from '../../node/protocol/deliver.js'

const SENDER_IDLE_MS = 400
/** Bob refuses envelopes whose 17th byte is REFUSE, and answers those with STALL after STALL_MS. */
const REFUSE = 0xee
const STALL = 0xdd
const STALL_MS = 3_000
const RESPONSE_TIMEOUT_MS = 1_000
const RECEIVER_IDLE_MS = 300
/** Bob holds envelopes whose 17th byte is GATHER until GATHERED of them are in, then stores them all at once, as one synced write does. */
const GATHER = 0xcc
const GATHERED = 4
/**
 * A receiver that breaks the receipt rules: it reads two requests and answers as the first
 * envelope's 17th byte says (the first always with receiptFollows).
 */
const HOSTILE_PROTOCOL = '/peerpost-test/hostile-deliver/1.0.0'
const RECEIPT_SKIPS_FIRST = 1
const REFUSAL_OWING_RECEIPT = 2
const NO_RECEIPT_AT_ALL = 3

async function node (): Promise<{ libp2p: PeerpostLibp2p, identity: ReturnType<typeof identityFromKeyMaterial> }> {
  const identity = identityFromKeyMaterial(await generateKeyMaterial({ now: Date.now() }))
  const libp2p = await createNetwork({ privateKey: identity.privateKey, listen: ['/ip4/127.0.0.1/tcp/0'] })
  return { libp2p, identity }
}

/** 4 KiB of random bytes whose first 16 are its id (bob's test handler reads them) and whose 17th says how bob treats it. */
function envelope (treat = 0): OutgoingEnvelope {
  const bytes = randomBytes(4096)
  bytes[16] = treat
  return { envelopeId: bytes.subarray(0, 16), bytes }
}

describe('deliver sessions: one long-lived stream per peer', () => {
  let alice: Awaited<ReturnType<typeof node>>
  let bob: Awaited<ReturnType<typeof node>>
  let target: DeliverTarget
  /** Envelopes bob holds back until GATHERED of them are in. */
  const gathering: Array<() => void> = []
  /** How many times bob stored each envelope id. */
  const stored = new Map<string, number>()
  /** Bob serves the deliver protocol with the default idle timeout, and the park protocol closing idle streams quickly. */
  const receivers: DeliverProtocol[] = []
  let sender: DeliverProtocol
  let parker: DeliverProtocol
  /** Waits RESPONSE_TIMEOUT_MS for each answer. */
  let impatient: DeliverProtocol

  const streamsTo = (protocol: string): Array<{ id: string }> => alice.libp2p.getConnections(peerIdFromString(target.peerId))
    .flatMap(c => c.streams).filter(s => s.protocol != null && protocolVersions(protocol).includes(s.protocol))

  before(async () => {
    alice = await node()
    bob = await node()
    for (const [protocol, idleTimeoutMs] of [[DELIVER_PROTOCOL, undefined], [PARK_PROTOCOL, RECEIVER_IDLE_MS]] as const) {
      const receiver = new DeliverProtocol({
        libp2p: bob.libp2p,
        log: defaultLogger().forComponent('test:bob'),
        // The test's envelopes carry their id in their first 16 bytes.
        handler: async bytes => {
          if (bytes[16] === REFUSE) throw new MessageRefusedError('this one is refused')
          if (bytes[16] === STALL) await new Promise(resolve => setTimeout(resolve, STALL_MS))
          if (bytes[16] === GATHER) {
            await new Promise<void>(resolve => {
              gathering.push(resolve)
              if (gathering.length === GATHERED) for (const release of gathering.splice(0)) release()
            })
          }
          const id = bytes.subarray(0, 16)
          const key = Buffer.from(id).toString('hex')
          stored.set(key, (stored.get(key) ?? 0) + 1)
          return { envelopeId: id, envelopeSha256: sha256(bytes) }
        },
        signer: { identity: bob.identity, now: Date.now }
      }, { protocol, maxEnvelopeBytes: 64 * 1024, idleTimeoutMs })
      await receiver.start()
      receivers.push(receiver)
    }
    // The senders check receipts as the daemon does (verifyCoveringReceipt, the default).
    sender = new DeliverProtocol({ libp2p: alice.libp2p, log: defaultLogger().forComponent('test:alice') }, { maxEnvelopeBytes: 64 * 1024, sessionIdleMs: SENDER_IDLE_MS })
    parker = new DeliverProtocol({ libp2p: alice.libp2p, log: defaultLogger().forComponent('test:alice') }, { protocol: PARK_PROTOCOL, maxEnvelopeBytes: 64 * 1024 })
    impatient = new DeliverProtocol({ libp2p: alice.libp2p, log: defaultLogger().forComponent('test:alice') }, { maxEnvelopeBytes: 64 * 1024, responseTimeoutMs: RESPONSE_TIMEOUT_MS })
    await bob.libp2p.handle(HOSTILE_PROTOCOL, async stream => {
      const lp = lpStream(stream)
      const subjects = []
      for (let i = 0; i < 2; i++) {
        const bytes = DeliverRequest.decode((await lp.read()).subarray()).envelope
        subjects.push({ envelopeId: bytes.subarray(0, 16), envelopeSha256: sha256(bytes), treat: bytes[16] })
      }
      const [first, second] = subjects as [typeof subjects[0], typeof subjects[0]]
      const follows = (s: typeof first): Uint8Array => DeliverResponse.encode({ envelopeId: new Uint8Array(s.envelopeId), receiptFollows: true })
      const answers = first.treat === RECEIPT_SKIPS_FIRST
        ? [follows(first), DeliverResponse.encode({ envelopeId: new Uint8Array(second.envelopeId), receipt: signReceipt(bob.identity, { ...second, now: Date.now() }) })]
        : first.treat === REFUSAL_OWING_RECEIPT
          ? [follows(first), DeliverResponse.encode({ envelopeId: new Uint8Array(0), error: { code: ErrorCode.REFUSED, message: 'no', retryable: false } })]
          : [follows(first), follows(second)]
      await lp.writeV(answers)
    })
    target = { peerId: bob.identity.peerIdString, addrs: bob.libp2p.getMultiaddrs().map(a => a.toString()) }
  })
  after(async () => {
    await sender?.stop()
    await parker?.stop()
    await impatient?.stop()
    for (const r of receivers) await r.stop()
    await alice?.libp2p.stop()
    await bob?.libp2p.stop()
  })

  it('keeps one stream open across deliveries and shares it between concurrent callers', async () => {
    const first = await sender.deliver(target, [envelope()])
    assert.ok(first[0]?.ok, 'the first envelope got a receipt')
    const open = streamsTo(DELIVER_PROTOCOL)
    assert.equal(open.length, 1, 'one deliver stream is open after the delivery')
    // Five callers at once, three envelopes each.
    const batches = await Promise.all([0, 1, 2, 3, 4].map(async () => await sender.deliver(target, [envelope(), envelope(), envelope()])))
    assert.ok(batches.flat().every(o => o.ok), 'every envelope got a receipt')
    assert.deepEqual(streamsTo(DELIVER_PROTOCOL).map(s => s.id), [open[0]!.id], 'still the same single stream')
    assert.equal(stored.size, 16)
    assert.ok([...stored.values()].every(n => n === 1), 'each stored once')
  })

  it('closes its stream when idle, and the next delivery opens a new one', async () => {
    await sender.deliver(target, [envelope()])
    await eventually(async () => streamsTo(DELIVER_PROTOCOL).length === 0, 10_000, 'the idle stream to close')
    const again = await sender.deliver(target, [envelope()])
    assert.ok(again[0]?.ok)
    assert.equal(streamsTo(DELIVER_PROTOCOL).length, 1)
  })

  it('a stream the receiver closed as idle is not used again: the next envelope goes on a new one, without an error', async () => {
    const first = await parker.deliver(target, [envelope()])
    assert.ok(first[0]?.ok)
    await eventually(async () => streamsTo(PARK_PROTOCOL).length === 0, 10_000, 'bob to close the idle stream')
    const again = await parker.deliver(target, [envelope(), envelope()])
    assert.ok(again.every(o => o.ok), again.map(o => o.ok ? 'ok' : o.error.message).join(', '))
  })

  it('a refusal in the middle of a pipelined batch answers only that envelope; the others get receipts on the same stream', async () => {
    await sender.deliver(target, [envelope()])
    const before = streamsTo(DELIVER_PROTOCOL).map(s => s.id)
    const batch = [envelope(), envelope(REFUSE), envelope(), envelope(REFUSE), envelope()]
    const outcomes = await sender.deliver(target, batch)
    assert.deepEqual(outcomes.map(o => o.ok ? 'receipt' : (o.error as { code?: string }).code), ['receipt', 'REFUSED', 'receipt', 'REFUSED', 'receipt'])
    assert.deepEqual(streamsTo(DELIVER_PROTOCOL).map(s => s.id), before, 'the stream stayed open')
  })

  it('envelopes stored together are answered with one receipt, signed once, that covers each of them', async () => {
    const batch = Array.from({ length: GATHERED }, () => envelope(GATHER))
    const outcomes = await sender.deliver(target, batch)
    const receipts = outcomes.map(o => o.ok ? o.receipt : undefined)
    assert.ok(receipts.every(r => r != null), outcomes.map(o => o.ok ? 'receipt' : o.error.message).join(', '))
    const receipt = receipts[GATHERED - 1]!
    assert.ok(receipts.every(r => r === receipt), 'every envelope of the batch is settled by the same receipt')
    const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
    assert.equal(hex(receipt.envelopeId), hex(batch[GATHERED - 1]!.envelopeId), 'the receipt answers the last of them')
    assert.deepEqual(receipt.earlier.map(e => hex(e.envelopeId)), batch.slice(0, -1).map(e => hex(e.envelopeId)), 'and lists the others, in order')
    assert.deepEqual(receipt.earlier.map(e => hex(e.envelopeSha256)), batch.slice(0, -1).map(e => hex(sha256(e.bytes))))
  })

  it('a 1.0.0 sender (an older node) gets a receipt of its own for each envelope, even when they are stored together', async () => {
    const stream = await alice.libp2p.dialProtocol(peerIdFromString(target.peerId), DELIVER_PROTOCOL, { signal: AbortSignal.timeout(10_000) })
    assert.equal(stream.protocol, DELIVER_PROTOCOL)
    const lp = lpStream(stream)
    const batch = Array.from({ length: GATHERED }, () => envelope(GATHER))
    await lp.writeV(batch.map(e => DeliverRequest.encode({ envelope: new Uint8Array(e.bytes) })))
    for (const e of batch) {
      const answer = DeliverResponse.decode((await lp.read({ signal: AbortSignal.timeout(10_000) })).subarray())
      assert.notEqual(answer.receiptFollows, true)
      assert.equal(Buffer.from(answer.receipt?.envelopeId ?? []).toString('hex'), Buffer.from(e.envelopeId).toString('hex'))
      assert.deepEqual(answer.receipt?.earlier, [])
    }
    await stream.close()
  })

  it('a sender asks for 1.1.0 first and delivers to a receiver that only speaks 1.0.0 (an older node), one receipt each', async () => {
    const carol = await node()
    try {
      await carol.libp2p.handle(DELIVER_PROTOCOL, async stream => {
        const lp = lpStream(stream)
        for (let i = 0; i < 3; i++) {
          const bytes = DeliverRequest.decode((await lp.read()).subarray()).envelope
          const receipt = signReceipt(carol.identity, { envelopeId: bytes.subarray(0, 16), envelopeSha256: sha256(bytes), now: Date.now() })
          await lp.write(DeliverResponse.encode({ envelopeId: receipt.envelopeId, receipt }))
        }
      })
      const to = { peerId: carol.identity.peerIdString, addrs: carol.libp2p.getMultiaddrs().map(a => a.toString()) }
      const outcomes = await sender.deliver(to, [envelope(), envelope(), envelope()])
      assert.deepEqual(outcomes.map(o => o.ok ? o.receipt.earlier.length : o.error.message), [0, 0, 0])
      const streams = alice.libp2p.getConnections(carol.libp2p.peerId).flatMap(c => c.streams).map(s => s.protocol)
      assert.ok(streams.includes(DELIVER_PROTOCOL) && !streams.includes(DELIVER_PROTOCOL_1_1), streams.join(', '))
    } finally {
      await carol.libp2p.stop()
    }
  })

  for (const [treat, label, error] of [
    [RECEIPT_SKIPS_FIRST, 'a receipt that leaves out an envelope answered receiptFollows', 'BadReceiptError'],
    [REFUSAL_OWING_RECEIPT, 'a refusal while a receipt is owed', 'ProtocolViolationError'],
    [NO_RECEIPT_AT_ALL, 'receiptFollows with no receipt after it', 'ProtocolViolationError']
  ] as const) {
    it(`${label}: neither envelope counts as delivered (${error})`, async () => {
      const hostile = new DeliverProtocol({ libp2p: alice.libp2p, log: defaultLogger().forComponent('test:alice') }, { protocol: HOSTILE_PROTOCOL, maxEnvelopeBytes: 64 * 1024 })
      try {
        const outcomes = await hostile.deliver(target, [envelope(treat), envelope()])
        assert.deepEqual(outcomes.map(o => o.ok ? 'receipt' : o.error.name), [error, error])
      } finally {
        await hostile.stop()
      }
    })
  }

  it('an answer that does not come in time fails what waits with a timeout, and the next delivery goes on a new stream', async () => {
    const outcomes = await impatient.deliver(target, [envelope(STALL), envelope()])
    assert.ok(outcomes.every(o => !o.ok && o.error.name === 'DeliveryTimeoutError'), outcomes.map(o => o.ok ? 'receipt' : o.error.name).join(', '))
    const after = await impatient.deliver(target, [envelope()])
    assert.ok(after[0]?.ok, 'delivered on a fresh stream')
  })
})
