/**
 * Many presence clients in one process, for the presence benchmark: NODES libp2p nodes
 * (the daemon's stack, createNetwork), each with its own identity, connected to one cache
 * server with a presence session on which it sends a signed heartbeat every
 * HEARTBEAT_MS (first ones spread over the interval, as independent nodes would be). Prints
 * `{"connected": NODES}` once every node's first heartbeat was answered, then keeps
 * heartbeating until SIGTERM; heartbeat failures are counted on stderr.
 *
 *   node presence-swarm.js PEERID ADDR NODES HEARTBEAT_MS [connect-only]
 * With `connect-only` the nodes only hold a connection (no presence stream, no heartbeats):
 * what the transport alone costs the server per node.
 */
import { generateKeyMaterial, identityFromKeyMaterial } from '../../node/identity/index.js'
import { createNetwork } from '../../node/network.js'
import { PresenceSession } from '../../node/protocol/presence.js'
import { PresenceStatus } from '../../node/protocol/peerpost.js'
import { multiaddr } from '@multiformats/multiaddr'
import type { Identity } from '../../node/identity/index.js'
import type { PeerpostLibp2p } from '../../node/network.js'

/** Dials in flight at once (the server limits pending connections). */
const DIAL_CONCURRENCY = 8
const CONNECT_TIMEOUT_MS = 30_000
/** A handshake can time out on a loaded machine: a node tries this many times before the run fails. */
const CONNECT_ATTEMPTS = 3

interface Client { identity: Identity, libp2p: PeerpostLibp2p, session?: PresenceSession, timer?: NodeJS.Timeout }

async function main (serverPeerId: string, addr: string, nodes: number, heartbeatMs: number, connectOnly: boolean): Promise<void> {
  const clients: Client[] = []
  let failures = 0
  let next = 0
  const connectOne = async (): Promise<void> => {
    const identity = identityFromKeyMaterial(await generateKeyMaterial({ now: Date.now() }))
    const libp2p = await createNetwork({ privateKey: identity.privateKey, listen: [] })
    await libp2p.start()
    for (let attempt = 1; ; attempt++) {
      try {
        if (connectOnly) {
          await libp2p.dial(multiaddr(addr), { signal: AbortSignal.timeout(CONNECT_TIMEOUT_MS) })
          clients.push({ identity, libp2p })
          return
        }
        const session = await PresenceSession.open(libp2p, { peerId: serverPeerId, addrs: [addr] }, () => {}, { timeoutMs: CONNECT_TIMEOUT_MS })
        await session.heartbeat(identity, [], PresenceStatus.AVAILABLE, Date.now())
        clients.push({ identity, libp2p, session })
        return
      } catch (err) {
        process.stderr.write(`connect attempt ${attempt} failed: ${(err as Error).message}\n`)
        if (attempt >= CONNECT_ATTEMPTS) throw err
      }
    }
  }
  await Promise.all(Array.from({ length: DIAL_CONCURRENCY }, async () => {
    while (next < nodes) { next++; await connectOne() }
  }))
  clients.forEach((c, i) => {
    const session = c.session
    if (session == null) return
    const beat = (): void => {
      session.heartbeat(c.identity, [], PresenceStatus.AVAILABLE, Date.now()).catch(err => {
        failures++
        process.stderr.write(`heartbeat failed (${failures}): ${(err as Error).message}\n`)
      })
    }
    // Spread over the interval, then every interval.
    c.timer = setTimeout(() => { beat(); c.timer = setInterval(beat, heartbeatMs) }, Math.round(heartbeatMs * i / clients.length))
  })
  process.stdout.write(JSON.stringify({ connected: clients.length }) + '\n')
  await new Promise<void>(resolve => { process.once('SIGTERM', resolve); process.once('SIGINT', resolve) })
  for (const c of clients) { clearTimeout(c.timer); clearInterval(c.timer) }
  await Promise.all(clients.map(async c => { try { await c.libp2p.stop() } catch { /* exiting anyway */ } }))
}

const [peerId, addr, nodes, heartbeatMs, mode] = process.argv.slice(2)
if (peerId == null || addr == null) {
  process.stderr.write('usage: presence-swarm.js PEERID ADDR NODES HEARTBEAT_MS\n')
  process.exitCode = 2
} else {
  await main(peerId, addr, Number(nodes), Number(heartbeatMs), mode === 'connect-only')
}
