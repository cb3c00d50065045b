import { readFile, stat } from 'node:fs/promises'
import { basename } from 'node:path'
import { detectMimeType } from 'nodemailer/lib/mime-funcs'
import { MAX_BLOB_RECIPIENTS } from './crypto/envelope.js'
import { peerIdBytesFromString, peerIdStringFromBytes } from './identity/index.js'
import type { ComposeAttachment } from './mime/index.js'
import type { BlobRef } from './protocol/peerpost.js'
import type { BlobDownloadRef, BlobLocation, BlobRecord, BlobStore } from '../storage/blob-types.js'
import type { BlobAttachmentSummary } from '../storage/types.js'

/**
 * Attachments on the sending side: which ride inside the MIME and which stay on this node
 * as blobs (design section 3), and the blob references the sealed envelope carries.
 */

export interface PreparedAttachments {
  /** At or below the threshold: read into memory and composed into the MIME. */
  inline: ComposeAttachment[]
  /** Above it: streamed into the blob store; one reference per blob, for every envelope. */
  blobRefs: BlobRef[]
  /** The same blobs as the sent copy and the outbox record them. */
  blobs: BlobAttachmentSummary[]
}

export interface PrepareOptions {
  /** Attachments larger than this many bytes become blobs (config `maxParkedAttachmentBytes`). */
  threshold: number
  store: BlobStore
  /** PeerIds allowed to pull the blobs: the message's recipients. */
  recipients: string[]
  /** My PeerId: the location every reference names. */
  self: string
  retentionMs: number
  signal?: AbortSignal
  /** Told the bytes of each chunk stored. */
  onChunk?: (bytes: number) => void
  /** Told, for each large file, when its storing starts (done 0) and after each chunk: bytes of it stored so far. */
  onProgress?: (p: { name: string, done: number, total: number }) => void
}

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')
const own = (b: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(b)

/**
 * Split `paths` by size: small files are read, large ones are streamed into `store` (a
 * 1 GiB file never sits in memory) and described by a BlobRef naming this node as holder.
 * If any file fails, the blobs already put are removed again.
 */
export async function prepareAttachments (paths: string[], options: PrepareOptions): Promise<PreparedAttachments> {
  const out: PreparedAttachments = { inline: [], blobRefs: [], blobs: [] }
  // Sizes first: a missing file fails the send before anything large is copied.
  const files = await Promise.all(paths.map(async path => ({ path, filename: basename(path) === '' ? 'attachment' : basename(path), size: (await stat(path)).size })))
  try {
    for (const { path, filename, size } of files) {
      if (size <= options.threshold) {
        out.inline.push({ filename, content: new Uint8Array(await readFile(path)) })
        continue
      }
      const type = detectMimeType(filename)
      let done = 0
      options.onProgress?.({ name: filename, done, total: size })
      const onChunk = (bytes: number): void => {
        options.onChunk?.(bytes)
        done += bytes
        options.onProgress?.({ name: filename, done, total: size })
      }
      const record = await options.store.put(path, { recipients: options.recipients, retentionMs: options.retentionMs, signal: options.signal, onChunk })
      out.blobs.push({ blobId: record.blobId, name: filename, type, size: record.size, sha256: hex(record.sha256) })
      out.blobRefs.push(blobRefOf(record, { name: filename, type }, options.self))
    }
  } catch (err) {
    for (const blob of out.blobs) await options.store.remove(blob.blobId).catch(() => {})
    throw err
  }
  return out
}

/**
 * The reference an envelope carries for a blob I hold: from its record (key, sizes, hash,
 * the recipients I serve it to) and how the message names it. Also used to seal a queued
 * message again (node/reseal.ts). Every recipient's ref lists all recipients (there is no
 * Bcc: they are all in the message's headers anyway), so one who has pulled the blob can
 * serve the others; past MAX_BLOB_RECIPIENTS none are listed and each pulls from me.
 */
export function blobRefOf (record: BlobRecord, named: { name: string, type: string }, self: string): BlobRef {
  return {
    blobId: own(Buffer.from(record.blobId, 'hex')),
    name: named.name,
    type: named.type,
    size: BigInt(record.size),
    chunkSize: record.chunkSize,
    sha256: own(record.sha256),
    key: own(record.key),
    locations: [peerIdBytesFromString(self)],
    cipher: record.cipher,
    recipients: record.recipients.length > 1 && record.recipients.length <= MAX_BLOB_RECIPIENTS ? record.recipients.map(peerIdBytesFromString) : []
  }
}

/** A received reference as the downloads store takes it; undefined when its size is not a safe integer. */
export function downloadRefOf (ref: BlobRef): BlobDownloadRef | undefined {
  if (ref.size > BigInt(Number.MAX_SAFE_INTEGER)) return undefined
  return { blobId: ref.blobId, size: Number(ref.size), chunkSize: ref.chunkSize, sha256: ref.sha256, key: ref.key, cipher: ref.cipher }
}

/** A received reference as the message's summary shows it. */
export function blobSummaryOf (ref: BlobRef): BlobAttachmentSummary {
  return { blobId: hex(ref.blobId), name: ref.name, type: ref.type, size: Number(ref.size), sha256: hex(ref.sha256) }
}

/** The recipients a reference lists (valid PeerIds, once each) other than `self`: who may hold the blob once they pulled it, and whom I serve it to once I have it. */
export function coRecipientsOf (ref: BlobRef, self: string): string[] {
  const peers = ref.recipients.flatMap(r => { const peerId = peerIdStringFromBytes(r); return peerId == null || peerId === self ? [] : [peerId] })
  return [...new Set(peers)]
}

/** The holders a reference names that are valid PeerIds. */
export function locationsOf (ref: BlobRef): BlobLocation[] {
  return ref.locations.flatMap(l => { const peerId = peerIdStringFromBytes(l); return peerId == null ? [] : [{ peerId, addrs: [] }] })
}
