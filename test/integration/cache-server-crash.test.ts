import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import { after, it } from 'node:test'
import { sha256 } from '../../node/crypto/index.js'
import { FetchSession } from '../../node/protocol/fetch.js'
import { auditCacheServer, hex, opaqueEnvelope, park, rawClient, startCacheServer } from '../helpers/cache-server.js'
import { deadline, freePort, tempDir } from '../helpers/cli.js'
import type { CacheServerProcess, RawClient } from '../helpers/cache-server.js'
import type { OutgoingEnvelope } from '../../node/protocol/deliver.js'

const DEPOSITORS = 4
const PER_DEPOSITOR = 250
/** Envelopes per stream (at most DELIVER_WINDOW), so each depositor has 10 streams in flight. */
const BATCH = 25
/** The server is killed once this many receipts have come back: deposits are still pouring in. */
const KILL_AFTER_RECEIPTS = 150

const clients: RawClient[] = []
let server: CacheServerProcess | undefined
let home: string | undefined

after(async () => {
  for (const c of clients) await c.stop()
  await server?.kill()
  if (home != null) await rm(home, { recursive: true, force: true })
})

it('kill -9 during 1,000 concurrent deposits: after restart every receipted deposit is fetchable, once, and the quota counters equal what is stored', async () => {
  home = await tempDir('cache-crash')
  const port = await freePort()
  const first = server = await startCacheServer(home, { port })

  const receipted = new Set<string>()
  let killed: Promise<void> | undefined
  const onReceipt = (envelopeId: Uint8Array): void => {
    receipted.add(hex(envelopeId))
    if (receipted.size >= KILL_AFTER_RECEIPTS) killed ??= first.kill()
  }
  const bob = await rawClient()
  clients.push(bob)
  const sent = new Map<string, OutgoingEnvelope>()
  const depositors: RawClient[] = []
  for (let i = 0; i < DEPOSITORS; i++) {
    const c = await rawClient({ serverPeerId: first.peerId, onReceipt })
    clients.push(c)
    depositors.push(c)
  }
  // All depositors at once, each pipelining on several streams at once (10 per connection,
  // which also exercises the server's early-stream allowance as a connection opens).
  const outcomes = await deadline(Promise.all(depositors.map(async c => {
    const envelopes = Array.from({ length: PER_DEPOSITOR }, () => opaqueEnvelope(bob.peerId, 2048 + Math.floor(Math.random() * 8192)))
    for (const e of envelopes) sent.set(hex(e.envelopeId), e)
    const batches: OutgoingEnvelope[][] = []
    for (let i = 0; i < envelopes.length; i += BATCH) batches.push(envelopes.slice(i, i + BATCH))
    return (await Promise.all(batches.map(async b => park(c, first, b)))).flat()
  })), 30_000, 'the deposits to end')
  assert.ok(killed != null, `the server was killed mid-way (${receipted.size} receipts; failures: ${[...new Set(outcomes.flat().map(o => o.ok ? '' : o.error.message))].join(' / ')})`)
  await killed
  const ok = outcomes.flat().filter(o => o.ok).length
  assert.equal(ok, receipted.size, 'every ok outcome is a verified receipt')
  assert.ok(ok < DEPOSITORS * PER_DEPOSITOR, `some deposits were cut off by the crash (${ok} receipts)`)

  const second = server = await startCacheServer(home, { port })
  assert.equal(second.peerId, first.peerId, 'same identity after restart')
  const session = await FetchSession.open(bob.libp2p, { peerId: second.peerId, addrs: second.addrs })
  const held = (await session.listAll()).map(h => hex(h.envelopeId))
  assert.equal(new Set(held).size, held.length, 'nothing is listed twice')
  for (const id of receipted) assert.ok(held.includes(id), `receipted envelope ${id} survived the crash`)
  assert.ok(held.length <= DEPOSITORS * PER_DEPOSITOR)
  // Every held envelope, receipted or not, is exactly what was sent.
  for (let i = 0; i < held.length; i += 500) {
    const ids = held.slice(i, i + 500)
    const got = await session.get(ids.map(id => new Uint8Array(Buffer.from(id, 'hex'))))
    assert.equal(got.length, ids.length)
    got.forEach((bytes, j) => { assert.equal(hex(sha256(bytes)), hex(sha256(sent.get(ids[j]!)!.bytes))) })
  }
  await session.close()

  assert.equal(await second.stop(), 0, `clean exit; stderr: ${second.stderr()}`)
  const audit = await auditCacheServer(home)
  assert.equal(audit.code, 0, audit.stderr)
  assert.ok(audit.report?.consistent, `audit problems: ${audit.report?.problems.join('; ')}`)
  assert.equal(audit.report.counted.count, held.length)
  assert.deepEqual(audit.report.counters, audit.report.counted)
})
