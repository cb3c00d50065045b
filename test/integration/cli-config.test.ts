import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { cleanup, makeUser, online, run, runJson } from '../helpers/cli.js'
import type { User } from '../helpers/cli.js'

/**
 * `config set` of a typed key checks the value before it writes anything: a listen address
 * that is no multiaddr, or names a transport the node does not have, would otherwise only
 * fail the daemon's next start, and a timer over 24.8 days would fire at once, every time.
 */
describe('config set refuses a value of the wrong kind, and changes nothing', () => {
  let gina: User
  const configText = async (): Promise<string> => readFile(join(gina.home, 'config.json'), 'utf8').catch(() => '(none)')

  before(async () => {
    gina = await makeUser('gina')
  })
  after(async () => {
    await cleanup([gina])
  })

  const BAD: Array<[key: string, value: string, says: RegExp]> = [
    ['listen', 'garbage', /^peerpost: config set listen: "garbage" is not a multiaddr: give one like \/ip4\/0\.0\.0\.0\/tcp\/4001 \(nothing was changed\)$/],
    ['listen', '["/ip4/0.0.0.0/tcp/4001", "/ip4/0.0.0.0/tcp/"]', /^peerpost: config set listen: .*is not a multiaddr/],
    ['listen', '/ip4/0.0.0.0/udp/4001/quic-v1', /^peerpost: config set listen: peerpost cannot listen on \/ip4\/0\.0\.0\.0\/udp\/4001\/quic-v1: give a TCP address/],
    ['announce', 'my.host.example:4001', /^peerpost: config set announce: "my\.host\.example:4001" is not a multiaddr/],
    ['servers.heartbeatMs', '3000000000', /^peerpost: config set servers\.heartbeatMs: 3000000000 is not valid here: at most 2147483647 ms/],
    ['holding.sweepIntervalMs', '0', /^peerpost: config set holding\.sweepIntervalMs: 0 is not valid here/],
    ['presence.status', 'asleep', /^peerpost: config set presence\.status: "asleep" is not valid here: .*"available"/],
    ['homeServers', '/ip4/127.0.0.1/tcp/4455', /^peerpost: config set homeServers: a home server is a multiaddr ending in \/p2p\/<server PeerId> \(nothing was changed\)$/]
  ]

  async function refusesAll (): Promise<void> {
    await runJson(gina.home, ['config', 'set', 'listen', '/ip4/0.0.0.0/tcp/4001'])
    const before = await configText()
    for (const [key, value, says] of BAD) {
      const r = await run(gina.home, ['config', 'set', key, value])
      assert.equal(r.code, 2, `${key} ${value}: exit code (stderr: ${r.stderr})`)
      assert.equal(r.stdout, '')
      assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr)
      assert.match(r.stderr.trimEnd(), says)
      assert.equal(await configText(), before, `${key} ${value}: config.json unchanged`)
    }
  }

  it('with no daemon running (the file itself)', async () => {
    await refusesAll()
  })

  it('with the daemon running (it checks and writes)', async () => {
    await online(gina)
    await refusesAll()
  })

  it('one address given as text is the list of it, and good ones are kept', async () => {
    assert.deepEqual(await runJson(gina.home, ['config', 'set', 'listen', '/ip4/0.0.0.0/tcp/4001']), { key: 'listen', value: ['/ip4/0.0.0.0/tcp/4001'] })
    assert.deepEqual(await runJson(gina.home, ['config', 'set', 'listen', '["/ip4/0.0.0.0/tcp/4001", "/ip6/::/tcp/4001/ws", "/p2p-circuit"]']).then(r => r.value), ['/ip4/0.0.0.0/tcp/4001', '/ip6/::/tcp/4001/ws', '/p2p-circuit'])
    assert.deepEqual(await runJson(gina.home, ['config', 'set', 'announce', '/dns4/gina.example.org/tcp/4001']).then(r => r.value), ['/dns4/gina.example.org/tcp/4001'])
    assert.deepEqual(JSON.parse(await configText()).announce, ['/dns4/gina.example.org/tcp/4001'])
  })
})
