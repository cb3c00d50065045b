import type { Folder, RecipientStateName } from '../storage/types.js'

/**
 * Small typed events that carry ids; consumers re-read the store for details
 * (style: "events carry ids, consumer re-reads").
 */
export interface NodeEventMap {
  /** `stamped`: the envelope carried a proof-of-work stamp (contacts who know they are exempt send none). */
  'mail:received': { id: string, folder: Folder, fromPeer: string, stamped?: boolean }
  /** Messages deleted for good (from the trash), with everything that referred to them. */
  'mail:deleted': { ids: string[] }
  'outbox:queued': { id: string }
  'outbox:recipient': { id: string, peerId: string, state: RecipientStateName, error?: string }
  'node:started': { peerId: string, addrs: string[] }
  /** A contact's presence changed (re-read it with `contacts list`). */
  'presence:changed': { peerId: string }
  /** A home server link came up or went down; `server` is its PeerId. */
  'servers:changed': { server: string, connected: boolean }
  /** What this node holds for an offline co-recipient changed (deposit, ack or expiry). */
  'holding:changed': { recipient: string }
  /**
   * A large attachment I pull changed state (`transfers` re-reads it). `waitingFor` is the
   * holder's PeerId while waiting; `reason` says why it waits or failed.
   */
  'transfer:state': { blobId: string, messageId: string, state: 'waiting' | 'pulling' | 'complete' | 'failed', waitingFor?: string, reason?: string }
  /** Bytes of a large attachment pulled so far (at most a few per second per transfer, and the last). */
  'transfer:progress': { blobId: string, messageId: string, bytesDone: number, total: number }
  /** A recipient (`peerId`) now holds a large attachment I sent, or one I received and served it as a co-recipient; `released` once every recipient has one I sent and I dropped my copy (never for one I received: it is mine). */
  'blob:completed': { blobId: string, peerId: string, released: boolean }
  /**
   * `send` (`job`: the id its caller chose) stored this many bytes of the large attachment
   * `name` (sealing it into the blob store before anything is queued): one at its start, at
   * most one per `blobs.progressIntervalMs` after, and its last.
   */
  'send:progress': { job: string, name: string, done: number, total: number }
  /** An export or import (`job`: the id its caller chose) got this far: messages done, of `total` when known. */
  'mailfiles:progress': { job: string, done: number, total?: number }
}

export type NodeEventName = keyof NodeEventMap
export interface NodeEvent<K extends NodeEventName = NodeEventName> { type: K, data: NodeEventMap[K], at: number }

type Listener = (event: NodeEvent) => void

/** A synchronous fan-out bus; a listener that throws is isolated from the others. */
export class NodeEvents {
  private readonly listeners = new Set<Listener>()
  constructor (private readonly now: () => number = Date.now) {}

  emit<K extends NodeEventName>(type: K, data: NodeEventMap[K]): void {
    const event: NodeEvent = { type, data, at: this.now() }
    for (const listener of this.listeners) {
      try { listener(event) } catch { /* a broken subscriber must not break the node */ }
    }
  }

  /** Subscribe; returns the unsubscribe function. */
  subscribe (listener: Listener): () => void {
    this.listeners.add(listener)
    return () => { this.listeners.delete(listener) }
  }
}
