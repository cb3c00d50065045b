import { spawn } from 'node:child_process'
import { after } from 'node:test'
import type { ChildProcess } from 'node:child_process'
import { STRICT_REJECTIONS_ENV } from '../../cli/unhandled-rejections.js'

/** A process that printed its ready line, with the two ways to end it. */
export interface ReadyProcess<T> {
  info: T
  proc: ChildProcess
  /** What it wrote on stderr so far. */
  stderr(): string
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number | null>
  /** SIGKILL (crash) and wait until the process is gone. */
  kill(): Promise<void>
}

/** How much of a crashed process's stderr is reported (its end: the error is last). */
const UNEXPECTED_EXIT_STDERR_CHARS = 8_000

/** Every process spawnReady started that has not exited yet, with how to end it. */
const running = new Map<ChildProcess, { what: string, kill: () => Promise<void> }>()

/**
 * SIGKILL every process spawnReady started that is still running, and wait until each is
 * gone; resolves to what was left. A test's own `after` stops what it started; this is for
 * what it could not reach (a `before` that failed halfway, an `after` that threw first).
 */
export async function killLeftovers (): Promise<string[]> {
  const left = [...running.values()]
  await Promise.all(left.map(async p => { await p.kill().catch(() => {}) }))
  return left.map(p => p.what)
}

// The safety net of every test file that starts processes: when its tests are done,
// whatever is still running is killed (and named). A daemon or cache server left running
// holds the file's process open through its pipes, and `node --test` then waits for it
// until its timeout (300 s) instead of failing at once. Only in a test file's own process
// (`node --test` runs each file as its main script): bench/ and scripts/ import these
// helpers too, and so do the peers some tests start as child processes (autonat-peer.ts
// in a network namespace). They inherit NODE_TEST_CONTEXT, and a hook there makes them
// print a test report on the stdout their parent reads JSON from.
if (/\.test\.[cm]?js$/.test(process.argv[1] ?? '')) {
  after(async () => {
    const left = await killLeftovers()
    if (left.length > 0) process.stderr.write(`killed ${left.length} process(es) the tests left running: ${left.join(', ')}\n`)
  })
}

/** Reject with a message naming `what` unless `promise` settles within `ms`. */
export async function deadline<T> (promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([promise, new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error(`timed out after ${ms} ms waiting for ${what}`)) }, ms) })])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Spawn a `peerpost` process that prints one JSON line on stdout when it is ready (the
 * daemon and the cache server do), and wait for that line with a deadline; an exit before
 * it rejects with what the process wrote on stderr.
 */
export async function spawnReady<T> (file: string, args: string[], options: { what: string, timeoutMs?: number, env?: NodeJS.ProcessEnv }): Promise<ReadyProcess<T>> {
  // Strict: an unhandled rejection ends a daemon or cache server here and fails the test
  // (cli/unhandled-rejections.ts), where for users it is logged and the process goes on.
  const proc = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { [STRICT_REJECTIONS_ENV]: '1', ...process.env, ...options.env } })
  let stderr = ''
  proc.stderr?.on('data', (d: Buffer) => { stderr += d.toString() })
  // An exit nobody asked for (a crash) is reported with what the process wrote on stderr:
  // the test that then fails on "daemon not running" has the reason beside it.
  let ending = false
  const exited = new Promise<number | null>(resolve => {
    proc.once('exit', (code, signal) => {
      if (!ending) process.stderr.write(`${options.what} (pid ${proc.pid}) exited unexpectedly (${code ?? signal}); its stderr:\n${stderr.slice(-UNEXPECTED_EXIT_STDERR_CHARS)}\n`)
      resolve(code)
    })
  })
  const ready = new Promise<T>((resolve, reject) => {
    let buf = ''
    proc.stdout?.on('data', (d: Buffer) => {
      buf += d.toString()
      const nl = buf.indexOf('\n')
      if (nl !== -1) {
        try { resolve(JSON.parse(buf.slice(0, nl))) } catch (err) { reject(err) }
      }
    })
    void exited.then(code => { reject(new Error(`${options.what} exited (${code}) before ready: ${stderr.trim()}`)) })
  })
  const gone = (): boolean => proc.exitCode != null || proc.signalCode != null
  const kill = async (): Promise<void> => {
    ending = true
    if (gone()) return
    proc.kill('SIGKILL')
    await deadline(exited, 10_000, `${options.what} to die`)
  }
  running.set(proc, { what: `${options.what} (pid ${proc.pid})`, kill })
  void exited.then(() => { running.delete(proc) })
  let info: T
  try {
    info = await deadline(ready, options.timeoutMs ?? 20_000, options.what)
  } catch (err) {
    // Not ready in time (or a ready line that does not parse): nobody gets a handle on it, so it ends here.
    await kill().catch(() => {})
    throw err
  }
  return {
    info,
    proc,
    stderr: () => stderr,
    stop: async () => {
      ending = true
      if (gone()) return proc.exitCode
      proc.kill('SIGTERM')
      return await deadline(exited, 15_000, `${options.what} to stop`)
    },
    kill
  }
}
