import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { chooseListen, DEFAULT_NODE_PORT, withFreePorts } from '../../node/listen-port.js'

/** A machine where exactly the ports in `taken` are held by something else. */
const machine = (taken: number[]) => async (port: number): Promise<boolean> => !taken.includes(port)

describe('the listen port init saves', () => {
  it('is the documented default when it is free', async () => {
    assert.deepEqual(await chooseListen(machine([])), [`/ip4/0.0.0.0/tcp/${DEFAULT_NODE_PORT}`])
  })

  it('is another free port, picked once, when the default is taken', async () => {
    const randoms = [0.5, 0.25]
    const taken = 10_000 + Math.floor(0.5 * (32_768 - 10_000))
    const [addr] = await chooseListen(machine([DEFAULT_NODE_PORT, taken]), () => randoms.shift() ?? 0)
    assert.equal(addr, `/ip4/0.0.0.0/tcp/${10_000 + Math.floor(0.25 * (32_768 - 10_000))}`)
  })

  it('is port 0 (a new one each start) when no free port turns up', async () => {
    assert.deepEqual(await chooseListen(async () => false), ['/ip4/0.0.0.0/tcp/0'])
  })
})

describe('a daemon on its saved port', () => {
  it('moves only the fixed TCP ports another program holds to port 0, and names them', async () => {
    const listen = ['/ip4/0.0.0.0/tcp/4456', '/ip4/0.0.0.0/tcp/4457/ws', '/ip6/::/tcp/0', '/p2p-circuit']
    assert.deepEqual(await withFreePorts(listen, machine([])), { listen, taken: [] })
    assert.deepEqual(await withFreePorts(listen, machine([4456, 4457])), {
      listen: ['/ip4/0.0.0.0/tcp/0', '/ip4/0.0.0.0/tcp/0/ws', '/ip6/::/tcp/0', '/p2p-circuit'],
      taken: ['/ip4/0.0.0.0/tcp/4456', '/ip4/0.0.0.0/tcp/4457/ws']
    })
  })
})
