import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { autoNATv2 } from '@libp2p/autonat-v2'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { dcutr } from '@libp2p/dcutr'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { webSockets } from '@libp2p/websockets'
import { createLibp2p } from 'libp2p'
import { multiaddr } from '@multiformats/multiaddr'
import { InvalidListenAddressError } from './errors.js'
import { noiseCrypto } from './noise-crypto.js'
import type { Identify } from '@libp2p/identify'
import type { Libp2p, PrivateKey } from '@libp2p/interface'
import type { Ping } from '@libp2p/ping'

export type PeerpostLibp2p = Libp2p<{ identify: Identify, ping: Ping, dcutr: unknown, autoNAT: unknown }>

export interface NetworkInit {
  privateKey: PrivateKey
  listen: string[]
  announce?: string[]
}

/** New inbound connections per second per IP before libp2p refuses; the default of 5 is far too low for a mail node many peers deliver to. */
export const INBOUND_CONNECTION_THRESHOLD = 100
export const MAX_INCOMING_PENDING_CONNECTIONS = 100

/**
 * The libp2p node a peerpost daemon runs: TCP + Noise + Yamux, identify and ping, and the
 * circuit relay v2 client, WebSockets to dial (and, if `listen` names one, listen on)
 * `/ws` and `/tls/ws` addresses: a cache server behind an HTTPS proxy on port 443 stays
 * reachable from networks that let nothing else out, so it can dial peers through their cache server's relay and,
 * listening on plain `/p2p-circuit`, be reached through its own home servers
 * (node/home-servers.ts keeps the connection to them, and with it the reservation).
 * DCUtR upgrades a relayed connection to a direct one when a direct path exists: the peer
 * that was dialed through the relay dials the other back on a public address it announced
 * (or both dial at once, hole punching, when both announce public addresses). js-libp2p
 * only ever tries public addresses, so on loopback and private networks it does nothing
 * and the relayed connection stays.
 * AutoNAT: libp2p withholds a public listen address until something verified it; a node
 * asks the peers it connects to directly to dial that address back on a new connection,
 * and answers such requests itself, so a node on a public address starts advertising it
 * (and, through 'self:peer:update', heartbeats it to its servers) once a peer reached it
 * there. AutoNAT v2, not v1: @libp2p/autonat 3.0.28's server "dials back" by reusing the
 * asker's own connection, reports failure (wrong remote address) and then closes that
 * connection, cutting whatever else ran on it. Cache servers do not run it (departure from
 * design.md: it would cost them a stream and a dial-back per connecting node; see README),
 * so only other nodes verify: until one has, `announce` is how a public address is advertised.
 * Protocols are registered on it by their own modules.
 */
export async function createNetwork (init: NetworkInit): Promise<PeerpostLibp2p> {
  checkAddresses('listen', init.listen)
  checkAddresses('announce', init.announce ?? [])
  return createLibp2p({
    privateKey: init.privateKey,
    addresses: { listen: init.listen, announce: init.announce ?? [] },
    transports: [tcp(), webSockets(), circuitRelayTransport()],
    connectionEncrypters: [noise({ crypto: noiseCrypto })],
    streamMuxers: [yamux()],
    connectionManager: {
      inboundConnectionThreshold: INBOUND_CONNECTION_THRESHOLD,
      maxIncomingPendingConnections: MAX_INCOMING_PENDING_CONNECTIONS
    },
    services: { identify: identify(), ping: ping(), dcutr: dcutr(), autoNAT: autoNATv2() }
  })
}

/** libp2p's own complaint about a bad address ("String multiaddr must start with /") names neither the address nor where it came from. */
function checkAddresses (option: 'listen' | 'announce', addrs: readonly string[]): void {
  for (const addr of addrs) {
    try {
      multiaddr(addr)
    } catch (err) {
      throw new InvalidListenAddressError(option, addr, { cause: err })
    }
  }
}
