import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { once } from 'node:events'
import { after, describe, it } from 'node:test'
import { multiaddr } from '@multiformats/multiaddr'
import { generateKeyMaterial, identityFromKeyMaterial } from '../../node/identity/index.js'
import { createNetwork } from '../../node/network.js'
import { makeCard, peerIdBytesFromString } from '../../node/identity/index.js'
import { registerName } from '../../node/protocol/directory.js'
import { FetchSession } from '../../node/protocol/fetch.js'
import { newNotice, NoticeKind, postNotice } from '../../node/protocol/notice.js'
import { IdentityCard } from '../../node/protocol/peerpost.js'
import { auditCacheServer, eventually, hex, opaqueEnvelope, park, rawClient, scrape, startCacheServer } from '../helpers/cache-server.js'
import { BUILT, deadline, run, tempDir } from '../helpers/cli.js'
import { STRICT_REJECTIONS_ENV } from '../../cli/unhandled-rejections.js'
import { MIN_FREE_DISK_FLOOR_BYTES } from '../../cache-server/config.js'
import type { RawClient } from '../helpers/cache-server.js'
import type { PeerpostLibp2p } from '../../node/network.js'
import type { PeerRefusedError } from '../../node/errors.js'

const exec = promisify(execFile)

/** What an operator running a cache server meets: stopping it, restarting it, its logs. */
describe('cache server: operating it', () => {
  const clients: RawClient[] = []
  const homes: string[] = []
  const client = async (options: Parameters<typeof rawClient>[0] = {}): Promise<RawClient> => {
    const c = await rawClient(options)
    clients.push(c)
    return c
  }
  const home = async (name: string): Promise<string> => {
    const dir = await tempDir(name)
    homes.push(dir)
    return dir
  }
  after(async () => {
    for (const c of clients) await c.stop()
    for (const dir of homes) await rm(dir, { recursive: true, force: true })
  })

  it('the systemd unit restarts a server that failed, but not one whose config is wrong (the exit code a bad config gives)', async () => {
    const unit = await readFile(fileURLToPath(new URL('../../../deploy/peerpost-cache.service', import.meta.url)), 'utf8')
    const setting = (key: string): string[] => [...unit.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map(m => m[1]!.trim())
    assert.deepEqual(setting('Restart'), ['on-failure'])
    const dir = await home('cache-unit')
    const file = join(dir, 'typo.json')
    await writeFile(file, JSON.stringify({ parking: { retentionMS: 1 } }))
    const r = await run(join(dir, 'server'), ['cache-server', '--config', file])
    assert.match(r.stderr, /retentionMS/)
    assert.notEqual(r.code, 0)
    assert.ok(setting('RestartPreventExitStatus').join(' ').split(/\s+/).includes(String(r.code)), `a bad config exits ${r.code}, which the unit must not restart: ${setting('RestartPreventExitStatus').join(' ')}`)
  })

  it('/metrics and /health show what is held: envelopes and bytes, names registered, notices, peers, relay, free disk; the counts are read back after a restart', async () => {
    const dir = await home('cache-status')
    const server = await startCacheServer(dir)
    const [alice, bob] = [await client({ serverPeerId: server.peerId }), await client()]
    const target = { peerId: server.peerId, addrs: server.addrs }
    const [parked] = await park(alice, server, [opaqueEnvelope(bob.peerId, 1000)])
    assert.ok(parked?.ok)
    await registerName(bob.libp2p, target, 'bob', IdentityCard.encode(makeCard(bob.identity, { now: Date.now() })))
    await registerName(bob.libp2p, target, 'bob', IdentityCard.encode(makeCard(bob.identity, { now: Date.now() + 1 })))
    await registerName(alice.libp2p, target, 'alice', IdentityCard.encode(makeCard(alice.identity, { now: Date.now() })))
    for (let i = 0; i < 3; i++) {
      await postNotice(alice.libp2p, target, newNotice({ kind: NoticeKind.MESSAGE_WAITING, recipient: peerIdBytesFromString(bob.peerId), envelopeId: new Uint8Array(parked.envelopeId), locations: [], blobLocations: [], created: Date.now() + i }))
    }
    // The journal shows where it listens and the bounds it runs with, at each start.
    const started = server.stderr().split('\n').filter(l => l.includes('"event":"started"')).map(l => JSON.parse(l) as { listen: string[], limits: Record<string, number> })
    assert.equal(started.length, 1)
    assert.deepEqual(started[0]?.listen, ['/ip4/127.0.0.1/tcp/0'])
    assert.equal(started[0]?.limits.parkedMaxBytes, 20 * 1024 ** 3)
    assert.equal(started[0]?.limits.minFreeDiskBytes, 1024 ** 3)
    assert.equal(started[0]?.limits.maxConnections, 2_000)

    const m = await scrape(server)
    assert.equal(m.get('peerpost_names_registered'), 2, 'a card update is no new name')
    assert.equal(m.get('peerpost_notices_stored'), 3)
    assert.equal(m.get('peerpost_parked_envelopes'), 1)
    const health = await (await fetch(`${server.metrics}/health`)).json() as Record<string, unknown>
    assert.equal(health.ok, true)
    assert.equal(health.parked, 1)
    assert.equal(health.parkedBytes, m.get('peerpost_parked_bytes'))
    assert.equal(health.namesRegistered, 2)
    assert.equal(health.noticesStored, 3)
    assert.equal(health.connectedPeers, 2)
    assert.equal(health.relayReservations, 0)
    assert.deepEqual([health.relayCircuitsActive, health.relayCircuitsOpened, health.relayBytes], [0, 0, 0], 'nothing relayed yet')
    assert.equal(typeof health.presenceOnline, 'number')
    assert.ok(typeof health.diskFreeBytes === 'number' && health.diskFreeBytes > 0)
    assert.equal(await server.stop(), 0, server.stderr())

    const again = await startCacheServer(dir)
    try {
      const after = await scrape(again)
      assert.equal(after.get('peerpost_names_registered'), 2)
      assert.equal(after.get('peerpost_notices_stored'), 3)
      assert.equal(after.get('peerpost_parked_envelopes'), 1)
    } finally {
      assert.equal(await again.stop(), 0, again.stderr())
    }
  })

  it('/metrics count what the relay carries: the circuit open between two nodes, then closed, and the bytes through it', async () => {
    const server = await startCacheServer(await home('cache-relay'))
    const nodes: PeerpostLibp2p[] = []
    try {
      const node = async (listen: string[]): Promise<PeerpostLibp2p> => {
        const identity = identityFromKeyMaterial(await generateKeyMaterial({ now: Date.now() }))
        const libp2p = await createNetwork({ privateKey: identity.privateKey, listen })
        nodes.push(libp2p)
        await libp2p.start()
        return libp2p
      }
      // Bob is reachable only through the server (a reservation), alice dials him there.
      const [alice, bob] = [await node([]), await node(['/p2p-circuit'])]
      const SINK = '/peerpost-test/sink/1.0.0'
      const received = Promise.withResolvers<number>()
      await bob.handle(SINK, async stream => {
        let n = 0
        for await (const chunk of stream) n += chunk.byteLength
        received.resolve(n)
        await stream.close()
      }, { runOnLimitedConnection: true })
      await bob.dial(multiaddr(`${server.addrs[0]!}${server.addrs[0]!.includes('/p2p/') ? '' : `/p2p/${server.peerId}`}`))
      const relayed = await eventually(async () => bob.getMultiaddrs().find(a => a.toString().includes('/p2p-circuit')), 10_000, 'bob\'s relay reservation')

      const sent = 256 * 1024
      const stream = await alice.dialProtocol(relayed, SINK, { runOnLimitedConnection: true })
      for (let i = 0; i < sent / 16_384; i++) if (!stream.send(new Uint8Array(16_384))) await once(stream, 'drain')
      await stream.close()
      assert.equal(await deadline(received.promise, 20_000, 'bob to read it all'), sent)

      const m = await scrape(server)
      assert.equal(m.get('peerpost_relay_reservations'), 1)
      assert.equal(m.get('peerpost_relay_circuits_total'), 1)
      assert.equal(m.get('peerpost_relay_circuits_active'), 1, 'alice\'s connection to bob is still open')
      const bytes = m.get('peerpost_relay_bytes_total') ?? 0
      // Encrypted and framed on the way (Noise, yamux, identify on the relayed connection): a little more.
      assert.ok(bytes > sent && bytes < sent + 64 * 1024, `${sent} bytes sent through the relay, ${bytes} counted`)

      await alice.hangUp(bob.peerId)
      await eventually(async () => (await scrape(server)).get('peerpost_relay_circuits_active') === 0, 10_000, 'the circuit to be counted closed')
      const health = await (await fetch(`${server.metrics}/health`)).json() as Record<string, unknown>
      assert.deepEqual([health.relayCircuitsActive, health.relayCircuitsOpened], [0, 1])
      assert.ok(typeof health.relayBytes === 'number' && health.relayBytes >= bytes)
    } finally {
      for (const n of nodes) await n.stop()
      assert.equal(await server.stop(), 0, server.stderr())
    }
  })

  it('a disk with less free than parking.minFreeDiskBytes: deposits are refused like a full quota and nothing is stored; the log says so (at start, then once for many refusals) and the metrics count them; what was parked before is still fetched and acked', async () => {
    const dir = await home('cache-disk')
    const server = await startCacheServer(dir, { config: { parking: { minFreeDiskBytes: 0 } } })
    const [alice, bob] = [await client({ serverPeerId: server.peerId }), await client()]
    const [before] = await park(alice, server, [opaqueEnvelope(bob.peerId)])
    assert.ok(before?.ok)
    assert.equal(await server.stop(), 0, server.stderr())

    // More than any disk here has free: as if the disk had filled up meanwhile.
    const full = await startCacheServer(dir, { config: { parking: { minFreeDiskBytes: 2 ** 50 } } })
    try {
      const refused = await park(alice, full, Array.from({ length: 5 }, () => opaqueEnvelope(bob.peerId)))
      for (const outcome of refused) {
        assert.equal(outcome.ok, false)
        assert.equal(outcome.ok === false && outcome.error.name, 'PeerRefusedError')
        const error = (outcome as { error: unknown }).error as PeerRefusedError
        assert.equal(error.code, 'QUOTA_EXCEEDED', error.message)
        assert.equal(error.retryable, false, 'the sender tries another location instead of waiting here')
        assert.match(error.message, /disk is full.*nothing was stored/)
      }
      const m = await scrape(full)
      assert.equal(m.get('peerpost_parked_envelopes'), 1, 'nothing more stored')
      assert.equal(m.get('peerpost_rejections_total{reason="disk_full"}'), 5)
      assert.ok((m.get('peerpost_disk_free_bytes') ?? 0) > 0, 'the free disk is a metric')
      const events = full.stderr().split('\n').filter(l => l.startsWith('{')).map(l => JSON.parse(l) as { event: string, level: string, freeBytes?: number, minFreeBytes?: number })
      const atStart = events.filter(e => e.event === 'disk-smaller-than-quota')
      assert.equal(atStart.length, 1, 'the start warns that the quota is more than the disk holds')
      assert.equal(atStart[0]?.level, 'warn')
      const refusals = events.filter(e => e.event === 'deposits-refused-disk-full')
      assert.equal(refusals.length, 1, 'five refusals in a row are one log line')
      assert.equal(refusals[0]?.minFreeBytes, 2 ** 50)

      // Names and notices keep the reserve too: new keys would otherwise fill the disk with them.
      const target = { peerId: full.peerId, addrs: full.addrs }
      await assert.rejects(registerName(bob.libp2p, target, 'bob', IdentityCard.encode(makeCard(bob.identity, { now: Date.now() }))), /QUOTA_EXCEEDED.*disk is full/)
      const waiting = newNotice({ kind: NoticeKind.MESSAGE_WAITING, recipient: peerIdBytesFromString(bob.peerId), envelopeId: new Uint8Array(before.envelopeId), locations: [], blobLocations: [], created: Date.now() })
      await assert.rejects(postNotice(alice.libp2p, target, waiting), /QUOTA_EXCEEDED.*disk is full/)

      const session = await FetchSession.open(bob.libp2p, { peerId: full.peerId, addrs: full.addrs })
      const held = await session.listAll()
      assert.deepEqual(held.map(h => hex(h.envelopeId)), [hex(before.envelopeId)])
      assert.ok((await session.get([before.envelopeId]))[0] != null)
      assert.equal(await session.ack([before.envelopeId]), 1, 'an ack frees room even on a full disk')
      await session.close()
    } finally {
      assert.equal(await full.stop(), 0, full.stderr())
    }
  })

  it('a database that does not open says why in one line (not LevelDB\'s bare "Database failed to open") and exits 1', async () => {
    const dir = await home('cache-damaged')
    const server = await startCacheServer(dir)
    assert.equal(await server.stop(), 0, server.stderr())
    // A CURRENT that names a manifest that is gone: what a partial restore leaves.
    await writeFile(join(dir, 'db', 'CURRENT'), 'MANIFEST-999999\n')
    const r = await run(dir, ['cache-server', '--listen', '/ip4/127.0.0.1/tcp/0', '--config', join(dir, 'cache.json')])
    assert.equal(r.code, 1, r.stderr)
    const lines = r.stderr.trim().split('\n')
    assert.equal(lines.length, 1, r.stderr)
    assert.match(lines[0]!, new RegExp(`^peerpost: cannot open the database ${join(dir, 'db')}: .*MANIFEST-999999.*restore the home from a backup`))
  })

  it('on a real disk that fills up (a small tmpfs; needs root): deposits stop at the reserve with disk-full refusals, the database never meets ENOSPC, and it restarts and audits clean', async (t) => {
    const mountPoint = await home('cache-small-disk')
    try {
      await exec('mount', ['-t', 'tmpfs', '-o', 'size=100m', 'tmpfs', mountPoint], { timeout: 10_000 })
    } catch (err) {
      t.skip(`cannot mount a small tmpfs (needs root): ${String((err as { stderr?: string }).stderr ?? (err as Error).message).trim()}`)
      return
    }
    try {
      const dir = join(mountPoint, 'server')
      const config = { parking: { maxEnvelopeBytes: 1024 * 1024, minFreeDiskBytes: MIN_FREE_DISK_FLOOR_BYTES } }
      const server = await startCacheServer(dir, { config })
      const [alice, bob] = [await client({ serverPeerId: server.peerId }), await client()]
      const outcomes: string[] = []
      // 100 MiB of disk, the least reserve (64 MiB) kept free, 512 KiB each: refused after
      // about 70 (bounded at 120). Then the database must still open (it writes its log
      // out as a table at open: the reserve is what makes that room).
      for (let i = 0; i < 120 && !outcomes.includes('refused'); i++) {
        const [o] = await park(alice, server, [opaqueEnvelope(bob.peerId, 512 * 1024)])
        if (o?.ok === true) outcomes.push('ok')
        else if (o?.ok === false && (o.error as PeerRefusedError).code === 'QUOTA_EXCEEDED' && /disk is full/.test(o.error.message)) outcomes.push('refused')
        else outcomes.push(`other: ${o?.ok === false ? o.error.message : 'none'}`)
      }
      assert.ok(outcomes.filter(o => o === 'ok').length >= 20, outcomes.join(' '))
      assert.equal(outcomes.at(-1), 'refused', `the disk-full refusal came, and nothing else did: ${outcomes.join(' ')}`)
      assert.ok(outcomes.every(o => o === 'ok' || o === 'refused'), outcomes.join(' '))
      const m = await scrape(server)
      assert.equal(m.get('peerpost_rejections_total{reason="internal"}'), 0, 'no deposit failed in the database')
      assert.equal(await server.stop(), 0, server.stderr())
      const leveldbLog = await readFile(join(dir, 'db', 'LOG'), 'utf8')
      assert.doesNotMatch(leveldbLog, /No space left/)
      const audit = await auditCacheServer(dir)
      assert.equal(audit.code, 0, audit.stderr)
      assert.equal(audit.report?.counted.count, outcomes.filter(o => o === 'ok').length)
    } finally {
      await exec('umount', [mountPoint], { timeout: 10_000 })
    }
  })

  it('SIGTERM while it is still starting: it finishes starting, then stops cleanly (exit 0), not killed by the signal', async () => {
    const dir = await home('cache-early-term')
    await writeFile(join(dir, 'cache.json'), JSON.stringify({ metrics: { address: '127.0.0.1:0' } }))
    const proc = spawn(BUILT.file, [...BUILT.args, '--home', dir, '--json', 'cache-server', '--listen', '/ip4/127.0.0.1/tcp/0', '--config', join(dir, 'cache.json')], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, [STRICT_REJECTIONS_ENV]: '1' } })
    let stderr = ''
    const exited = new Promise<{ code: number | null, signal: string | null }>(resolve => { proc.once('exit', (code, signal) => { resolve({ code, signal }) }) })
    // Its first lifecycle line comes while it is starting: before the libp2p node listens.
    const starting = new Promise<void>(resolve => {
      proc.stderr.on('data', (d: Buffer) => { stderr += d.toString(); if (stderr.includes('"keystore-created"')) resolve() })
    })
    await deadline(starting, 20_000, 'the server to be starting')
    proc.kill('SIGTERM')
    const { code, signal } = await deadline(exited, 30_000, 'the server to stop')
    assert.equal(signal, null, `ended by ${signal ?? ''} instead of stopping; stderr: ${stderr}`)
    assert.equal(code, 0, stderr)
    assert.match(stderr, /"event":"stopped"/)
  })

  it('SIGTERM while four depositors stream envelopes in: it exits 0 after "stopped"; after a restart (same PeerId) every receipted envelope is held and the counters match', async () => {
    const dir = await home('cache-sigterm')
    const config = { parking: { maxEnvelopeBytes: 2 * 1024 * 1024 } }
    const server = await startCacheServer(dir, { config })
    const bob = await client()
    const receipted = new Set<string>()
    let stopping: Promise<number | null> | undefined
    const depositors = await Promise.all([1, 2, 3, 4].map(async () => client({
      serverPeerId: server.peerId,
      // Stop it once deposits are coming in: more are on the wire and in its write queue.
      onReceipt: id => { receipted.add(hex(id)); if (receipted.size === 3) stopping ??= server.stop() }
    })))
    const outcomes = (await Promise.all(depositors.map(async d => park(d, server, Array.from({ length: 20 }, () => opaqueEnvelope(bob.peerId, 512 * 1024)))))).flat()
    assert.ok(stopping != null, 'the server was stopped while deposits were under way')
    const code = await deadline(stopping, 30_000, 'the server to stop')
    assert.equal(code, 0, `clean exit on SIGTERM with deposits under way; stderr: ${server.stderr()}`)
    assert.ok(outcomes.some(o => !o.ok), 'some deposits were cut off by the stop (else the test stopped it too late)')
    const events = server.stderr().split('\n').filter(l => l.startsWith('{')).map(l => JSON.parse(l) as { event: string })
    // In between, `shutdown-draining` when writes were still under way as it stopped accepting.
    assert.deepEqual(events.map(e => e.event).filter(e => e !== 'shutdown-draining').slice(-2), ['stopping', 'stopped'])

    const audit = await auditCacheServer(dir)
    assert.equal(audit.code, 0, `audit: ${audit.stdout} ${audit.stderr}`)
    const again = await startCacheServer(dir, { config })
    try {
      assert.equal(again.peerId, server.peerId, 'same identity after a restart')
      const session = await FetchSession.open(bob.libp2p, { peerId: again.peerId, addrs: again.addrs })
      const held = new Set((await session.listAll()).map(h => hex(h.envelopeId)))
      await session.close()
      assert.deepEqual([...receipted].filter(id => !held.has(id)), [], 'every receipted envelope is still held')
      assert.equal(audit.report?.counted.count, held.size)
    } finally {
      assert.equal(await again.stop(), 0, again.stderr())
    }
  })
})
