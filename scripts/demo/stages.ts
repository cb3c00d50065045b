/**
 * The demo's stages, in order. Each narrates what happens as it happens, waits on the
 * daemons' own events (never on sleeps), and records what it claimed in the summary. A
 * stage whose feature this build lacks says so and lets the story go on without it.
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ControlClient } from '../../node/control/client.js'
import { scrape } from '../../test/helpers/cache-server.js'
import { runJson } from '../../test/helpers/cli.js'
import { mib, rate } from './narrator.js'
import type { Narrator } from './narrator.js'
import type { AttachmentClaim, DemoSummary, MessageClaim, Route } from './summary.js'
import type { Name, World } from './world.js'

/** Small enough to ride inside the message (at most maxParkedAttachmentBytes, 1 MiB). */
const SMALL_BYTES = 48 * 1024
/** Large enough to stay on the sender when this build has blobs; inside the message otherwise. */
const LARGE_BYTES = { withBlobs: 32 * 1024 * 1024, inline: 4 * 1024 * 1024 }
const SECOND_LARGE_BYTES = 24 * 1024 * 1024
/** Deadlines for what the daemons do on their own (pulls, retries, notices). */
const WAIT_MS = 20_000

export interface DemoContext {
  world: World
  say: Narrator
  summary: DemoSummary
  files: string
}

interface FileSpec { name: string, path: string, claim: AttachmentClaim }

async function makeFile (ctx: DemoContext, name: string, bytes: number, large: boolean): Promise<FileSpec> {
  await mkdir(ctx.files, { recursive: true })
  const data = name.endsWith('.txt')
    ? Buffer.from('Packing list for the weekend:\n'.padEnd(bytes, '- sunscreen, tent, stove, maps\n'))
    : randomBytes(bytes)
  const path = join(ctx.files, name)
  await writeFile(path, data)
  return { name, path, claim: { name, size: bytes, sha256: createHash('sha256').update(data).digest('hex'), large } }
}

/** `send --json --wait` from `from`; returns the outbox entry it printed. */
async function send (ctx: DemoContext, from: Name, args: string[]): Promise<any> {
  return runJson(ctx.world.user(from).home, ['send', ...args, '--wait', '--timeout', String(WAIT_MS)])
}

/** The local copy of a message (by Message-ID) in a user's inbox, if it is there. */
async function inboxCopy (ctx: DemoContext, name: Name, messageId: string): Promise<any> {
  const inbox = await runJson<any[]>(ctx.world.user(name).home, ['list', '--limit', '200'])
  return inbox.find(m => m.messageId === messageId)
}

/** `read --json` of a message by Message-ID. */
async function readCopy (ctx: DemoContext, name: Name, messageId: string): Promise<any> {
  const copy = await inboxCopy(ctx, name, messageId)
  return copy == null ? undefined : runJson(ctx.world.user(name).home, ['read', copy.id])
}

/** True once every large attachment of the message is complete in `name`'s home. */
async function largeHere (ctx: DemoContext, name: Name, messageId: string): Promise<boolean> {
  const read = await readCopy(ctx, name, messageId)
  const large: any[] = read?.largeAttachments ?? []
  return read != null && large.length > 0 && large.every(a => a.state === 'here')
}

/**
 * The recipients of `sender`'s outbox entry once `address` is in `state` (re-read on the
 * sender's events): the story waits for what it is about to tell, so a first attempt that
 * the outbox retries a moment later does not change the narration.
 */
async function onceState (ctx: DemoContext, sender: Name, outboxId: string, address: string, state: string): Promise<any[]> {
  const home = ctx.world.user(sender).home
  return ctx.world.until(sender, async () => {
    const entry = (await runJson<any[]>(home, ['list', '--folder', 'outbox', '--limit', '200'])).find(e => e.id === outboxId)
    return entry?.recipients.find((r: any) => r.address === address)?.state === state ? entry.recipients : undefined
  }, WAIT_MS, `${sender}'s outbox to say ${address}: ${state}`)
}

function describeRoute (ctx: DemoContext, r: any): { route: Route, holder?: string, text: string } {
  if (r.state === 'delivered') return { route: 'direct', text: 'delivered directly (signed receipt from their node)' }
  if (r.state === 'parked') {
    const holder: string = r.parkedAt?.[0] ?? ''
    const route: Route = holder === ctx.world.server?.peerId ? 'cache-server' : 'co-recipient'
    return { route, holder, text: `parked at ${ctx.world.nameOf(holder)} (signed receipt from the holder; sealed, it cannot read it)` }
  }
  const why = String(r.lastError ?? 'not reachable').split(':')[0]
  return { route: 'retried-direct', text: `waiting (${why}): the outbox retries with backoff` }
}

/**
 * One pull on one node, watched through its daemon's events: draws the progress bar (when
 * `label` is given) and keeps the daemon's own times of the transfer's start and end, so
 * the narrated figure is the transfer itself, not the demo's checks around it.
 */
class TransferWatch {
  private start?: { at: number, bytes: number }
  private end?: number

  private constructor (private readonly ctx: DemoContext, private readonly total: number, private readonly label: string | undefined, private readonly client: ControlClient | undefined) {}

  static async open (ctx: DemoContext, name: Name, total: number, label?: string): Promise<TransferWatch> {
    let client: ControlClient | undefined
    try {
      client = await ControlClient.connect(ctx.world.user(name).home)
    } catch {
      // Without events the narration still says when it completes, from its own clock.
    }
    const watch = new TransferWatch(ctx, total, label, client)
    await client?.subscribe(e => { watch.onEvent(e as unknown as { type: string, data: any, at: number }) })
    return watch
  }

  private onEvent (e: { type: string, data: any, at: number }): void {
    if (e.type === 'transfer:state' && e.data.state === 'pulling') this.start = { at: e.at, bytes: 0 }
    if (e.type === 'transfer:state' && e.data.state === 'complete' && this.start != null) this.end = e.at
    if (e.type !== 'transfer:progress' || e.data.total !== this.total) return
    this.start ??= { at: e.at, bytes: e.data.bytesDone }
    if (e.data.bytesDone >= this.total) this.end ??= e.at
    if (this.label != null) this.ctx.say.bar(this.label, e.data.bytesDone, this.total)
  }

  /** "32.0 MiB in 0.4 s (84 MB/s)", from the daemon's events; `fallbackMs` when they were missed. */
  figure (fallbackMs: number): string {
    if (this.start == null || this.end == null || this.end <= this.start.at) return `${mib(this.total)} in ${(fallbackMs / 1000).toFixed(1)} s`
    const ms = this.end - this.start.at
    return `${mib(this.total)} in ${(ms / 1000).toFixed(1)} s (${rate(this.total - this.start.bytes, ms)})`
  }

  /** Wait for `done`, finish the bar, stop listening. */
  async until (done: Promise<unknown>): Promise<void> {
    try {
      await done
      if (this.label != null) this.ctx.say.bar(this.label, this.total, this.total)
    } finally {
      this.client?.close()
    }
  }
}

export async function setup (ctx: DemoContext): Promise<void> {
  const { world, say } = ctx
  say.stage(0, 'a cache server and three people, each with their own home and node on 127.0.0.1')
  const server = await world.startServer()
  say.say(`cache server ${server.peerId.slice(0, 16)}… listening on ${server.addrs[0]}`)
  await world.makeUsers()
  ctx.summary.features = world.features
  for (const [name, u] of world.users) say.detail(`${name.padEnd(6)} ${u.peerId}  home ${u.home}`)
  await Promise.all([...world.users.keys()].map(async name => { await world.online(name) }))
  say.say('all three nodes are up, with the cache server as their home server')
  await world.introduce()
  say.say('they swap identity cards (one line of text each) and pin each other as contacts')
  const missing = [world.features.blobs ? undefined : 'large attachments kept on the sender', world.features.holding ? undefined : 'co-recipient holding'].filter(f => f != null)
  if (missing.length > 0) say.detail(`(this build does not have: ${missing.join(', ')}; those stages say so)`)
}

export async function directAndParked (ctx: DemoContext): Promise<MessageClaim> {
  const { world, say } = ctx
  say.stage(1, 'alice writes to bob (online) and carol (offline), with a small and a large attachment')
  await world.offline('carol')
  say.say('carol closes her laptop: her node stops')
  const large = world.features.blobs ? LARGE_BYTES.withBlobs : LARGE_BYTES.inline
  const small = await makeFile(ctx, 'packing-list.txt', SMALL_BYTES, false)
  const video = await makeFile(ctx, 'holiday.mp4', large, world.features.blobs)
  const bobsPull = world.features.blobs ? await TransferWatch.open(ctx, 'bob', large) : undefined
  const t = Date.now()
  const sent = await send(ctx, 'alice', ['--to', 'bob', '--cc', 'carol', '--subject', 'Holiday photos', '--body', 'Hi both, the packing list and the video from the lake.', '--attach', small.path, '--attach', video.path])
  const claim: MessageClaim = { key: 'photos', subject: 'Holiday photos', messageId: sent.messageId, from: 'alice', outboxId: sent.id, recipients: [], attachments: [small.claim, video.claim] }
  say.say(`alice sends "Holiday photos" with ${small.name} (${mib(SMALL_BYTES)}) and ${video.name} (${mib(large)}), sealed separately for each recipient:`)
  let recipients: any[] = sent.entry.recipients
  if (recipients.find(r => r.address === 'bob')?.state !== 'delivered') recipients = await onceState(ctx, 'alice', sent.id, 'bob', 'delivered')
  if (recipients.find(r => r.address === 'carol')?.state !== 'parked') recipients = await onceState(ctx, 'alice', sent.id, 'carol', 'parked')
  for (const r of recipients) {
    const how = describeRoute(ctx, r)
    claim.recipients.push({ name: r.address, route: how.route, holder: how.holder, received: false })
    say.detail(`-> ${r.address}: ${how.text}`)
  }
  say.detail(`(${Date.now() - t} ms from send to the last receipt)`)
  if (bobsPull != null) {
    say.detail(`${video.name} is not inside the message: it stays on alice's node, and each recipient pulls it from her`)
    await bobsPull.until(world.until('bob', async () => largeHere(ctx, 'bob', sent.messageId), WAIT_MS, 'bob to pull the large attachment'))
    say.say(`bob's node pulled ${video.name} from alice: ${bobsPull.figure(Date.now() - t)}, every chunk checked`)
    const status = await runJson(world.user('alice').home, ['status', sent.id])
    for (const a of status.attachments ?? []) say.detail(`alice keeps ${a.name} for: ${a.waiting.length === 0 ? 'nobody' : a.waiting.join(', ')} (has it: ${a.have.join(', ') || 'nobody'})`)
  } else {
    say.detail(`(this build carries attachments inside the message, so ${video.name} went with it)`)
  }
  const bobRead = await readCopy(ctx, 'bob', sent.messageId)
  if (bobRead != null) {
    claim.recipients.find(r => r.name === 'bob')!.received = true
    say.say(`bob reads it: from ${bobRead.fromPeer.slice(0, 12)}… (verified signature), ${bobRead.attachments.length + (bobRead.largeAttachments?.length ?? 0)} attachment(s)`)
  }
  return claim
}

export async function carolReturns (ctx: DemoContext, photos: MessageClaim): Promise<void> {
  const { world, say } = ctx
  say.stage(2, 'carol comes back online')
  const t = Date.now()
  await world.online('carol')
  const video = photos.attachments.find(a => a.large)
  const carolsPull = world.features.blobs && video != null ? await TransferWatch.open(ctx, 'carol', video.size, `${video.name} from alice`) : undefined
  say.say('carol opens her laptop: her node joins the cache server, which tells her what waits for her')
  await world.until('carol', async () => (await inboxCopy(ctx, 'carol', photos.messageId)) != null, WAIT_MS, 'carol to pull the parked message')
  say.say(`carol's node pulled the sealed envelope from the cache server and acked it, ${Date.now() - t} ms after starting`)
  const held = (await scrape(world.server!)).get('peerpost_parked_envelopes')
  say.detail(`the cache server now holds ${held ?? '?'} envelope(s): it deletes a copy once the recipient acks`)
  photos.recipients.find(r => r.name === 'carol')!.received = true
  if (carolsPull == null || video == null) return
  const tb = Date.now()
  await carolsPull.until(world.until('carol', async () => largeHere(ctx, 'carol', photos.messageId), WAIT_MS, 'carol to pull the large attachment'))
  say.say(`${video.name} streamed from alice's node to carol's: ${carolsPull.figure(Date.now() - tb)}`)
}

export async function holderOffline (ctx: DemoContext): Promise<MessageClaim | undefined> {
  const { world, say } = ctx
  say.stage(3, 'alice goes offline before carol pulls a second large attachment')
  if (!world.features.blobs) {
    say.say('not available in this build: large attachments kept on the sender (and pulled when the sender returns) have not landed')
    return undefined
  }
  await world.offline('carol')
  say.say('carol goes offline again')
  const slides = await makeFile(ctx, 'slides.pdf', SECOND_LARGE_BYTES, true)
  const sent = await send(ctx, 'alice', ['--to', 'carol', '--subject', 'Slides for Monday', '--body', 'The deck, when you have a minute.', '--attach', slides.path])
  const carolState = sent.entry.recipients[0].state === 'parked' ? sent.entry.recipients[0] : (await onceState(ctx, 'alice', sent.id, 'carol', 'parked'))[0]
  const how = describeRoute(ctx, carolState)
  const claim: MessageClaim = { key: 'slides', subject: 'Slides for Monday', messageId: sent.messageId, from: 'alice', outboxId: sent.id, recipients: [{ name: 'carol', route: how.route, holder: how.holder, received: false }], attachments: [slides.claim] }
  say.say(`alice sends carol "Slides for Monday" with ${slides.name} (${mib(slides.claim.size)}): ${how.text}`)
  await world.offline('alice')
  say.say('alice closes her laptop: the slides are only on her node')
  await world.online('carol')
  say.say('carol comes online and pulls the message from the cache server...')
  const waiting = await world.until('carol', async () => {
    const view = await runJson(world.user('carol').home, ['transfers'])
    // Waiting once carol's daemon has tried alice (waitingForName is set then), not merely
    // registered and "not tried yet".
    return (view.downloads as any[]).find(d => d.name === slides.name && d.state === 'waiting' && d.waitingForName != null)
  }, WAIT_MS, 'carol\'s pull to wait for alice')
  claim.recipients[0]!.received = true
  say.say(`...and the slides wait: "${waiting.reason ?? `waiting for ${waiting.waitingForName ?? 'alice'}`}"`)
  const pull = await TransferWatch.open(ctx, 'carol', slides.claim.size, `${slides.name} from alice`)
  const t = Date.now()
  await world.online('alice')
  say.say('alice is back online')
  await pull.until(world.until('carol', async () => largeHere(ctx, 'carol', sent.messageId), WAIT_MS, 'carol to finish the slides'))
  say.say(`carol's node noticed alice and finished ${slides.name} ${((Date.now() - t) / 1000).toFixed(1)} s after alice returned (the transfer: ${pull.figure(Date.now() - t)}), checked against its sha256`)
  return claim
}

export async function throughCoRecipient (ctx: DemoContext): Promise<MessageClaim[]> {
  const { world, say } = ctx
  say.stage(4, 'the cache server goes away: bob and carol exchange through a co-recipient')
  await world.stopServer()
  say.say('the cache server stops')
  await world.offline('carol')
  say.say('carol goes offline')
  const t = Date.now()
  const sent = await send(ctx, 'bob', ['--to', 'alice', '--to', 'carol', '--subject', 'Dinner on Friday?', '--body', 'Shall we try the new place by the river?'])
  const dinner: MessageClaim = { key: 'dinner', subject: 'Dinner on Friday?', messageId: sent.messageId, from: 'bob', outboxId: sent.id, recipients: [], attachments: [] }
  say.say('bob asks alice and carol "Dinner on Friday?":')
  let recipients: any[] = sent.entry.recipients
  for (const r of recipients) say.detail(`-> ${r.address}: ${describeRoute(ctx, r).text}`)
  if (world.features.holding && recipients.find(r => r.address === 'carol')?.state !== 'parked') {
    // A co-recipient holds only once it has the message itself: the first attempt delivers
    // to alice, the next one (a second later) parks carol's copy with her.
    recipients = await onceState(ctx, 'bob', sent.id, 'carol', 'parked')
    say.detail(`-> carol, next attempt: ${describeRoute(ctx, recipients.find(r => r.address === 'carol')).text}, a co-recipient who has the message already`)
  }
  for (const r of recipients) {
    const how = describeRoute(ctx, r)
    dinner.recipients.push({ name: r.address, route: how.route, holder: how.holder, received: r.state === 'delivered' })
  }
  say.detail(`(${Date.now() - t} ms, including finding the cache server gone)`)
  const carolRoute = dinner.recipients.find(r => r.name === 'carol')!
  if (!world.features.holding) say.detail('(co-recipient holding is not in this build: bob\'s own node keeps carol\'s copy and retries her)')
  const tc = Date.now()
  await world.online('carol')
  await world.until('carol', async () => (await inboxCopy(ctx, 'carol', sent.messageId)) != null, WAIT_MS, 'carol to get the dinner message')
  carolRoute.received = true
  say.say(carolRoute.route === 'co-recipient'
    ? `carol comes online; alice's node tells her it holds her copy, and carol fetches it from alice (${Date.now() - tc} ms)`
    : `carol comes online; bob's outbox reaches her directly on its next attempt (${Date.now() - tc} ms)`)
  const reply = await send(ctx, 'carol', ['--to', 'bob', '--subject', 'Re: Dinner on Friday?', '--body', 'Yes please, 8 pm?', '--in-reply-to', sent.messageId, '--references', sent.messageId])
  const r = reply.entry.recipients[0]
  const how = describeRoute(ctx, r)
  const replyClaim: MessageClaim = { key: 'reply', subject: 'Re: Dinner on Friday?', messageId: reply.messageId, from: 'carol', outboxId: reply.id, recipients: [{ name: 'bob', route: how.route, holder: how.holder, received: false }], attachments: [] }
  await world.until('bob', async () => (await inboxCopy(ctx, 'bob', reply.messageId)) != null, WAIT_MS, 'bob to get carol\'s reply')
  replyClaim.recipients[0]!.received = true
  say.say(`carol replies to bob: ${how.text}; it threads under his question (In-Reply-To)`)
  return [dinner, replyClaim]
}

/** The closing tables; returns the per-user counts for the summary. */
export async function closing (ctx: DemoContext): Promise<DemoSummary['counts']> {
  const { world, say } = ctx
  say.stage(5, 'summary')
  const counts: DemoSummary['counts'] = {}
  const rows = [['user', 'inbox', 'sent', 'large attachments here', 'PeerId']]
  for (const [name, u] of world.users) {
    const inbox = await runJson<any[]>(u.home, ['list', '--limit', '200'])
    const sent = await runJson<any[]>(u.home, ['list', '--folder', 'sent', '--limit', '200'])
    let largeCount = 0
    for (const m of inbox) {
      const read = await runJson(u.home, ['read', m.id])
      largeCount += ((read.largeAttachments ?? []) as any[]).filter(a => a.state === 'here').length
    }
    counts[name] = { inbox: inbox.length, sent: sent.length, largeHere: largeCount }
    rows.push([name, String(inbox.length), String(sent.length), String(largeCount), `${u.peerId.slice(0, 16)}…`])
  }
  say.table(rows)
  process.stdout.write('\n')
  const stageRows = [['stage', 'seconds', '']]
  for (const s of ctx.summary.stages) stageRows.push([s.title, s.seconds.toFixed(1), s.available ? 'shown' : `not in this build: ${s.note ?? ''}`])
  say.table(stageRows)
  return counts
}
