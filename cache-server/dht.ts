import { serviceCapabilities } from '@libp2p/interface'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { MemoryDatastore } from 'datastore-core'
import { Key } from 'interface-datastore'
import { PRESENCE_RECORD_NAMESPACE, PresenceRecordError, selectNewestPresenceRecord, verifyPresenceRecord } from '../node/protocol/presence-record.js'
import type { AbortOptions, Connection, PeerId } from '@libp2p/interface'
import type { KadDHT, KadDHTComponents } from '@libp2p/kad-dht'
import type { Multiaddr } from '@multiformats/multiaddr'

/**
 * The cache servers' Kademlia DHT (design section 4: "Kademlia DHT among cache servers for
 * peer routing beyond one server"): @libp2p/kad-dht on a peerpost protocol id, so it never
 * joins the public IPFS DHT (`/ipfs/kad/1.0.0`), always in server mode (a cache server is
 * meant to be dialed; libp2p's automatic mode would stay a client on private addresses).
 *
 * Nodes do not run it. kad-dht learns DHT peers from identify (a registrar topology for
 * its protocol: only peers that list it are handed to the routing table) and from its own
 * queries, so a connected node costs the server no DHT stream and no routing-table entry.
 *
 * The only records it takes are nodes' presence heartbeats (node/protocol/presence-record.ts):
 * every other namespace (kad-dht's default `/pk/`) is refused, and what it stores for others
 * sits in a datastore bounded in entries (BoundedDhtDatastore).
 *
 * Where this still departs from design.md (README, "Limits and known gaps"): the DHT runs
 * only when `dht.enabled`, and carries presence only: finding a peer beyond the servers its
 * card names, not where to park for it.
 */

export const DHT_PROTOCOL = '/peerpost/kad/1.0.0'
/** Where kad-dht keeps records and provider records in the datastore (its `datastorePrefix`). */
export const DHT_DATASTORE_PREFIX = '/dht'

export interface DhtInit {
  recordMaxAgeMs: number
  now: () => number
  /** A record was refused (from a PUT_VALUE or a lookup): counted in the metrics. */
  onRefused?: (err: PresenceRecordError) => void
}

/**
 * kad-dht configured for the cache servers. Its `ping` component is the `connectionPing`
 * service, which the server registers beside it under the name `ping` (libp2p checks the
 * capability at start); the service map types it as optional, hence the wider parameter.
 */
export function cacheServerDht (init: DhtInit): (components: Omit<KadDHTComponents, 'ping'> & Partial<Pick<KadDHTComponents, 'ping'>>) => KadDHT {
  const refuse = async (): Promise<void> => { throw new PresenceRecordError('key', 'only peerpost presence records are stored') }
  const factory = kadDHT({
    protocol: DHT_PROTOCOL,
    clientMode: false,
    // Cache servers name each other in their configs; on a LAN or in tests those are private
    // addresses, which the default mapper (public addresses only) would drop.
    peerInfoMapper: passthroughMapper,
    datastorePrefix: DHT_DATASTORE_PREFIX,
    logPrefix: 'peerpost:cache:dht',
    validators: {
      pk: refuse,
      [PRESENCE_RECORD_NAMESPACE]: async (key, value) => {
        try {
          verifyPresenceRecord(key, value, { now: init.now(), maxAgeMs: init.recordMaxAgeMs })
        } catch (err) {
          if (err instanceof PresenceRecordError) init.onRefused?.(err)
          throw err
        }
      }
    },
    selectors: {
      [PRESENCE_RECORD_NAMESPACE]: (_key, records) => selectNewestPresenceRecord(records)
    }
  })
  return components => factory(components as KadDHTComponents)
}

/**
 * The `ping` kad-dht asks for (to check a routing-table contact before adding it, or an old
 * one before evicting it), answered by the connection instead of @libp2p/ping's protocol.
 * A cache server runs no ping handler on purpose (server.ts: it would keep a stream per
 * node), so a real ping between servers would always fail. A contact that we are connected
 * to, or can connect to within the deadline, counts as alive.
 */
export function connectionPing (): (components: { connectionManager: { openConnection(peer: PeerId | Multiaddr | Multiaddr[], options?: AbortOptions): Promise<Connection> } }) => { ping(peer: PeerId | Multiaddr | Multiaddr[], options?: AbortOptions): Promise<number> } {
  return components => ({
    [serviceCapabilities]: ['@libp2p/ping'],
    [Symbol.toStringTag]: 'peerpost/connection-ping',
    async ping (peer, options) {
      const started = Date.now()
      const connection = await components.connectionManager.openConnection(peer, options)
      if (connection.status !== 'open') throw new Error(`connection to ${connection.remotePeer.toString()} is ${connection.status}`)
      return Date.now() - started
    }
  })
}

/**
 * The libp2p datastore of a server in the DHT: in memory (as libp2p's default), with the
 * DHT's own entries (records and provider records that other peers PUT here) capped at
 * `maxDhtEntries`, the oldest written dropped first. Anyone can make Ed25519 keys and sign
 * fresh heartbeats, so without a cap a peer speaking the DHT protocol could fill memory.
 * Records also expire: kad-dht drops one on read after 48 h, and our validator refuses a
 * stale heartbeat whatever the datastore holds.
 */
export class BoundedDhtDatastore extends MemoryDatastore {
  /** DHT keys in write order (a re-written key moves to the end). */
  private readonly order = new Set<string>()

  constructor (private readonly maxDhtEntries: number, private readonly prefix = `${DHT_DATASTORE_PREFIX}/`) {
    super()
  }

  get dhtEntries (): number { return this.order.size }

  override put (key: Key, val: Uint8Array, options?: AbortOptions): Key {
    const name = key.toString()
    if (name.startsWith(this.prefix)) {
      this.order.delete(name)
      this.order.add(name)
      for (const oldest of this.order) {
        if (this.order.size <= this.maxDhtEntries) break
        this.order.delete(oldest)
        void super.delete(new Key(oldest))
      }
    }
    return super.put(key, val, options) as Key
  }

  override delete (key: Key, options?: AbortOptions): void {
    this.order.delete(key.toString())
    void super.delete(key, options)
  }
}
