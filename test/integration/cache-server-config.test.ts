import assert from 'node:assert/strict'
import { access, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { startCacheServer } from '../helpers/cache-server.js'
import { run, tempDir } from '../helpers/cli.js'

describe('cache server: configuration', () => {
  let home: string
  before(async () => { home = await tempDir('cache-config') })
  after(async () => { await rm(home, { recursive: true, force: true }) })

  it('--print-config prints the defaults, with the command line overrides, and starts nothing', async () => {
    const r = await run(home, ['cache-server', '--print-config'])
    assert.equal(r.code, 0, r.stderr)
    const config = JSON.parse(r.stdout)
    assert.deepEqual(config.listen, ['/ip4/0.0.0.0/tcp/4455'])
    assert.deepEqual(config.announce, [])
    assert.equal(config.parking.maxEnvelopeBytes, 40 * 1024 * 1024)
    assert.equal(config.parking.retentionMs, 30 * 24 * 60 * 60 * 1000)
    assert.equal(config.presence.timeoutMs, 90_000)
    assert.equal(config.relay.dataLimitBytes, 1024 * 1024 * 1024)
    assert.equal(config.relay.durationLimitMs, 10 * 60_000)
    assert.ok(config.connections.inboundConnectionThreshold > 5)
    assert.equal(config.metrics.address, '127.0.0.1:9464')
    assert.equal(config.dht.enabled, false, 'the DHT among cache servers is off unless asked for')
    assert.deepEqual(config.dht.bootstrap, [])

    const o = await run(home, ['cache-server', '--print-config', '--listen', '/ip4/127.0.0.1/tcp/1', '--announce', '/dns4/cache.example.org/tcp/4455'])
    assert.deepEqual(JSON.parse(o.stdout).listen, ['/ip4/127.0.0.1/tcp/1'])
    assert.deepEqual(JSON.parse(o.stdout).announce, ['/dns4/cache.example.org/tcp/4455'])
  })

  it('a bad config file is a one-line error naming the field, exit code 2', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['wrong-type.json', JSON.stringify({ parking: { maxEnvelopeBytes: 'big' } }), /parking\.maxEnvelopeBytes/],
      ['typo.json', JSON.stringify({ presense: {} }), /presense/],
      ['metrics.json', JSON.stringify({ metrics: { address: 'everywhere' } }), /metrics\.address/],
      ['not-json.json', '{ listen: [', /not valid JSON/],
      ['quota.json', JSON.stringify({ parking: { perRecipient: { maxBytes: 1000 } } }), /perRecipient\.maxBytes/],
      ['bootstrap.json', JSON.stringify({ dht: { enabled: true, bootstrap: ['/ip4/192.0.2.1/tcp/4455'] } }), /dht\.bootstrap\.0: .*\/p2p\/<PeerId>/],
      ['record-age.json', JSON.stringify({ dht: { republishMs: 60_000, recordMaxAgeMs: 30_000 } }), /dht\.recordMaxAgeMs/],
      ['reserve.json', JSON.stringify({ parking: { minFreeDiskBytes: 2 * 1024 * 1024 } }), /parking\.minFreeDiskBytes .* at least \d+: .*open again/]
    ]
    for (const [name, text, pattern] of cases) {
      const file = join(home, name)
      await writeFile(file, text)
      const r = await run(home, ['cache-server', '--config', file, '--print-config'])
      assert.equal(r.code, 2, `${name}: ${r.stderr}`)
      assert.match(r.stderr, pattern, name)
      assert.equal(r.stderr.trim().split('\n').length, 1, `${name}: one line: ${r.stderr}`)
      assert.equal(r.stdout, '')
    }
    const missing = await run(home, ['cache-server', '--config', join(home, 'nope.json')])
    assert.equal(missing.code, 2, missing.stderr)
  })

  it('a listen or announce address that is no multiaddr, or not TCP, is a config error (exit 2) before the home or an identity is made', async () => {
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ['garbage', { listen: ['0.0.0.0:4455'] }, /listen\.0: "0\.0\.0\.0:4455" is not a multiaddr .*\/ip4\/0\.0\.0\.0\/tcp\/4455/],
      ['port', { listen: ['/ip4/127.0.0.1/tcp/99999'] }, /listen\.0: .*65535/],
      ['quic', { listen: ['/ip4/127.0.0.1/tcp/4455', '/ip4/127.0.0.1/udp/4455/quic-v1'] }, /listen\.1: .*TCP/],
      ['announce', { announce: ['cache.example.org:4455'] }, /announce\.0: .*not a multiaddr/]
    ]
    for (const [name, config, pattern] of cases) {
      const file = join(home, `${name}-addr.json`)
      await writeFile(file, JSON.stringify(config))
      const serverHome = join(home, `never-${name}`)
      const r = await run(serverHome, ['cache-server', '--config', file])
      assert.equal(r.code, 2, `${name}: ${r.stderr}`)
      assert.match(r.stderr, pattern, name)
      assert.equal(r.stderr.trim().split('\n').length, 1, `${name}: one line: ${r.stderr}`)
      await assert.rejects(access(serverHome), { code: 'ENOENT' }, `${name}: nothing made in the home`)
    }
    const flag = await run(join(home, 'never-flag'), ['cache-server', '--listen', '/ip4/127.0.0.1/tcp/0', '--announce', 'cache.example.org'])
    assert.equal(flag.code, 2, flag.stderr)
    assert.match(flag.stderr, /the command line: announce\.0: "cache\.example\.org" is not a multiaddr/)
    await assert.rejects(access(join(home, 'never-flag')), { code: 'ENOENT' })
  })

  it('--audit of a home with no database (a mistyped --home) is a usage error that makes nothing there, not "consistent: 0 envelopes"; a --ready-file in a missing folder is refused before the server starts', async () => {
    const wrong = join(home, 'no-such-server')
    const audit = await run(wrong, ['cache-server', '--audit'])
    assert.equal(audit.code, 2, audit.stderr)
    assert.match(audit.stderr, /no cache server database in .*no-such-server.*--home/)
    assert.equal(audit.stdout, '')
    await assert.rejects(access(wrong), { code: 'ENOENT' }, 'nothing made where the home was mistyped')

    const ready = await run(wrong, ['cache-server', '--listen', '/ip4/127.0.0.1/tcp/0', '--ready-file', join(home, 'no-folder', 'ready.json')])
    assert.equal(ready.code, 2, ready.stderr)
    assert.match(ready.stderr, /--ready-file .*no-folder.* does not exist/)
    assert.doesNotMatch(ready.stderr, /"started"/, 'refused before starting')
    await assert.rejects(access(wrong), { code: 'ENOENT' })
  })

  it('the running server has its memory settings: V8 flags on its command line, glibc\'s mmap threshold in its environment', async () => {
    const server = await startCacheServer(join(home, 'running'))
    try {
      const pid = server.proc.pid as number
      const args = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0')
      assert.ok(args.includes('--memory-saver-mode'), args.join(' '))
      assert.ok(args.includes('--max-semi-space-size=1'), args.join(' '))
      const env = (await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0')
      const tunables = env.find(e => e.startsWith('GLIBC_TUNABLES='))
      assert.match(tunables ?? '', /glibc\.malloc\.mmap_threshold=16384/)
    } finally {
      await server.stop()
    }
  })
})
