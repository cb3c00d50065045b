/**
 * A TCP proxy on 127.0.0.1 that a test controls, to cut the network between two peers:
 * `close` resets every connection through it, `blackhole` keeps the sockets open but
 * forwards nothing either way (and accepts new connections that go nowhere), `stall`
 * holds the bytes and delivers them on `pass`. It counts forwarded bytes so a test can
 * cut mid-transfer.
 */
import { createConnection, createServer } from 'node:net'
import type { Server, Socket } from 'node:net'

export type ProxyMode = 'pass' | 'blackhole' | 'stall'

interface Pair { client: Socket, upstream: Socket, held: Array<{ to: Socket, data: Buffer }> }

export interface TcpProxy {
  port: number
  /** Bytes forwarded so far, both directions. */
  readonly forwarded: number
  readonly mode: ProxyMode
  /** Connections accepted so far. */
  readonly accepted: number
  setMode(mode: ProxyMode): void
  /** Reset every open connection (both sides see the socket die). */
  closeAll(): void
  /** Resolve once `bytes` more have been forwarded (checked on every chunk; fails after `ms`). */
  afterBytes(bytes: number, ms: number): Promise<void>
  stop(): Promise<void>
}

export async function startTcpProxy (targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<Pair>()
  let mode: ProxyMode = 'pass'
  let forwarded = 0
  let accepted = 0
  let waiters: Array<{ until: number, resolve: () => void }> = []

  const forward = (pair: Pair, to: Socket, data: Buffer): void => {
    if (mode === 'blackhole') return
    if (mode === 'stall') { pair.held.push({ to, data }); return }
    to.write(data)
    forwarded += data.byteLength
    const ready = waiters.filter(w => forwarded >= w.until)
    waiters = waiters.filter(w => forwarded < w.until)
    for (const w of ready) w.resolve()
  }

  const server: Server = createServer(client => {
    accepted++
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort })
    const pair: Pair = { client, upstream, held: [] }
    pairs.add(pair)
    const end = (): void => {
      pairs.delete(pair)
      client.destroy()
      upstream.destroy()
    }
    client.on('data', d => { forward(pair, upstream, d) })
    upstream.on('data', d => { forward(pair, client, d) })
    for (const s of [client, upstream]) {
      s.on('error', end)
      s.on('close', end)
    }
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address != null ? address.port : 0

  function closeAll (): void {
    for (const pair of pairs) {
      pair.client.resetAndDestroy()
      pair.upstream.resetAndDestroy()
    }
    pairs.clear()
  }

  return {
    port,
    get forwarded () { return forwarded },
    get mode () { return mode },
    get accepted () { return accepted },
    setMode (next) {
      mode = next
      if (next === 'pass') {
        for (const pair of pairs) {
          const held = pair.held
          pair.held = []
          for (const { to, data } of held) forward(pair, to, data)
        }
      }
    },
    closeAll,
    async afterBytes (bytes, ms) {
      const until = forwarded + bytes
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => { reject(new Error(`the proxy forwarded ${forwarded - until + bytes} of ${bytes} bytes within ${ms} ms`)) }, ms)
        waiters.push({ until, resolve: () => { clearTimeout(timer); resolve() } })
      })
    },
    async stop () {
      closeAll()
      await new Promise<void>(resolve => { server.close(() => { resolve() }) })
    }
  }
}
