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
 * The old generation's first limit. V8 starts it small and sets each next limit from the
 * live heap (~17 MiB for a daemon) and how much a collection freed, so a daemon serving an
 * attachment hit it every ~1 MiB promoted: 40-50 full collections per 400 MiB served, each
 * 10-30 ms of marking (1 s of GC threads' CPU in all). A first limit of 64 MiB leaves the
 * young collections to free that garbage.
 */
export const DAEMON_INITIAL_OLD_SPACE_MIB = 64
/** The V8 flags the daemon runs with (tests that measure a daemon's parts in a process of their own run them too). */
export const DAEMON_HEAP_FLAGS: readonly string[] = [SEMI_SPACE_FLAG, `--initial-old-space-size=${DAEMON_INITIAL_OLD_SPACE_MIB}`]
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
 * glibc's malloc settings for the cache server (read by glibc only when a process
 * starts, so set through the re-exec below). Node's worker threads (V8's GC and compiler
 * jobs) each malloc in an arena of their own, and those arenas grew by 6-14 MiB in a run
 * of bench presence, a different amount each time: free memory in the middle of an
 * arena is never returned. Allocations of 16 KiB and more (compiler zones, socket read
 * buffers) are then mapped on their own and unmapped when freed, so the arenas hold only
 * small chunks: probe (1,000 nodes, alternated) thread arenas 2.8-5.9 -> -0.3-1.9 KiB per
 * node, RSS 45.0, 47.3, 43.8, 46.5 -> 44.0, 42.7, 42.7, 44.1 KiB per node, CPU unchanged
 * within the noise. Other C libraries ignore it.
 */
export const CACHE_SERVER_MALLOC_TUNABLES = ['glibc.malloc.mmap_threshold=16384']

/** GLIBC_TUNABLES with `tunables` added, or undefined when it has each of them already (by name). */
function withTunables (current: string | undefined, tunables: string[]): string | undefined {
  const have = (current ?? '').split(':').filter(t => t !== '')
  const missing = tunables.filter(t => !have.some(h => flagName(h) === flagName(t)))
  return missing.length === 0 ? undefined : [...have, ...missing].join(':')
}

/**
 * Re-execute this process with `flags` (and glibc `tunables`) unless it already has each
 * of them (flags by name, from the command line or NODE_OPTIONS; tunables by name, from
 * GLIBC_TUNABLES), or cannot, or is told not to (PEERPOST_DAEMON_REEXEC=0).
 */
function ensureHeapFlags (flags: string[], tunables: string[] = []): void {
  const present = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].map(flagName)
  const missing = flags.filter(f => !present.includes(flagName(f)))
  const glibcTunables = withTunables(process.env.GLIBC_TUNABLES, tunables)
  if ((missing.length === 0 && glibcTunables === undefined) || process.env.PEERPOST_DAEMON_REEXEC === '0' || typeof process.execve !== 'function') return
  const env = glibcTunables === undefined ? process.env : { ...process.env, GLIBC_TUNABLES: glibcTunables }
  process.execve(process.execPath, [process.execPath, ...missing, ...process.execArgv, ...process.argv.slice(1)], env)
}

/** The daemon's heap flag (above). */
export function ensureDaemonHeapFlags (): void {
  ensureHeapFlags([...DAEMON_HEAP_FLAGS])
}

/** The cache server's heap flags, malloc tunables and Buffer pool size (above). */
export function ensureCacheServerMemorySettings (): void {
  ensureHeapFlags(CACHE_SERVER_HEAP_FLAGS, CACHE_SERVER_MALLOC_TUNABLES)
  Buffer.poolSize = CACHE_SERVER_BUFFER_POOL_BYTES
}
