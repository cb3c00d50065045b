/**
 * Network cuts between two daemons. Bob announces only the address of a TCP proxy the
 * test controls, so every connection alice makes to him runs through it. While alice sends
 * 256 KiB messages, the proxy cuts mid-message: it resets the connections, black-holes
 * them (sockets open, nothing forwarded), or stalls them past alice's deadline and then
 * lets the held bytes through. Each time alice's deadline must fire (a failed attempt is
 * reported, not a hang), and in the end bob has every message exactly once.
 */
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { ControlClient } from '../../node/control/client.js'
import { cardFromText } from '../../node/identity/index.js'
import { cleanup, deadline, introduce, makeUser, online, runJson, tempDir, waitUntil } from '../helpers/cli.js'
import { size } from './size.js'
import { startTcpProxy } from './tcp-proxy.js'
import type { User } from '../helpers/cli.js'
import type { NodeEvent } from '../../node/events.js'
import type { TcpProxy } from './tcp-proxy.js'

const PER_CUT = size(8, 60)
const BODY = 'x'.repeat(256 * 1024)
/** Over maxParkedAttachmentBytes (1 MiB): it stays on alice and bob pulls it (the blob protocol). */
const ATTACHMENT_BYTES = size(24, 256) * 1024 * 1024
const DELIVER_TIMEOUT_MS = 3_000
const DIAL_TIMEOUT_MS = 2_000
/** A failed attempt must be reported within this of the cut (deadlines plus slack for a loaded machine), or it is a hang. */
const REPORT_WITHIN_MS = 20_000

describe('network cuts between two daemons, mid-message', () => {
  let alice: User, bob: User
  let proxy: TcpProxy
  let client: ControlClient
  const sent: string[] = []
  /** When each failed attempt (a recipient back to pending with an error) was reported. */
  const failures: number[] = []
  const figures: Record<string, unknown> = {}

  before(async () => {
    alice = await makeUser('alice-net', { config: { outbox: { retryBaseMs: 200, retryMaxMs: 1_000, dialTimeoutMs: DIAL_TIMEOUT_MS, deliverTimeoutMs: DELIVER_TIMEOUT_MS } } })
    bob = await makeUser('bob-net')
    proxy = await startTcpProxy(bob.port)
    await writeFile(join(bob.home, 'config.json'), JSON.stringify({ announce: [`/ip4/127.0.0.1/tcp/${proxy.port}`] }))
    await online(alice)
    await online(bob)
    await introduce([alice, bob])
    const card = cardFromText((await runJson(bob.home, ['card'])).card)
    assert.deepEqual(card.addrs.map(a => a.split('/')[4]), [String(proxy.port)], 'bob is known only by the proxy\'s address')
    client = await ControlClient.connect(alice.home)
    await client.subscribe((e: NodeEvent) => {
      if (e.type === 'outbox:recipient' && (e.data as any).state === 'pending' && (e.data as any).error != null) failures.push(Date.now())
    })
  })
  after(async () => {
    client?.close()
    await proxy?.stop()
    await cleanup([alice, bob])
    console.log(JSON.stringify({ networkCuts: figures }))
  })

  async function sendBatch (label: string): Promise<void> {
    for (let i = 0; i < PER_CUT; i++) {
      const r = await client.call<{ messageId: string }>('send', { request: { to: [bob.name], subject: `${label} ${i}`, text: BODY } })
      sent.push(r.messageId)
    }
  }

  /** Wait for a failed attempt reported after `since`; returns how long it took. */
  async function failureAfter (since: number): Promise<number> {
    const at = await deadline((async () => {
      for (let i = 0; i < REPORT_WITHIN_MS / 50; i++) {
        const f = failures.find(t => t >= since)
        if (f != null) return f
        await new Promise(resolve => setTimeout(resolve, 50))
      }
      throw new Error('no failed attempt reported')
    })(), REPORT_WITHIN_MS + 1_000, 'alice to report the failed attempt')
    return at - since
  }

  async function allDelivered (): Promise<void> {
    await waitUntil(alice.home, async () => {
      const list = await client.call<any>('outbox.list', { limit: 1000 })
      return sent.every(id => list.items.find((e: any) => e.messageId === id)?.recipients[0].state === 'delivered')
    }, 120_000, 'every message delivered')
  }

  it('reset mid-message: alice retries and everything arrives', async () => {
    const sending = sendBatch('reset')
    await proxy.afterBytes(512 * 1024, 30_000)
    const cutAt = Date.now()
    proxy.closeAll()
    await sending
    figures.resetReportedAfterMs = await failureAfter(cutAt)
    await allDelivered()
  })

  it('black-holed mid-message: alice\'s deadline fires instead of a hang, then everything arrives', async () => {
    const sending = sendBatch('blackhole')
    await proxy.afterBytes(512 * 1024, 30_000)
    const cutAt = Date.now()
    proxy.setMode('blackhole')
    const took = await failureAfter(cutAt)
    figures.blackholeReportedAfterMs = took
    assert.ok(took < REPORT_WITHIN_MS)
    // The black hole ends the way a dead path does: those connections are gone.
    proxy.closeAll()
    proxy.setMode('pass')
    await sending
    await allDelivered()
  })

  it('stalled past the deadline mid-message, then the held bytes go through: nothing lost or doubled', async () => {
    const sending = sendBatch('stall')
    await proxy.afterBytes(512 * 1024, 30_000)
    const cutAt = Date.now()
    proxy.setMode('stall')
    figures.stallReportedAfterMs = await failureAfter(cutAt)
    proxy.setMode('pass')
    await sending
    await allDelivered()
  })

  it('reset mid-attachment: bob\'s pull of a large attachment resumes and completes with the sender\'s sha256', async () => {
    const files = await tempDir('net-files')
    const big = randomBytes(ATTACHMENT_BYTES)
    await writeFile(join(files, 'big.bin'), big)
    const before = proxy.forwarded
    const r = await client.call<{ messageId: string }>('send', { request: { to: [bob.name], subject: 'attachment', text: 'big one', attachmentPaths: [join(files, 'big.bin')] } })
    sent.push(r.messageId)
    // The message is small; the attachment stays on alice and bob pulls it over the same connection.
    await proxy.afterBytes(ATTACHMENT_BYTES / 4, 60_000)
    proxy.closeAll()
    const id = await waitUntil(bob.home, async () => (await runJson<any[]>(bob.home, ['list', '--limit', '1000'])).find(m => m.messageId === r.messageId)?.id, 30_000, 'bob to have the message')
    const large = await waitUntil(bob.home, async () => {
      const read = await runJson(bob.home, ['read', id])
      return read.largeAttachments?.find((a: any) => a.name === 'big.bin' && a.state === 'here')
    }, 120_000, 'bob to finish pulling big.bin after the cut')
    assert.equal(large.sha256, createHash('sha256').update(big).digest('hex'))
    figures.attachmentBytes = ATTACHMENT_BYTES
    figures.attachmentBytesThroughProxy = proxy.forwarded - before
    await rm(files, { recursive: true, force: true })
  })

  it('bob has every message exactly once', async () => {
    const inbox = await runJson<any[]>(bob.home, ['list', '--limit', '1000'])
    const counts = new Map<string, number>()
    for (const m of inbox) counts.set(m.messageId, (counts.get(m.messageId) ?? 0) + 1)
    for (const id of sent) assert.equal(counts.get(id), 1, `${id} exactly once`)
    assert.equal(inbox.length, sent.length)
    for (const m of inbox) assert.equal(m.size > (m.subject === 'attachment' ? 0 : BODY.length), true, 'whole messages only')
    figures.messages = sent.length
    figures.proxyConnections = proxy.accepted
    figures.failedAttemptsReported = failures.length
  })
})
