import assert from 'node:assert/strict'
import { readFile, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { BUILT, freePort, run, runJson, tempDir } from '../helpers/cli.js'
import { spawnReady } from '../helpers/ready-process.js'
import { DEFAULT_NODE_PORT } from '../../node/listen-port.js'
import type { Server } from 'node:net'

/** Hold `port` on 127.0.0.1 as another program would; resolves to undefined when something holds it already. */
async function hold (port: number): Promise<Server | undefined> {
  return await new Promise(resolve => {
    const server = createServer()
    server.once('error', () => { resolve(undefined) })
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => { resolve(server) })
  })
}
const release = async (server: Server | undefined): Promise<void> => { await new Promise<void>(resolve => { if (server == null) resolve(); else server.close(() => { resolve() }) }) }

/** `peerpost daemon` with no --listen: the addresses come from the home's config.json. */
async function daemonFromConfig (home: string): Promise<{ addrs: string[], stderr: () => string, stop: () => Promise<number | null> }> {
  const p = await spawnReady<{ addrs: string[] }>(BUILT.file, [...BUILT.args, '--home', home, '--json', 'daemon'], { what: `daemon of ${home}` })
  return { addrs: p.info.addrs, stderr: p.stderr, stop: p.stop }
}
const portOf = (addrs: string[]): number => Number(/\/tcp\/(\d+)/.exec(addrs.find(a => a.startsWith('/ip4/127.0.0.1/')) ?? '')?.[1])

/**
 * A person who forwards a port in their router needs the node to listen on the same one
 * every time: init saves one (4456, or a free one when that is taken), and the daemon keeps it.
 */
describe('a stable listen port', () => {
  let dir: string
  before(async () => { dir = await tempDir('listen-port') })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  it('init saves a fixed port in config.json, another one than 4456 when that is taken, and says it', async () => {
    const held = await hold(DEFAULT_NODE_PORT)
    try {
      const home = join(dir, 'taken')
      const init = await runJson<{ listen: string[] }>(home, ['init', '--name', 'hana'])
      const port = Number(/^\/ip4\/0\.0\.0\.0\/tcp\/(\d+)$/.exec(init.listen[0] ?? '')?.[1])
      assert.ok(port > 0 && port !== DEFAULT_NODE_PORT, `a fixed port other than the taken default: ${init.listen.join(' ')}`)
      assert.deepEqual(JSON.parse(await readFile(join(home, 'config.json'), 'utf8')).listen, init.listen)
      const human = await run(join(dir, 'human'), ['init', '--name', 'ivo'])
      assert.equal(human.code, 0, human.stderr)
      assert.match(human.stdout, /^12D3KooW\S+\n$/, 'stdout is the PeerId alone')
      assert.match(human.stderr, /^peerpost: your node will listen on TCP port \d+ \(saved in config\.json as "listen"\): forward it in your router/)
    } finally {
      await release(held)
    }
    const zero = await runJson<{ listen: string[] }>(join(dir, 'zero'), ['init', '--name', 'jo', '--port', '0'])
    assert.deepEqual(zero.listen, ['/ip4/0.0.0.0/tcp/0'])
    const bad = await run(join(dir, 'bad'), ['init', '--name', 'jo', '--port', '70000'])
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /Give a port from 0 to 65535/)
  })

  it('the daemon listens on the saved port at every start, and on a new one for a run while another program holds it', async () => {
    const home = join(dir, 'daemon')
    await runJson(home, ['init', '--name', 'kai'])
    const port = await freePort()
    await runJson(home, ['config', 'set', 'listen', `/ip4/127.0.0.1/tcp/${port}`])
    for (let start = 0; start < 2; start++) {
      const d = await daemonFromConfig(home)
      try {
        assert.equal(portOf(d.addrs), port, `start ${start + 1}`)
        assert.doesNotMatch(d.stderr(), /is taken/)
      } finally {
        assert.equal(await d.stop(), 0)
      }
    }
    const held = await hold(port)
    assert.ok(held != null, 'the port is free again after the daemon stopped')
    try {
      const d = await daemonFromConfig(home)
      try {
        const moved = portOf(d.addrs)
        assert.ok(moved > 0 && moved !== port, `a new port for this run: ${d.addrs.join(' ')}`)
        assert.match(d.stderr(), new RegExp(`peerpost: note: the port of /ip4/127\\.0\\.0\\.1/tcp/${port} \\(config\\.json "listen"\\) is taken by another program: listening on a new port for this run`))
        assert.match((await run(home, ['status'])).stdout, new RegExp(`\\(not on /ip4/127\\.0\\.0\\.1/tcp/${port} of config\\.json "listen": another program held the port when the daemon started`))
      } finally {
        assert.equal(await d.stop(), 0)
      }
    } finally {
      await release(held)
    }
    // An explicit --listen is what the person asked for: on a held port it fails, as before.
    const again = await hold(port)
    try {
      const r = await run(home, ['daemon', '--listen', `/ip4/127.0.0.1/tcp/${port}`])
      assert.equal(r.code, 1)
      assert.match(r.stderr, /the port is in use/)
    } finally {
      await release(again)
    }
  })
})
