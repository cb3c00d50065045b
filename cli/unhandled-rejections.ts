/**
 * What a long-running process (the node daemon, the cache server) does with a promise that
 * some code path rejected and nobody handled.
 *
 * Node ends the process by default. For a daemon that means one forgotten error path,
 * which a peer on the network can trigger (a stream reset at the wrong moment did, until
 * fixed), stops all of that user's mail, or a cache server for everyone homed on it. A
 * rejection nobody awaits is an error of one exchange that got lost, not a broken process,
 * so these processes log it, with its stack, and go on. An uncaught exception (a throw
 * outside any promise) still ends them: there the process's state is unknown.
 *
 * Tests want the opposite, so such a path fails them instead of scrolling by in a log:
 * with PEERPOST_STRICT_REJECTIONS=1 (which the test helpers set for every process they
 * start) Node's default stands.
 */

/** The environment variable that keeps Node's default (end the process). */
export const STRICT_REJECTIONS_ENV = 'PEERPOST_STRICT_REJECTIONS'

/**
 * Log unhandled rejections to `write` and keep running, unless the environment asks for
 * strictness. Returns whether the handler was installed.
 *
 * @example
 * keepRunningOnUnhandledRejection('daemon')
 */
export function keepRunningOnUnhandledRejection (what: string, options: { env?: NodeJS.ProcessEnv, write?: (line: string) => void } = {}): boolean {
  const env = options.env ?? process.env
  if (env[STRICT_REJECTIONS_ENV] === '1') return false
  const write = options.write ?? ((line: string) => { process.stderr.write(line) })
  process.on('unhandledRejection', (reason: unknown) => {
    const detail = reason instanceof Error ? (reason.stack ?? `${reason.name}: ${reason.message}`) : String(reason)
    write(`peerpost ${what}: an error no code path handled (the ${what} goes on; please report it): ${detail}\n`)
  })
  return true
}
