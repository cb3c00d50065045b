import { randomBytes } from 'node:crypto'
import { resolve } from 'node:path'
import { InvalidArgumentError, Option } from 'commander'
import type { Command } from 'commander'
import { progressMode, showJobProgress } from '../progress.js'
import type { WithApi } from './transfers.js'
import type { ExportSummary } from '../../node/mail-export.js'
import type { ImportSummary } from '../../node/mail-import.js'
import type { Folder } from '../../storage/types.js'

/** The mail folders (spelled here so --help does not load storage). */
const FOLDERS: Folder[] = ['inbox', 'requests', 'sent', 'quarantine', 'archive', 'trash']
const out = (text: string): void => { process.stdout.write(text.endsWith('\n') ? text : `${text}\n`) }
/** Collect repeated --folder values, each one of FOLDERS. */
function folderList (value: string, previous: Folder[] = []): Folder[] {
  if (!(FOLDERS as string[]).includes(value)) throw new InvalidArgumentError(`Allowed choices are ${FOLDERS.join(', ')}.`)
  return [...previous, value as Folder]
}
const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`

/** `peerpost export` and `peerpost import`: the mailbox to and from standard mail files. */
export function registerMailFileCommands (program: Command, withApi: WithApi): void {
  /** Call `method` as one job (its id names its progress events), showing progress, then print its summary. */
  async function runJob<T> (cmd: Command, method: string, params: Record<string, unknown>, verb: string, format: (summary: T) => string): Promise<void> {
    const job = randomBytes(8).toString('hex')
    await withApi(cmd, true, async (api, g) => {
      // `verb done/total messages` on one terminal line while the job runs.
      const done = await showJobProgress(api, 'mailfiles:progress', job, progressMode({ json: g.json === true }), p => `${verb} ${p.done}${p.total == null ? '' : `/${p.total}`} messages`)
      let summary: T
      try {
        summary = await api.call<T>(method, { ...params, job })
      } finally { done() }
      if (g.json === true) process.stdout.write(JSON.stringify(summary, null, 2) + '\n')
      else out(format(summary))
    })
  }

  program.command('export')
    .description('write every stored message, byte for byte, into a Maildir per folder (or an mbox file per folder) for backups and other mail programs; works with or without the daemon')
    .requiredOption('--to <dir>', 'the folder to write into (made if missing); nothing in it is overwritten')
    .option('--folder <folder>', `only this folder (repeatable; default: every folder): ${FOLDERS.join(', ')}`, folderList)
    .addOption(new Option('--format <format>', 'maildir: DIR/FOLDER/cur/ID:2,S (S = read); mbox: DIR/FOLDER.mbox (mboxrd)').choices(['maildir', 'mbox']).default('maildir'))
    .addHelpText('after', `
Examples:
  peerpost export --to ~/mail-backup                        every folder, as Maildirs
  peerpost export --to ~/mail-backup --format mbox --folder inbox --folder sent

Running it again into the same folder writes only what is new: a message already there
(same file name, from its id) is skipped and counted. Large attachments that stayed with
their sender are not inside the exported messages: the summary counts them and says where
each one pulled here is (\`peerpost read ID --save-attachments DIR\` copies it out).`)
    .action(async (opts: { to: string, folder?: Folder[], format: 'maildir' | 'mbox' }, cmd: Command) => {
      const dir = resolve(opts.to)
      await runJob<ExportSummary>(cmd, 'mail.export', { dir, folders: opts.folder, format: opts.format }, 'exported', formatExport)
    })

  program.command('import')
    .description('store the messages of a Maildir, an mbox file, an .eml file or a whole export in the folders here (nothing is sent); importing the same mail twice stores it once')
    .requiredOption('--from <path>', 'a Maildir (with cur/ or new/; its Maildir++ subfolders .Sent/ ... too), a folder of them and FOLDER.mbox files (as export writes), an mbox file or an .eml file')
    .addOption(new Option('--folder <folder>', 'where the messages go; from a folder of mail folders or Maildir++ subfolders, where those named like no folder here go').choices(FOLDERS).default('archive'))
    .addHelpText('after', `
Examples:
  peerpost import --from ~/mail-backup                       restore an export: inbox/ into inbox, sent.mbox into sent...
  peerpost import --from ~/mail-backup/inbox                 one Maildir, into the archive
  peerpost import --from ~/Maildir                           Dovecot/Courier: its own messages into the archive, .Sent/ into sent...
  peerpost import --from old.mbox --folder inbox
  peerpost import --from message.eml

A mail folder named like one here (inbox, requests, sent, quarantine, archive, trash; any case)
goes back into it; Sent Items/Sent Messages into sent, Archives into archive, Deleted
Messages/Items into trash, Junk/Spam into quarantine; any other name (Drafts...) into --folder,
with a note. A message that is not valid MIME or larger than limits.maxMimeBytes, a folder that
cannot be read and a file that is not mail are skipped with their reason; nothing of them is
stored. Imported mail carries a warning, in every folder: no key vouches for its sender.`)
    .action(async (opts: { from: string, folder: Folder }, cmd: Command) => {
      await runJob<ImportSummary>(cmd, 'mail.import', { path: resolve(opts.from), folder: opts.folder }, 'read', formatImport)
    })
}

export function formatExport (s: ExportSummary): string {
  const lines = [`exported ${plural(s.written, 'message')} to ${s.dir} (${s.format})${s.skipped > 0 ? `; skipped ${s.skipped} already there` : ''}`]
  for (const f of s.folders) if (f.written + f.skipped > 0) lines.push(`  ${f.folder.padEnd(10)} ${String(f.written).padStart(6)} written ${String(f.skipped).padStart(6)} skipped  ${f.path}`)
  const large = s.largeAttachments
  if (large.messages > 0) {
    lines.push(`${plural(large.messages, 'message')} ${large.messages === 1 ? 'has' : 'have'} ${plural(large.files, 'large attachment')} that ${large.files === 1 ? 'is' : 'are'} not inside the exported files (${large.here} pulled here):`)
    for (const a of large.listed) {
      const where = a.state === 'here' ? a.path : a.state === 'sent' ? 'sent by me: the file I attached' : 'not pulled here'
      lines.push(`  ${a.id} ${a.name} (${a.size} bytes): ${where}`)
    }
    if (large.listed.length < large.files) lines.push(`  ... and ${large.files - large.listed.length} more (--json lists the first ${large.listed.length})`)
  }
  return lines.join('\n')
}

export function formatImport (s: ImportSummary): string {
  const single = s.folders.length === 1 && s.folders[0]!.name === ''
  const into = single ? ` into ${s.folders[0]!.folder}` : s.folders.length === 0 ? '' : ` into ${[...new Set(s.folders.map(f => f.folder))].join(', ')}`
  const lines = [`imported ${plural(s.stored, 'message')} from ${s.path} (${s.source})${into}${s.duplicates > 0 ? `; ${s.duplicates} already here` : ''}${s.skipped > 0 ? `; skipped ${s.skipped}` : ''}`]
  if (!single) {
    for (const f of s.folders) {
      const name = f.name === '' ? '(top)' : f.name
      lines.push(`  ${`${name} -> ${f.folder}`.padEnd(24)} ${String(f.stored).padStart(6)} stored ${String(f.duplicates).padStart(6)} already here ${String(f.skipped).padStart(6)} skipped${f.note === undefined ? '' : `  (${f.note})`}`)
    }
  }
  for (const k of s.skips) lines.push(`  skipped ${k.where}: ${k.reason}`)
  if (s.skips.length < s.skipped) lines.push(`  ... and ${s.skipped - s.skips.length} more`)
  return lines.join('\n')
}
