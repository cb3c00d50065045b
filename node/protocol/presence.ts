import { equalBytes, verifyEd25519 } from '../crypto/index.js'
import { withDomain } from '../crypto/ed25519.js'
import { asError, ProtocolViolationError } from '../errors.js'
import { ed25519KeyFromPeerIdBytes, peerIdBytesFromString, peerIdStringFromBytes } from '../identity/index.js'
import { errorReply } from './errors.js'
import { FramedStream } from './framed.js'
import { FrameEvents } from './frame-events.js'
import type { FrameEventsOwner } from './frame-events.js'
import type { IdleStreams } from './idle-streams.js'
import { ErrorCode, Heartbeat, PresenceMessage, PresenceRequest, PresenceStatus } from './peerpost.js'
import { openStream } from './rpc.js'
import type { Identity } from '../identity/index.js'
import type { DialTarget } from './rpc.js'
import type { PresenceInfo } from './peerpost.js'
import type { Connection, Libp2p, Logger, Stream } from '@libp2p/interface'

export const PRESENCE_PROTOCOL = '/peerpost/presence/1.0.0'
export const PRESENCE_SIGNING_DOMAIN = new TextEncoder().encode('peerpost/presence/v1\n')
export const PRESENCE_MAX_FRAME_BYTES = 64 * 1024
/** PeerIds one request may name (query or subscribe). */
export const PRESENCE_MAX_IDS = 256
/** Repeated-field limits on a request (each list at most PRESENCE_MAX_IDS). */
export const PRESENCE_REQUEST_LIMITS = { query: PRESENCE_MAX_IDS, subscribe: PRESENCE_MAX_IDS, unsubscribe: PRESENCE_MAX_IDS }
/** Subscriptions one stream may hold. */
export const PRESENCE_MAX_SUBSCRIPTIONS = 4096
/** A heartbeat whose timestamp is further than this from the server's clock is refused (replays). */
export const PRESENCE_MAX_CLOCK_SKEW_MS = 10 * 60_000
/** Pushed events queued for one slow subscriber before its stream is cut. */
export const PRESENCE_MAX_PENDING_PUSHES = 1_000
export const PRESENCE_WRITE_TIMEOUT_MS = 10_000
export const PRESENCE_REQUEST_TIMEOUT_MS = 10_000

export { PresenceStatus }
export type { PresenceInfo }

export type StatusName = 'available' | 'away' | 'busy' | 'dnd' | 'offline'

const STATUS_BY_NAME: Record<StatusName, PresenceStatus> = {
  available: PresenceStatus.AVAILABLE, away: PresenceStatus.AWAY, busy: PresenceStatus.BUSY, dnd: PresenceStatus.DND, offline: PresenceStatus.OFFLINE
}
export const statusFromName = (name: StatusName): PresenceStatus => STATUS_BY_NAME[name]
export function statusName (status: PresenceStatus): StatusName {
  return (Object.keys(STATUS_BY_NAME) as StatusName[]).find(k => STATUS_BY_NAME[k] === status) ?? 'offline'
}

const b58 = peerIdStringFromBytes

/** A signed heartbeat, ready to send. */
export function signHeartbeat (identity: Identity, addrs: string[], status: PresenceStatus, now: number): Heartbeat {
  const unsigned: Heartbeat = { peerId: peerIdBytesFromString(identity.peerIdString), addrs, status, timestamp: BigInt(now), signature: new Uint8Array(0) }
  return { ...unsigned, signature: identity.signer.sign(withDomain(PRESENCE_SIGNING_DOMAIN, Heartbeat.encode(unsigned))) as Uint8Array<ArrayBuffer> }
}

/** Whether the heartbeat is signed by the key of the PeerId it names. */
function signedByItsPeer (hb: Heartbeat): boolean {
  const key = ed25519KeyFromPeerIdBytes(hb.peerId)
  if (key == null) return false
  const unsigned = Heartbeat.encode({ ...hb, signature: new Uint8Array(0) })
  return verifyEd25519(key, withDomain(PRESENCE_SIGNING_DOMAIN, unsigned), hb.signature)
}

/** Checks a heartbeat's signature against the PeerId it names; returns that PeerId or undefined. */
export function verifyHeartbeat (hb: Heartbeat): string | undefined {
  return signedByItsPeer(hb) ? b58(hb.peerId) : undefined
}

/**
 * Whether the heartbeat names `peerIdBytes` (a connection's remote peer) and is signed by
 * it. Compares bytes: base58-encoding the PeerId of every heartbeat, as `verifyHeartbeat`
 * does, was the largest allocation of a cache server's presence handler (18 KB each).
 */
export function heartbeatSignedBy (hb: Heartbeat, peerIdBytes: Uint8Array): boolean {
  return hb.peerId instanceof Uint8Array && equalBytes(hb.peerId, peerIdBytes) && signedByItsPeer(hb)
}

interface Entry {
  addrs: string[]
  status: PresenceStatus
  since: number
  lastSeen: number
  online: boolean
}

type Push = (info: PresenceInfo) => void

export interface PresenceDirectoryInit {
  /** Without a heartbeat for this long a node is offline. */
  timeoutMs: number
  /** Nodes remembered (online or last seen); the oldest offline ones are forgotten first. */
  maxEntries?: number
  now: () => number
}

/**
 * The server's presence directory: who is online, at which addresses, in which status,
 * since when; who was last seen when. In memory by design: presence is rebuilt from
 * heartbeats within one interval after a restart.
 */
export class PresenceDirectory {
  private readonly entries = new Map<string, Entry>()
  private readonly watchers = new Map<string, Set<Push>>()
  private readonly maxEntries: number

  constructor (private readonly init: PresenceDirectoryInit) {
    this.maxEntries = init.maxEntries ?? 100_000
  }

  /** Record a verified heartbeat; pushes to subscribers when online state, status or addresses change. */
  heartbeat (peerId: string, addrs: string[], status: PresenceStatus): void {
    const now = this.init.now()
    const prev = this.entries.get(peerId)
    const goingOffline = status === PresenceStatus.OFFLINE
    const online = !goingOffline
    const entry: Entry = {
      addrs: goingOffline ? [] : addrs,
      status,
      since: online ? (prev?.online === true ? prev.since : now) : 0,
      lastSeen: now,
      online
    }
    this.entries.delete(peerId)
    this.entries.set(peerId, entry) // re-insert: Map order is least recently heard first
    this.evict()
    const changed = prev == null || prev.online !== entry.online || prev.status !== entry.status || prev.addrs.join(' ') !== entry.addrs.join(' ')
    if (changed) this.notify(peerId)
  }

  info (peerId: string): PresenceInfo {
    const e = this.entries.get(peerId)
    const id = peerIdBytesFromString(peerId)
    if (e == null) return { peerId: id, online: false, addrs: [], status: PresenceStatus.OFFLINE, since: 0n, lastSeen: 0n, routed: false }
    return { peerId: id, online: e.online, addrs: e.online ? e.addrs : [], status: e.online ? e.status : PresenceStatus.OFFLINE, since: BigInt(e.online ? e.since : 0), lastSeen: BigInt(e.lastSeen), routed: false }
  }

  /** Call `push` whenever `peerId` changes; returns the unsubscribe function. */
  watch (peerId: string, push: Push): () => void {
    let set = this.watchers.get(peerId)
    if (set == null) { set = new Set(); this.watchers.set(peerId, set) }
    set.add(push)
    return () => {
      set.delete(push)
      if (set.size === 0) this.watchers.delete(peerId)
    }
  }

  /** Turn nodes silent for longer than the timeout offline (and tell their watchers). */
  sweep (): number {
    const cutoff = this.init.now() - this.init.timeoutMs
    let turned = 0
    for (const [peerId, e] of this.entries) {
      if (e.online && e.lastSeen < cutoff) {
        e.online = false
        e.since = 0
        e.addrs = []
        turned++
        this.notify(peerId)
      }
    }
    return turned
  }

  onlineCount (): number {
    let n = 0
    for (const e of this.entries.values()) if (e.online) n++
    return n
  }

  private notify (peerId: string): void {
    const set = this.watchers.get(peerId)
    if (set == null) return
    const info = this.info(peerId)
    for (const push of set) push(info)
  }

  private evict (): void {
    if (this.entries.size <= this.maxEntries) return
    for (const [peerId, e] of this.entries) {
      if (this.entries.size <= this.maxEntries) break
      if (!e.online) this.entries.delete(peerId)
    }
  }
}

/**
 * Serve `/peerpost/presence/1.0.0` on one long-lived stream: heartbeats (signed, from the
 * connection's own peer, fresh), queries and subscriptions; answers carry the request's
 * id, pushed changes carry id 0. Each stream is served by the stream's events
 * (`FrameEvents`), not an async loop: between heartbeats a presence stream holds no
 * pending read or promise (bench presence, docs/benchmarks.md).
 */
export function presenceHandler (directory: PresenceDirectory, options: PresenceServeOptions) {
  return async (stream: Stream, connection: Connection): Promise<void> => {
    // Silence is bounded by the idle sweep, not a deadline per read (IdleStreams says why).
    options.idle.touch(stream)
    PresenceServerStream.serve(directory, options, stream, connection)
  }
}

export interface PresenceServeOptions {
  log: Logger
  now: () => number
  idle: IdleStreams
  /** A verified heartbeat was taken (the cache server's DHT publisher re-puts it). */
  onHeartbeat?: (peerId: string, heartbeat: Heartbeat) => void
  /** Where to look for peers this directory has no online entry for (the cache servers' DHT). */
  beyond?: PresenceBeyond
}

/**
 * Presence from beyond this server. `lookup` resolves to what to answer instead of the local
 * (offline or unknown) entry, with `routed` set; it is bounded by its own deadline and
 * concurrency, and answers the local entry (routed) when it has nothing better.
 */
export interface PresenceBeyond {
  lookup(peerId: string, local: PresenceInfo): Promise<PresenceInfo>
}

/** One node's presence stream on the server. */
class PresenceServerStream implements FrameEventsOwner {
  private readonly framed: FrameEvents
  private readonly remote: string
  private readonly remoteBytes: Uint8Array
  /** Subscriptions (made on the first one: most streams only heartbeat). */
  private unwatch?: Map<string, () => void>

  static serve (directory: PresenceDirectory, options: PresenceServeOptions, stream: Stream, connection: Connection): void {
    void new PresenceServerStream(directory, options, stream, connection)
  }

  private constructor (private readonly directory: PresenceDirectory, private readonly options: PresenceServeOptions, stream: Stream, connection: Connection) {
    this.remote = connection.remotePeer.toString()
    this.remoteBytes = connection.remotePeer.toMultihash().bytes
    this.framed = new FrameEvents(stream, this, { maxFrameBytes: PRESENCE_MAX_FRAME_BYTES, maxQueuedFrames: PRESENCE_MAX_PENDING_PUSHES, writeTimeoutMs: PRESENCE_WRITE_TIMEOUT_MS })
  }

  onFrame (frame: Uint8Array): void {
    const { directory, options } = this
    options.idle.touch(this.framed.stream)
    let req: PresenceRequest
    try {
      req = PresenceRequest.decode(frame, { limits: PRESENCE_REQUEST_LIMITS })
    } catch {
      this.reply(0, [], ErrorCode.MALFORMED, 'request did not decode')
      this.framed.end()
      return
    }
    if (req.heartbeat != null) {
      const hb = req.heartbeat
      if (!heartbeatSignedBy(hb, this.remoteBytes)) { this.reply(req.requestId, [], ErrorCode.BAD_SIGNATURE, 'heartbeat is not signed by this connection\'s peer'); return }
      if (Math.abs(Number(hb.timestamp) - options.now()) > PRESENCE_MAX_CLOCK_SKEW_MS) { this.reply(req.requestId, [], ErrorCode.REFUSED, 'heartbeat timestamp too far from the server clock'); return }
      if (hb.addrs.length > 32 || hb.addrs.some(a => a.length > 512)) { this.reply(req.requestId, [], ErrorCode.TOO_LARGE, 'too many or too long addresses'); return }
      directory.heartbeat(this.remote, hb.addrs, hb.status)
      options.onHeartbeat?.(this.remote, hb)
    }
    if (req.query.length + req.subscribe.length + req.unsubscribe.length === 0) { this.reply(req.requestId, []); return }
    const ids: string[] = []
    for (const raw of [...req.query, ...req.subscribe, ...req.unsubscribe]) {
      const id = b58(raw)
      if (id == null) { ids.length = 0; break }
      ids.push(id)
    }
    if (ids.length !== req.query.length + req.subscribe.length + req.unsubscribe.length) { this.reply(req.requestId, [], ErrorCode.MALFORMED, 'not a PeerId'); return }
    const queried = ids.slice(0, req.query.length)
    const subscribed = ids.slice(req.query.length, req.query.length + req.subscribe.length)
    const unsubscribed = ids.slice(req.query.length + req.subscribe.length)
    const unwatch = this.unwatch ??= new Map()
    for (const id of unsubscribed) { unwatch.get(id)?.(); unwatch.delete(id) }
    if (unwatch.size + subscribed.length > PRESENCE_MAX_SUBSCRIPTIONS) { this.reply(req.requestId, [], ErrorCode.TOO_LARGE, `at most ${PRESENCE_MAX_SUBSCRIPTIONS} subscriptions per stream`); return }
    for (const id of subscribed) {
      if (!unwatch.has(id)) unwatch.set(id, directory.watch(id, info => { this.send({ requestId: 0, infos: [info] }) }))
    }
    const asked = [...queried, ...subscribed]
    const infos = asked.map(id => directory.info(id))
    const { beyond } = options
    if (beyond == null || infos.every(i => i.online)) { this.reply(req.requestId, infos); return }
    // Peers not online here are looked up beyond this server; the answer follows when the
    // lookups end (each has its own deadline, below the client's request timeout).
    const requestId = req.requestId
    Promise.all(infos.map(async (info, i) => info.online ? info : beyond.lookup(asked[i]!, info)))
      .then(answers => { this.reply(requestId, answers) }, (err: unknown) => {
        options.log('presence lookup beyond this server failed - %e', err)
        this.reply(requestId, infos)
      })
  }

  onClose (): void {
    this.options.idle.forget(this.framed.stream)
    if (this.unwatch != null) for (const off of this.unwatch.values()) off()
    this.unwatch = undefined
  }

  private send (message: PresenceMessage): void {
    this.framed.send(PresenceMessage.encode(message))
  }

  private reply (requestId: number, infos: PresenceInfo[], code?: ErrorCode, message?: string): void {
    this.send(code == null ? { requestId, infos } : { requestId, infos, error: errorReply(code, message ?? '') })
  }
}

/**
 * A node's presence session with one server: heartbeats, queries and subscriptions on one
 * stream; pushed changes go to `onChange`. `ended` resolves when the stream is gone, so
 * the owner can reconnect.
 */
export class PresenceSession {
  private nextId = 1
  private readonly waiting = new Map<number, { resolve: (infos: PresenceInfo[]) => void, reject: (err: Error) => void, timer: NodeJS.Timeout }>()
  /** Why the read loop ended, once it has: later requests fail with it at once. */
  private endedWith: Error | undefined
  readonly ended: Promise<void>

  private constructor (private readonly framed: FramedStream, private readonly onChange: (info: PresenceInfo) => void) {
    this.ended = this.readLoop()
  }

  static async open (libp2p: Libp2p, server: DialTarget, onChange: (info: PresenceInfo) => void, options: { timeoutMs?: number, signal?: AbortSignal } = {}): Promise<PresenceSession> {
    const stream = await openStream(libp2p, server, PRESENCE_PROTOCOL, options.timeoutMs ?? PRESENCE_REQUEST_TIMEOUT_MS, options.signal)
    return new PresenceSession(new FramedStream(stream, PRESENCE_MAX_FRAME_BYTES), onChange)
  }

  async heartbeat (identity: Identity, addrs: string[], status: PresenceStatus, now: number): Promise<void> {
    await this.request({ heartbeat: signHeartbeat(identity, addrs, status, now), query: [], subscribe: [], unsubscribe: [] })
  }

  async query (peerIds: string[]): Promise<PresenceInfo[]> {
    return this.request({ query: peerIds.map(peerIdBytesFromString), subscribe: [], unsubscribe: [] })
  }

  async subscribe (peerIds: string[]): Promise<PresenceInfo[]> {
    return this.request({ query: [], subscribe: peerIds.map(peerIdBytesFromString), unsubscribe: [] })
  }

  async close (): Promise<void> {
    await this.framed.close()
  }

  abort (err: Error): void { this.framed.abort(err) }

  private async request (req: Omit<PresenceRequest, 'requestId'>): Promise<PresenceInfo[]> {
    // Its stream is gone (the server went away): nothing would ever answer.
    if (this.endedWith != null) throw this.endedWith
    const requestId = this.nextId++
    let timer: NodeJS.Timeout | undefined
    const result = new Promise<PresenceInfo[]>((resolve, reject) => {
      timer = setTimeout(() => {
        this.waiting.delete(requestId)
        reject(new ProtocolViolationError(`presence server did not answer within ${PRESENCE_REQUEST_TIMEOUT_MS} ms`))
      }, PRESENCE_REQUEST_TIMEOUT_MS)
      this.waiting.set(requestId, { resolve, reject, timer })
    })
    // The read loop may reject it while the write below is still under way (the stream is
    // reset as the server goes away): without a handler that rejection was unhandled, and
    // an unhandled rejection ends the daemon. The caller still gets the write's error.
    result.catch(() => {})
    try {
      await this.framed.write(PresenceRequest.encode({ requestId, ...req }), PRESENCE_WRITE_TIMEOUT_MS)
    } catch (err) {
      clearTimeout(timer)
      this.waiting.delete(requestId)
      throw err
    }
    return await result
  }

  private async readLoop (): Promise<void> {
    let failure: Error = new ProtocolViolationError('presence stream closed')
    try {
      while (true) {
        // Pushes may be rare: the read has no idle deadline of its own; heartbeats keep the stream alive and their answers time out.
        const frame = await this.framed.read(24 * 60 * 60_000)
        if (frame == null) break
        const message = PresenceMessage.decode(frame)
        if (message.requestId === 0) {
          for (const info of message.infos) this.onChange(info)
          continue
        }
        const waiter = this.waiting.get(message.requestId)
        if (waiter == null) continue
        this.waiting.delete(message.requestId)
        clearTimeout(waiter.timer)
        if (message.error != null) waiter.reject(new ProtocolViolationError(`presence: ${message.error.message}`))
        else waiter.resolve(message.infos)
      }
    } catch (err) {
      failure = asError(err)
    } finally {
      this.endedWith = failure
      for (const w of this.waiting.values()) { clearTimeout(w.timer); w.reject(failure) }
      this.waiting.clear()
    }
  }
}
