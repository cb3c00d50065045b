/**
 * kill -9 of a cache server at random moments, round after round on the same home: during
 * 1,000 concurrent deposits, or while the recipient acks what it fetched. After each crash
 * the database must be consistent before the server even starts again (the audit runs on
 * the crashed home), and after the restart every receipted deposit is there with its exact
 * bytes, no envelope whose ack was answered ever comes back (so nothing is fetched twice
 * into an inbox), and nothing is listed twice. Rounds: CI 3, soak 20. The kill points come
 * from a seeded generator: PEERPOST_SEED=N replays a run.
 */
import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import { after, it } from 'node:test'
import { sha256 } from '../../node/crypto/index.js'
import { FetchSession } from '../../node/protocol/fetch.js'
import { auditCacheServer, hex, opaqueEnvelope, park, rawClient, startCacheServer } from '../helpers/cache-server.js'
import { deadline, freePort, tempDir } from '../helpers/cli.js'
import { seededRandom } from '../helpers/random.js'
import { size } from './size.js'
import type { CacheServerProcess, RawClient } from '../helpers/cache-server.js'
import type { OutgoingEnvelope } from '../../node/protocol/deliver.js'

const ROUNDS = size(3, 20)
const DEPOSITORS = 4
const PER_DEPOSITOR = 250
/** Envelopes per pipelined stream: each depositor keeps 10 streams in flight. */
const BATCH = 25
const ACK_BATCH = 50

const clients: RawClient[] = []
let server: CacheServerProcess | undefined
let home: string | undefined

after(async () => {
  for (const c of clients) await c.stop()
  await server?.kill()
  if (home != null) await rm(home, { recursive: true, force: true })
})

it(`kill -9 at random moments of deposits and acks, ${ROUNDS} rounds: receipted deposits survive with their bytes, acked ones never return, counters match`, async () => {
  const random = seededRandom('cache-server-crash-rounds')
  home = await tempDir('crash-rounds')
  const port = await freePort()
  const bob = await rawClient()
  clients.push(bob)
  /** Everything ever sent, by id, and what the server promised about it. */
  const sent = new Map<string, OutgoingEnvelope>()
  const receipted = new Set<string>()
  const acked = new Set<string>()
  const figures: Array<{ round: number, killedDuring: string, killAfter: number, receipts: number, acked: number, held: number, retried: number }> = []

  for (let round = 0; round < ROUNDS; round++) {
    const up = server = await startCacheServer(home, { port })
    // Odd rounds crash while bob acks; even ones while 1,000 deposits pour in.
    const duringAcks = round % 2 === 1
    // Receipts trail the server's work (up to 40 streams of 25 in flight): a kill after
    // more than ~400 receipts would often find every deposit already done.
    const killAtReceipt = duringAcks ? Infinity : 1 + Math.floor(random() * 400)
    let killed: Promise<void> | undefined
    let roundReceipts = 0
    const onReceipt = (envelopeId: Uint8Array): void => {
      receipted.add(hex(envelopeId))
      if (++roundReceipts >= killAtReceipt) killed ??= up.kill()
    }
    const depositors: RawClient[] = []
    for (let i = 0; i < DEPOSITORS; i++) {
      const c = await rawClient({ serverPeerId: up.peerId, onReceipt })
      clients.push(c)
      depositors.push(c)
    }
    await deadline(Promise.all(depositors.map(async c => {
      const envelopes = Array.from({ length: PER_DEPOSITOR }, () => opaqueEnvelope(bob.peerId, 1024 + Math.floor(random() * 8192)))
      for (const e of envelopes) sent.set(hex(e.envelopeId), e)
      const batches: OutgoingEnvelope[][] = []
      for (let i = 0; i < envelopes.length; i += BATCH) batches.push(envelopes.slice(i, i + BATCH))
      await Promise.all(batches.map(async b => park(c, up, b)))
    })), 60_000, 'the deposits to end')
    for (const c of depositors) await c.stop()

    let roundAcks = 0
    if (duringAcks) {
      // Bob fetches and acks in batches; the server dies once a random share is acked.
      const session = await FetchSession.open(bob.libp2p, { peerId: up.peerId, addrs: up.addrs })
      const held = (await session.listAll()).map(h => hex(h.envelopeId))
      // At least one batch is acked before the kill, so the round tests acked deletes.
      const killAtAck = ACK_BATCH + Math.floor(random() * Math.max(1, held.length - ACK_BATCH))
      try {
        for (let i = 0; i < held.length; i += ACK_BATCH) {
          const batch = held.slice(i, i + ACK_BATCH).map(id => new Uint8Array(Buffer.from(id, 'hex')))
          await session.get(batch)
          if (roundAcks + batch.length > killAtAck) killed ??= up.kill()
          const n = await session.ack(batch)
          // Answered: the deletes are durable, whatever happens next.
          assert.equal(n, batch.length)
          for (const id of batch) acked.add(hex(id))
          roundAcks += n
        }
      } catch {
        // The kill cut the session: what was answered before counts, the rest was not promised.
      }
    }
    killed ??= up.kill()
    await killed

    // The crashed home opens and its counters equal what is stored, before any restart.
    const audit = await auditCacheServer(home)
    assert.equal(audit.code, 0, `round ${round}: audit after the crash: ${audit.stderr}`)
    assert.ok(audit.report?.consistent, `round ${round}: ${audit.report?.problems.join('; ')}`)
    assert.deepEqual(audit.report.counters, audit.report.counted)

    const again: CacheServerProcess = server = await startCacheServer(home, { port })
    const session = await FetchSession.open(bob.libp2p, { peerId: again.peerId, addrs: again.addrs })
    const held = (await session.listAll()).map(h => hex(h.envelopeId))
    const heldSet = new Set(held)
    assert.equal(heldSet.size, held.length, `round ${round}: nothing is listed twice`)
    for (const id of receipted) if (!acked.has(id)) assert.ok(heldSet.has(id), `round ${round}: receipted ${id} survived`)
    for (const id of acked) assert.ok(!heldSet.has(id), `round ${round}: acked ${id} came back`)
    for (let i = 0; i < held.length; i += 200) {
      const ids = held.slice(i, i + 200)
      const got = await session.get(ids.map(id => new Uint8Array(Buffer.from(id, 'hex'))))
      assert.equal(got.length, ids.length)
      got.forEach((bytes, j) => { assert.equal(hex(sha256(bytes)), hex(sha256(sent.get(ids[j]!)!.bytes)), 'exactly the bytes sent') })
    }
    assert.equal(audit.report.counted.count, held.length)

    // The senders retry what got no receipt, as an outbox does: each is then held once.
    const unreceipted = [...sent.values()].filter(e => !receipted.has(hex(e.envelopeId)))
    const retrier = await rawClient({ serverPeerId: again.peerId, onReceipt: id => { receipted.add(hex(id)) } })
    clients.push(retrier)
    for (let i = 0; i < unreceipted.length; i += BATCH) {
      const outcomes = await park(retrier, again, unreceipted.slice(i, i + BATCH))
      assert.ok(outcomes.every(o => o.ok), `round ${round}: a retried deposit is receipted`)
    }
    await retrier.stop()
    const afterRetry = (await session.listAll()).map(h => hex(h.envelopeId))
    assert.equal(new Set(afterRetry).size, afterRetry.length, `round ${round}: a retried deposit is held once`)
    assert.equal(afterRetry.length, held.length + unreceipted.filter(e => !heldSet.has(hex(e.envelopeId))).length)
    await session.close()
    figures.push({ round, killedDuring: duringAcks ? 'acks' : 'deposits', killAfter: duringAcks ? roundAcks : killAtReceipt, receipts: roundReceipts, acked: roundAcks, held: held.length, retried: unreceipted.length })
    assert.equal(await again.stop(), 0, `clean stop; stderr: ${again.stderr()}`)
  }
  console.log(JSON.stringify({ rounds: figures, receipted: receipted.size, acked: acked.size }))
})
