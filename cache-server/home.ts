import { mkdir } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { generateKeyMaterial, identityFromKeyMaterial } from '../node/identity/index.js'
import { createKeystore } from '../storage/index.js'
import type { Identity } from '../node/identity/index.js'

/** Where a cache server keeps its things: its own identity and database, never a user's home. */
export interface CacheHomePaths {
  home: string
  keystore: string
  /** The config read when `--config` is not given (missing: all defaults). */
  config: string
  db: string
}

export function cacheHomePaths (home: string): CacheHomePaths {
  return { home, keystore: join(home, 'keystore.json'), config: join(home, 'cache.json'), db: join(home, 'db') }
}

/** `--home`, else $PEERPOST_CACHE_HOME, else `<data dir>/peerpost-cache` (apart from a user's node home). */
export function resolveCacheHome (option: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (option != null && option !== '') return resolve(option)
  if (env.PEERPOST_CACHE_HOME != null && env.PEERPOST_CACHE_HOME !== '') return resolve(env.PEERPOST_CACHE_HOME)
  const data = env.XDG_DATA_HOME != null && env.XDG_DATA_HOME !== '' ? env.XDG_DATA_HOME : join(homedir(), '.local', 'share')
  return join(data, 'peerpost-cache')
}

/**
 * The server's identity, made on first start. Its keystore is not sealed: the server must
 * start unattended (systemd), so the file's mode 0600 and the home's 0700 protect it.
 */
export async function loadOrCreateServerIdentity (paths: CacheHomePaths, now: number): Promise<{ identity: Identity, created: boolean }> {
  await mkdir(paths.home, { recursive: true, mode: 0o700 })
  const keystore = createKeystore(paths.keystore)
  let created = false
  if (!(await keystore.exists())) {
    await keystore.create(await generateKeyMaterial({ displayName: 'peerpost cache server', now }))
    created = true
  }
  return { identity: identityFromKeyMaterial(await keystore.load()), created }
}
