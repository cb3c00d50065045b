import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { createNetwork } from '../../node/network.js'
import { createBlobDownloads, createBlobStore, openDatabase } from '../../storage/index.js'
import type { PeerpostLibp2p } from '../../node/network.js'
import type { DialTarget } from '../../node/protocol/rpc.js'
import type { BlobDownloads, BlobRecord, BlobStore, Database } from '../../storage/index.js'

/** A user in a temp home: a real libp2p node (TCP + Noise + Yamux on 127.0.0.1) with a blob store and downloads. */
export interface Peer {
  name: string
  node: PeerpostLibp2p
  db: Database
  blobs: BlobStore
  downloads: BlobDownloads
  home: string
  id: string
  target: DialTarget
}

export async function startPeer (name: string): Promise<Peer> {
  const home = await mkdtemp(join(tmpdir(), `peerpost-blob-${name}-`))
  const db = await openDatabase(join(home, 'db'))
  const node = await createNetwork({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'] })
  await node.start()
  const id = node.peerId.toString()
  return {
    name,
    node,
    db,
    home,
    id,
    blobs: createBlobStore(db, { dir: join(home, 'blobs') }),
    downloads: createBlobDownloads(db, { dir: join(home, 'blobs') }),
    target: { peerId: id, addrs: node.getMultiaddrs().map(String) }
  }
}

export async function stopPeer (peer: Peer | undefined): Promise<void> {
  if (peer === undefined) return
  await peer.node.stop()
  await peer.db.close()
  await rm(peer.home, { recursive: true, force: true })
}

export async function * randomStream (size: number, piece = 256 * 1024): AsyncGenerator<Uint8Array> {
  for (let done = 0; done < size; done += piece) yield randomBytes(Math.min(piece, size - done))
}

/** What a puller needs of a blob record to open its download. */
export const refOf = (r: BlobRecord): { blobId: string, size: number, chunkSize: number, sha256: Uint8Array, key: Uint8Array, cipher: number } => ({ blobId: r.blobId, size: r.size, chunkSize: r.chunkSize, sha256: r.sha256, key: r.key, cipher: r.cipher })
