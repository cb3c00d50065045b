import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { before, describe, it } from 'node:test'
import { defaultLogger } from '@libp2p/logger'
import { PeerRefusedError } from '../../node/errors.js'
import { generateKeyMaterial } from '../../node/identity/index.js'
import { CO_RECIPIENT_COPIES, Router } from '../../node/routing.js'
import type { DeliverOutcome, DeliverTarget, OutgoingEnvelope } from '../../node/protocol/deliver.js'
import type { Receipt } from '../../node/protocol/peerpost.js'
import type { PeerpostLibp2p } from '../../node/network.js'
import type { RouteOutcome } from '../../node/routing.js'
import type { ContactRecord } from '../../storage/types.js'

/** How each holder answers a deposit. */
type Answer = 'takes' | 'full' | 'refuses' | 'stamp' | 'down'

/** A park deliverer that answers per holder and records who was asked for what. */
function fakePark (answers: Map<string, Answer>): { deliver: (t: DeliverTarget, e: OutgoingEnvelope[]) => Promise<DeliverOutcome[]>, asked: Array<{ holder: string, count: number }> } {
  const asked: Array<{ holder: string, count: number }> = []
  return {
    asked,
    deliver: async (target, envelopes) => {
      asked.push({ holder: target.peerId, count: envelopes.length })
      const answer = answers.get(target.peerId) ?? 'down'
      return envelopes.map(e => {
        switch (answer) {
          case 'takes': return { ok: true, envelopeId: e.envelopeId, receipt: {} as Receipt }
          case 'full': return { ok: false, envelopeId: e.envelopeId, error: new PeerRefusedError('QUOTA_EXCEEDED', 'quota total-bytes is full', false) }
          case 'refuses': return { ok: false, envelopeId: e.envelopeId, error: new PeerRefusedError('REFUSED', 'holding is turned off', false) }
          case 'stamp': return { ok: false, envelopeId: e.envelopeId, error: new PeerRefusedError('STAMP_REQUIRED', 'this server takes deposits with a proof of work of 12 bits (stamp)', true) }
          default: return { ok: false, envelopeId: e.envelopeId, error: new Error('connection refused') }
        }
      })
    }
  }
}

/** No network: notices fail to post (which the router only logs), nothing is connected. */
const noNetwork = {
  getConnections: () => [],
  peerStore: { merge: async () => {} },
  dialProtocol: async () => { throw new Error('no network in this test') }
} as unknown as PeerpostLibp2p

const envelope = (): OutgoingEnvelope => ({ envelopeId: new Uint8Array(randomBytes(16)), bytes: new Uint8Array(64) })

describe('routing policy: cache servers first, then co-recipients', () => {
  let carol: string, server: string, bob: string, dave: string, erin: string

  before(async () => {
    const id = async (): Promise<string> => (await generateKeyMaterial({ now: Date.now() })).peerId
    ;[carol, server, bob, dave, erin] = [await id(), await id(), await id(), await id(), await id()]
  })

  /** Route `envelopes` for carol (offline, no address) with these holders' answers. */
  const route = async (answers: Record<string, Answer>, options: { servers?: string[], coRecipients: string[][], envelopes?: OutgoingEnvelope[] }): Promise<{ outcomes: RouteOutcome[], asked: Array<{ holder: string, count: number }> }> => {
    const park = fakePark(new Map(Object.entries(answers)))
    const direct = { deliver: async () => { throw new Error('carol has no address: no direct attempt expected') } }
    const router = new Router({
      libp2p: noNetwork,
      direct,
      park,
      presence: async () => undefined,
      myServers: () => [],
      addrsOf: async () => [],
      log: defaultLogger().forComponent('test:routing'),
      now: Date.now
    }, { noticeTimeoutMs: 100 })
    const contact = { peerId: carol, addrs: [], homeServers: (options.servers ?? []).map(s => `/ip4/127.0.0.1/tcp/1/p2p/${s}`) } as unknown as ContactRecord
    const envelopes = options.envelopes ?? options.coRecipients.map(envelope)
    const outcomes = await router.route({ peerId: carol, contact, coRecipients: options.coRecipients }, envelopes)
    return { outcomes, asked: park.asked }
  }

  it('parks on the cache server when it takes the envelope, and asks no co-recipient', async () => {
    const { outcomes, asked } = await route({ [server]: 'takes', [bob]: 'takes' }, { servers: [server], coRecipients: [[bob]] })
    assert.deepEqual(outcomes, [{ kind: 'parked', holders: [server] }])
    assert.deepEqual(asked.map(a => a.holder), [server])
  })

  it('a full or unreachable server: parks on co-recipients, at most CO_RECIPIENT_COPIES of them', async () => {
    assert.equal(CO_RECIPIENT_COPIES, 2)
    const full = await route({ [server]: 'full', [bob]: 'takes', [dave]: 'takes', [erin]: 'takes' }, { servers: [server], coRecipients: [[bob, dave, erin]] })
    assert.deepEqual(full.outcomes, [{ kind: 'parked', holders: [bob, dave] }])
    assert.deepEqual(full.asked.map(a => a.holder), [server, bob, dave])

    const down = await route({ [bob]: 'refuses', [dave]: 'takes' }, { servers: [server], coRecipients: [[bob, dave]] })
    assert.deepEqual(down.outcomes, [{ kind: 'parked', holders: [dave] }])
  })

  it('asks a co-recipient only for the messages it got: one batch per holder', async () => {
    const { outcomes, asked } = await route({ [bob]: 'takes' }, { coRecipients: [[bob], [], [bob]] })
    assert.deepEqual(outcomes.map(o => o.kind), ['parked', 'retry', 'parked'])
    assert.deepEqual(asked, [{ holder: bob, count: 2 }])
  })

  it('nobody takes it: retry later, with every holder\'s reason; no holder at all: no deposit tried', async () => {
    const { outcomes } = await route({ [server]: 'full', [bob]: 'refuses' }, { servers: [server], coRecipients: [[bob]] })
    assert.equal(outcomes[0]?.kind, 'retry')
    const error = (outcomes[0] as { error: Error }).error
    assert.equal(error.name, 'ParkingFailedError')
    assert.match(error.message, /QUOTA_EXCEEDED/)
    assert.match(error.message, /refused \(REFUSED\): holding is turned off/)

    const alone = await route({}, { coRecipients: [[]] })
    assert.equal(alone.outcomes[0]?.kind, 'retry')
    assert.deepEqual(alone.asked, [])
  })

  it('a server asking for a stamp: mint and retry at once, unless another holder took it', async () => {
    const alone = await route({ [server]: 'stamp' }, { servers: [server], coRecipients: [[]] })
    assert.equal(alone.outcomes[0]?.kind, 'stamp')
    assert.equal((alone.outcomes[0] as { by: string }).by, 'holder')
    const taken = await route({ [server]: 'stamp', [bob]: 'takes' }, { servers: [server], coRecipients: [[bob]] })
    assert.deepEqual(taken.outcomes, [{ kind: 'parked', holders: [bob] }])
  })

  it('the recipient asks for a stamp: not parked anywhere; its receipts\' exemption is passed on', async () => {
    const answers = [
      { ok: true as const, envelopeId: new Uint8Array(16), receipt: {} as Receipt, stampExempt: true },
      { ok: false as const, envelopeId: new Uint8Array(16), error: new PeerRefusedError('STAMP_REQUIRED', 'a stamp, please', true) }
    ]
    const park = fakePark(new Map([[server, 'takes']]))
    const router = new Router({
      libp2p: noNetwork,
      direct: { deliver: async () => answers },
      park,
      presence: async () => undefined,
      myServers: () => [],
      log: defaultLogger().forComponent('test:routing'),
      now: Date.now
    }, { noticeTimeoutMs: 100 })
    const contact = { peerId: carol, addrs: ['/ip4/127.0.0.1/tcp/1'], homeServers: [`/ip4/127.0.0.1/tcp/1/p2p/${server}`] } as unknown as ContactRecord
    const outcomes = await router.route({ peerId: carol, contact }, [envelope(), envelope()])
    assert.deepEqual(outcomes.map(o => o.kind), ['delivered', 'stamp'])
    assert.equal((outcomes[0] as { stampExempt: boolean }).stampExempt, true)
    assert.equal((outcomes[1] as { by: string }).by, 'recipient')
    assert.deepEqual(park.asked, [])
  })
})
