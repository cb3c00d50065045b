import { spawn } from 'node:child_process'
import type { ChildProcess, SpawnOptions } from 'node:child_process'
import { DAEMON_HEAP_FLAGS } from '../../cli/daemon-heap.js'
import { deadline } from '../../test/helpers/ready-process.js'

/** Resolve when `promise` does, or reject after `ms` with `what` in the message (the tests' helper). */
export { deadline }

/**
 * Node options of every baseline process (bare libp2p, raw streams, raw TCP): the daemon's
 * own V8 heap flags, so a ratio compares what peerpost does on top of the transport, not
 * two garbage collectors set up differently (the raw libp2p stream moves ~1.5x as many MiB/s
 * with them as with V8's defaults).
 */
export const BASELINE_NODE_ARGS: readonly string[] = DAEMON_HEAP_FLAGS

/**
 * What must be undone if the runner is interrupted (SIGINT/SIGTERM): child processes and
 * the private Postfix instance, which would otherwise outlive the run. Each benchmark
 * still cleans up in its own `finally`; this is only for interruptions.
 */
const cleanups = new Set<() => Promise<void>>()

/** Register an interruption cleanup; returns the function that unregisters it. */
export function onInterrupt (cleanup: () => Promise<void>): () => void {
  cleanups.add(cleanup)
  return () => { cleanups.delete(cleanup) }
}

/** Run every registered cleanup (each bounded by `ms`), newest first. */
export async function runInterruptCleanups (ms = 30_000): Promise<void> {
  for (const c of [...cleanups].reverse()) {
    cleanups.delete(c)
    await deadline(c(), ms, 'cleanup').catch(() => {})
  }
}


export interface RunResult { code: number | null, stdout: string, stderr: string }

/** Run a command to completion (bounded by `timeoutMs`), collecting its output; never throws on exit code. */
export async function runCommand (cmd: string, args: string[], options: { timeoutMs?: number, env?: NodeJS.ProcessEnv, input?: string } = {}): Promise<RunResult> {
  const proc = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...options.env } })
  let stdout = ''
  let stderr = ''
  proc.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
  proc.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  // A command that exits without reading its input must not crash us with EPIPE.
  proc.stdin.on('error', () => {})
  proc.stdin.end(options.input ?? '')
  const timeoutMs = options.timeoutMs ?? 120_000
  const timer = setTimeout(() => { proc.kill('SIGKILL') }, timeoutMs)
  return await new Promise(resolve => {
    proc.once('error', err => { clearTimeout(timer); resolve({ code: 127, stdout, stderr: stderr + String(err) }) })
    proc.once('close', code => { clearTimeout(timer); resolve({ code, stdout, stderr }) })
  })
}

/** Run a command that must succeed; returns stdout. */
export async function mustRun (cmd: string, args: string[], options: { timeoutMs?: number, env?: NodeJS.ProcessEnv, input?: string } = {}): Promise<string> {
  const r = await runCommand(cmd, args, options)
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}: ${(r.stderr || r.stdout).trim().slice(0, 2000)}`)
  return r.stdout
}

export interface LineProcess {
  proc: ChildProcess
  /** The first line the process printed on stdout (its "ready" line). */
  first: string
  /** Lines after the first, as they arrive. */
  onLine(listener: (line: string) => void): void
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>
  stderr(): string
}

/** Spawn a process that prints a ready line on stdout first; resolves once it has (bounded). */
export async function spawnWithReadyLine (cmd: string, args: string[], options: SpawnOptions & { readyMs?: number } = {}): Promise<LineProcess> {
  const proc = spawn(cmd, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  proc.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); if (stderr.length > 1_000_000) stderr = stderr.slice(-100_000) })
  const exited = new Promise<void>(resolve => { proc.once('exit', () => { resolve() }) })
  const listeners: Array<(line: string) => void> = []
  let first: ((line: string) => void) | undefined
  const firstLine = new Promise<string>((resolve, reject) => {
    first = resolve
    void exited.then(() => { reject(new Error(`${cmd} ${args.join(' ')} exited (${proc.exitCode ?? proc.signalCode}) before ready: ${stderr.trim().slice(0, 2000)}`)) })
  })
  let buf = ''
  let seenFirst = false
  proc.stdout?.on('data', (d: Buffer) => {
    buf += d.toString()
    let nl: number
    while ((nl = buf.indexOf('\n')) !== -1) {
      const line = buf.slice(0, nl)
      buf = buf.slice(nl + 1)
      if (!seenFirst) { seenFirst = true; first?.(line) } else for (const l of listeners) l(line)
    }
  })
  let line: string
  try {
    line = await deadline(firstLine, options.readyMs ?? 30_000, `${cmd} to be ready`)
  } catch (err) {
    proc.kill('SIGKILL')
    throw err
  }
  const unregister = onInterrupt(async () => { proc.kill('SIGKILL'); await exited })
  void exited.then(unregister)
  return {
    proc,
    first: line,
    onLine: l => { listeners.push(l) },
    stderr: () => stderr,
    stop: async (graceMs = 15_000) => {
      if (proc.exitCode != null || proc.signalCode != null) return
      proc.kill('SIGTERM')
      try {
        await deadline(exited, graceMs, `${cmd} to stop`)
      } catch {
        proc.kill('SIGKILL')
        await deadline(exited, 10_000, `${cmd} to die`)
      }
    }
  }
}

/** CPU time (user + system) a live process has used so far, in ms, from /proc (Linux; clock ticks of 10 ms). */
export async function cpuMs (pid: number): Promise<number> {
  return await statCpuMs(`/proc/${pid}/stat`)
}

/** CPU time of a process's main thread alone (its JavaScript; not libuv's pool or worker threads), in ms. */
export async function mainThreadCpuMs (pid: number): Promise<number> {
  return await statCpuMs(`/proc/${pid}/task/${pid}/stat`)
}

async function statCpuMs (path: string): Promise<number> {
  const { readFile } = await import('node:fs/promises')
  const stat = await readFile(path, 'utf8')
  // Fields after the command name (which may hold spaces) in parentheses: state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}
