/**
 * One JSON line per lifecycle event (started, stopping, stopped, keystore created, expiry
 * passes, failures) on stderr, for journald and log shippers. The detailed, per-request
 * logs are libp2p's namespaced debug logs (`DEBUG=peerpost:cache:*`).
 */
export type LifecycleLog = (event: string, fields?: Record<string, unknown>) => void

/** Writes `{"ts":ISO,"level":..,"component":"peerpost:cache","event":..,...fields}` lines. */
export function jsonLinesLog (write: (line: string) => void = line => { process.stderr.write(line) }, clock: () => number = Date.now): LifecycleLog {
  return (event, fields = {}) => {
    const level = typeof fields.level === 'string' ? fields.level : 'info'
    const { level: _level, ...rest } = fields
    write(JSON.stringify({ ts: new Date(clock()).toISOString(), level, component: 'peerpost:cache', event, ...rest }, (_k, v: unknown) => typeof v === 'bigint' ? v.toString() : v) + '\n')
  }
}

/** A log that drops everything (tests that do not care). */
export const silentLog: LifecycleLog = () => {}
