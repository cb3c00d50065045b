import { join } from 'node:path'
import { loadNodeConfig } from './config.js'
import { IdentityMissingError } from './errors.js'
import { identityFromKeyMaterial } from './identity/index.js'
import { createBlobDownloads, createBlobStore, createKeystore, createPurger, openHomeStore } from '../storage/index.js'
import type { NodeConfig } from './config.js'
import type { NodeEvents } from './events.js'
import type { Transfers } from './transfers.js'
import type { Identity } from './identity/index.js'
import type { BlobDownloads, BlobStore, HomeStore, Purger } from '../storage/index.js'
import type { ComponentLogger } from '@libp2p/interface'

/** Where things live in a home directory (design section 6). */
export interface HomePaths {
  home: string
  keystore: string
  config: string
  db: string
  blobs: string
  controlSocket: string
  log: string
}

export function homePaths (home: string): HomePaths {
  return {
    home,
    keystore: join(home, 'keystore.json'),
    config: join(home, 'config.json'),
    db: join(home, 'db'),
    blobs: join(home, 'blobs'),
    controlSocket: join(home, 'control.sock'),
    log: join(home, 'peerpost.log')
  }
}

export interface OpenHome {
  paths: HomePaths
  identity: Identity
  config: NodeConfig
  store: HomeStore
  /** Large attachments I hold for my recipients. */
  blobs: BlobStore
  /** Large attachments I pull from their holders. */
  downloads: BlobDownloads
  close(): Promise<void>
}

/**
 * Open a home for use by this process: the keystore (with its passphrase when sealed),
 * the config and the database. Only one process may have it open (the database is locked).
 */
export async function openHome (home: string, passphrase?: Uint8Array, logger?: ComponentLogger): Promise<OpenHome> {
  const paths = homePaths(home)
  const keystore = createKeystore(paths.keystore)
  if (!(await keystore.exists())) throw new IdentityMissingError(home)
  const keys = await keystore.load(passphrase)
  const identity = identityFromKeyMaterial(keys)
  const config = await loadNodeConfig(paths.config)
  const store = await openHomeStore(paths.db, { kind: 'node' })
  const blobs = createBlobStore(store.db, { dir: paths.blobs })
  const blobLog = logger?.forComponent('peerpost:blob')
  const downloads = createBlobDownloads(store.db, {
    dir: paths.blobs,
    // Once per file: the download goes on through the page cache, only slower to write.
    onDirectIoRefused: (path, err) => { blobLog?.('%s: the file system refused O_DIRECT (%s), writing it through the page cache', path, err.message) }
  })
  return { paths, identity, config, store, blobs, downloads, close: async () => { await store.close() } }
}

/**
 * What deletes messages of an open home for good: each batch is told on `events`
 * (`mail:deleted`), and with the daemon's `transfers`, the pulls of their large attachments
 * stop first.
 */
export function homePurger (opened: Pick<OpenHome, 'store' | 'downloads'>, events: NodeEvents, transfers?: Transfers): Purger {
  return createPurger({
    writer: opened.store.mailbox.writer,
    downloads: opened.downloads,
    beforeCommit: transfers == null ? undefined : async summaries => { await transfers.forget(summaries.flatMap(s => (s.blobs ?? []).map(b => b.blobId))) },
    onPurged: ids => { events.emit('mail:deleted', { ids }) }
  })
}
