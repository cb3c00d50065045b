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
const FLAG = '--max-semi-space-size'

/** Re-execute this process with the daemon's heap flag unless it has it (or cannot, or is told not to: PEERPOST_DAEMON_REEXEC=0). */
export function ensureDaemonHeapFlags (): void {
  const has = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some(a => a.startsWith(FLAG))
  if (has || process.env.PEERPOST_DAEMON_REEXEC === '0' || typeof process.execve !== 'function') return
  process.execve(process.execPath, [process.execPath, `${FLAG}=${DAEMON_SEMI_SPACE_MIB}`, ...process.execArgv, ...process.argv.slice(1)], process.env)
}
