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
import { sha256, signReceipt, verifyReceipt } from '../../node/crypto/index.js'
import { generateKeyMaterial, identityFromKeyMaterial } from '../../node/identity/index.js'
import { createNetwork } from '../../node/network.js'
import { DELIVER_PROTOCOL, DeliverProtocol, PARK_PROTOCOL } from '../../node/protocol/deliver.js'
import { MessageRefusedError } from '../../node/protocol/errors.js'
import { eventually } from '../helpers/cache-server.js'
import type { PeerpostLibp2p } from '../../node/network.js'
import type { DeliverTarget, OutgoingEnvelope } from '../../node/protocol/deliver.js'
import type { Receipt } from '../../node/protocol/peerpost.js'

const SENDER_IDLE_MS = 400
/** Bob refuses envelopes whose 17th byte is REFUSE, and answers those with STALL after STALL_MS. */
const REFUSE = 0xee
const STALL = 0xdd
const STALL_MS = 3_000
const RESPONSE_TIMEOUT_MS = 1_000
const RECEIVER_IDLE_MS = 300

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
  /** How many times bob stored each envelope id. */
  const stored = new Map<string, number>()
  /** Bob serves the deliver protocol with the default idle timeout, and the park protocol closing idle streams quickly. */
  const receivers: DeliverProtocol[] = []
  let sender: DeliverProtocol
  let parker: DeliverProtocol
  /** Waits RESPONSE_TIMEOUT_MS for each answer. */
  let impatient: DeliverProtocol

  const streamsTo = (protocol: string): Array<{ id: string }> => alice.libp2p.getConnections(peerIdFromString(target.peerId))
    .flatMap(c => c.streams).filter(s => s.protocol === protocol)

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
          const id = bytes.subarray(0, 16)
          const key = Buffer.from(id).toString('hex')
          stored.set(key, (stored.get(key) ?? 0) + 1)
          return signReceipt(bob.identity, { envelopeId: id, envelopeSha256: sha256(bytes), now: Date.now() })
        },
        verifyReceipt: () => {}
      }, { protocol, maxEnvelopeBytes: 64 * 1024, idleTimeoutMs })
      await receiver.start()
      receivers.push(receiver)
    }
    const verify = (receipt: Receipt, signer: string, envelopeId: Uint8Array, bytes: Uint8Array): void => { verifyReceipt(receipt, { expectedSigner: signer, envelopeId, envelopeSha256: sha256(bytes) }) }
    sender = new DeliverProtocol({ libp2p: alice.libp2p, log: defaultLogger().forComponent('test:alice'), verifyReceipt: verify }, { maxEnvelopeBytes: 64 * 1024, sessionIdleMs: SENDER_IDLE_MS })
    parker = new DeliverProtocol({ libp2p: alice.libp2p, log: defaultLogger().forComponent('test:alice'), verifyReceipt: verify }, { protocol: PARK_PROTOCOL, maxEnvelopeBytes: 64 * 1024 })
    impatient = new DeliverProtocol({ libp2p: alice.libp2p, log: defaultLogger().forComponent('test:alice'), verifyReceipt: verify }, { maxEnvelopeBytes: 64 * 1024, responseTimeoutMs: RESPONSE_TIMEOUT_MS })
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

  it('an answer that does not come in time fails what waits with a timeout, and the next delivery goes on a new stream', async () => {
    const outcomes = await impatient.deliver(target, [envelope(STALL), envelope()])
    assert.ok(outcomes.every(o => !o.ok && o.error.name === 'DeliveryTimeoutError'), outcomes.map(o => o.ok ? 'receipt' : o.error.name).join(', '))
    const after = await impatient.deliver(target, [envelope()])
    assert.ok(after[0]?.ok, 'delivered on a fresh stream')
  })
})
