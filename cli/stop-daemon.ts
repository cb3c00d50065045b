import { setTimeout as sleep } from 'node:timers/promises'
import { ControlClient } from '../node/control/client.js'
import { errorName } from '../node/errors.js'

/** How often `peerpost stop` looks whether the daemon's process has exited. */
const EXIT_POLL_MS = 50

export class DaemonStopTimeoutError extends Error {
  static readonly NAME = 'DaemonStopTimeoutError'
  override name = DaemonStopTimeoutError.NAME
  constructor (home: string, pid: number, ms: number) {
    super(`the daemon of ${home} (pid ${pid}) has not exited after ${ms} ms: see peerpost.log in the home, or end it with kill -9 ${pid}`)
  }
}

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    // EPERM: it exists but is not ours to signal; only ESRCH means it is gone.
    return (err as NodeJS.ErrnoException).code !== 'ESRCH'
  }
}

/**
 * Ask the daemon of `home` to stop (as SIGTERM does) and wait until its process has exited,
 * so its database is closed and the home is free when this returns.
 */
export async function stopDaemon (home: string, timeoutMs: number): Promise<{ wasRunning: boolean, pid?: number }> {
  let client: ControlClient
  try {
    client = await ControlClient.connect(home)
  } catch (err) {
    if (errorName(err) === 'DaemonNotRunningError') return { wasRunning: false }
    throw err
  }
  let pid: number
  try {
    pid = (await client.call<{ pid: number }>('daemon.stop')).pid
  } finally {
    client.close()
  }
  const until = Date.now() + timeoutMs
  while (alive(pid)) {
    if (Date.now() > until) throw new DaemonStopTimeoutError(home, pid, timeoutMs)
    await sleep(EXIT_POLL_MS)
  }
  return { wasRunning: true, pid }
}
