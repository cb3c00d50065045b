/**
 * The relayed-then-direct scenarios of test/integration/dcutr.test.ts, run as their own
 * process inside a network namespace (`ip netns exec`) whose loopback interface also
 * carries two addresses libp2p counts as public (DCUtR never dials private or loopback
 * ones): `dcutr-scenario.js MODE PUBLIC_A PUBLIC_B`. A real cache server (its relay) on
 * 127.0.0.1; A dials B through the relay, and then:
 *
 * - `unilateral`: B listens on a direct port on PUBLIC_B but, like a node whose public
 *   address nothing verified, announces only its relay address; A announces its address
 *   on PUBLIC_A (as a reachable node does with `announce`). B's DCUtR dials A back.
 * - `holepunch`: B announces its direct address and its relay address; A announces an
 *   address on PUBLIC_A where nothing listens (B cannot reach it, as if A's firewall
 *   dropped it). B's dial-back fails, so the two run the CONNECT/SYNC exchange over the
 *   relay and A dials B's address.
 *
 * - `pull-cut`: as `unilateral`, but A pulls a large attachment from B (its holder) through
 *   the relay, and the upgrade cuts the pull: A's announced address is a gate (a TCP relay
 *   to A's listener that holds every connection until released), so B's DCUtR dial-back
 *   completes only once A has the first chunk; B serves no further chunk on the relayed
 *   stream until the relayed connection is gone. A runs the daemon's Transfers with a
 *   backoff of an hour: the pull must go on over the direct connection without it.
 * - `pull-drop`: as `pull-cut`, but the gate stays shut and B closes the relayed connection
 *   itself after the first chunk, as a relay that goes away would: an ordinary failure,
 *   with no direct connection to go on, so the pull waits out its backoff.
 *
 * Prints one JSON line with what it saw; exits 1 with the error on stderr if a step
 * failed or timed out.
 */
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { readFile, rm } from 'node:fs/promises'
import { connect, createServer } from 'node:net'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { logger } from '@libp2p/logger'
import { multiaddr } from '@multiformats/multiaddr'
import { NodeEvents } from '../../node/events.js'
import { createNetwork } from '../../node/network.js'
import { BLOB_MAX_INBOUND_STREAMS, BLOB_PROTOCOL, blobHandler } from '../../node/protocol/blob.js'
import { Transfers } from '../../node/transfers.js'
import { createBlobDownloads, createBlobStore, createContacts, openDatabase } from '../../storage/index.js'
import { startCacheServer } from './cache-server.js'
import { deadline, tempDir } from './cli.js'
import { FAST_SERVER, serverAddr } from './offline.js'
import type { PeerpostLibp2p } from '../../node/network.js'
import type { Database } from '../../storage/index.js'
import type { Connection } from '@libp2p/interface'
import type { Socket } from 'node:net'

/** PUBLIC_A and PUBLIC_B are on the namespace's loopback interface, put there by the test. */
const [MODE, PUBLIC_A, PUBLIC_B] = process.argv.slice(2)
const A_PORT = 4001
const B_PORT = 4002
/** Nothing listens there. */
const DEAD_PORT = 4009
/** pull-cut: where A listens (A_PORT is the gate in front of it). */
const A_LISTEN_PORT = 4003
/** pull-cut: a small attachment in many chunks (the first goes over the relay, within its data limit). */
const PULL_CHUNK_SIZE = 64 * 1024
const PULL_CHUNKS = 16
/** pull-cut: A's backoff after a failed pull, far beyond the scenario's deadlines. */
const PULL_BACKOFF_MS = 3_600_000

/**
 * Resolve with `check`'s first non-undefined answer: asked now, then on every `type` event of
 * `node`, with a deadline. (p-event's typings do not take libp2p's typed event target.)
 */
async function until<T> (node: PeerpostLibp2p, type: 'connection:open' | 'connection:close' | 'self:peer:update' | 'transport:listening', check: (evt?: CustomEvent<any>) => T | undefined, ms: number, what: string): Promise<T> {
  let listener: ((evt: CustomEvent<any>) => void) | undefined
  const seen = new Promise<T>(resolve => {
    listener = evt => { const v = check(evt); if (v !== undefined) resolve(v) }
    node.addEventListener(type, listener)
    const now = check()
    if (now !== undefined) resolve(now)
  })
  try {
    return await deadline(seen, ms, what)
  } finally {
    node.removeEventListener(type, listener)
  }
}

async function main (): Promise<void> {
  if (!['unilateral', 'holepunch', 'pull-cut', 'pull-drop'].includes(MODE ?? '') || PUBLIC_A == null || PUBLIC_B == null) throw new Error('usage: dcutr-scenario.js unilateral|holepunch|pull-cut|pull-drop PUBLIC_A PUBLIC_B')
  if (MODE === 'pull-cut' || MODE === 'pull-drop') { await pullCut(PUBLIC_A, PUBLIC_B, MODE === 'pull-drop'); return }
  const holepunch = MODE === 'holepunch'
  const home = await tempDir('dcutr-cache')
  const server = await startCacheServer(home, { config: FAST_SERVER })
  const nodes: PeerpostLibp2p[] = []
  try {
    const relay = `${serverAddr(server)}/p2p-circuit`
    const b = await createNetwork({
      privateKey: await generateKeyPair('Ed25519'),
      listen: [`/ip4/${PUBLIC_B}/tcp/${B_PORT}`, '/p2p-circuit'],
      announce: holepunch ? [`/ip4/${PUBLIC_B}/tcp/${B_PORT}`, relay] : []
    })
    nodes.push(b)
    // With announce set, getMultiaddrs() shows it from the start: wait for the relay listener itself.
    const reserved = until(b, 'transport:listening', evt => evt?.detail.getAddrs().some((a: any) => a.toString().includes('/p2p-circuit')) === true ? true : undefined, 10_000, 'B\'s relay reservation')
    await b.dial(multiaddr(serverAddr(server)))
    await reserved
    const bAddrs = b.getMultiaddrs().map(a => a.toString())
    const relayAddr = multiaddr(`${relay}/p2p/${b.peerId.toString()}`)

    const aAnnounced = `/ip4/${PUBLIC_A}/tcp/${holepunch ? DEAD_PORT : A_PORT}`
    const a = await createNetwork({ privateKey: await generateKeyPair('Ed25519'), listen: [`/ip4/${PUBLIC_A}/tcp/${A_PORT}`], announce: [aAnnounced] })
    nodes.push(a)
    const relayed = await a.dial(relayAddr)
    const isDirect = (c: Connection): boolean => c.remotePeer.equals(b.peerId) && c.limits == null && !c.remoteAddr.toString().includes('/p2p-circuit')
    const direct = await until(a, 'connection:open', evt => (evt != null && isDirect(evt.detail) ? evt.detail as Connection : undefined) ?? a.getConnections(b.peerId).find(isDirect), 15_000, 'A\'s direct connection to B')
    // DCUtR closes the relayed connection once the direct one is up.
    await until(a, 'connection:close', () => a.getConnections(b.peerId).some(c => c.id === relayed.id) ? undefined : true, 10_000, 'the relayed connection to close after the upgrade')
    const rtt = await a.services.ping.ping(b.peerId, { signal: AbortSignal.timeout(5_000) })

    process.stdout.write(JSON.stringify({
      bAddrs,
      relayed: { remoteAddr: relayed.remoteAddr.toString(), limited: relayed.limits != null },
      direct: { remoteAddr: direct.remoteAddr.toString(), limited: direct.limits != null, direction: direct.direction },
      pinged: rtt >= 0,
      connectionsAfter: a.getConnections(b.peerId).map(c => ({ remoteAddr: c.remoteAddr.toString(), limited: c.limits != null }))
    }) + '\n')
  } finally {
    for (const n of nodes) await n.stop()
    await server.stop()
    await rm(home, { recursive: true, force: true })
  }
}

/**
 * A TCP gate on `listen`: it takes connections at once but passes nothing to `to` (nor
 * back) until `open()`, as a direct path that comes up only later would.
 */
async function gate (listen: { host: string, port: number }, to: { host: string, port: number }): Promise<{ open(): void, close(): Promise<void> }> {
  let opened: () => void = () => {}
  const isOpen = new Promise<void>(resolve => { opened = resolve })
  const sockets = new Set<Socket>()
  const server = createServer(inbound => {
    sockets.add(inbound)
    inbound.pause()
    inbound.on('error', () => {})
    inbound.on('close', () => { sockets.delete(inbound) })
    void isOpen.then(() => {
      const outbound = connect(to.port, to.host)
      sockets.add(outbound)
      outbound.on('error', () => { inbound.destroy() })
      outbound.on('close', () => { sockets.delete(outbound); inbound.destroy() })
      inbound.on('close', () => { outbound.destroy() })
      inbound.pipe(outbound).pipe(inbound)
      inbound.resume()
    })
  })
  server.listen(listen.port, listen.host)
  await once(server, 'listening')
  return {
    open: () => { opened() },
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>(resolve => { server.close(() => { resolve() }) })
    }
  }
}

/** What one blob stream B served: over which kind of connection, and which chunks. */
interface ServedStream { direct: boolean, chunks: number[] }

/** `drop`: no upgrade; B closes the relayed connection instead. */
async function pullCut (publicA: string, publicB: string, drop: boolean): Promise<void> {
  const home = await tempDir('dcutr-pull')
  const server = await startCacheServer(await tempDir('dcutr-cache'), { config: FAST_SERVER })
  const nodes: PeerpostLibp2p[] = []
  const dbs: Database[] = []
  let gated: Awaited<ReturnType<typeof gate>> | undefined
  let transfers: Transfers | undefined
  try {
    const relay = `${serverAddr(server)}/p2p-circuit`
    const log = logger('peerpost:test:dcutr')
    // B, the holder, reachable only through the relay.
    const b = await createNetwork({ privateKey: await generateKeyPair('Ed25519'), listen: [`/ip4/${publicB}/tcp/${B_PORT}`, '/p2p-circuit'], announce: [] })
    nodes.push(b)
    const reserved = until(b, 'transport:listening', evt => evt?.detail.getAddrs().some((a: any) => a.toString().includes('/p2p-circuit')) === true ? true : undefined, 10_000, 'B\'s relay reservation')
    await b.dial(multiaddr(serverAddr(server)))
    await reserved
    const bDb = await openDatabase(join(home, 'b-db'))
    dbs.push(bDb)
    const bBlobs = createBlobStore(bDb, { dir: join(home, 'b-blobs') })

    // A, the puller: listens on A_LISTEN_PORT, announces A_PORT, where the gate is.
    gated = await gate({ host: publicA, port: A_PORT }, { host: publicA, port: A_LISTEN_PORT })
    const a = await createNetwork({ privateKey: await generateKeyPair('Ed25519'), listen: [`/ip4/${publicA}/tcp/${A_LISTEN_PORT}`], announce: [`/ip4/${publicA}/tcp/${A_PORT}`] })
    nodes.push(a)
    const aId = a.peerId.toString()

    const data = randomBytes(PULL_CHUNKS * PULL_CHUNK_SIZE)
    const record = await bBlobs.put((async function * () { yield data })(), { recipients: [aId], retentionMs: 3_600_000, chunkSize: PULL_CHUNK_SIZE })
    // B serves chunk 0 on any stream; later chunks only once no relayed connection to A is open.
    const relayedToA = (): boolean => b.getConnections(a.peerId).some(c => !c.direct && c.status === 'open')
    const served: ServedStream[] = []
    await b.handle(BLOB_PROTOCOL, async (stream, connection) => {
      const mine: ServedStream = { direct: connection.direct, chunks: [] }
      served.push(mine)
      const held = {
        get: async (blobId: string) => await bBlobs.get(blobId),
        markCompleted: async (blobId: string, peer: string) => await bBlobs.markCompleted(blobId, peer),
        openReader: async (blobId: string) => {
          const reader = await bBlobs.openReader(blobId)
          return {
            read: async (index: number) => {
              if (index > 0) await until(b, 'connection:close', () => relayedToA() ? undefined : true, 20_000, 'the relayed connection to A to close')
              return await reader.read(index)
            },
            close: async () => { await reader.close() }
          }
        }
      }
      await blobHandler(held, { log, onChunkServed: (_blobId, index) => { mine.chunks.push(index) } })(stream, connection)
    }, { maxInboundStreams: BLOB_MAX_INBOUND_STREAMS, runOnLimitedConnection: true })

    // A's side is the daemon's: Transfers over a real download store, with an hour of backoff.
    const aDb = await openDatabase(join(home, 'a-db'))
    dbs.push(aDb)
    const downloads = createBlobDownloads(aDb, { dir: join(home, 'a-blobs') })
    const events = new NodeEvents()
    const states: string[] = []
    let firstChunk: () => void = () => {}
    const gotFirstChunk = new Promise<void>(resolve => { firstChunk = resolve })
    events.subscribe(e => {
      if (e.type === 'transfer:state') states.push((e.data as { state: string }).state)
      if (e.type === 'transfer:progress' && (e.data as { bytesDone: number }).bytesDone > 0) firstChunk()
    })
    const done = new Promise<void>(resolve => { events.subscribe(e => { if (e.type === 'transfer:state' && ['complete', 'failed', 'waiting'].includes((e.data as { state: string }).state)) resolve() }) })
    transfers = new Transfers({ libp2p: a, downloads, contacts: createContacts(aDb), events, log, now: Date.now, random: Math.random },
      { retryBaseMs: PULL_BACKOFF_MS, retryMaxMs: PULL_BACKOFF_MS, progressIntervalMs: 0 })
    const relayAddr = `${relay}/p2p/${b.peerId.toString()}`
    const ref = { blobId: record.blobId, size: record.size, chunkSize: record.chunkSize, sha256: record.sha256, key: record.key, cipher: record.cipher }
    await downloads.register(ref, { messageId: 'm1', name: 'big.bin', type: 'application/octet-stream', from: b.peerId.toString(), locations: [{ peerId: b.peerId.toString(), addrs: [relayAddr] }], homeServers: [] })
    transfers.attempt(record.blobId)

    // The first chunk came over the relay: now let B's dial-back through.
    await deadline(gotFirstChunk, 15_000, 'the first chunk over the relay')
    const relayedWhenFirstChunk = a.getConnections(b.peerId).map(c => ({ direct: c.direct, status: c.status }))
    if (drop) await Promise.all(b.getConnections(a.peerId).map(async c => { await c.close() }))
    else gated.open()
    await deadline(done, 30_000, 'the pull to end')
    const after = await downloads.get(record.blobId)
    const got = after?.state === 'complete' ? await readFile(downloads.receivedPath(record.blobId)) : undefined
    process.stdout.write(JSON.stringify({
      chunks: PULL_CHUNKS,
      connectionsAtFirstChunk: relayedWhenFirstChunk,
      served,
      states,
      record: { state: after?.state, bytesDone: after?.bytesDone, reason: after?.reason },
      intact: got != null && Buffer.compare(got, data) === 0,
      connectionsAfter: a.getConnections(b.peerId).map(c => ({ direct: c.direct, status: c.status }))
    }) + '\n')
  } finally {
    await transfers?.stop()
    for (const n of nodes) await n.stop()
    await gated?.close()
    for (const db of dbs) await db.close()
    await server.stop()
    await rm(server.home, { recursive: true, force: true })
    await rm(home, { recursive: true, force: true })
  }
}

main().catch(err => {
  process.stderr.write(`${err?.stack ?? String(err)}\n`)
  process.exitCode = 1
})
