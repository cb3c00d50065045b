/**
 * A bare libp2p request/response peer for baselines: the same stack as a peerpost daemon
 * (createNetwork: TCP + Noise + Yamux), but no sealing, no parsing and no storage. Runs as
 * its own process so the baseline pays the same inter-process costs as two daemons.
 *
 *   node bare-peer.js server                                   -> prints {"addr": "..."}
 *   node bare-peer.js throughput ADDR COUNT SIZE WINDOW        -> prints {"ms": N, "cpuMs": N} (its own CPU time)
 *   node bare-peer.js latency ADDR COUNT SIZE same|fresh       -> prints {"samples": [ms...]}
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

async function server (): Promise<void> {
  const node = await createNetwork({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'] })
  const response = new Uint8Array(BARE_RESPONSE_BYTES).fill(7)
  await node.handle(BARE_PROTOCOL, (stream: Stream) => {
    void (async () => {
      const lp = lpStream(stream, { maxDataLength: MAX_FRAME, maxBufferSize: MAX_FRAME * 2 })
      // Pipelined like the deliver protocol: answer each request as it is read, in order.
      while (true) {
        try {
          await lp.read({ signal: AbortSignal.timeout(60_000) })
        } catch {
          break
        }
        await lp.write(response, { signal: AbortSignal.timeout(OP_TIMEOUT_MS) })
      }
      await stream.close({ signal: AbortSignal.timeout(OP_TIMEOUT_MS) }).catch(() => { stream.abort(new Error('close timed out')) })
    })().catch(err => { stream.abort(err as Error) })
  }, { maxInboundStreams: 256 })
  await node.start()
  const addr = node.getMultiaddrs().find(a => a.toString().includes('127.0.0.1'))
  process.stdout.write(JSON.stringify({ addr: addr?.toString() }) + '\n')
  await new Promise<void>(resolve => { process.once('SIGTERM', resolve); process.once('SIGINT', resolve) })
  await node.stop()
}

async function client (mode: string, addr: string, count: number, size: number, extra: string): Promise<void> {
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
        await lp.write(payload, { signal: AbortSignal.timeout(OP_TIMEOUT_MS) })
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
    const fresh = extra === 'fresh'
    const lp = fresh ? undefined : await open()
    if (lp != null) { await lp.write(payload); await lp.read() } // warm the stream
    for (let i = 0; i < count; i++) {
      const start = performance.now()
      const s = lp ?? await open()
      await s.write(payload, { signal: AbortSignal.timeout(OP_TIMEOUT_MS) })
      await s.read({ signal: AbortSignal.timeout(OP_TIMEOUT_MS) })
      samples.push(performance.now() - start)
      if (fresh) await s.unwrap().close().catch(() => {})
    }
    if (lp != null) await lp.unwrap().close().catch(() => {})
    process.stdout.write(JSON.stringify({ samples }) + '\n')
  }
  await node.stop()
}

const [mode, addr, count, size, extra] = process.argv.slice(2)
if (mode === 'server') {
  await server()
} else if ((mode === 'throughput' || mode === 'latency') && addr != null) {
  await client(mode, addr, Number(count), Number(size), extra ?? '')
} else {
  process.stderr.write('usage: bare-peer.js server | throughput ADDR COUNT SIZE WINDOW | latency ADDR COUNT SIZE same|fresh\n')
  process.exitCode = 2
}
