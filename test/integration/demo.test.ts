import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, before, describe, it } from 'node:test'
import { runJson, tempDir } from '../helpers/cli.js'
import type { DemoSummary } from '../../scripts/demo/summary.js'

const DEMO = fileURLToPath(new URL('../../scripts/demo.js', import.meta.url))

/**
 * `npm run demo` tells a story; this checks the story against what the daemons stored. The
 * demo runs as a person runs it (its own processes, a temp dir), keeps the homes with
 * --keep, and its --summary says what it claimed; the homes are then read with the
 * command's own --json views.
 */
describe('the demo\'s narration matches the daemons\' stores', () => {
  let dir: string
  let summary: DemoSummary
  let stdout = ''
  const home = (name: string): string => summary.users.find(u => u.name === name)!.home
  const peerId = (name: string): string => summary.users.find(u => u.name === name)!.peerId

  before(async () => {
    dir = await tempDir('demo-test')
    const file = join(dir, 'summary.json')
    // Alone the demo takes under a minute; beside the rest of `npm test` on 2 cores, about two.
    const code = await new Promise<number>(resolve => {
      execFile(process.execPath, [DEMO, '--keep', '--summary', file, '--dir', join(dir, 'world')], { timeout: 240_000, maxBuffer: 16 * 1024 * 1024 }, (err, out, stderr) => {
        stdout = out + stderr
        resolve(err == null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1)
      })
    })
    assert.equal(code, 0, `the demo exits 0:\n${stdout}`)
    summary = JSON.parse(await readFile(file, 'utf8'))
  })
  after(async () => {
    if (dir != null) await rm(dir, { recursive: true, force: true })
  })

  it('ran every stage, and says which ones this build cannot show', () => {
    assert.equal(summary.ok, true)
    assert.deepEqual(summary.stages.map(s => s.id), ['setup', 'direct', 'pull', 'holder-offline', 'co-recipient'])
    // Both features are in this build: the demo must find them (it reads them from the
    // daemon's config) rather than quietly skip their stages.
    assert.deepEqual(summary.features, { blobs: true, holding: true })
    assert.deepEqual(summary.stages.filter(s => !s.available).map(s => s.id), [])
    assert.match(stdout, /\.\.\.and the slides wait: "waiting for alice/)
    assert.match(stdout, /parked at alice/)
    const large = summary.messages.flatMap(m => m.attachments.filter(a => a.large).map(a => a.name))
    assert.deepEqual(large.sort(), ['holiday.mp4', 'slides.pdf'])
    assert.match(stdout, /done in \d+\.\d s/)
    assert.ok(summary.messages.length >= 3)
  })

  it('each recipient\'s route is what the sender\'s outbox recorded', async () => {
    for (const m of summary.messages) {
      const outbox = await runJson<any[]>(home(m.from), ['list', '--folder', 'outbox', '--limit', '200'])
      const entry = outbox.find(e => e.id === m.outboxId)
      assert.ok(entry != null, `${m.key}: in ${m.from}'s outbox`)
      assert.equal(entry.messageId, m.messageId)
      for (const r of m.recipients) {
        const state = entry.recipients.find((x: any) => x.address === r.name)
        assert.ok(state != null, `${m.key}: ${r.name} is a recipient`)
        switch (r.route) {
          case 'direct':
          case 'retried-direct':
            assert.equal(state.state, 'delivered', `${m.key} -> ${r.name}`)
            break
          case 'cache-server':
            assert.ok(state.parkedAt?.includes(summary.server.peerId), `${m.key} -> ${r.name} parked at the cache server`)
            break
          case 'co-recipient':
            assert.ok(r.holder != null && summary.users.some(u => u.peerId === r.holder), `${m.key} -> ${r.name}: the holder is one of the users`)
            assert.ok(state.parkedAt?.includes(r.holder), `${m.key} -> ${r.name} parked at ${r.holder}`)
            break
        }
      }
      if (m.key === 'dinner' && summary.features.holding) assert.equal(m.recipients.find(r => r.name === 'carol')?.route, 'co-recipient')
    }
  })

  it('every message said to have arrived is in the recipient\'s inbox once, from the sender, with the same attachments', async () => {
    for (const m of summary.messages) {
      for (const r of m.recipients.filter(r => r.received)) {
        const inbox = await runJson<any[]>(home(r.name), ['list', '--limit', '200'])
        const copies = inbox.filter(x => x.messageId === m.messageId)
        assert.equal(copies.length, 1, `${m.key}: one copy for ${r.name}`)
        const read = await runJson(home(r.name), ['read', copies[0].id])
        assert.equal(read.fromPeer, peerId(m.from))
        assert.equal(read.subject, m.subject)
        for (const a of m.attachments) {
          const where: any[] = a.large && summary.features.blobs ? read.largeAttachments : read.attachments
          const found = where.find(x => x.name === a.name)
          assert.ok(found != null, `${m.key}: ${r.name} has ${a.name}`)
          assert.equal(found.sha256, a.sha256, `${m.key}: ${r.name}'s ${a.name} is the same bytes`)
          assert.equal(found.size, a.size)
          if (a.large && summary.features.blobs) assert.equal(found.state, 'here', `${m.key}: ${r.name} pulled ${a.name} completely`)
        }
      }
    }
  })

  it('the summary table\'s counts are the folders\' contents and the large attachments complete there', async () => {
    for (const u of summary.users) {
      const inbox = await runJson<any[]>(u.home, ['list', '--limit', '200'])
      const sent = await runJson<any[]>(u.home, ['list', '--folder', 'sent', '--limit', '200'])
      assert.equal(summary.counts[u.name]?.inbox, inbox.length, `${u.name}'s inbox`)
      assert.equal(summary.counts[u.name]?.sent, sent.length, `${u.name}'s sent`)
      let largeHere = 0
      for (const m of inbox) largeHere += ((await runJson(u.home, ['read', m.id])).largeAttachments ?? []).filter((a: any) => a.state === 'here').length
      assert.equal(summary.counts[u.name]?.largeHere, largeHere, `${u.name}'s large attachments here`)
    }
  })
})
