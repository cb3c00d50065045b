import { formatCancel } from '../format.js'
import { serverNames } from '../server-names.js'
import type { Command } from 'commander'
import type { CancelView } from '../../node/mail-service.js'
import type { WithApi } from './transfers.js'

const collect = (value: string, previous: string[] = []): string[] => [...previous, value]

/**
 * `peerpost outbox cancel`: take back a message that has not gone out yet (like Postfix's
 * `postsuper -d`). The outbox lists and `status` stay where they are (`list --folder
 * outbox`, `status ID`); this group holds what changes the outbox.
 */
export function registerOutboxCommands (program: Command, withApi: WithApi): void {
  const outbox = program.command('outbox').description('change what waits in the outbox (list it with `peerpost list --folder outbox`)')
  outbox.command('cancel')
    .description('stop sending a queued message to every recipient still waiting for it (withdrawing copies parked for offline ones), or to the ones named; says per recipient what happened')
    .argument('<id>', 'the outbox id (from `send` or `list --folder outbox`)')
    .option('--recipient <addr>', 'only this recipient: as sent to, contact name or PeerId (repeatable)', collect)
    .addHelpText('after', `
Examples:
  peerpost outbox cancel 0196a1b2c3d4e5f6a7b8                   every recipient still waiting
  peerpost outbox cancel 0196a1b2c3d4e5f6a7b8 --recipient bob   only bob

A recipient that has the message (delivered) cannot be taken back. A copy parked on a cache
server or a co-recipient (the recipient was offline) is withdrawn from each holder while the
recipient has not fetched it; the answer says per holder: withdrawn, already fetched (the
recipient has it: it shows delivered), not found (it may already have been fetched, or
expired), does not support withdrawing (the copy stays until fetched or expired), or could not
be reached. The recipient turns cancelled once every holder answered withdrawn or not found;
otherwise it stays parked at the others, and the daemon asks those it could not reach again by
itself (running the command again asks at once). The servers that were told of the copy drop
your notice about it, so the recipient is not sent looking for it.
An attempt under way when you cancel is waited for: if it gets the message there, that
recipient is reported delivered (a copy it parked is withdrawn). Large attachments no
recipient can pull any more are dropped. Nothing changes when the id is unknown, a recipient
named is not one of the message's, or a recipient named (with none named: every recipient)
is neither waiting nor parked.`)
    .action(async (id: string, opts: { recipient?: string[] }, cmd: Command) => {
      await withApi(cmd, true, async (api, g) => {
        const r = await api.call<CancelView>('outbox.cancel', { id, recipients: opts.recipient ?? [] })
        if (g.json === true) process.stdout.write(JSON.stringify(r, null, 2) + '\n')
        else process.stdout.write(formatCancel(r, await serverNames(api)) + '\n')
      })
    })
}
