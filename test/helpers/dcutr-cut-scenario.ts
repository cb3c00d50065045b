/**
 * Exchanges a DCUtR upgrade cuts, for test/integration/dcutr.test.ts: run as their own
 * process inside a network namespace whose loopback also carries two addresses libp2p
 * counts as public, like test/helpers/dcutr-scenario.ts: `dcutr-cut-scenario.js MODE PUBLIC_A PUBLIC_B`.
 *
 * A real cache server (its relay) on 127.0.0.1; B is reachable only through the relay and
 * A dials it there. A's announced address is a gate (a TCP relay to A's listener that holds
 * every connection until opened), so B's DCUtR dial-back, and with it the upgrade, completes
 * only once the exchange under test is under way on the relayed connection. B answers
 * nothing more on a relayed stream until the relayed connection is gone, so the upgrade
 * always cuts the exchange.
 *
 * - `pull-cut`: A pulls a large attachment from B (its holder) with the daemon's Transfers
 *   and a backoff of an hour; the gate opens once A has the first chunk.
 * - `pull-drop`: the same, but the gate stays shut and B closes the relayed connection
 *   itself after the first chunk, as a relay that goes away would: an ordinary failure,
 *   with no direct connection to go on.
 * - `notice-cut`: A posts a notice to B (as a holder tells a recipient that mail waits);
 *   the gate opens once B has the request.
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
import { peerIdBytesFromString } from '../../node/identity/index.js'
import { createNetwork } from '../../node/network.js'
import { BLOB_MAX_INBOUND_STREAMS, BLOB_PROTOCOL, blobHandler } from '../../node/protocol/blob.js'
import { newNotice, NOTICE_MAX_FRAME_BYTES, NOTICE_PROTOCOL, NoticeKind, postNotice } from '../../node/protocol/notice.js'
import { NoticeMessage, NoticeRequest } from '../../node/protocol/peerpost.js'
import { serveRequests } from '../../node/protocol/rpc.js'
import { Transfers } from '../../node/transfers.js'
import { createBlobDownloads, createBlobStore, createContacts, openDatabase } from '../../storage/index.js'
import { startCacheServer } from './cache-server.js'
import { deadline, tempDir } from './cli.js'
import { until } from './libp2p-until.js'
import { FAST_SERVER, serverAddr } from './offline.js'
import type { PeerpostLibp2p } from '../../node/network.js'
import type { Database } from '../../storage/index.js'
import type { Logger } from '@libp2p/interface'
import type { Socket } from 'node:net'

const [MODE, PUBLIC_A, PUBLIC_B] = process.argv.slice(2)
/** A's announced address: the gate. */
const A_PORT = 4001
/** Where A listens, behind the gate. */
const A_LISTEN_PORT = 4003
const B_PORT = 4002
/** A small attachment in many chunks (the first goes over the relay, within its data limit). */
const PULL_CHUNK_SIZE = 64 * 1024
const PULL_CHUNKS = 16
/** A's backoff after a failed pull, far beyond the scenario's deadlines. */
const PULL_BACKOFF_MS = 3_600_000

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

interface GatedPair {
  a: PeerpostLibp2p
  b: PeerpostLibp2p
  /** B's relayed address, the only one A knows. */
  bRelayed: string
  /** Lets B's DCUtR dial-back through. */
  openGate(): void
  /** Resolves once B has no relayed connection to A open (the upgrade, or a drop, closed it). */
  relayedGone(): Promise<void>
  home: string
  log: Logger
  stop(): Promise<void>
}

/** The cache server, B reachable only through its relay, and A behind its gate. */
async function gatedPair (publicA: string, publicB: string): Promise<GatedPair> {
  const home = await tempDir('dcutr-cut')
  const server = await startCacheServer(await tempDir('dcutr-cache'), { config: FAST_SERVER })
  const nodes: PeerpostLibp2p[] = []
  let gated: Awaited<ReturnType<typeof gate>> | undefined
  const stop = async (): Promise<void> => {
    for (const n of nodes) await n.stop()
    await gated?.close()
    await server.stop()
    await rm(server.home, { recursive: true, force: true })
    await rm(home, { recursive: true, force: true })
  }
  try {
    const b = await createNetwork({ privateKey: await generateKeyPair('Ed25519'), listen: [`/ip4/${publicB}/tcp/${B_PORT}`, '/p2p-circuit'], announce: [] })
    nodes.push(b)
    const reserved = until(b, 'transport:listening', evt => evt?.detail.getAddrs().some((a: any) => a.toString().includes('/p2p-circuit')) === true ? true : undefined, 10_000, 'B\'s relay reservation')
    await b.dial(multiaddr(serverAddr(server)))
    await reserved
    gated = await gate({ host: publicA, port: A_PORT }, { host: publicA, port: A_LISTEN_PORT })
    const a = await createNetwork({ privateKey: await generateKeyPair('Ed25519'), listen: [`/ip4/${publicA}/tcp/${A_LISTEN_PORT}`], announce: [`/ip4/${publicA}/tcp/${A_PORT}`] })
    nodes.push(a)
    const openGate = gated.open
    const relayedToA = (): boolean => b.getConnections(a.peerId).some(c => !c.direct && c.status === 'open')
    return {
      a,
      b,
      bRelayed: `${serverAddr(server)}/p2p-circuit/p2p/${b.peerId.toString()}`,
      openGate,
      relayedGone: async () => { await until(b, 'connection:close', () => relayedToA() ? undefined : true, 20_000, 'the relayed connection to A to close') },
      home,
      log: logger('peerpost:test:dcutr'),
      stop
    }
  } catch (err) {
    await stop()
    throw err
  }
}

/** What one stream B served: over which kind of connection, and which chunks (pulls). */
interface ServedStream { direct: boolean, chunks: number[] }

/** `drop`: no upgrade; B closes the relayed connection instead. */
async function pull (pair: GatedPair, drop: boolean): Promise<unknown> {
  const { a, b, home, log } = pair
  const dbs: Database[] = []
  let transfers: Transfers | undefined
  try {
    const bDb = await openDatabase(join(home, 'b-db'))
    dbs.push(bDb)
    const bBlobs = createBlobStore(bDb, { dir: join(home, 'b-blobs') })
    const data = randomBytes(PULL_CHUNKS * PULL_CHUNK_SIZE)
    const record = await bBlobs.put((async function * () { yield data })(), { recipients: [a.peerId.toString()], retentionMs: 3_600_000, chunkSize: PULL_CHUNK_SIZE })
    // B serves chunk 0 on any stream; later chunks only once no relayed connection to A is open.
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
              if (index > 0) await pair.relayedGone()
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
    let ended: () => void = () => {}
    const done = new Promise<void>(resolve => { ended = resolve })
    events.subscribe(e => {
      if (e.type === 'transfer:progress' && (e.data as { bytesDone: number }).bytesDone > 0) firstChunk()
      if (e.type !== 'transfer:state') return
      const { state } = e.data as { state: string }
      states.push(state)
      if (state !== 'pulling') ended()
    })
    transfers = new Transfers({ libp2p: a, downloads, contacts: createContacts(aDb), events, log, now: Date.now, random: Math.random },
      { retryBaseMs: PULL_BACKOFF_MS, retryMaxMs: PULL_BACKOFF_MS, progressIntervalMs: 0 })
    const ref = { blobId: record.blobId, size: record.size, chunkSize: record.chunkSize, sha256: record.sha256, key: record.key, cipher: record.cipher }
    await downloads.register(ref, { messageId: 'm1', name: 'big.bin', type: 'application/octet-stream', from: b.peerId.toString(), locations: [{ peerId: b.peerId.toString(), addrs: [pair.bRelayed] }], homeServers: [] })
    transfers.attempt(record.blobId)

    // The first chunk came over the relay: now let the upgrade through (or drop the relay).
    await deadline(gotFirstChunk, 15_000, 'the first chunk over the relay')
    const connectionsAtFirstChunk = a.getConnections(b.peerId).map(c => ({ direct: c.direct, status: c.status }))
    if (drop) await Promise.all(b.getConnections(a.peerId).map(async c => { await c.close() }))
    else pair.openGate()
    await deadline(done, 30_000, 'the pull to end')
    const after = await downloads.get(record.blobId)
    const got = after?.state === 'complete' ? await readFile(downloads.receivedPath(record.blobId)) : undefined
    return {
      chunks: PULL_CHUNKS,
      connectionsAtFirstChunk,
      served,
      states,
      record: { state: after?.state, bytesDone: after?.bytesDone, reason: after?.reason },
      intact: got != null && Buffer.compare(got, data) === 0,
      connectionsAfter: a.getConnections(b.peerId).map(c => ({ direct: c.direct, status: c.status }))
    }
  } finally {
    await transfers?.stop()
    await pair.stop()
    for (const db of dbs) await db.close()
  }
}

async function notice (pair: GatedPair): Promise<unknown> {
  const { a, b, log } = pair
  try {
    // B answers a notice only once no relayed connection to A is open.
    const received: Array<{ direct: boolean }> = []
    let firstRequest: () => void = () => {}
    const gotRequest = new Promise<void>(resolve => { firstRequest = resolve })
    await b.handle(NOTICE_PROTOCOL, async (stream, connection) => {
      await serveRequests<NoticeRequest, NoticeMessage>(stream, {
        request: NoticeRequest,
        response: NoticeMessage,
        maxRequestBytes: NOTICE_MAX_FRAME_BYTES,
        errorResponse: error => ({ notices: [], ok: false, error }),
        log
      }, async () => {
        received.push({ direct: connection.direct })
        firstRequest()
        await pair.relayedGone()
        return { notices: [], ok: true }
      })
    }, { runOnLimitedConnection: true })

    const waiting = newNotice({ kind: NoticeKind.MESSAGE_WAITING, recipient: peerIdBytesFromString(b.peerId.toString()), envelopeId: new Uint8Array(randomBytes(16)), locations: [], blobLocations: [], created: Date.now() })
    const posted = postNotice(a, { peerId: b.peerId.toString(), addrs: [pair.bRelayed] }, waiting, { timeoutMs: 15_000 }).then(() => 'ok', (err: Error) => `${err.name}: ${err.message}`)
    await deadline(gotRequest, 15_000, 'the notice over the relay')
    pair.openGate()
    return { posted: await deadline(posted, 30_000, 'the notice to be answered'), received }
  } finally {
    await pair.stop()
  }
}

async function main (): Promise<void> {
  if (!['pull-cut', 'pull-drop', 'notice-cut'].includes(MODE ?? '') || PUBLIC_A == null || PUBLIC_B == null) throw new Error('usage: dcutr-cut-scenario.js pull-cut|pull-drop|notice-cut PUBLIC_A PUBLIC_B')
  const pair = await gatedPair(PUBLIC_A, PUBLIC_B)
  const seen = MODE === 'notice-cut' ? await notice(pair) : await pull(pair, MODE === 'pull-drop')
  process.stdout.write(JSON.stringify(seen) + '\n')
}

main().catch(err => {
  process.stderr.write(`${err?.stack ?? String(err)}\n`)
  process.exitCode = 1
})
