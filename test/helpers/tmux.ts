import { execFile, execFileSync } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'

/** tmux on this machine, or undefined (the tests that need a real terminal then skip and say why). */
export function tmuxVersion (): string | undefined {
  try {
    return execFileSync('tmux', ['-V'], { encoding: 'utf8' }).trim()
  } catch {
    return undefined
  }
}

async function tmux (socket: string, args: string[]): Promise<string> {
  return await new Promise((resolve, reject) => {
    execFile('tmux', ['-L', socket, '-f', '/dev/null', ...args], { timeout: 10_000 }, (err, stdout, stderr) => {
      if (err != null) reject(new Error(`tmux ${args.join(' ')}: ${stderr.trim() || err.message}`))
      else resolve(stdout)
    })
  })
}

/** One terminal (a detached tmux session on a private tmux server) running a command. */
export interface Terminal {
  name: string
  /** Type text literally. */
  type(text: string): Promise<void>
  /** Press keys by tmux name: Enter, Tab, BTab, Escape, C-s, j... */
  press(...keys: string[]): Promise<void>
  /** The screen as text. */
  capture(): Promise<string>
  /** Resize the terminal (the program gets SIGWINCH). */
  resize(columns: number, rows: number): Promise<void>
  /** Wait until the screen satisfies `check`, re-reading it until `ms` passes; fails with the last screen. */
  waitFor(check: string | RegExp | ((screen: string) => boolean), what: string, ms?: number): Promise<string>
  /** Save the current screen to `dir/name.txt` (README screenshots), when `dir` is set. */
  snapshot(dir: string | undefined, name: string): Promise<void>
}

/** How often the screen is re-read while waiting; the wait itself is bounded by its deadline. */
const CAPTURE_EVERY_MS = 100

export class TmuxServer {
  readonly socket = `peerpost-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`

  /** Start `command` (argv) in a new session of `columns` x `rows`. */
  async open (name: string, command: string[], options: { columns?: number, rows?: number, env?: Record<string, string> } = {}): Promise<Terminal> {
    // CI=true as CI machines export it: ink then draws nothing unless the UI undoes it (cli/ui/ci-env.ts).
    // TZ=UTC: the UI shows local time; captures stay the same on any machine.
    const env = Object.entries({ TERM: 'xterm-256color', CI: 'true', TZ: 'UTC', ...options.env }).map(([k, v]) => `${k}=${v}`)
    // When the program ends the pane stays, showing how it ended, so a failure is visible in the capture.
    const shell = `env -u EDITOR -u VISUAL ${env.map(quote).join(' ')} ${command.map(quote).join(' ')}; echo "[exited $?]"; sleep 3600`
    await tmux(this.socket, ['new-session', '-d', '-s', name, '-x', String(options.columns ?? 120), '-y', String(options.rows ?? 36), shell])
    const socket = this.socket
    const term: Terminal = {
      name,
      async type (text) { await tmux(socket, ['send-keys', '-t', name, '-l', text]) },
      async press (...keys) { for (const k of keys) await tmux(socket, ['send-keys', '-t', name, k]) },
      async capture () { return await tmux(socket, ['capture-pane', '-p', '-t', name]) },
      async resize (columns, rows) { await tmux(socket, ['resize-window', '-t', name, '-x', String(columns), '-y', String(rows)]) },
      async waitFor (check, what, ms = 30_000) {
        const test = typeof check === 'string' ? (s: string) => s.includes(check) : check instanceof RegExp ? (s: string) => check.test(s) : check
        const until = Date.now() + ms
        let screen = ''
        while (Date.now() < until) {
          screen = await term.capture()
          if (test(screen)) return screen
          await new Promise(resolve => setTimeout(resolve, CAPTURE_EVERY_MS))
        }
        throw new Error(`${name}: timed out after ${ms} ms waiting for ${what}; the screen:\n${screen}`)
      },
      async snapshot (dir, shot) {
        if (dir == null) return
        const screen = (await term.capture()).replace(/\s+$/gm, '').replace(/\n+$/, '\n')
        await writeFile(join(dir, `${shot}.txt`), screen)
      }
    }
    return term
  }

  async close (): Promise<void> {
    await tmux(this.socket, ['kill-server']).catch(() => {})
  }
}

function quote (s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`
}
