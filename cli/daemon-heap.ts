/**
 * The daemon streams large attachments. With V8's default young generation, the garbage a
 * pull leaves behind (network and crypto buffers, in small wrappers a scavenge would free)
 * piles up to about 70 MiB before a collection runs: a daemon pulling 20 MiB peaked at
 * 216 MiB RSS, against 157 MiB with 4 MiB semi-spaces (measured on the test machine). The
 * flag only takes effect at start, so the daemon re-executes itself with it, in place:
 * `process.execve` keeps the pid, the open stdio and the environment.
 */
export const DAEMON_SEMI_SPACE_MIB = 4
const FLAG = '--max-semi-space-size'

/** Re-execute this process with the daemon's heap flags unless it has them (or cannot, or is told not to: PEERPOST_DAEMON_REEXEC=0). */
export function ensureDaemonHeapFlags (): void {
  const has = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some(a => a.startsWith(FLAG))
  if (has || process.env.PEERPOST_DAEMON_REEXEC === '0' || typeof process.execve !== 'function') return
  process.execve(process.execPath, [process.execPath, `${FLAG}=${DAEMON_SEMI_SPACE_MIB}`, ...process.execArgv, ...process.argv.slice(1)], process.env)
}
