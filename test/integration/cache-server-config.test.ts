import assert from 'node:assert/strict'
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
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
      ['quota.json', JSON.stringify({ parking: { perRecipient: { maxBytes: 1000 } } }), /perRecipient\.maxBytes/]
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
})
