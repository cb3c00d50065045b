import type { HomeApi } from './api.js'
import type { NodeEvent, NodeEventMap, NodeEventName } from '../node/events.js'

/**
 * How a command shows a job's progress on stderr: `tty` redraws one line, `lines` writes a
 * line per update (a log or a pipe asked for it with --progress), `off` shows nothing.
 */
export type ProgressMode = 'tty' | 'lines' | 'off'

/**
 * On a terminal unless the output is for a machine (--json), or wherever stderr goes when
 * asked (`--progress`). Progress is on stderr only, so stdout (the --json) stays clean.
 */
export function progressMode (options: { json: boolean, asked?: boolean, tty?: boolean }): ProgressMode {
  const tty = options.tty ?? process.stderr.isTTY === true
  if (options.asked === true) return tty ? 'tty' : 'lines'
  return tty && !options.json ? 'tty' : 'off'
}

/**
 * Show the `type` events of one job (the id the command passed with its call) as `render`
 * words them, until the returned function is called (which ends the redrawn line). Subscribe
 * before the call, so its first event is not missed.
 */
export async function showJobProgress<K extends NodeEventName> (api: HomeApi, type: K, job: string, mode: ProgressMode, render: (data: NodeEventMap[K]) => string): Promise<() => void> {
  if (mode === 'off') return () => {}
  let shown = false
  await api.subscribe((event: NodeEvent) => {
    if (event.type !== type) return
    const data = event.data as NodeEventMap[K] & { job?: string }
    if (data.job !== job) return
    shown = true
    // \x1b[K clears what a longer previous line left on the right.
    process.stderr.write(mode === 'tty' ? `\r${render(data)}\x1b[K` : `${render(data)}\n`)
  })
  return () => { if (shown && mode === 'tty') process.stderr.write('\n') }
}
