/**
 * `npm run demo`: real daemons on 127.0.0.1 in a temporary directory exchange sealed mail
 * through the `peerpost` command, narrated as it happens with timings. Cleans up on exit
 * and on Ctrl-C (pass --keep to keep the homes and look around afterwards).
 */
import { createHash, randomBytes } from 'node:crypto'
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { BIN, cleanup, introduce, makeUser, online, runJson, tempDir, waitUntil } from '../test/helpers/cli.js'
import type { User } from '../test/helpers/cli.js'

const keep = process.argv.includes('--keep')
const t0 = Date.now()
const stamp = (): string => `[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s]`
const say = (text: string): void => { process.stdout.write(`${stamp()} ${text}\n`) }
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

const users: User[] = []
let workDir: string | undefined

async function tearDown (): Promise<void> {
  if (keep) {
    for (const u of users) await u.daemon?.stop().catch(() => {})
    return
  }
  await cleanup(users)
  if (workDir != null) await rm(workDir, { recursive: true, force: true })
}

process.once('SIGINT', () => {
  say('interrupted: stopping the daemons and removing the homes')
  tearDown().finally(() => process.exit(130))
})

async function main (): Promise<void> {
  say('peerpost demo: three users, each with their own home and daemon on 127.0.0.1')
  const config = { outbox: { retryBaseMs: 300, retryMaxMs: 1_500 } }
  const alice = await makeUser('alice', { config }); users.push(alice)
  const bob = await makeUser('bob', { config }); users.push(bob)
  const carol = await makeUser('carol', { config }); users.push(carol)
  for (const u of users) say(`  ${u.name.padEnd(6)} ${u.peerId}  home ${u.home}`)

  for (const u of users) await online(u)
  say('all three daemons are up; they swap identity cards (one line of text each)')
  await introduce(users)
  await carol.daemon!.stop()
  say('carol goes offline')

  workDir = await tempDir('demo-files')
  const photo = randomBytes(512 * 1024)
  await writeFile(join(workDir, 'photo.jpg'), photo)

  let t = Date.now()
  const first = await runJson(alice.home, ['send', '--to', 'bob', '--cc', 'carol', '--subject', 'Weekend photos', '--body', 'Hi both, photo attached.', '--attach', join(workDir, 'photo.jpg'), '--wait', '--timeout', '5000'])
  for (const r of first.entry.recipients) {
    say(`alice -> ${r.address}: ${r.state}${r.state === 'pending' ? ` (${r.lastError ?? 'not reachable'}; retrying with backoff)` : ''}`)
  }
  say(`  (sealed per recipient, delivered and receipted in ${Date.now() - t} ms)`)

  const bobsInbox = await runJson<any[]>(bob.home, ['list'])
  const bobsCopy = bobsInbox.find(m => m.messageId === first.messageId)
  const read = await runJson(bob.home, ['read', bobsCopy.id])
  say(`bob reads "${read.subject}" from ${read.fromPeer.slice(0, 12)}…: attachment ${read.attachments[0].name}, sha256 ${read.attachments[0].sha256 === sha(photo) ? 'matches' : 'DIFFERS'}`)

  t = Date.now()
  const reply = await runJson(bob.home, ['send', '--to', 'alice', '--subject', 'Re: Weekend photos', '--body', 'Lovely, thanks!', '--in-reply-to', first.messageId, '--references', first.messageId, '--wait'])
  say(`bob replies: ${reply.entry.recipients[0].state} in ${Date.now() - t} ms (In-Reply-To threads it)`)

  say('carol comes back online on the address her card names')
  t = Date.now()
  await online(carol)
  // Either alice's outbox retried on its own, or bob (who got it directly) held carol's
  // sealed copy for her and told her when she appeared: carol has it once either way.
  await waitUntil(carol.home, async () => (await runJson<any[]>(carol.home, ['list'])).some(m => m.messageId === first.messageId), 30_000, 'carol to get the message')
  const carolState = (await runJson(alice.home, ['status'])).outbox.find((e: any) => e.id === first.id).recipients.find((r: any) => r.address === 'carol')
  const how = carolState.state === 'parked' ? 'from bob, who held her sealed copy while she was away' : 'by alice\'s outbox, retrying on its own'
  say(`carol has it ${Date.now() - t} ms after her daemon started, ${how}`)

  say('summary:')
  const rows: string[][] = [['user', 'inbox', 'sent', 'requests']]
  for (const u of users) {
    const count = async (folder: string): Promise<number> => (await runJson<any[]>(u.home, ['list', '--folder', folder])).length
    rows.push([u.name, String(await count('inbox')), String(await count('sent')), String(await count('requests'))])
  }
  for (const row of rows) process.stdout.write(`         ${row.map(c => c.padEnd(10)).join('')}\n`)
  if (keep) {
    say('homes kept; look around with:')
    for (const u of users) process.stdout.write(`         node ${BIN} --home ${u.home} list\n`)
  }
  say(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
}

main().then(tearDown, async err => {
  process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`)
  await tearDown()
  process.exitCode = 1
})
