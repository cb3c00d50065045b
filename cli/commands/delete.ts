import type { Command } from 'commander'
import type { WithApi } from './transfers.js'

/**
 * `peerpost delete` (to the trash, or for good from it) and `peerpost empty-trash`. Deleting
 * for good takes only mail already in the trash: the trash is the one step back, so a
 * mistyped id can never erase mail from another folder.
 */
export function registerDeleteCommands (program: Command, withApi: WithApi): void {
  program.command('delete')
    .description('move messages to the trash; with --forever, delete messages that are in the trash for good')
    .argument('<id...>', 'message ids (as `list` prints them)')
    .option('--forever', 'delete for good: only messages in the trash (move them there first with `peerpost delete ID`); the message, its large attachments pulled here and every index entry go at once, and a copy delivered again later is acknowledged but not stored')
    .addHelpText('after', `
Examples:
  peerpost delete 0196a1b2c3d4e5f6a7b8           to the trash (\`peerpost move ID inbox\` brings it back)
  peerpost delete --forever 0196a1b2c3d4e5f6a7b8  gone for good (it must be in the trash)
  peerpost empty-trash                           everything in the trash, for good

With --forever, one id that is unknown or not in the trash fails the command and nothing is deleted.`)
    .action(async (ids: string[], opts: { forever?: boolean }, cmd: Command) => {
      await withApi(cmd, true, async (api, g) => {
        if (opts.forever === true) {
          const r = await api.call<{ deleted: string[] }>('messages.deleteForever', { ids })
          if (g.json === true) process.stdout.write(JSON.stringify(r, null, 2) + '\n')
          else process.stdout.write(`deleted for good: ${r.deleted.join(' ')}\n`)
          return
        }
        // Every id is checked before any moves.
        const moved = (await api.call<Array<{ id: string }>>('messages.move', { ids, folder: 'trash' })).map(m => m.id)
        if (g.json === true) process.stdout.write(JSON.stringify({ trashed: moved }, null, 2) + '\n')
        else process.stdout.write(`moved to trash: ${moved.join(' ')}\n`)
      })
    })

  program.command('empty-trash')
    .description('delete every message in the trash for good (with its large attachments pulled here)')
    .action(async (_opts: unknown, cmd: Command) => {
      await withApi(cmd, true, async (api, g) => {
        const r = await api.call<{ deleted: number }>('trash.empty')
        if (g.json === true) process.stdout.write(JSON.stringify(r, null, 2) + '\n')
        else process.stdout.write(r.deleted === 0 ? 'the trash was empty\n' : `deleted ${r.deleted} message${r.deleted === 1 ? '' : 's'} from the trash for good\n`)
      })
    })
}
