/**
 * Baselines for bulk transfer, each side in its own process like two daemons: one stream
 * carrying SIZE bytes from a server to a client, over the daemon's libp2p stack
 * (createNetwork: TCP + Noise + Yamux) or over plain TCP (node:net). No sealing, no disk.
 * The server writes 1 MiB at a time and waits for a fresh 'drain' when the stream is full
 * (libp2p-notes: never `onDrain()`), so it buffers about one write.
 *
 *   node bulk-peer.js libp2p-server SIZE        -> prints {"addr": "..."}; serves SIZE bytes per stream
 *   node bulk-peer.js libp2p-client ADDR SIZE   -> prints {"ms": N, "bytes": N, "peakRssMiB": N}
 *   node bulk-peer.js tcp-server SIZE           -> prints {"port": N}
 *   node bulk-peer.js tcp-client PORT SIZE      -> prints {"ms": N, "bytes": N, "peakRssMiB": N}
 */
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { connect, createServer } from 'node:net'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { pEvent } from 'p-event'
import { createNetwork } from '../../node/network.js'
import type { Stream } from '@libp2p/interface'

export const BULK_PROTOCOL = '/peerpost-bench/bulk/1.0.0'
const PIECE = 1024 * 1024
const OP_TIMEOUT_MS = 600_000

/** Distinct random pieces reused round robin: the bytes are incompressible, the source costs nothing. */
const pieces = Array.from({ length: 4 }, () => randomBytes(PIECE))

/** CPU time (user + system) used since `from`, in ms. */
function cpuSince (from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from)
  return (d.user + d.system) / 1000
}

async function waitForSignal (): Promise<void> {
  await new Promise<void>(resolve => { process.once('SIGTERM', resolve); process.once('SIGINT', resolve) })
}

async function libp2pServer (size: number): Promise<void> {
  const node = await createNetwork({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'] })
  await node.handle(BULK_PROTOCOL, (stream: Stream) => {
    void (async () => {
      for (let sent = 0, i = 0; sent < size; sent += PIECE, i++) {
        const piece = pieces[i % pieces.length]!.subarray(0, Math.min(PIECE, size - sent))
        if (!stream.send(piece)) await pEvent(stream, 'drain', { rejectionEvents: ['close'], timeout: OP_TIMEOUT_MS })
      }
      await stream.close({ signal: AbortSignal.timeout(OP_TIMEOUT_MS) })
    })().catch(err => { stream.abort(err as Error) })
  })
  await node.start()
  const addr = node.getMultiaddrs().find(a => a.toString().includes('127.0.0.1'))
  process.stdout.write(JSON.stringify({ addr: addr?.toString() }) + '\n')
  await waitForSignal()
  await node.stop()
}

async function libp2pClient (addr: string, size: number): Promise<void> {
  const node = await createNetwork({ privateKey: await generateKeyPair('Ed25519'), listen: [] })
  await node.start()
  const start = performance.now()
  const cpu = process.cpuUsage()
  const stream = await node.dialProtocol(multiaddr(addr), BULK_PROTOCOL, { signal: AbortSignal.timeout(OP_TIMEOUT_MS) })
  let bytes = 0
  for await (const chunk of stream) bytes += chunk.byteLength
  const ms = performance.now() - start
  await stream.close().catch(() => {})
  if (bytes !== size) throw new Error(`got ${bytes} of ${size} bytes`)
  process.stdout.write(JSON.stringify({ ms, bytes, cpuMs: cpuSince(cpu), peakRssMiB: process.resourceUsage().maxRSS / 1024 }) + '\n')
  await node.stop()
}

async function tcpServer (size: number): Promise<void> {
  const server = createServer(socket => {
    void (async () => {
      for (let sent = 0, i = 0; sent < size; sent += PIECE, i++) {
        if (!socket.write(pieces[i % pieces.length]!.subarray(0, Math.min(PIECE, size - sent)))) await once(socket, 'drain')
      }
      socket.end()
    })().catch(() => { socket.destroy() })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  process.stdout.write(JSON.stringify({ port: typeof address === 'object' && address != null ? address.port : 0 }) + '\n')
  await waitForSignal()
  server.close()
}

async function tcpClient (port: number, size: number): Promise<void> {
  const start = performance.now()
  const cpu = process.cpuUsage()
  const socket = connect(port, '127.0.0.1')
  let bytes = 0
  for await (const chunk of socket) bytes += (chunk as Buffer).byteLength
  const ms = performance.now() - start
  if (bytes !== size) throw new Error(`got ${bytes} of ${size} bytes`)
  process.stdout.write(JSON.stringify({ ms, bytes, cpuMs: cpuSince(cpu), peakRssMiB: process.resourceUsage().maxRSS / 1024 }) + '\n')
}

const [mode, a, b] = process.argv.slice(2)
if (mode === 'libp2p-server') await libp2pServer(Number(a))
else if (mode === 'libp2p-client' && a != null) await libp2pClient(a, Number(b))
else if (mode === 'tcp-server') await tcpServer(Number(a))
else if (mode === 'tcp-client') await tcpClient(Number(a), Number(b))
else {
  process.stderr.write('usage: bulk-peer.js libp2p-server SIZE | libp2p-client ADDR SIZE | tcp-server SIZE | tcp-client PORT SIZE\n')
  process.exitCode = 2
}
