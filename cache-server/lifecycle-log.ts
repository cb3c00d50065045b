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

/**
 * A lifecycle event that may come once per request (a deposit refused for disk space, a
 * deposit the database failed to store): written the first time, then at most once per
 * `everyMs`, with how many were left out since the last line (`suppressed`), so the
 * journal shows the condition without a line per deposit. The metrics count every one.
 */
export function throttledEvent (log: LifecycleLog, event: string, everyMs: number, now: () => number): (fields?: Record<string, unknown>) => void {
  let last: number | undefined
  let suppressed = 0
  return (fields = {}) => {
    const t = now()
    if (last != null && t - last < everyMs) {
      suppressed++
      return
    }
    log(event, { ...fields, ...(suppressed > 0 ? { suppressed } : {}) })
    last = t
    suppressed = 0
  }
}
