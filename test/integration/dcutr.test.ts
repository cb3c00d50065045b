import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { after, before, describe, it } from 'node:test'
import { eventually, startCacheServer } from '../helpers/cache-server.js'
import { BIN, cleanup, deadline, introduce, makeUser, runJson, tempDir, waitUntil } from '../helpers/cli.js'
import { createNamespace, inNamespace, ip, removeNamespace } from '../helpers/netns.js'
import { FAST_NODE, FAST_SERVER, startNode, useServers } from '../helpers/offline.js'
import type { CommandLine } from '../helpers/cli.js'

const exec = promisify(execFile)

/**
 * js-libp2p's DCUtR only dials addresses it counts as public (@libp2p/utils isPrivate: not
 * 127/8, 10/8, 192.168/16, the documentation ranges...), so on 127.0.0.1 it never upgrades.
 * The test makes a network namespace of its own and puts two such addresses on that
 * namespace's loopback interface only (test/helpers/netns.ts).
 */
const PUBLIC_A = '11.11.0.1'
const PUBLIC_B = '11.11.0.2'
const SCENARIO = fileURLToPath(new URL('../helpers/dcutr-scenario.js', import.meta.url))
const CUT_SCENARIO = fileURLToPath(new URL('../helpers/dcutr-cut-scenario.js', import.meta.url))

/** The namespace with both addresses on its loopback, or why there is none. */
async function makeNamespace (name: string): Promise<string | undefined> {
  const why = await createNamespace(name)
  if (why != null) return why
  await ip('-n', name, 'addr', 'add', `${PUBLIC_A}/32`, 'dev', 'lo')
  await ip('-n', name, 'addr', 'add', `${PUBLIC_B}/32`, 'dev', 'lo')
}

/** What both upgrade paths end with: the relayed, limited connection first, then a direct one that answers a ping and is all that is left. */
function assertUpgraded (seen: any): void {
  assert.equal(seen.relayed.limited, true, 'the first connection is the relayed, limited one')
  assert.equal(seen.direct.limited, false)
  assert.equal(seen.pinged, true)
  assert.deepEqual(seen.connectionsAfter.map((c: any) => c.limited), [false], 'only the direct connection is left')
}

describe('DCUtR: a relayed connection becomes direct', () => {
  const ns = `peerpost-dcutr-${process.pid}`
  /** Why the namespace could not be made (the tests skip), or undefined. */
  let unavailable: string | undefined
  /** `peerpost` run inside the namespace. */
  const inNs: CommandLine = inNamespace(ns, process.execPath, BIN)

  before(async () => { unavailable = await makeNamespace(ns) })
  /** Run test/helpers/dcutr-scenario.ts (or dcutr-cut-scenario.ts) in `mode` inside the namespace (the cache server it starts too); what it saw. */
  async function scenario (mode: 'unilateral' | 'holepunch' | 'pull-cut' | 'pull-drop' | 'notice-cut'): Promise<any> {
    const cmd = inNamespace(ns, process.execPath, mode === 'unilateral' || mode === 'holepunch' ? SCENARIO : CUT_SCENARIO, mode, PUBLIC_A, PUBLIC_B)
    const run = exec(cmd.file, cmd.args, { timeout: 60_000 })
    const { stdout } = await deadline(run.catch((err: any) => { throw new Error(`scenario ${mode} failed: ${err.stderr ?? err.message}`) }), 65_000, `the DCUtR ${mode} scenario`)
    return JSON.parse(stdout.trim().split('\n').pop()!)
  }
  after(async () => { if (unavailable == null) await removeNamespace(ns) })

  it('A dials B through the cache server\'s relay; B (announcing only its relay address) dials A back directly and the relayed connection closes', async t => {
    if (unavailable != null) {
      t.skip(unavailable)
      return
    }
    const seen = await scenario('unilateral')
    // B listens on PUBLIC_B too, but nothing verified that address (no AutoNAT), so libp2p
    // announces only the relay address: A could not have dialed B directly.
    assert.ok(seen.bAddrs.length > 0 && seen.bAddrs.every((a: string) => a.includes('/p2p-circuit')), `B announces only relayed addresses: ${seen.bAddrs.join(' ')}`)
    assertUpgraded(seen)
    assert.match(seen.relayed.remoteAddr, /\/p2p-circuit\//)
    assert.doesNotMatch(seen.direct.remoteAddr, /p2p-circuit/)
    assert.match(seen.direct.remoteAddr, /^\/ip4\/11\.11\.0\.\d\/tcp\//)
    // Unilateral upgrade: B, the peer dialed through the relay, dialed A's public address.
    assert.equal(seen.direct.direction, 'inbound')
  })

  it('hole punch: when B cannot reach A\'s announced address, the two sync over the relay and A dials B\'s', async t => {
    if (unavailable != null) {
      t.skip(unavailable)
      return
    }
    const seen = await scenario('holepunch')
    assert.ok(seen.bAddrs.some((a: string) => a.startsWith(`/ip4/${PUBLIC_B}/tcp/4002/`)), `B announces its direct address: ${seen.bAddrs.join(' ')}`)
    assertUpgraded(seen)
    // A dialed (outbound): only the CONNECT/SYNC exchange gives A a reason to.
    assert.equal(seen.direct.direction, 'outbound')
    assert.match(seen.direct.remoteAddr, new RegExp(`^/ip4/${PUBLIC_B.replaceAll('.', '\\.')}/tcp/4002/`))
  })

  it('a large-attachment pull the upgrade cuts goes on at once over the direct connection, from where it stopped, without its backoff', async t => {
    if (unavailable != null) {
      t.skip(unavailable)
      return
    }
    const seen = await scenario('pull-cut')
    // The pull began over the relay (A had no direct connection to B when the first chunk came).
    assert.ok(seen.connectionsAtFirstChunk.length > 0 && seen.connectionsAtFirstChunk.every((c: any) => !c.direct), JSON.stringify(seen.connectionsAtFirstChunk))
    // B served the first stream over the relayed connection, which the upgrade closed
    // before it could serve more, then one more stream over the direct connection.
    assert.equal(seen.served.length, 2, JSON.stringify(seen.served))
    const [relayed, direct] = seen.served
    assert.equal(relayed.direct, false)
    assert.deepEqual(relayed.chunks, [0])
    assert.equal(direct.direct, true)
    // It resumed from the chunk after the last one written, not from the start.
    assert.deepEqual(direct.chunks, Array.from({ length: seen.chunks - 1 }, (_, i) => i + 1))
    // Never 'waiting': that is the state a failed pull waits out its backoff in (an hour here).
    assert.deepEqual(seen.states, ['pulling', 'complete'])
    assert.equal(seen.record.state, 'complete')
    assert.equal(seen.intact, true)
    assert.deepEqual(seen.connectionsAfter.map((c: any) => c.direct), [true])
  })

  it('a pull whose relayed connection simply closes (no upgrade) is not sent again at once: it waits out its backoff', async t => {
    if (unavailable != null) {
      t.skip(unavailable)
      return
    }
    const seen = await scenario('pull-drop')
    assert.deepEqual(seen.served, [{ direct: false, chunks: [0] }])
    assert.deepEqual(seen.states, ['pulling', 'waiting'])
    assert.equal(seen.record.state, 'pending')
    assert.equal(seen.record.bytesDone, 64 * 1024, 'the chunk written before the cut is kept')
  })

  it('a notice the upgrade cuts is posted again at once over the direct connection', async t => {
    if (unavailable != null) {
      t.skip(unavailable)
      return
    }
    const seen = await scenario('notice-cut')
    assert.equal(seen.posted, 'ok')
    assert.deepEqual(seen.received, [{ direct: false }, { direct: true }])
  })

  it('daemons: mail to a node reachable only through the relay is delivered across the upgrade, and its large attachment is pulled', async t => {
    if (unavailable != null) {
      t.skip(unavailable)
      return
    }
    const server = await startCacheServer(await tempDir('cache'), { config: FAST_SERVER, command: inNs })
    const aliceAddr = `/ip4/${PUBLIC_A}/tcp/4001`
    const alice = await makeUser('alice', { config: { ...FAST_NODE, announce: [aliceAddr] }, command: inNs })
    const bob = await makeUser('bob', { config: FAST_NODE, command: inNs })
    try {
      await useServers(alice, [server])
      await useServers(bob, [server])
      await startNode(alice, { listen: [aliceAddr] })
      await startNode(bob, { listen: [`/ip4/${PUBLIC_B}/tcp/0`, '/p2p-circuit'] })
      const bobAddrs = await eventually(async () => {
        const addrs: string[] = (await runJson(bob.home, ['status'], bob.command)).addrs
        return addrs.some(a => a.includes('/p2p-circuit')) ? addrs : undefined
      }, 10_000, 'bob\'s relay reservation')
      assert.ok(bobAddrs.every(a => a.includes('/p2p-circuit')), `bob announces only relayed addresses: ${bobAddrs.join(' ')}`)
      await introduce([alice, bob])

      const files = await tempDir('files')
      const big = randomBytes(2 * 1024 * 1024)
      await writeFile(join(files, 'big.bin'), big)
      const sent = await runJson(alice.home, ['send', '--to', 'bob', '--subject', 'across the upgrade', '--body', 'hi', '--attach', join(files, 'big.bin'), '--wait', '--timeout', '20000'], alice.command)
      await rm(files, { recursive: true, force: true })
      assert.equal(sent.entry.recipients[0].state, 'delivered')
      const summary = (await runJson<any[]>(bob.home, ['list'], bob.command)).find(m => m.messageId === sent.messageId)
      assert.ok(summary, 'bob has it')
      const large = await waitUntil(bob.home, async () => {
        const read = await runJson(bob.home, ['read', summary.id], bob.command)
        return read.largeAttachments.find((a: any) => a.name === 'big.bin' && a.state === 'here')
      }, 20_000, 'bob to pull big.bin')
      assert.equal(large.sha256, createHash('sha256').update(big).digest('hex'))
    } finally {
      await cleanup([alice, bob])
      await server.kill()
      await rm(server.home, { recursive: true, force: true })
    }
  })
})
