/**
 * `npm run demo`: a cache server and three people (alice, bob, carol) as real processes in
 * a temporary directory on 127.0.0.1, narrated as it happens with timings: direct
 * delivery, mail parked for someone offline, large attachments pulled from the sender (and
 * waiting while the sender is away), and a co-recipient holding mail when the cache server
 * is gone. Ends with a summary and the commands to open each inbox.
 *
 *   --keep            keep the homes (daemons stopped) to look around afterwards
 *   --summary FILE    write what the narration claimed as JSON (checked by test/integration/demo.test.ts)
 *   --dir DIR         use DIR instead of a new temporary directory
 *
 * Everything it starts is stopped at the end, on an error and on Ctrl-C.
 */
import { writeFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Narrator } from './demo/narrator.js'
import { carolReturns, closing, directAndParked, holderOffline, setup, throughCoRecipient } from './demo/stages.js'
import { World } from './demo/world.js'
import type { DemoContext } from './demo/stages.js'
import type { DemoSummary, MessageClaim, StageClaim } from './demo/summary.js'

function option (name: string): string | undefined {
  const at = process.argv.indexOf(name)
  return at === -1 ? undefined : process.argv[at + 1]
}

const keep = process.argv.includes('--keep')
const summaryFile = option('--summary')
const say = new Narrator()
let world: World
try {
  world = await World.create(option('--dir'))
} catch (err) {
  process.stderr.write(`demo: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(2)
}
const summary: DemoSummary = { ok: false, seconds: 0, root: world.root, features: world.features, server: { peerId: '' }, users: [], stages: [], messages: [], counts: {} }
const ctx: DemoContext = { world, say, summary, files: join(world.root, 'files') }

let stopping = false
async function finish (code: number): Promise<void> {
  if (stopping) return
  stopping = true
  await world.shutdown(keep)
  process.exitCode = code
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    if (signal === 'SIGINT') say.say('interrupted: stopping every process and removing the temporary directory')
    void finish(130).finally(() => process.exit(130))
  })
}
// Output piped into something that quit (`npm run demo | head`): stop quietly, still cleaning up.
process.stdout.on('error', () => { void finish(1).finally(() => process.exit(1)) })
process.once('exit', () => { world.killAllNow() })

/** Run one stage and record how long it took and whether this build could show it. */
async function stage<T> (id: string, title: string, run: () => Promise<T>, available: () => boolean = () => true, note?: string): Promise<T> {
  const t = Date.now()
  const result = await run()
  const claim: StageClaim = { id, title, available: available(), seconds: (Date.now() - t) / 1000 }
  if (!claim.available && note != null) claim.note = note
  summary.stages.push(claim)
  return result
}

async function main (): Promise<void> {
  say.say('peerpost demo: real processes on 127.0.0.1, in ' + world.root)
  await stage('setup', 'cache server and three nodes', async () => { await setup(ctx) })
  summary.server.peerId = world.server!.peerId
  summary.users = [...world.users].map(([name, u]) => ({ name, peerId: u.peerId, home: u.home }))
  const messages: MessageClaim[] = []
  const photos = await stage('direct', 'direct to bob, parked for carol', async () => directAndParked(ctx))
  messages.push(photos)
  await stage('pull', 'carol returns and pulls', async () => { await carolReturns(ctx, photos) })
  const slides = await stage('holder-offline', 'large attachment waits for alice', async () => holderOffline(ctx), () => world.features.blobs, 'large attachments kept on the sender')
  if (slides != null) messages.push(slides)
  const exchange = await stage('co-recipient', 'no cache server: through a co-recipient', async () => throughCoRecipient(ctx), () => world.features.holding, 'co-recipient holding (bob retried carol directly)')
  messages.push(...exchange)
  summary.messages = messages
  summary.counts = await closing(ctx)
  summary.seconds = say.elapsed()
  summary.ok = true

  const cli = relative(process.cwd(), fileURLToPath(new URL('../cli/main.js', import.meta.url)))
  process.stdout.write('\n')
  if (keep) {
    say.say('the homes are kept (daemons stopped). Open each inbox in the terminal UI:')
    for (const u of world.users.values()) say.detail(`peerpost --home ${u.home}`)
    say.detail(`(from this clone, without installing: npx node ${cli} --home DIR; the UI starts that`)
    say.detail(' person\'s node in the background if none runs: `peerpost --home DIR stop` stops it)')
    say.detail(`remove it all afterwards: rm -rf ${world.root}`)
  } else {
    say.say('the homes are removed now. To keep them and open each inbox in the terminal UI afterwards:')
    say.detail('npm run demo -- --keep --dir /tmp/peerpost-demo')
    for (const name of world.users.keys()) say.detail(`peerpost --home /tmp/peerpost-demo/${name}`)
  }
  say.say(`done in ${summary.seconds.toFixed(1)} s`)
}

try {
  await main()
  if (summaryFile != null) await writeFile(summaryFile, JSON.stringify(summary, null, 2) + '\n')
  await finish(0)
} catch (err) {
  // Interrupted: the processes were stopped under the stage, which then failed; say nothing more.
  if (!stopping) say.say(`demo failed: ${err instanceof Error ? err.message : String(err)}`)
  summary.seconds = say.elapsed()
  if (summaryFile != null) await writeFile(summaryFile, JSON.stringify(summary, null, 2) + '\n').catch(() => {})
  await finish(1)
}
