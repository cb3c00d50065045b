/**
 * The relayed-then-direct scenario of test/integration/dcutr.test.ts, run as its own process
 * inside a network namespace (`ip netns exec`) where the loopback interface also carries
 * two addresses libp2p counts as public (given as arguments) (DCUtR never dials private or loopback ones):
 * a real cache server (its relay) on 127.0.0.1, node B on PUBLIC_B behind "NAT" (listens on
 * a direct port but, like a node whose public address nothing verified, announces only its
 * relay address), node A on PUBLIC_A announcing that address (as a reachable node does with
 * `announce`). A dials B through the relay; B's DCUtR dials A back. Prints one JSON line
 * with what it saw; exits 1 with the error on stderr if a step failed or timed out.
 */
import { rm } from 'node:fs/promises'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { createNetwork } from '../../node/network.js'
import { startCacheServer } from './cache-server.js'
import { deadline, tempDir } from './cli.js'
import { FAST_SERVER, serverAddr } from './offline.js'
import type { PeerpostLibp2p } from '../../node/network.js'
import type { Connection } from '@libp2p/interface'

/** Both on the namespace's loopback interface, put there by the test: `node dcutr-scenario.js A B`. */
const [PUBLIC_A, PUBLIC_B] = process.argv.slice(2)
const A_PORT = 4001

/**
 * Resolve with `check`'s first non-undefined answer: asked now, then on every `type` event of
 * `node`, with a deadline. (p-event's typings do not take libp2p's typed event target.)
 */
async function until<T> (node: PeerpostLibp2p, type: 'connection:open' | 'connection:close' | 'self:peer:update', check: (evt?: CustomEvent<any>) => T | undefined, ms: number, what: string): Promise<T> {
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
  if (PUBLIC_A == null || PUBLIC_B == null) throw new Error('usage: dcutr-scenario.js PUBLIC_A PUBLIC_B')
  const home = await tempDir('dcutr-cache')
  const server = await startCacheServer(home, { config: FAST_SERVER })
  const nodes: PeerpostLibp2p[] = []
  try {
    const b = await createNetwork({ privateKey: await generateKeyPair('Ed25519'), listen: [`/ip4/${PUBLIC_B}/tcp/0`, '/p2p-circuit'] })
    nodes.push(b)
    await b.dial(multiaddr(serverAddr(server)))
    const relayAddr = await until(b, 'self:peer:update', () => b.getMultiaddrs().find(a => a.toString().includes('/p2p-circuit')), 10_000, 'B\'s relay reservation')
    const bAddrs = b.getMultiaddrs().map(a => a.toString())

    const a = await createNetwork({ privateKey: await generateKeyPair('Ed25519'), listen: [`/ip4/${PUBLIC_A}/tcp/${A_PORT}`], announce: [`/ip4/${PUBLIC_A}/tcp/${A_PORT}`] })
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

main().catch(err => {
  process.stderr.write(`${err?.stack ?? String(err)}\n`)
  process.exitCode = 1
})
