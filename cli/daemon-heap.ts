/**
 * The daemon streams large attachments, churning through about 3 MiB of short-lived
 * buffers (socket reads, Noise frames, sealed and opened chunks) per 1 MiB moved. With V8's
 * default heap settings that garbage piled up: a daemon pulling 20 MiB peaked at 216 MiB
 * RSS. Two flags keep it flat: 1 MiB semi-spaces (frequent cheap scavenges free the small
 * wrappers of those buffers early) and `--expose-gc`, so node/gc-nudge.ts can start an
 * incremental collection every 32 MiB moved (buffers promoted while in flight are only
 * freed by a major collection). Measured: 300 MiB pulled with peaks of 148 MiB (sender) and
 * 162 MiB (receiver). The flags only take effect at start, so the daemon re-executes itself
 * with them, in place: `process.execve` keeps the pid, the open stdio and the environment.
 */
export const DAEMON_SEMI_SPACE_MIB = 1
const FLAG = '--max-semi-space-size'
/** node/gc-nudge.ts collects during large transfers. */
const EXPOSE_GC = '--expose-gc'

/** Re-execute this process with the daemon's heap flags unless it has them (or cannot, or is told not to: PEERPOST_DAEMON_REEXEC=0). */
export function ensureDaemonHeapFlags (): void {
  const has = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some(a => a.startsWith(FLAG))
  if (has || process.env.PEERPOST_DAEMON_REEXEC === '0' || typeof process.execve !== 'function') return
  process.execve(process.execPath, [process.execPath, `${FLAG}=${DAEMON_SEMI_SPACE_MIB}`, EXPOSE_GC, ...process.execArgv, ...process.argv.slice(1)], process.env)
}
