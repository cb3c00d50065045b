import { spawn } from 'node:child_process'
import { openSync, closeSync } from 'node:fs'
import { readFile, unlink, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { connectApi } from '../api.js'
import { errorName } from '../../node/errors.js'
import { homePaths } from '../../node/home.js'
import { DaemonStartError } from './ui-errors.js'
import type { HomeApi } from '../api.js'
import type { UiLog } from './log.js'

/** The `peerpost` entry point, started as `peerpost daemon` in the background. */
const MAIN = fileURLToPath(new URL('../main.js', import.meta.url))
/** How long a new daemon may take to open its control socket. */
export const DAEMON_START_TIMEOUT_MS = 30_000
/** How often the control socket is tried while the daemon starts (it has no other signal we can wait on). */
const CONNECT_RETRY_MS = 100

export interface EnsureDaemonOptions {
  home: string
  /** The keystore's passphrase, when it is sealed; handed to the daemon in a file only it reads, removed once it runs. */
  passphrase?: Uint8Array
  log: UiLog
}

/** Connect to the home's daemon, starting one in the background when none runs. */
export async function ensureDaemon (options: EnsureDaemonOptions): Promise<{ api: HomeApi, started: boolean, logFile: string }> {
  const paths = homePaths(options.home)
  try {
    return { api: await connectApi({ home: options.home, allowOffline: false }), started: false, logFile: paths.log }
  } catch (err) {
    if (errorName(err) !== 'DaemonNotRunningError') throw err
  }
  let passFile: string | undefined
  if (options.passphrase != null) {
    passFile = join(options.home, `.ui-passphrase-${randomBytes(6).toString('hex')}`)
    await writeFile(passFile, options.passphrase, { mode: 0o600 })
  }
  const out = openSync(paths.log, 'a', 0o600)
  const args = [MAIN, '--home', options.home, ...(passFile != null ? ['--passphrase-file', passFile] : []), 'daemon']
  options.log('starting the daemon: %s %s', process.execPath, args.join(' '))
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', out, out] })
  closeSync(out)
  let exited: number | null | undefined
  child.once('exit', code => { exited = code })
  child.unref()
  try {
    const until = Date.now() + DAEMON_START_TIMEOUT_MS
    while (Date.now() < until) {
      if (exited !== undefined) {
        const tail = (await readFile(paths.log, 'utf8').catch(() => '')).trim().split('\n').slice(-1)[0] ?? ''
        throw new DaemonStartError(`the daemon stopped at start (exit ${exited}): ${tail.replace(/^peerpost:\s*/, '')}`)
      }
      try {
        return { api: await connectApi({ home: options.home, allowOffline: false }), started: true, logFile: paths.log }
      } catch (err) {
        if (errorName(err) !== 'DaemonNotRunningError') throw err
      }
      await sleep(CONNECT_RETRY_MS)
    }
    throw new DaemonStartError(`the daemon did not open its control socket within ${DAEMON_START_TIMEOUT_MS / 1000} s (see ${paths.log})`)
  } finally {
    if (passFile != null) await unlink(passFile).catch(() => {})
  }
}
