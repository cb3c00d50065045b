/**
 * What a cache server learns. Alice mails bob (offline) a message with a subject, a body,
 * an attachment and her display name in From; it is parked on his home server, which logs
 * everything it logs (DEBUG=peerpost:*); bob then comes online and pulls it. The server's
 * database (every key and value, read back through LevelDB so compression hides nothing;
 * and every file in its home, raw) and its logs must not contain any of those in clear.
 * Alice's PeerId is known to the server as the depositor (design section 3): the test
 * checks it appears only there.
 */
import assert from 'node:assert/strict'
import { readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { Level } from 'level'
import { eventually, scrape, startCacheServer } from '../helpers/cache-server.js'
import { cleanup, freePort, introduce, makeUser, runJson, tempDir, waitUntil } from '../helpers/cli.js'
import { FAST_NODE, FAST_SERVER, inboxCopies, startNode, useServers } from '../helpers/offline.js'
import type { CacheServerProcess } from '../helpers/cache-server.js'
import type { User } from '../helpers/cli.js'

const SECRETS = {
  subject: 'Quarterly-plan-7f3a',
  body: 'the-body-text-9c1e',
  attachmentName: 'budget-2b4d.txt',
  attachmentContent: 'attachment-content-5e6f',
  displayName: 'Alicia8d2c'
}

/** Every key and value of a stopped server's database, decompressed, as one buffer per entry. */
async function dumpDatabase (dir: string): Promise<Array<{ key: string, value: Buffer }>> {
  const db = new Level<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' })
  await db.open()
  try {
    return (await db.iterator().all()).map(([k, v]) => ({ key: k.toString('latin1'), value: v }))
  } finally {
    await db.close()
  }
}

async function rawFiles (dir: string): Promise<Buffer[]> {
  const out: Buffer[] = []
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(await readFile(join(entry.parentPath, entry.name)))
  }
  return out
}

/** The needles as the server might hold them: as written, and in base64 (how some records keep bytes). */
const forms = (s: string): Buffer[] => [Buffer.from(s), Buffer.from(Buffer.from(s).toString('base64').slice(0, -4)), Buffer.from(s.toLowerCase())]

describe('what a cache server learns', () => {
  let server: CacheServerProcess
  let alice: User, bob: User
  let serverHome: string
  let port: number
  let logs = ''
  const dumps: Buffer[] = []
  /** The database while the message was parked, and after bob took it. */
  const states: Array<Array<{ key: string, value: Buffer }>> = []
  const previousDebug = process.env.DEBUG

  const start = async (): Promise<void> => {
    // The server inherits DEBUG: every namespaced peerpost log line is captured.
    process.env.DEBUG = 'peerpost:*'
    try {
      server = await startCacheServer(serverHome, { port, config: FAST_SERVER })
    } finally {
      if (previousDebug === undefined) delete process.env.DEBUG
      else process.env.DEBUG = previousDebug
    }
  }
  const stopAndDump = async (): Promise<Array<{ key: string, value: Buffer }>> => {
    assert.equal(await server.stop(), 0)
    logs += server.stderr()
    const entries = await dumpDatabase(join(serverHome, 'db'))
    for (const e of entries) dumps.push(Buffer.from(e.key, 'latin1'), e.value)
    states.push(entries)
    dumps.push(...await rawFiles(serverHome))
    return entries
  }

  before(async () => {
    serverHome = await tempDir('learns')
    port = await freePort()
    await start()
    alice = await makeUser(SECRETS.displayName, { config: FAST_NODE })
    bob = await makeUser('bob-learns', { config: FAST_NODE })
    await useServers(alice, [server])
    await useServers(bob, [server])
    await introduce([alice, bob])
    await startNode(alice)
  })
  after(async () => {
    await cleanup([alice, bob])
    await server?.kill()
    if (serverHome != null) await rm(serverHome, { recursive: true, force: true })
  })

  it('parks, then delivers to bob; its database, files and logs hold none of the message in clear', async () => {
    const file = join(alice.home, SECRETS.attachmentName)
    await writeFile(file, SECRETS.attachmentContent)
    const sent = await runJson(alice.home, ['send', '--to', bob.name, '--subject', SECRETS.subject, '--body', SECRETS.body, '--attach', file, '--wait', '--timeout', '20000'])
    assert.equal(sent.entry.recipients[0].state, 'parked')

    // While it is parked.
    const parked = await stopAndDump()
    assert.ok(parked.some(e => e.key.includes(bob.peerId)), 'the envelope is held for bob')
    await start()
    // Bob comes online and pulls it.
    await startNode(bob)
    await waitUntil(bob.home, async () => await inboxCopies(bob, sent.messageId) === 1, 30_000, 'bob to pull the message')
    await eventually(async () => (await scrape(server)).get('peerpost_parked_envelopes') === 0, 15_000, 'the server to drop it after the ack')
    await bob.daemon!.stop()
    await stopAndDump()

    const haystacks = [...dumps, Buffer.from(logs)]
    for (const [what, secret] of Object.entries(SECRETS)) {
      for (const needle of forms(secret)) {
        assert.ok(!haystacks.some(h => h.includes(needle)), `the server holds the ${what} (${needle.toString()}) in clear`)
      }
    }
    assert.ok(logs.includes('peerpost:cache'), 'the debug logs were captured')
  })

  it('knows alice\'s PeerId only as the depositor', async () => {
    assert.equal(states.length, 2)
    const mentions = states.flat().filter(e => e.key.includes(alice.peerId) || e.value.includes(Buffer.from(alice.peerId)))
    for (const m of mentions) {
      const asDepositor = m.key.includes(`depositor!${alice.peerId}`) || m.value.toString('latin1').includes(`"depositor":"${alice.peerId}"`)
      // Her own presence and notices (she uses this server too) name her as well.
      const asUser = /presence|notice/.test(m.key)
      assert.ok(asDepositor || asUser, `alice's PeerId appears in ${JSON.stringify(m.key)}`)
    }
    console.log(JSON.stringify({ serverLearns: { dbEntriesNamingTheSender: mentions.map(m => m.key.replace(alice.peerId, '<alice>').replace(bob.peerId, '<bob>').replace(/[^\x20-\x7e]/g, '.')), logBytes: logs.length } }))
  })
})
