import { short } from '../format.js'
import type { HomeApi } from '../api.js'
import type { Command } from 'commander'
import type { MessageStatusView, TransfersView } from '../../node/mail-service.js'
import type { LargeAttachmentView, TransferView } from '../../node/transfers.js'

/** `peerpost transfers`: large attachments being pulled, waiting, done or failed, and the ones served. */

const BAR_WIDTH = 24

export function formatBytes (n: number): string {
  if (n < 1024) return `${n} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let v = n / 1024
  let u = 0
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++ }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`
}

function bar (done: number, total: number): string {
  const filled = total === 0 ? BAR_WIDTH : Math.floor(done * BAR_WIDTH / total)
  return `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`
}

export const percent = (done: number, total: number): number => total === 0 ? 100 : Math.floor(done * 100 / total)

/** The blob id shows nowhere else in the text output: say the command that uses it. */
const retryHint = (blobId: string): string => ` (to pull it again: \`peerpost transfers --retry ${blobId}\`)`

/** One download as a line; with `tty`, a progress bar. */
export function formatTransfer (t: TransferView, tty: boolean, names: Readonly<Record<string, string>> = {}): string {
  const head = `${t.name}  ${formatBytes(t.size)}  from ${names[t.from] ?? short(t.from)}`
  const progress = `${percent(t.bytesDone, t.size)}% (${formatBytes(t.bytesDone)})`
  switch (t.state) {
    case 'complete': return `${head}  here`
    case 'failed': return `${head}  failed: ${t.reason ?? 'unknown reason'}${retryHint(t.blobId)}`
    case 'pulling': return `${head}  ${tty ? `${bar(t.bytesDone, t.size)} ` : ''}${progress}`
    default: return `${head}  ${t.reason ?? `waiting for ${t.waitingForName ?? short(t.waitingFor ?? '')}`}${t.bytesDone > 0 ? `, ${progress} so far` : ''}`
  }
}

export function formatTransfers (view: TransfersView, tty: boolean): string {
  const lines: string[] = []
  lines.push(view.downloads.length === 0 ? '(no large attachments to pull)' : view.downloads.map(t => formatTransfer(t, tty, view.names)).join('\n'))
  if (view.uploads.length > 0) {
    lines.push('Serving:')
    for (const u of view.uploads) lines.push(`  ${u.blobId.slice(0, 12)}…  to ${view.names?.[u.peer] ?? short(u.peer)}  ${u.chunksServed} chunk(s)${u.completed ? ', complete' : ''}`)
  }
  return lines.join('\n')
}

/** A large attachment of a message, as `read` lists it. */
export function formatLargeAttachment (a: LargeAttachmentView): string {
  const head = `${a.name}  ${a.type}  ${a.size} bytes  sha256 ${a.sha256.slice(0, 16)}…`
  switch (a.state) {
    case 'here': return `${head}  here`
    case 'pulling': return `${head}  ${a.percent}% transferred`
    case 'failed': return `${head}  failed: ${a.reason ?? 'unknown reason'}${retryHint(a.blobId)}`
    case 'held': return `${head}  kept here for ${(a.waiting ?? []).length} recipient(s) still to pull it`
    case 'gone': return `${head}  no longer kept here`
    default: return `${head}  ${a.reason ?? `waiting for ${a.waitingForName ?? short(a.waitingFor ?? '')}`}${a.percent > 0 ? ` (${a.percent}% transferred)` : ''}`
  }
}

/** `status ID`: per large attachment, who has it and who still waits. */
export function formatMessageAttachments (s: MessageStatusView): string {
  if (s.attachments.length === 0) return ''
  const lines = ['  Large attachments (kept on this node until every recipient has them):']
  for (const a of s.attachments) {
    if (!a.held) { lines.push(`    ${a.name}  ${formatBytes(a.size)}: no longer kept here (every recipient had it, or its retention ended)`); continue }
    // A waiting recipient that pulled part of it from me: how far (it may be pulling now, or have stopped).
    const waiting = a.waiting.map(w => {
      const p = a.pulling?.find(p => p.recipient === w)
      return p == null ? w : `${w} (pulled ${percent(p.chunksServed, p.chunkCount)}% from me, ${p.chunksServed} of ${p.chunkCount} chunks)`
    })
    lines.push(`    ${a.name}  ${formatBytes(a.size)}: has it: ${a.have.length === 0 ? 'nobody yet' : a.have.join(', ')}; waiting: ${waiting.length === 0 ? 'nobody' : waiting.join(', ')}`)
  }
  return lines.join('\n')
}

/** How main.ts runs a command against the daemon or the home. */
export type WithApi = <T>(cmd: Command, allowOffline: boolean, fn: (api: HomeApi, g: { json?: boolean }) => Promise<T>) => Promise<T>

export function registerTransfersCommand (program: Command, withApi: WithApi): void {
  program.command('transfers')
    .description('large attachments: those being pulled (progress), waiting for a holder (the sender or a co-recipient who has it), here or failed, and those other recipients pull from me')
    .option('--watch', 'keep showing progress until no pull is running (needs the daemon)')
    .option('--retry <blobId>', 'pull a failed attachment again, from nothing (the blob id `transfers --json` shows; needs the daemon)')
    .action(async (opts: { watch?: boolean, retry?: string }, cmd: Command) => {
      await withApi(cmd, opts.watch !== true && opts.retry == null, async (api, g) => {
        if (opts.retry != null) {
          const view = await api.call<TransferView>('transfers.retry', { blobId: opts.retry })
          process.stdout.write(g.json === true ? JSON.stringify(view, null, 2) + '\n' : `${formatTransfer(view, false)}\n`)
          return
        }
        const tty = process.stdout.isTTY === true && g.json !== true
        const show = async (): Promise<TransfersView> => {
          const view = await api.call<TransfersView>('transfers.list')
          if (g.json === true) process.stdout.write(JSON.stringify(view, null, 2) + '\n')
          else {
            const text = formatTransfers(view, tty)
            // On a terminal, redraw in place: cursor home, clear below.
            process.stdout.write(tty && opts.watch === true ? `\x1b[H\x1b[J${text}\n` : `${text}\n`)
          }
          return view
        }
        const first = await show()
        if (opts.watch !== true || g.json === true || !first.downloads.some(t => t.state === 'pulling')) return
        await new Promise<void>((resolve, reject) => {
          let busy = false
          api.subscribe(event => {
            if (busy || !event.type.startsWith('transfer:')) return
            busy = true
            show().then(view => {
              busy = false
              if (!view.downloads.some(t => t.state === 'pulling')) resolve()
            }, reject)
          }).catch(reject)
        })
      })
    })
}
