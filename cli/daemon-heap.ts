/**
 * The daemon streams large attachments, churning through a few MiB of short-lived buffers
 * (socket reads, Noise frames, sealed and opened chunks) per 1 MiB moved. With V8's default
 * heap settings that garbage piled up: a daemon pulling 20 MiB peaked at 216 MiB RSS. 1 MiB
 * semi-spaces keep it flat: frequent cheap scavenges free the small wrappers of those
 * buffers early, and the external memory behind them goes with them. (An explicit
 * incremental major collection every 32 MiB moved, with `--expose-gc`, used to run on top:
 * it cost more CPU than anything else in the pull, 24 against 15 ms/MiB for both sides
 * on 256 MiB pulls, and did not lower the peaks: 1 GiB pulls without it peak at 177-178 MiB.)
 * The flag only takes effect at start, so the daemon re-executes itself with it, in place:
 * `process.execve` keeps the pid, the open stdio and the environment.
 */
export const DAEMON_SEMI_SPACE_MIB = 1
const SEMI_SPACE_FLAG = `--max-semi-space-size=${DAEMON_SEMI_SPACE_MIB}`
/**
 * The cache server also runs in V8's memory saver mode. Without it, V8 (13.6, Node 24)
 * keeps every heap page it ever used resident after the garbage on it is collected, so
 * the server's RSS is the high-water mark of its heap, reached while a thousand nodes
 * connect at once (their handshakes' garbage), not what it holds afterwards. With it,
 * freed pages go back to the system and the heap grows in smaller steps: bench presence
 * (1,000 nodes, in-process probe) 88-105 -> 56-66 KiB of RSS per node, for about the
 * same CPU (4.2 vs 4.5 s per 19 s of 200 heartbeats/s, one run each).
 */
export const CACHE_SERVER_HEAP_FLAGS = [SEMI_SPACE_FLAG, '--memory-saver-mode']

/**
 * The cache server allocates small Buffers without Node's pool. Node 24 serves
 * `Buffer.allocUnsafe` (and so `Buffer.from`, `Buffer.concat`, uint8arrays' `alloc`)
 * under 32 KiB as slices of shared 64 KiB pools. libp2p keeps two such slices for as long
 * as each connection lives (the remote PeerId's multihash digest and the remote
 * multiaddr's bytes, ~40-50 bytes each), cut from pools that the rest of the connection's
 * handshake filled with garbage: each 64 KiB pool stays allocated for a few slices (76
 * pools, 4.9 MiB, at 1,000 connections, heap snapshot). Without the pool each small
 * Buffer is its own allocation, freed with it: bench presence probe (1,000 nodes, A/B
 * alternated) 46.3-52.3 -> 42.4-48.2 KiB per node, external memory 4.8 -> 0.6 KiB per node.
 */
export const CACHE_SERVER_BUFFER_POOL_BYTES = 0

const flagName = (flag: string): string => flag.split('=')[0] ?? flag

/**
 * Re-execute this process with `flags` unless it already has each of them (by name, from
 * the command line or NODE_OPTIONS), or cannot, or is told not to (PEERPOST_DAEMON_REEXEC=0).
 */
function ensureHeapFlags (flags: string[]): void {
  const present = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].map(flagName)
  const missing = flags.filter(f => !present.includes(flagName(f)))
  if (missing.length === 0 || process.env.PEERPOST_DAEMON_REEXEC === '0' || typeof process.execve !== 'function') return
  process.execve(process.execPath, [process.execPath, ...missing, ...process.execArgv, ...process.argv.slice(1)], process.env)
}

/** The daemon's heap flag (above). */
export function ensureDaemonHeapFlags (): void {
  ensureHeapFlags([SEMI_SPACE_FLAG])
}

/** The cache server's heap flags and Buffer pool size (above). */
export function ensureCacheServerMemorySettings (): void {
  ensureHeapFlags(CACHE_SERVER_HEAP_FLAGS)
  Buffer.poolSize = CACHE_SERVER_BUFFER_POOL_BYTES
}
