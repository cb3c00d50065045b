import { randomBytes } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { defaultLogger } from '@libp2p/logger'
import { generateKeyMaterial, identityFromKeyMaterial, peerIdBytesFromString } from '../../node/identity/index.js'
import { createNetwork } from '../../node/network.js'
import { DeliverProtocol, PARK_PROTOCOL, verifyCoveringReceipt } from '../../node/protocol/deliver.js'
import { SealedEnvelope } from '../../node/protocol/peerpost.js'
import { BUILT, run } from './cli.js'
import { spawnReady } from './ready-process.js'
import type { CommandLine, RunResult } from './cli.js'
import type { Identity } from '../../node/identity/index.js'
import type { PeerpostLibp2p } from '../../node/network.js'
import type { DeliverOutcome, OutgoingEnvelope } from '../../node/protocol/deliver.js'
import type { Receipt } from '../../node/protocol/peerpost.js'
import type { ChildProcess } from 'node:child_process'

export interface CacheServerProcess {
  home: string
  peerId: string
  addrs: string[]
  /** `http://127.0.0.1:PORT` of /metrics and /health. */
  metrics: string
  proc: ChildProcess
  /** What the server wrote on stderr so far (its JSON lifecycle lines). */
  stderr(): string
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number | null>
  /** SIGKILL (crash) and wait until the process is gone. */
  kill(): Promise<void>
}

/**
 * Start the real `peerpost cache-server` for `home` on 127.0.0.1 (metrics on a free
 * loopback port unless the config says otherwise) and wait, with a deadline, for its ready
 * line. `config` is written to `home/cache.json`. `command` runs another `peerpost` (or the
 * built one inside a network namespace: `ip netns exec NS node main.js`).
 */
export async function startCacheServer (home: string, options: { port?: number, listen?: string[], config?: Record<string, any>, timeoutMs?: number, command?: CommandLine } = {}): Promise<CacheServerProcess> {
  await mkdir(home, { recursive: true })
  const config = { ...(options.config ?? {}) }
  config.metrics = { address: '127.0.0.1:0', ...(config.metrics ?? {}) }
  const configFile = join(home, 'cache.json')
  await writeFile(configFile, JSON.stringify(config))
  const listen = options.listen ?? [`/ip4/127.0.0.1/tcp/${options.port ?? 0}`]
  const command = options.command ?? BUILT
  const p = await spawnReady<{ peerId: string, addrs: string[], metrics: string }>(command.file, [...command.args, '--home', home, '--json', 'cache-server', ...listen.flatMap(l => ['--listen', l]), '--config', configFile], { what: `cache server in ${home}`, timeoutMs: options.timeoutMs })
  return { home, ...p.info, proc: p.proc, stderr: p.stderr, stop: p.stop, kill: p.kill }
}

/** `peerpost cache-server --audit` on a stopped server's home. */
export async function auditCacheServer (home: string): Promise<RunResult & { report?: { consistent: boolean, counted: { count: number, bytes: number }, counters: { count: number, bytes: number }, problems: string[] } }> {
  const r = await run(home, ['--json', 'cache-server', '--audit', '--config', join(home, 'cache.json')])
  try {
    return { ...r, report: JSON.parse(r.stdout) }
  } catch {
    return r
  }
}

/** Scrape /metrics into name{labels} -> value. */
export async function scrape (server: { metrics: string }): Promise<Map<string, number>> {
  const res = await fetch(`${server.metrics}/metrics`)
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`)
  const values = new Map<string, number>()
  for (const line of (await res.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const at = line.lastIndexOf(' ')
    values.set(line.slice(0, at), Number(line.slice(at + 1)))
  }
  return values
}

/** A raw libp2p client with its own identity: what a node looks like to the server. */
export interface RawClient {
  identity: Identity
  peerId: string
  libp2p: PeerpostLibp2p
  park: DeliverProtocol
  stop(): Promise<void>
}

/**
 * A client node with a fresh identity; `onReceipt` is told of every receipt that verified
 * (signed by `serverPeerId` for exactly those bytes), as it arrives.
 */
export async function rawClient (options: { serverPeerId?: string, onReceipt?: (envelopeId: Uint8Array, receipt: Receipt) => void } = {}): Promise<RawClient> {
  const identity = identityFromKeyMaterial(await generateKeyMaterial({ now: Date.now() }))
  const libp2p = await createNetwork({ privateKey: identity.privateKey, listen: [] })
  await libp2p.start()
  const park = new DeliverProtocol({
    libp2p,
    log: defaultLogger().forComponent('test:park'),
    verifyReceipt: (receipt, expectedSigner, covered) => {
      verifyCoveringReceipt(receipt, options.serverPeerId ?? expectedSigner, covered)
      for (const e of covered) options.onReceipt?.(e.envelopeId, receipt)
    }
  }, { protocol: PARK_PROTOCOL, maxEnvelopeBytes: 64 * 1024 * 1024 })
  return { identity, peerId: identity.peerIdString, libp2p, park, stop: async () => { await libp2p.stop() } }
}

/**
 * A sealed-looking envelope for `recipient`: the right outside (ids, key and nonce sizes)
 * around random ciphertext. The server never opens what it parks, so tests that only
 * exercise holding need no real seal.
 */
export function opaqueEnvelope (recipient: string, ciphertextBytes = 512): OutgoingEnvelope {
  const envelopeId = new Uint8Array(randomBytes(16))
  const bytes = SealedEnvelope.encode({
    recipient: peerIdBytesFromString(recipient),
    envelopeId,
    ephemeralPublicKey: new Uint8Array(randomBytes(32)),
    nonce: new Uint8Array(randomBytes(24)),
    ciphertext: new Uint8Array(randomBytes(ciphertextBytes))
  })
  return { envelopeId, bytes }
}

/** Park envelopes on a server (one pipelined stream); outcomes in order. */
export async function park (client: RawClient, server: { peerId: string, addrs: string[] }, envelopes: OutgoingEnvelope[]): Promise<DeliverOutcome[]> {
  return client.park.deliver({ peerId: server.peerId, addrs: server.addrs }, envelopes)
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

/**
 * Re-check `check` until it holds (for state only visible by asking, such as metrics after
 * a server-side timer); fails with `what` after `ms`. Each re-check waits on the previous
 * answer, so a slow server is never flooded.
 */
export async function eventually<T> (check: () => Promise<T | undefined | false>, ms: number, what: string): Promise<T> {
  const until = Date.now() + ms
  let last: unknown
  while (Date.now() < until) {
    try {
      const v = await check()
      if (v !== undefined && v !== false) return v
    } catch (err) {
      last = err
    }
    await new Promise(resolve => setTimeout(resolve, 25))
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}${last == null ? '' : ` (last error: ${(last as Error).message})`}`)
}
