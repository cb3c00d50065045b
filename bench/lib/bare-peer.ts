/**
 * A bare libp2p request/response peer for baselines: the same stack as a peerpost daemon
 * (createNetwork: TCP + Noise + Yamux), but no sealing, no parsing and no storage. Runs as
 * its own process so the baseline pays the same inter-process costs as two daemons.
 *
 *   node bare-peer.js server                                   -> prints {"addr": "..."}
 *   node bare-peer.js throughput ADDR COUNT SIZE WINDOW        -> prints {"ms": N, "cpuMs": N} (its own CPU time)
 *   node bare-peer.js latency ADDR COUNT SIZE same|fresh       -> prints {"samples": [ms...]}
 *
 * And the same round trip with the work peerpost's design requires on it, and nothing else
 * (no MIME, no indexes, no outbox, no control sockets): the client seals each request as
 * an envelope to the server's identity, the server opens it and writes it durably (one
 * synced LevelDB write, group-committed as the daemon's) before it answers.
 *
 *   node bare-peer.js required-server DIR                      -> prints {"addr", "peerId", "boxPublicKey"}
 *   node bare-peer.js required-throughput ADDR COUNT SIZE WINDOW PEERID BOXKEY
 *   node bare-peer.js required-latency ADDR COUNT SIZE same PEERID BOXKEY  -> {"samples", "stored"}: round
 *     trips, and from each send to the server's "stored" (its clock in the answer; one machine's clock)
 *
 * The server pipelines: it reads the next request while the last one's write syncs, and
 * answers in order, so writes in flight together are synced together (group commit), as
 * the daemon's are.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { createNetwork } from '../../node/network.js'
import type { Stream } from '@libp2p/interface'

export const BARE_PROTOCOL = '/peerpost-bench/rr/1.0.0'
/** About the size of a signed receipt, so responses weigh what peerpost's do. */
export const BARE_RESPONSE_BYTES = 160
const MAX_FRAME = 1024 * 1024
const OP_TIMEOUT_MS = 30_000

/**
 * What the server does with each request before it answers (nothing, for the bare
 * baseline); it may give the answer's bytes.
 */
type OnRequest = (request: Uint8Array) => Promise<Uint8Array | undefined>
const LOOP_MS = 60_000

async function server (onRequest?: OnRequest, ready: Record<string, string> = {}): Promise<void> {
  const node = await createNetwork({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'] })
  const response = new Uint8Array(BARE_RESPONSE_BYTES).fill(7)
  await node.handle(BARE_PROTOCOL, (stream: Stream) => {
    void (async () => {
      const lp = lpStream(stream, { maxDataLength: MAX_FRAME, maxBufferSize: MAX_FRAME * 2 })
      // Pipelined like the deliver protocol: answer each request as it is read, in order.
      let answers = Promise.resolve()
      while (true) {
        let request
        try {
          request = await lp.read({ signal: AbortSignal.timeout(LOOP_MS) })
        } catch {
          break
        }
        if (onRequest == null) {
          await lp.write(response, { signal: AbortSignal.timeout(OP_TIMEOUT_MS) })
        } else {
          const done = onRequest(request.subarray())
          answers = answers.then(async () => { await lp.write(await done ?? response, { signal: AbortSignal.timeout(OP_TIMEOUT_MS) }) })
          answers.catch((err: Error) => { stream.abort(err) })
        }
      }
      await answers
      await stream.close({ signal: AbortSignal.timeout(OP_TIMEOUT_MS) }).catch(() => { stream.abort(new Error('close timed out')) })
    })().catch(err => { stream.abort(err as Error) })
  }, { maxInboundStreams: 256 })
  await node.start()
  const addr = node.getMultiaddrs().find(a => a.toString().includes('127.0.0.1'))
  process.stdout.write(JSON.stringify({ addr: addr?.toString(), ...ready }) + '\n')
  await new Promise<void>(resolve => { process.once('SIGTERM', resolve); process.once('SIGINT', resolve) })
  await node.stop()
}

/** The server of the `required-` modes: opens each envelope and stores it durably before answering. */
async function requiredServer (dir: string): Promise<void> {
  // Imported here, so the bare baseline's processes load exactly what they did before.
  const { openEnvelope } = await import('../../node/crypto/envelope.js')
  const { generateKeyMaterial, identityFromKeyMaterial } = await import('../../node/identity/index.js')
  const { openDatabase } = await import('../../storage/database.js')
  const me = identityFromKeyMaterial(await generateKeyMaterial({ displayName: 'bob', now: Date.now() }))
  const db = await openDatabase(dir)
  let n = 0
  try {
    await server(async request => {
      const opened = openEnvelope(request, me) // at once, in arrival order: only the write overlaps
      await db.commit([{ type: 'put', sublevel: db.sublevels.mailbox.raw, key: `m${n++}`, value: opened.mime }])
      return storedAnswer(now())
    }, { peerId: me.peerId.toString(), boxPublicKey: Buffer.from(me.boxPublicKey).toString('hex') })
  } finally {
    await db.close()
  }
}

/**
 * This machine's clock in ms with the precision of performance.now(): comparable between
 * two processes on one machine, so a client can tell when the server had its request stored.
 */
const now = (): number => performance.timeOrigin + performance.now()

/** The required server's answer: BARE_RESPONSE_BYTES, the first 8 the time its request was stored. */
function storedAnswer (at: number): Uint8Array {
  const answer = new Uint8Array(BARE_RESPONSE_BYTES).fill(7)
  new DataView(answer.buffer).setFloat64(0, at)
  return answer
}

/** Makes each request's bytes: the same payload for the bare baseline, a freshly sealed envelope for the `required-` modes. */
type MakeRequest = () => Uint8Array

async function client (mode: string, addr: string, count: number, size: number, extra: string, makeRequest?: MakeRequest): Promise<void> {
  const node = await createNetwork({ privateKey: await generateKeyPair('Ed25519'), listen: [] })
  await node.start()
  const connection = await node.dial(multiaddr(addr), { signal: AbortSignal.timeout(OP_TIMEOUT_MS) })
  const payload = new Uint8Array(size).fill(42)
  const open = async (): Promise<ReturnType<typeof lpStream>> => {
    const stream = await connection.newStream(BARE_PROTOCOL, { signal: AbortSignal.timeout(OP_TIMEOUT_MS) })
    return lpStream(stream, { maxDataLength: MAX_FRAME, maxBufferSize: MAX_FRAME * 2 })
  }
  if (mode === 'throughput') {
    const window = Number(extra)
    const lp = await open()
    const start = performance.now()
    const cpuStart = process.cpuUsage()
    let written = 0
    let answered = 0
    let wake: (() => void) | undefined
    const writer = (async () => {
      while (written < count) {
        while (written - answered >= window) await new Promise<void>(resolve => { wake = resolve })
        await lp.write(makeRequest?.() ?? payload, { signal: AbortSignal.timeout(OP_TIMEOUT_MS) })
        written++
      }
    })()
    while (answered < count) {
      await lp.read({ signal: AbortSignal.timeout(OP_TIMEOUT_MS) })
      answered++
      wake?.()
    }
    await writer
    const ms = performance.now() - start
    const cpu = process.cpuUsage(cpuStart)
    await lp.unwrap().close().catch(() => {})
    process.stdout.write(JSON.stringify({ ms, cpuMs: (cpu.user + cpu.system) / 1000 }) + '\n')
  } else {
    const samples: number[] = []
    // The required modes also time the one way the latency counts: from the send to stored.
    const stored: number[] = []
    const fresh = extra === 'fresh'
    const lp = fresh ? undefined : await open()
    if (lp != null) { await lp.write(makeRequest?.() ?? payload); await lp.read() } // warm the stream
    for (let i = 0; i < count; i++) {
      const start = performance.now()
      const s = lp ?? await open()
      await s.write(makeRequest?.() ?? payload, { signal: AbortSignal.timeout(OP_TIMEOUT_MS) })
      const answer = await s.read({ signal: AbortSignal.timeout(OP_TIMEOUT_MS) })
      samples.push(performance.now() - start)
      if (makeRequest != null) {
        const bytes = answer.subarray()
        stored.push(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getFloat64(0) - (performance.timeOrigin + start))
      }
      if (fresh) await s.unwrap().close().catch(() => {})
    }
    if (lp != null) await lp.unwrap().close().catch(() => {})
    process.stdout.write(JSON.stringify(makeRequest != null ? { samples, stored } : { samples }) + '\n')
  }
  await node.stop()
}

/** A sealer of `size`-byte messages to the given recipient, as alice's daemon seals them (contacts: no stamp). */
async function sealerTo (peerId: string, boxPublicKeyHex: string, size: number): Promise<MakeRequest> {
  const { sealEnvelope } = await import('../../node/crypto/envelope.js')
  const { generateKeyMaterial, identityFromKeyMaterial, makeCard } = await import('../../node/identity/index.js')
  const { textOfSize } = await import('./peerpost.js')
  const now = Date.now()
  const alice = identityFromKeyMaterial(await generateKeyMaterial({ displayName: 'alice', now }))
  const senderCard = makeCard(alice, { addrs: ['/ip4/127.0.0.1/tcp/4001'], now })
  const recipient = { peerId, boxPublicKey: Buffer.from(boxPublicKeyHex, 'hex') }
  const mime = new TextEncoder().encode(textOfSize(size))
  return () => sealEnvelope({ sender: alice, senderCard, recipient, mime, timestamp: Date.now(), stampBits: 0 }).bytes
}

const [mode, addr, count, size, extra, peerId, boxKey] = process.argv.slice(2)
if (mode === 'server') {
  await server()
} else if (mode === 'required-server' && addr != null) {
  await requiredServer(addr)
} else if ((mode === 'throughput' || mode === 'latency') && addr != null) {
  await client(mode, addr, Number(count), Number(size), extra ?? '')
} else if ((mode === 'required-throughput' || mode === 'required-latency') && addr != null && peerId != null && boxKey != null) {
  await client(mode.slice('required-'.length), addr, Number(count), Number(size), extra ?? '', await sealerTo(peerId, boxKey, Number(size)))
} else {
  process.stderr.write('usage: bare-peer.js server | throughput ADDR COUNT SIZE WINDOW | latency ADDR COUNT SIZE same|fresh | required-server DIR | required-throughput ADDR COUNT SIZE WINDOW PEERID BOXKEY | required-latency ADDR COUNT SIZE same PEERID BOXKEY\n')
  process.exitCode = 2
}
