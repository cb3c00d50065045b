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
 * Prints one JSON line with what it saw; exits 1 with the error on stderr if a step
 * failed or timed out.
 */
import { rm } from 'node:fs/promises'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { createNetwork } from '../../node/network.js'
import { startCacheServer } from './cache-server.js'
import { tempDir } from './cli.js'
import { until } from './libp2p-until.js'
import { FAST_SERVER, serverAddr } from './offline.js'
import type { PeerpostLibp2p } from '../../node/network.js'
import type { Connection } from '@libp2p/interface'

/** PUBLIC_A and PUBLIC_B are on the namespace's loopback interface, put there by the test. */
const [MODE, PUBLIC_A, PUBLIC_B] = process.argv.slice(2)
const A_PORT = 4001
const B_PORT = 4002
/** Nothing listens there. */
const DEAD_PORT = 4009

async function main (): Promise<void> {
  if ((MODE !== 'unilateral' && MODE !== 'holepunch') || PUBLIC_A == null || PUBLIC_B == null) throw new Error('usage: dcutr-scenario.js unilateral|holepunch PUBLIC_A PUBLIC_B')
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

main().catch(err => {
  process.stderr.write(`${err?.stack ?? String(err)}\n`)
  process.exitCode = 1
})
