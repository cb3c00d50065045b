import { equalBytes } from '../crypto/index.js'
import { peerIdBytesFromString } from '../identity/index.js'
import { heartbeatSignedBy } from './presence.js'
import { Heartbeat, PresenceStatus } from './peerpost.js'
import type { PresenceInfo } from './peerpost.js'

/**
 * A node's presence as cache servers share it in their DHT (design section 4: "Kademlia DHT
 * among cache servers for peer routing beyond one server"). The record is the node's own
 * signed heartbeat, exactly as the node sent it to its home server: signed by the node, so
 * any server can check it and no server (the home server included) can forge or alter one;
 * at most it can replay an older one, which freshness and the newest-wins selector bound.
 *
 * Key: `/peerpost-presence/` followed by the PeerId's multihash bytes (the namespace is what
 * kad-dht picks the validator and selector by, as `/pk/` and `/ipns/` keys do).
 */

export const PRESENCE_RECORD_NAMESPACE = 'peerpost-presence'
const KEY_PREFIX = new TextEncoder().encode(`/${PRESENCE_RECORD_NAMESPACE}/`)
/** A record's value: one heartbeat. 32 addresses of 100 bytes and a signature fit well within. */
export const PRESENCE_RECORD_MAX_BYTES = 4 * 1024
export const PRESENCE_RECORD_MAX_ADDRS = 32
export const PRESENCE_RECORD_MAX_ADDR_CHARS = 256
/** A record signed later than this ahead of our clock is refused (it would outlive its freshness). */
export const PRESENCE_RECORD_MAX_CLOCK_SKEW_MS = 60_000

/** Why a presence record was refused (kad-dht drops the record; the PUT_VALUE is refused). */
export class PresenceRecordError extends Error {
  static readonly NAME = 'PresenceRecordError'
  override name = PresenceRecordError.NAME
  constructor (readonly reason: 'key' | 'size' | 'malformed' | 'signature' | 'stale' | 'future' | 'addrs', message: string) {
    super(message)
  }
}

/** The DHT key of `peerId`'s presence record. */
export function presenceRecordKey (peerId: string): Uint8Array {
  const id = peerIdBytesFromString(peerId)
  const key = new Uint8Array(KEY_PREFIX.length + id.length)
  key.set(KEY_PREFIX, 0)
  key.set(id, KEY_PREFIX.length)
  return key
}

function keyPeerIdBytes (key: Uint8Array): Uint8Array | undefined {
  if (key.length <= KEY_PREFIX.length || !equalBytes(key.subarray(0, KEY_PREFIX.length), KEY_PREFIX)) return undefined
  return key.subarray(KEY_PREFIX.length)
}

/**
 * Check a record and return its heartbeat: the key names a PeerId, the value is a heartbeat
 * of at most PRESENCE_RECORD_MAX_BYTES naming that PeerId and signed by it, signed at most
 * `maxAgeMs` ago and not in the future. Throws PresenceRecordError.
 */
export function verifyPresenceRecord (key: Uint8Array, value: Uint8Array, init: { now: number, maxAgeMs: number }): Heartbeat {
  const peerIdBytes = keyPeerIdBytes(key)
  if (peerIdBytes == null) throw new PresenceRecordError('key', 'not a presence record key')
  if (value.length > PRESENCE_RECORD_MAX_BYTES) throw new PresenceRecordError('size', `record of ${value.length} bytes, over ${PRESENCE_RECORD_MAX_BYTES}`)
  let hb: Heartbeat
  try {
    hb = Heartbeat.decode(value, { limits: { addrs: PRESENCE_RECORD_MAX_ADDRS } })
  } catch {
    throw new PresenceRecordError('malformed', 'record is not a heartbeat')
  }
  if (hb.addrs.some(a => a.length > PRESENCE_RECORD_MAX_ADDR_CHARS)) throw new PresenceRecordError('addrs', 'an address is too long')
  if (!heartbeatSignedBy(hb, peerIdBytes)) throw new PresenceRecordError('signature', 'heartbeat is not signed by the PeerId of its key')
  const ts = Number(hb.timestamp)
  if (ts > init.now + PRESENCE_RECORD_MAX_CLOCK_SKEW_MS) throw new PresenceRecordError('future', 'heartbeat signed in the future')
  if (init.now - ts > init.maxAgeMs) throw new PresenceRecordError('stale', `heartbeat ${init.now - ts} ms old, over ${init.maxAgeMs}`)
  return hb
}

/** Of several valid records for one key, the index of the newest heartbeat (undecodable ones lose). */
export function selectNewestPresenceRecord (records: Uint8Array[]): number {
  let best = 0
  let bestTs = -1n
  records.forEach((value, i) => {
    let ts = -1n
    try {
      ts = Heartbeat.decode(value, { limits: { addrs: PRESENCE_RECORD_MAX_ADDRS } }).timestamp
    } catch {
      // Undecodable: keeps ts -1, so any decodable record wins over it.
    }
    if (ts > bestTs) { best = i; bestTs = ts }
  })
  return best
}

/** What a server answers from a record found in the DHT: no `since` (only the home server knows it). */
export function presenceInfoFromRecord (hb: Heartbeat): PresenceInfo {
  const online = hb.status !== PresenceStatus.OFFLINE
  return { peerId: hb.peerId, online, addrs: online ? hb.addrs : [], status: hb.status, since: 0n, lastSeen: hb.timestamp, routed: true }
}
