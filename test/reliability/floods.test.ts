/**
 * Floods against a real cache server with small quotas: deposits past every quota,
 * thousands of streams held open, a frame that never ends, a directory flooded with
 * names. Each flood gets explicit errors or is cut off, other users' deposits and fetches
 * keep working, and the server's memory (peak RSS) and disk (its database) stay bounded.
 */
import assert from 'node:assert/strict'
import { readFile, readdir, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { pEvent } from 'p-event'
import { generateKeyMaterial, identityFromKeyMaterial, makeCard } from '../../node/identity/index.js'
import { PARK_PROTOCOL } from '../../node/protocol/deliver.js'
import { registerName } from '../../node/protocol/directory.js'
import { FetchSession } from '../../node/protocol/fetch.js'
import { DeliverResponse, IdentityCard } from '../../node/protocol/peerpost.js'
import { openStream } from '../../node/protocol/rpc.js'
import { FramedStream } from '../../node/protocol/framed.js'
import { hex, opaqueEnvelope, park, rawClient, scrape, startCacheServer } from '../helpers/cache-server.js'
import { deadline, tempDir } from '../helpers/cli.js'
import { size } from './size.js'
import type { CacheServerProcess, RawClient } from '../helpers/cache-server.js'
import type { DeliverOutcome } from '../../node/protocol/deliver.js'
import type { Stream } from '@libp2p/interface'

const KiB = 1024
const MiB = 1024 * KiB
const QUOTAS = {
  maxEnvelopeBytes: 64 * KiB,
  perDepositor: { maxCount: 40, maxBytes: 1 * MiB },
  perRecipient: { maxCount: 60, maxBytes: 2 * MiB },
  total: { maxCount: 150, maxBytes: 4 * MiB }
}
/** The server's whole database may exceed what its quotas allow by at most this (LevelDB logs, manifests, the names). */
const DISK_SLACK = 8 * MiB
const MAX_PEAK_RSS = 400 * MiB
const STREAM_CLIENTS = size(10, 50)
const STREAMS_EACH = size(100, 200)

const refusedWith = (o: DeliverOutcome, code: string): boolean => !o.ok && (o.error as { code?: string }).code === code

async function randomPeerId (): Promise<string> {
  return identityFromKeyMaterial(await generateKeyMaterial({ now: Date.now() })).peerIdString
}

async function duBytes (dir: string): Promise<number> {
  let total = 0
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name)
    total += entry.isDirectory() ? await duBytes(p) : (await stat(p)).size
  }
  return total
}

/** The server process's peak resident memory (VmHWM), from /proc. */
async function peakRss (server: CacheServerProcess): Promise<number> {
  const status = await readFile(`/proc/${server.proc.pid}/status`, 'utf8')
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1])
  return kb * 1024
}

describe('floods against a cache server', () => {
  let home: string
  let server: CacheServerProcess
  const clients: RawClient[] = []
  let alice: RawClient, carol: RawClient, bob: RawClient
  const figures: Record<string, unknown> = {}
  const client = async (): Promise<RawClient> => { const c = await rawClient({ serverPeerId: server.peerId }); clients.push(c); return c }

  /** Another user's deposit and fetch still work (within a deadline) while a flood is on. */
  async function othersStillServed (what: string): Promise<void> {
    const e = opaqueEnvelope(carol.peerId, 2 * KiB)
    const [o] = await deadline(park(alice, server, [e]), 15_000, `alice's deposit during ${what}`)
    assert.ok(o?.ok === true || refusedWith(o!, 'QUOTA_EXCEEDED'), `alice's deposit during ${what}: ${o?.ok === false ? o.error.message : ''}`)
    const session = await deadline(FetchSession.open(carol.libp2p, { peerId: server.peerId, addrs: server.addrs }), 15_000, `carol's fetch during ${what}`)
    const held = await deadline(session.listAll(), 15_000, `carol's list during ${what}`)
    if (o?.ok === true) assert.ok(held.some(h => hex(h.envelopeId) === hex(e.envelopeId)), 'carol sees what alice just parked')
    await session.close()
  }

  before(async () => {
    home = await tempDir('floods')
    server = await startCacheServer(home, { config: { parking: QUOTAS } })
    alice = await client()
    carol = await client()
    bob = await client()
  })
  after(async () => {
    for (const c of clients) await c.stop()
    await server?.kill()
    if (home != null) await rm(home, { recursive: true, force: true })
    console.log(JSON.stringify({ floods: figures }))
  })

  it('one depositor past its quota: exactly its quota is stored, the rest refused QUOTA_EXCEEDED; others unaffected', async () => {
    const mallory = await client()
    const envelopes = Array.from({ length: 200 }, (_, i) => opaqueEnvelope(i % 2 === 0 ? bob.peerId : carol.peerId, 16 * KiB))
    const outcomes: DeliverOutcome[] = []
    // One deposit per stream: the server closes a stream after an error reply.
    for (const e of envelopes) outcomes.push(...await park(mallory, server, [e]))
    assert.equal(outcomes.filter(o => o.ok).length, QUOTAS.perDepositor.maxCount)
    assert.ok(outcomes.slice(QUOTAS.perDepositor.maxCount).every(o => refusedWith(o, 'QUOTA_EXCEEDED')), 'every deposit past the quota is refused with QUOTA_EXCEEDED')
    await othersStillServed('a depositor flood')
  })

  it('an envelope over the size limit is refused TOO_LARGE, just over or far over (a reset would leave the sender retrying)', async () => {
    // Just over the envelope limit; over the frame limit too; 16 times the limit.
    for (const ciphertext of [QUOTAS.maxEnvelopeBytes - 80, QUOTAS.maxEnvelopeBytes + 1, 16 * QUOTAS.maxEnvelopeBytes]) {
      const [o] = await park(alice, server, [opaqueEnvelope(bob.peerId, ciphertext)])
      assert.ok(refusedWith(o!, 'TOO_LARGE'), `${ciphertext} bytes: ${o?.ok === false ? o.error.message : 'stored'}`)
    }
  })

  it('many depositors (a sybil flood) fill a recipient\'s quota, then the total: explicit refusals, and the disk stays within the quotas', async () => {
    let stored = 0
    let refused = 0
    for (let s = 0; s < 8; s++) {
      const sybil = await client()
      for (let i = 0; i < QUOTAS.perDepositor.maxCount; i++) {
        const [o] = await park(sybil, server, [opaqueEnvelope(i % 3 === 0 ? bob.peerId : await randomPeerId(), 16 * KiB)])
        if (o!.ok) stored++
        else { assert.ok(refusedWith(o!, 'QUOTA_EXCEEDED'), o!.error.message); refused++ }
      }
    }
    const metrics = await scrape(server)
    assert.ok((metrics.get('peerpost_parked_envelopes') ?? 0) <= QUOTAS.total.maxCount)
    assert.ok((metrics.get('peerpost_parked_bytes') ?? 0) <= QUOTAS.total.maxBytes)
    assert.ok(refused > 0, 'the total quota was reached')
    // Full: alice is refused explicitly; once bob takes his mail, there is room again.
    await othersStillServed('a full server')
    const session = await FetchSession.open(bob.libp2p, { peerId: server.peerId, addrs: server.addrs })
    const held = await session.listAll()
    assert.ok(held.length <= QUOTAS.perRecipient.maxCount, `bob holds ${held.length}, at most his quota`)
    assert.equal(await session.ack(held.map(h => h.envelopeId)), held.length)
    await session.close()
    const [o] = await park(alice, server, [opaqueEnvelope(carol.peerId, 2 * KiB)])
    assert.ok(o?.ok, 'room again after bob acked')
    const disk = await duBytes(join(home, 'db'))
    assert.ok(disk <= QUOTAS.total.maxBytes + DISK_SLACK, `database is ${disk} bytes`)
    Object.assign(figures, { sybilStored: stored, sybilRefused: refused, diskBytes: disk })
  })

  it(`${STREAM_CLIENTS} peers each opening ${STREAMS_EACH} park streams and holding them: refused past the per-connection limit, others served, memory bounded`, async () => {
    const held: Stream[] = []
    let refusedStreams = 0
    const floods = await Promise.all(Array.from({ length: STREAM_CLIENTS }, async () => client()))
    await Promise.all(floods.map(async c => {
      await Promise.all(Array.from({ length: STREAMS_EACH }, async () => {
        try {
          held.push(await openStream(c.libp2p, { peerId: server.peerId, addrs: server.addrs }, PARK_PROTOCOL, 10_000))
        } catch {
          refusedStreams++
        }
      }))
    }))
    await othersStillServed('thousands of idle streams')
    const rss = await peakRss(server)
    for (const s of held) s.abort(new Error('done'))
    for (const c of floods) await c.stop()
    Object.assign(figures, { streamsAttempted: STREAM_CLIENTS * STREAMS_EACH, streamsOpened: held.length, streamsRefused: refusedStreams, peakRssAfterStreams: rss })
    assert.ok(rss < MAX_PEAK_RSS, `peak RSS ${rss}`)
  })

  it('a frame that never ends is cut off at the size limit, with TOO_LARGE', async () => {
    const mallory = await client()
    const stream = await openStream(mallory.libp2p, { peerId: server.peerId, addrs: server.addrs }, PARK_PROTOCOL, 10_000)
    // A length prefix of 1 GiB, then junk for as long as the server takes it (bounded: 256 MiB or 3 s of no progress).
    stream.send(Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x04]))
    const chunk = new Uint8Array(64 * KiB)
    let written = 0
    const reply = new FramedStream(stream, 64 * KiB).read(30_000).catch(() => undefined)
    try {
      while (written < 256 * MiB && stream.status === 'open') {
        written += chunk.byteLength
        if (!stream.send(chunk)) await pEvent(stream, 'drain', { rejectionEvents: ['close'], timeout: 3_000 })
      }
    } catch {
      // Cut off: the server stopped taking bytes (no drain) or closed the stream.
    }
    const frame = await reply
    if (frame != null) assert.equal(DeliverResponse.decode(frame).error?.code, 'TOO_LARGE')
    stream.abort(new Error('done'))
    assert.ok(written < 32 * MiB, `the server took ${written} bytes of an endless frame`)
    figures.endlessFrameBytesTaken = written
    await othersStillServed('an endless frame')
  })

  it('one key registering name after name: refused past a bound, the directory stays bounded', async () => {
    const mallory = await client()
    const card = IdentityCard.encode(makeCard(mallory.identity, { now: Date.now() }))
    let registered = 0
    let refusal = ''
    for (let i = 0; i < 200; i++) {
      try {
        await registerName(mallory.libp2p, { peerId: server.peerId, addrs: server.addrs }, `squat-${i}`, card)
        registered++
      } catch (err) {
        refusal = (err as Error).message
        break
      }
    }
    figures.namesOneKeyRegistered = registered
    assert.ok(registered < 200, `one key registered ${registered} names`)
    assert.match(refusal, /REFUSED|QUOTA|RATE/)
  })

  it('memory stayed bounded through all of it', async () => {
    const rss = await peakRss(server)
    figures.peakRss = rss
    assert.ok(rss < MAX_PEAK_RSS, `peak RSS ${rss}`)
    assert.equal(server.proc.exitCode, null, 'the server is still running')
  })
})
