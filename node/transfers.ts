import { blobCipherName } from '../storage/blob-crypto.js'
import { BAD_BLOB_DATA_ERRORS } from '../storage/blob-errors.js'
import { blobSummaryOf, coRecipientsOf, downloadRefOf, locationsOf } from './attachments.js'
import { asError, errorName } from './errors.js'
import { backoffDelay } from './outbox-engine.js'
import { pullBlob, tellHolderDone } from './protocol/blob.js'
import { retryOnUpgrade } from './protocol/upgrade-retry.js'
import { DEFAULT_PROGRESS_INTERVAL_MS } from './config.js'
import type { NodeEvents } from './events.js'
import type { VerifiedCard } from './identity/index.js'
import type { PeerpostLibp2p } from './network.js'
import type { PresenceView } from './presence-watch.js'
import type { BlobRef } from './protocol/peerpost.js'
import type { BlobDownloadRef, BlobDownloads, BlobLocation, DownloadInfo, DownloadRecord } from '../storage/blob-types.js'
import type { BlobAttachmentSummary, Contacts, Folder } from '../storage/types.js'
import type { Logger } from '@libp2p/interface'

/**
 * The pull side of large attachments (design section 5). A message that refers to blobs
 * registers a durable download for each before its receipt is signed; this then pulls
 * each from a holder: at once when the holder is reachable, otherwise the download waits
 * ("waiting for alice to come online") until presence or a new connection says the holder
 * is back, and resumes from its last verified chunk after a crash or restart. Holders are
 * the ones the sender listed (itself), then the other recipients the sender listed, any of
 * whom serves the blob once it has it whole (storage/held-blobs.ts): a pull whose holder goes
 * away resumes from another. A holder that serves bad data is set aside for that download,
 * which starts again from nothing with the others, or fails with the reason when none is
 * left; bad data is never shown as the file.
 */

/** What a large attachment is doing on this node, as `transfers` and `read` show it. */
export type TransferState = 'waiting' | 'pulling' | 'complete' | 'failed'

export interface TransferView {
  blobId: string
  /** Local id of the message the attachment belongs to. */
  messageId: string
  name: string
  type: string
  /** PeerId of the sender. */
  from: string
  size: number
  bytesDone: number
  state: TransferState
  /** waiting: the holder (PeerId) it waits for, and its contact name when pinned. */
  waitingFor?: string
  waitingForName?: string
  /** waiting or failed: why, in words. */
  reason?: string
  updatedAt: number
}

/** A blob this node serves to a recipient (the holder's side), as `transfers` shows it. */
export interface UploadView {
  blobId: string
  peer: string
  chunksServed: number
  /** Chunks served more than once to this peer (after a resume). */
  chunksRepeated: number
  completed: boolean
  updatedAt: number
}

export interface TransfersComponents {
  libp2p: PeerpostLibp2p
  downloads: BlobDownloads
  contacts: Contacts
  events: NodeEvents
  /** Ask a peer's home servers whether it is online (and subscribe to its changes). */
  presence?: (peerId: string, servers: string[]) => Promise<PresenceView | undefined>
  /** The folder of a stored message (local id); a stranger's mail is in requests or quarantine. */
  folderOf?: (messageId: string) => Promise<Folder | undefined>
  log: Logger
  now: () => number
  random: () => number
}

export interface TransfersInit {
  /** Chunks requested ahead; default the blob protocol's. */
  inFlight?: number
  /** Pulls running at once; more wait their turn. */
  maxConcurrent?: number
  retryBaseMs?: number
  retryMaxMs?: number
  dialTimeoutMs?: number
  /** Least time between two progress events of one transfer. */
  progressIntervalMs?: number
  /** Told the bytes of each chunk written. */
  onBytes?: (bytes: number) => void
  /**
   * A large attachment on mail that is not a contact's (in requests or quarantine) or that
   * is in the trash is pulled by itself only up to this size; a larger one waits until the person accepts it (moves the
   * message out, or `retry`, recorded in the download). Default: no limit.
   */
  maxStrangerBytes?: number
}

/**
 * Folders of mail the person has not accepted: a stranger's (requests, quarantine: not, or
 * no longer looking like, my contacts) and what they threw away (trash). Throwing a
 * stranger's message away is not accepting its large attachment, and nothing there is
 * served on to co-recipients.
 */
export const UNACCEPTED_FOLDERS: readonly Folder[] = ['requests', 'quarantine', 'trash']

export const DEFAULT_MAX_CONCURRENT_PULLS = 2
/** Uploads (blob, puller) remembered for `transfers`. */
const MAX_UPLOADS_SHOWN = 256
/** Co-recipients asked for a blob in one round, when the listed holders cannot serve it. */
export const MAX_CO_RECIPIENT_HOLDERS = 8
/** A waiting download is tried again at least this often even if no presence push comes. */
const DEFAULT_RETRY_MAX_MS = 5 * 60_000
/**
 * Timed retries of telling a listed holder 'done' after a tell failed while it looked
 * online (a dial or answer that timed out); after these, its next kick tries again.
 */
export const MAX_DONE_RETRIES = 10

interface Live {
  state: TransferState
  bytesDone: number
  /** Set while it waits for the person to accept a stranger's large attachment: the message's local id. */
  awaitingAcceptance?: string
  waitingFor?: string
  waitingForName?: string
  /** Every holder the last round could not get it from that may have it later: any of them coming online wakes it. */
  waitingOn?: Set<string>
  reason?: string
  failures: number
  timer?: NodeJS.Timeout
  lastProgressAt: number
  updatedAt: number
}

/** A holder to ask: listed by the sender as one (`listed`), or a co-recipient that may have it. */
type Candidate = BlobLocation & { listed: boolean }
/** A holder that could not serve now, and why in words. */
interface Wait { peerId: string, name: string, why: string }

/**
 * Whom bad data casts doubt on. A chunk that fails its own checks is the holder's that
 * served it. A whole file whose sha256 does not match may hold forged chunks from any holder
 * that served into it, since every holder knows the key (its chunks authenticate whatever
 * they say): the co-recipients among them, or, when only the sender served, the sender.
 */
export function suspectsOf (errorName: string, holder: string, sources: readonly string[], listed: ReadonlySet<string>): string[] {
  if (errorName !== 'BlobHashMismatchError') return [holder]
  const served = [...new Set([...sources, holder])]
  const coRecipients = served.filter(p => !listed.has(p))
  return coRecipients.length > 0 ? coRecipients : served
}

const refOf = (record: DownloadRecord): BlobDownloadRef => ({ blobId: record.blobId, size: record.ref.size, chunkSize: record.ref.chunkSize, sha256: record.ref.sha256, key: record.ref.key, cipher: record.ref.cipher })

/** Pulls of large attachments: registered durably, run at most a few at a time, resumed after restarts. */
export class Transfers {
  private readonly live = new Map<string, Live>()
  private readonly running = new Map<string, AbortController>()
  private readonly queued = new Set<string>()
  private readonly uploads = new Map<string, UploadView & { served: Set<number> }>()
  /** Listed holder -> blobs it has not been told I have (they came from a co-recipient). */
  private readonly owed = new Map<string, Set<string>>()
  /** Listed holders being told now. */
  private readonly telling = new Set<string>()
  /** Listed holders kicked while being told: told again once that round ends. */
  private readonly tellAgain = new Set<string>()
  /** Listed holders whose last tell failed though they looked online: the timed retry. */
  private readonly doneRetries = new Map<string, { failures: number, timer?: NodeJS.Timeout }>()
  private stopped = false
  private readonly maxConcurrent: number
  private readonly progressIntervalMs: number

  constructor (private readonly c: TransfersComponents, private readonly init: TransfersInit = {}) {
    this.maxConcurrent = init.maxConcurrent ?? DEFAULT_MAX_CONCURRENT_PULLS
    this.progressIntervalMs = init.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS
  }

  /** Resume every pending download (after a restart or crash). */
  async start (): Promise<void> {
    for (const record of await this.c.downloads.list()) {
      if (record.state === 'pending' && record.info != null) this.attempt(record.blobId)
      if (record.state === 'complete') for (const holder of record.info?.owedDone ?? []) this.owe(holder, record.blobId)
    }
  }

  async stop (): Promise<void> {
    this.stopped = true
    for (const l of this.live.values()) clearTimeout(l.timer)
    for (const r of this.doneRetries.values()) clearTimeout(r.timer)
    for (const abort of this.running.values()) abort.abort(new Error('the daemon is stopping'))
    const deadline = Date.now() + 10_000
    while (this.running.size > 0 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20))
  }

  /**
   * Record durably that the blobs `refs` of message `messageId` from `sender` are to be
   * pulled, then start pulling. Resolves once the records are on disk: the receiver signs
   * its receipt only after that, so a crash cannot lose an attachment. A reference that
   * cannot describe a blob is skipped (and logged); the message itself still lands.
   */
  async register (refs: BlobRef[], messageId: string, sender: VerifiedCard): Promise<void> {
    const started: string[] = []
    for (const ref of refs) {
      const downloadRef = downloadRefOf(ref)
      const locations = locationsOf(ref).map(l => l.peerId === sender.peerId ? { peerId: l.peerId, addrs: sender.addrs.slice(0, 8) } : l)
      if (downloadRef == null || locations.length === 0) {
        this.c.log.error('message %s refers to an impossible blob %s: skipped', messageId, blobSummaryOf(ref).blobId)
        continue
      }
      const summary = blobSummaryOf(ref)
      const info: DownloadInfo = { messageId, name: summary.name, type: summary.type, from: sender.peerId, locations, homeServers: sender.homeServers }
      // Signed by the sender with the rest of the ref: whom I may ask, and serve once I have it.
      const coRecipients = coRecipientsOf(ref, this.c.libp2p.peerId.toString()).filter(p => p !== sender.peerId)
      if (coRecipients.length > 0) info.coRecipients = coRecipients
      try {
        const record = await this.c.downloads.register(downloadRef, info)
        if (record.state === 'pending') started.push(record.blobId)
      } catch (err) {
        if (errorName(err) !== 'InvalidBlobRefError') throw err
        this.c.log.error('message %s refers to an invalid blob %s: %s', messageId, summary.blobId, asError(err).message)
      }
    }
    for (const blobId of started) this.attempt(blobId)
  }

  /**
   * Pull a failed download again, from nothing (a lie is never retried by itself: the
   * person decides, e.g. after the sender says the file is fixed). Resolves to its view.
   * Throws DownloadNotFoundError for an unknown blob; a download that did not fail is left as it is.
   */
  async retry (blobId: string): Promise<TransferView> {
    const record = await this.c.downloads.get(blobId)
    if (record?.info == null) throw new DownloadNotFoundError(blobId)
    // Asking for it is accepting it (a stranger's file over maxStrangerBytes), durably.
    if (record.state === 'pending' && record.info.accepted !== true) await this.c.downloads.register(refOf(record), { ...record.info, accepted: true })
    if (record.state === 'failed') {
      // Opening a failed download starts it again from nothing, keeping where it comes from;
      // the person asking again forgives the holders that lied.
      await this.c.downloads.register(refOf(record), { ...record.info, sources: [], badHolders: [] })
      const download = await this.c.downloads.open(refOf(record))
      await download.close()
      this.liveOf(blobId).failures = 0
      this.setState(blobId, record.info.messageId, { state: 'waiting', bytesDone: 0, reason: 'retrying' })
    }
    this.attempt(blobId)
    return this.view((await this.c.downloads.get(blobId)) ?? record)
  }

  /** The message `messageId` (local id) moved to another folder: a stranger's attachment waiting to be accepted may start now. */
  messageMoved (messageId: string): void {
    for (const [blobId, l] of this.live) {
      if (l.state === 'waiting' && l.awaitingAcceptance === messageId) this.attempt(blobId)
    }
  }

  /**
   * The message these blobs belong to is being deleted for good: stop their pulls and forget
   * what is known of them live. Resolves once no pull of them runs (its download is closed),
   * so the purge can forget the download records and files.
   */
  async forget (blobIds: readonly string[], timeoutMs = 10_000): Promise<void> {
    const ids = new Set(blobIds)
    for (const blobId of ids) {
      clearTimeout(this.live.get(blobId)?.timer)
      this.live.delete(blobId)
      this.queued.delete(blobId)
      this.running.get(blobId)?.abort(new Error('its message was deleted'))
      // Its sender is not told 'done' for it any more (it keeps its copy until its retention ends).
      for (const blobs of this.owed.values()) blobs.delete(blobId)
    }
    // Bounded: an aborted pull ends at its next chunk or dial; after the deadline the purge
    // finds the download still open and fails with DownloadBusyError (nothing deleted).
    const until = Date.now() + timeoutMs
    while ([...ids].some(id => this.running.has(id)) && Date.now() < until) await new Promise(resolve => setTimeout(resolve, 10))
    for (const blobId of ids) this.live.delete(blobId)
  }

  /** A peer came online or connected: what waits for it starts now. */
  kick (peerId: string): void {
    if (this.owed.has(peerId)) {
      // A fresh sign of life: tell it now, with a fresh round of timed retries behind it.
      const retry = this.doneRetries.get(peerId)
      if (retry != null) { clearTimeout(retry.timer); this.doneRetries.delete(peerId) }
      void this.tellDone(peerId)
    }
    for (const [blobId, l] of this.live) {
      if (l.state === 'waiting' && (l.waitingFor === peerId || l.waitingFor == null || l.waitingOn?.has(peerId) === true)) this.attempt(blobId)
    }
  }

  /** Every download this node knows, with its live state. */
  async list (): Promise<TransferView[]> {
    return (await this.c.downloads.list()).filter(r => r.info != null).map(r => this.view(r))
  }

  /** What this node serves right now, per blob and puller. */
  listUploads (): UploadView[] {
    return [...this.uploads.values()].map(({ served: _served, ...u }) => u)
  }

  /** The view of one download record, with what is known live. */
  view (record: DownloadRecord): TransferView {
    return viewOfDownload(record, this.live.get(record.blobId))
  }

  /** Count a chunk served to `peer` (the holder side), for `transfers` and the kill tests. */
  served (blobId: string, index: number, peer: string): void {
    const key = `${blobId}!${peer}`
    let u = this.uploads.get(key)
    if (u == null) {
      u = { blobId, peer, chunksServed: 0, chunksRepeated: 0, completed: false, updatedAt: 0, served: new Set() }
      this.uploads.set(key, u)
      // Bounded: the oldest entries go first (they are for `transfers` only).
      if (this.uploads.size > MAX_UPLOADS_SHOWN) this.uploads.delete(this.uploads.keys().next().value!)
    }
    if (u.served.has(index)) u.chunksRepeated++
    else { u.served.add(index); u.chunksServed++ }
    u.updatedAt = this.c.now()
  }

  /** A recipient said it holds the whole blob. */
  uploadCompleted (blobId: string, peer: string): void {
    const u = this.uploads.get(`${blobId}!${peer}`)
    if (u != null) { u.completed = true; u.served.clear(); u.updatedAt = this.c.now() }
  }

  /** Try to pull `blobId` now, unless it is already running (or queue it behind the running ones). */
  attempt (blobId: string): void {
    if (this.stopped || this.running.has(blobId)) return
    if (this.running.size >= this.maxConcurrent) { this.queued.add(blobId); return }
    this.queued.delete(blobId)
    const abort = new AbortController()
    this.running.set(blobId, abort)
    void this.run(blobId, abort.signal)
      .catch(err => { this.c.log.error('pull of %s failed unexpectedly - %e', blobId, err) })
      .finally(() => {
        this.running.delete(blobId)
        const next = this.queued.values().next()
        if (next.done !== true) this.attempt(next.value)
      })
  }

  private liveOf (blobId: string): Live {
    let l = this.live.get(blobId)
    if (l == null) {
      l = { state: 'waiting', bytesDone: 0, failures: 0, lastProgressAt: 0, updatedAt: this.c.now() }
      this.live.set(blobId, l)
    }
    return l
  }

  private setState (blobId: string, messageId: string, change: Partial<Live> & { state: TransferState }): void {
    const l = this.liveOf(blobId)
    const before = `${l.state}|${l.waitingFor ?? ''}|${l.reason ?? ''}`
    l.state = change.state
    l.waitingFor = change.waitingFor
    l.waitingForName = change.waitingForName
    l.reason = change.reason
    if (change.bytesDone != null) l.bytesDone = change.bytesDone
    l.updatedAt = this.c.now()
    if (before === `${l.state}|${l.waitingFor ?? ''}|${l.reason ?? ''}`) return
    const event: { blobId: string, messageId: string, state: TransferState, waitingFor?: string, reason?: string } = { blobId, messageId, state: l.state }
    if (l.waitingFor != null) event.waitingFor = l.waitingFor
    if (l.reason != null) event.reason = l.reason
    this.c.events.emit('transfer:state', event)
  }

  private async nameOf (peerId: string): Promise<string> {
    return (await this.c.contacts.getByPeerId(peerId))?.name ?? `${peerId.slice(0, 8)}…${peerId.slice(-6)}`
  }

  /** Where `location` can be dialed now, or why not (offline, no address). */
  private async reach (location: BlobLocation, homeServers: string[]): Promise<{ addrs: string[] } | { offline: boolean, why: string }> {
    const { libp2p, contacts } = this.c
    const contact = await contacts.getByPeerId(location.peerId)
    let addrs = [...new Set([...location.addrs, ...(contact?.addrs ?? [])])]
    const connected = libp2p.getConnections().some(c => c.remotePeer.toString() === location.peerId)
    const servers = [...new Set([...(contact?.homeServers ?? []), ...homeServers])]
    if (servers.length > 0 && this.c.presence != null) {
      const view = await this.c.presence(location.peerId, servers)
      if (view?.online === false && !connected) return { offline: true, why: 'offline' }
      if (view?.online === true) addrs = [...new Set([...view.addrs, ...addrs])]
    }
    if (addrs.length === 0 && !connected) return { offline: false, why: 'no address known' }
    return { addrs }
  }

  private async run (blobId: string, signal: AbortSignal): Promise<void> {
    const record = await this.c.downloads.get(blobId)
    const info = record?.info
    if (record == null || info == null || record.state !== 'pending') return
    if (this.c.folderOf != null && await this.c.folderOf(info.messageId) == null) {
      // Its message was deleted for good (a pull registered by a re-delivery that raced the
      // purge, or a crash in between): nothing will show this file, so forget it.
      this.live.delete(blobId)
      await this.c.downloads.remove(blobId)
      return
    }
    const l = this.liveOf(blobId)
    clearTimeout(l.timer)
    l.timer = undefined
    l.bytesDone = record.bytesDone
    try {
      blobCipherName(record.ref.cipher)
    } catch (err) {
      // A newer sender's cipher: no holder can help, so fail it now (the message itself is kept).
      this.c.log.error('message %s: attachment %s - %s', info.messageId, blobId, asError(err).message)
      await this.giveUp(record, info.messageId, asError(err).message)
      return
    }
    l.awaitingAcceptance = undefined
    const unaccepted = await this.unacceptedFolder(record)
    if (unaccepted != null) {
      // No timer: moving the message (messageMoved) or `transfers --retry` starts it.
      l.awaitingAcceptance = info.messageId
      const limit = formatMiB(this.init.maxStrangerBytes ?? Number.MAX_SAFE_INTEGER)
      const why = unaccepted === 'trash' ? `in the trash and over ${limit} (blobs.maxStrangerBytes): move the message out of the trash` : `not from a contact and over ${limit} (blobs.maxStrangerBytes): move the message to your inbox`
      this.setState(blobId, info.messageId, { state: 'waiting', bytesDone: record.bytesDone, reason: `${why} or run \`peerpost transfers --retry ${blobId}\` to get it` })
      return
    }

    // The holders the sender listed first (the sender: it is the authority, and its copy is
    // released once every recipient has it), then the co-recipients it listed, any of whom may
    // have pulled the blob whole by now (design section 5: "from the sender or any holder").
    let current = record
    let known = info
    const banned = new Set(known.badHolders ?? [])
    const listed = new Set(known.locations.map(l => l.peerId))
    const candidates: Candidate[] = [
      ...known.locations.map(l => ({ ...l, listed: true })),
      ...(known.coRecipients ?? []).filter(p => !listed.has(p)).slice(0, MAX_CO_RECIPIENT_HOLDERS).map(peerId => ({ peerId, addrs: [], listed: false }))
    ]
    const waits: Wait[] = []
    /** Co-recipients that answered but do not have it (yet): presence will not wake us for them. */
    const without: string[] = []
    let gone: Wait | undefined
    let lastBad: string | undefined
    for (const location of candidates) {
      if (signal.aborted) return
      if (banned.has(location.peerId)) continue
      const name = await this.nameOf(location.peerId)
      const reach = await this.reach(location, known.homeServers)
      if (!('addrs' in reach)) {
        waits.push({ peerId: location.peerId, name, why: reach.offline ? `waiting for ${name} to come online` : `waiting for ${name}: ${reach.why}` })
        continue
      }
      this.setState(blobId, known.messageId, { state: 'pulling', bytesDone: current.bytesDone })
      try {
        known = await this.noteSource(current, known, location.peerId)
        // A pull DCUtR cuts (its stream was on the relayed connection the upgrade closed)
        // resumes at once on the direct connection, from its last chunk written, instead
        // of waiting out the backoff below.
        const done = await retryOnUpgrade(this.c.libp2p, location.peerId, async watch => {
          const download = await this.c.downloads.open(refOf(current))
          return await pullBlob(this.c.libp2p, { peerId: location.peerId, addrs: reach.addrs }, download, {
            inFlight: this.init.inFlight,
            signal,
            dialTimeoutMs: this.init.dialTimeoutMs,
            holderName: name,
            watch,
            onProgress: (bytesDone, total) => { this.progress(blobId, known.messageId, bytesDone, total) }
          })
        }, { signal, onRetry: err => { this.c.log('pull of %s from %s cut by the upgrade to a direct connection, resuming on it - %s', blobId, location.peerId, err.message) } })
        l.failures = 0
        this.setState(blobId, known.messageId, { state: done.state === 'complete' ? 'complete' : 'failed', bytesDone: done.bytesDone, reason: done.reason })
        this.c.events.emit('transfer:progress', { blobId, messageId: known.messageId, bytesDone: done.bytesDone, total: done.ref.size })
        this.c.log('pulled %s (%s) from %s%s', blobId, known.name, location.peerId, location.listed ? '' : ', a co-recipient')
        if (!location.listed && done.state === 'complete') await this.oweListed(done, known).catch(err => { this.c.log.error('recording what %s owes the sender failed - %e', blobId, err) })
        return
      } catch (err) {
        const e = asError(err)
        if (signal.aborted) { this.setState(blobId, known.messageId, { state: 'waiting', reason: 'stopped' }); return }
        if (BAD_BLOB_DATA_ERRORS.has(e.name)) {
          // pullBlob threw the partial data away and recorded why. A lie is never asked for
          // again by itself: the holders it casts doubt on are set aside (durably), and the
          // download starts again from nothing with any holder left.
          lastBad = `${name} served bad data: ${e.message}`
          this.c.log.error('%s served bad data for %s - %s', location.peerId, blobId, e.message)
          const suspects = suspectsOf(e.name, location.peerId, known.sources ?? [], listed)
          for (const peerId of suspects) banned.add(peerId)
          known = { ...known, sources: [], badHolders: [...banned] }
          if (candidates.every(c => banned.has(c.peerId))) {
            await this.c.downloads.register(refOf(current), known)
            this.setState(blobId, known.messageId, { state: 'failed', bytesDone: 0, reason: lastBad })
            return
          }
          current = await this.restart(current, known)
          this.setState(blobId, known.messageId, { state: 'waiting', bytesDone: 0, reason: `${lastBad}; starting again from another holder` })
          continue
        }
        if (e.name === 'PeerRefusedError' && String((e as Error & { code?: unknown }).code) === 'NOT_FOUND') {
          if (location.listed) gone ??= { peerId: location.peerId, name, why: `${name} no longer holds it (expired or removed)` }
          else without.push(location.peerId)
          continue
        }
        this.c.log('pull of %s from %s stopped - %s', blobId, location.peerId, e.message)
        waits.push({ peerId: location.peerId, name, why: `waiting for ${name}: ${e.message}` })
      }
    }

    const latest = (await this.c.downloads.get(blobId)) ?? current
    if (gone != null && waits.length === 0) {
      // The sender no longer has it and no co-recipient that answered does: nothing will complete it.
      await this.giveUp(latest, known.messageId, gone.why)
      return
    }
    l.failures++
    l.waitingOn = new Set([...waits.map(w => w.peerId), ...without])
    const delay = backoffDelay(l.failures, this.init.retryBaseMs ?? 1_000, this.init.retryMaxMs ?? DEFAULT_RETRY_MAX_MS, this.c.random)
    const first = waits[0] ?? gone
    const also = waits.slice(1).filter(w => !listed.has(w.peerId)).map(w => w.name)
    const why = first == null
      ? (lastBad != null ? `${lastBad}; no other holder has it yet` : candidates.length > 0 ? 'no holder has it yet' : 'no holder named')
      : also.length > 0 ? `${first.why} (or for ${also.join(', ')}, who got it too)` : first.why
    this.setState(blobId, known.messageId, { state: 'waiting', bytesDone: latest.bytesDone, waitingFor: first?.peerId, waitingForName: first?.name, reason: why })
    // Presence or a new connection usually wakes it first (kick); this is the fallback.
    l.timer = setTimeout(() => { l.timer = undefined; this.attempt(blobId) }, delay)
    l.timer.unref()
  }

  /**
   * A blob that a co-recipient served: the holders the sender listed (itself) never heard
   * `done` from me, and would keep their copy for me until it expires. Owe it to them
   * durably, and tell each now or when it is next online (kick).
   */
  private async oweListed (record: DownloadRecord, info: DownloadInfo): Promise<void> {
    const holders = info.locations.map(l => l.peerId)
    if (holders.length === 0) return
    await this.c.downloads.register(refOf(record), { ...info, owedDone: holders })
    for (const holder of holders) this.owe(holder, record.blobId)
    for (const holder of holders) void this.tellDone(holder)
  }

  private owe (holder: string, blobId: string): void {
    const blobs = this.owed.get(holder) ?? new Set<string>()
    blobs.add(blobId)
    this.owed.set(holder, blobs)
  }

  /**
   * Tell `holder` about every blob owed to it. One it cannot be reached for because it is
   * offline waits for its next kick (its presence push or connection). One that fails while
   * it looked online (under load a dial or answer times out, and neither presence nor a
   * connection may say anything new afterwards) is tried again after a backoff, at most
   * MAX_DONE_RETRIES times, then on its next kick. A kick during a round starts another after it.
   */
  private async tellDone (holder: string): Promise<void> {
    if (this.stopped) return
    if (this.telling.has(holder)) { this.tellAgain.add(holder); return }
    this.telling.add(holder)
    let failed = false
    try {
      for (const blobId of [...this.owed.get(holder) ?? []]) {
        if (this.stopped) return
        const record = await this.c.downloads.get(blobId)
        const info = record?.info
        if (record?.state !== 'complete' || info == null || info.owedDone?.includes(holder) !== true) { this.owed.get(holder)?.delete(blobId); continue }
        const reach = await this.reach(info.locations.find(l => l.peerId === holder) ?? { peerId: holder, addrs: [] }, info.homeServers)
        if (!('addrs' in reach)) { failed = !reach.offline; return }
        try {
          const recorded = await tellHolderDone(this.c.libp2p, { peerId: holder, addrs: reach.addrs }, blobId, { dialTimeoutMs: this.init.dialTimeoutMs })
          this.c.log('told %s that %s is here (%s)', holder, blobId, recorded ? 'recorded' : 'it no longer holds it')
        } catch (err) {
          this.c.log('could not tell %s that %s is here - %s', holder, blobId, asError(err).message)
          failed = true
          return
        }
        await this.c.downloads.register(refOf(record), { ...info, owedDone: info.owedDone.filter(p => p !== holder) })
        this.owed.get(holder)?.delete(blobId)
      }
    } catch (err) {
      this.c.log.error('telling %s what is here failed - %e', holder, err)
      failed = true
    } finally {
      this.telling.delete(holder)
      if (this.owed.get(holder)?.size === 0) this.owed.delete(holder)
      if (!this.owed.has(holder)) this.doneRetries.delete(holder)
      else if (this.tellAgain.delete(holder)) void this.tellDone(holder)
      else if (failed) this.retryTellLater(holder)
    }
  }

  /** Tell `holder` again after a backoff (bounded: MAX_DONE_RETRIES, then its next kick). */
  private retryTellLater (holder: string): void {
    if (this.stopped) return
    const retry = this.doneRetries.get(holder) ?? { failures: 0 }
    this.doneRetries.set(holder, retry)
    if (retry.timer != null || retry.failures >= MAX_DONE_RETRIES) return
    retry.failures++
    const delay = backoffDelay(retry.failures, this.init.retryBaseMs ?? 1_000, this.init.retryMaxMs ?? DEFAULT_RETRY_MAX_MS, this.c.random)
    retry.timer = setTimeout(() => { retry.timer = undefined; void this.tellDone(holder) }, delay)
    retry.timer.unref()
  }

  /** Record durably, before it serves anything, that `peerId` serves into this partial file (kept while the download is closed). */
  private async noteSource (record: DownloadRecord, info: DownloadInfo, peerId: string): Promise<DownloadInfo> {
    if (info.sources?.includes(peerId) === true) return info
    const next = { ...info, sources: [...(info.sources ?? []), peerId] }
    await this.c.downloads.register(refOf(record), next)
    return next
  }

  /** Start a download that bad data failed again from nothing, keeping `info` (who lied). */
  private async restart (record: DownloadRecord, info: DownloadInfo): Promise<DownloadRecord> {
    await this.c.downloads.register(refOf(record), info)
    const download = await this.c.downloads.open(refOf(record))
    await download.close()
    return download.record
  }

  /**
   * The folder that holds back an attachment over maxStrangerBytes the person has not
   * accepted (by `transfers --retry`, or by moving the message out of UNACCEPTED_FOLDERS);
   * undefined when it may be pulled.
   */
  private async unacceptedFolder (record: DownloadRecord): Promise<Folder | undefined> {
    const limit = this.init.maxStrangerBytes
    if (limit == null || record.ref.size <= limit || record.info == null || record.info.accepted === true || this.c.folderOf == null) return undefined
    const folder = await this.c.folderOf(record.info.messageId)
    return folder != null && UNACCEPTED_FOLDERS.includes(folder) ? folder : undefined
  }

  /** Fail a download that nothing will complete, saying why: its partial data is deleted. */
  private async giveUp (record: DownloadRecord, messageId: string, reason: string): Promise<void> {
    const download = await this.c.downloads.open(refOf(record))
    await download.fail(reason)
    this.setState(record.blobId, messageId, { state: 'failed', bytesDone: 0, reason })
  }

  private progress (blobId: string, messageId: string, bytesDone: number, total: number): void {
    const l = this.liveOf(blobId)
    this.init.onBytes?.(bytesDone - l.bytesDone)
    l.bytesDone = bytesDone
    l.updatedAt = this.c.now()
    if (bytesDone < total && l.updatedAt - l.lastProgressAt < this.progressIntervalMs) return
    l.lastProgressAt = l.updatedAt
    this.c.events.emit('transfer:progress', { blobId, messageId, bytesDone, total })
  }
}

/** No download of that blob is recorded here. */
export class DownloadNotFoundError extends Error {
  static readonly NAME = 'DownloadNotFoundError'
  override readonly name = DownloadNotFoundError.NAME
  constructor (readonly blobId: string) {
    super(`no large attachment with blob id ${blobId} is recorded here: \`peerpost transfers --json\` shows their ids`)
  }
}

/** A download as `transfers` shows it; `live` is what the daemon knows beyond the record (absent without a daemon). */
export function viewOfDownload (record: DownloadRecord, live?: Pick<Live, 'state' | 'bytesDone' | 'waitingFor' | 'waitingForName' | 'reason' | 'updatedAt'>): TransferView {
  const info = record.info
  const l = live
  const state: TransferState = record.state === 'complete' ? 'complete' : record.state === 'failed' ? 'failed' : l?.state === 'pulling' ? 'pulling' : 'waiting'
  const view: TransferView = {
    blobId: record.blobId,
    messageId: info?.messageId ?? '',
    name: info?.name ?? record.blobId,
    type: info?.type ?? 'application/octet-stream',
    from: info?.from ?? '',
    size: record.ref.size,
    bytesDone: Math.max(record.bytesDone, state === 'pulling' ? l?.bytesDone ?? 0 : 0),
    state,
    updatedAt: Math.max(record.updatedAt, l?.updatedAt ?? 0)
  }
  if (state === 'failed' && record.reason != null) view.reason = record.reason
  if (state === 'waiting') {
    const waitingFor = l?.waitingFor ?? info?.locations[0]?.peerId
    if (waitingFor != null) view.waitingFor = waitingFor
    if (l?.waitingForName != null) view.waitingForName = l.waitingForName
    view.reason = l?.reason ?? (live == null ? 'the daemon is not running' : 'not tried yet')
  }
  return view
}

/** The large attachments of a message as `read` shows them. */
export interface LargeAttachmentView extends BlobAttachmentSummary {
  /** here: complete on disk; pulling, waiting, failed: see `transfers`; held: I sent it and keep it; gone: I sent it and no longer keep it. */
  state: TransferState | 'here' | 'held' | 'gone'
  bytesDone: number
  percent: number
  waitingFor?: string
  waitingForName?: string
  reason?: string
  /** held: recipients (PeerIds) that have it and that still wait for it. */
  have?: string[]
  waiting?: string[]
}

function formatMiB (bytes: number): string {
  const mib = bytes / (1024 * 1024)
  return `${Number.isInteger(mib) ? mib : mib.toFixed(1)} MiB`
}
