import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { after, before, describe, it } from 'node:test'
import { deadline } from '../helpers/cli.js'
import { createNamespace, inNamespace, linkNamespaces, removeNamespace } from '../helpers/netns.js'
import { spawnReady } from '../helpers/ready-process.js'

const exec = promisify(execFile)

/**
 * AutoNAT only verifies public addresses, and a verifier dials back only the address of the
 * IP the request came from, so the two nodes need public-looking addresses on two hosts:
 * two network namespaces of the test's own joined by a veth pair (test/helpers/netns.ts).
 */
const VERIFIER = '11.11.0.1'
const PROBER = '11.11.0.2'
const PEER = fileURLToPath(new URL('../helpers/autonat-peer.js', import.meta.url))

describe('AutoNAT: a node learns that its public address is reachable', () => {
  const nsVerifier = `peerpost-autonat-v-${process.pid}`
  const nsProber = `peerpost-autonat-p-${process.pid}`
  const made: string[] = []
  let unavailable: string | undefined

  before(async () => {
    for (const ns of [nsVerifier, nsProber]) {
      unavailable = await createNamespace(ns)
      if (unavailable != null) return
      made.push(ns)
    }
    await linkNamespaces(nsVerifier, `${VERIFIER}/24`, nsProber, `${PROBER}/24`)
  })
  after(async () => {
    for (const ns of made) await removeNamespace(ns)
  })

  it('advertises its public listen address only after a peer it dialed dialed it back there', async t => {
    if (unavailable != null) {
      t.skip(unavailable)
      return
    }
    const v = inNamespace(nsVerifier, process.execPath, PEER, 'verifier', `/ip4/${VERIFIER}/tcp/4001`)
    const verifier = await spawnReady<{ peerId: string, addrs: string[] }>(v.file, v.args, { what: 'the AutoNAT verifier' })
    try {
      const target = verifier.info.addrs.find(a => a.startsWith(`/ip4/${VERIFIER}/tcp/4001`))
      assert.ok(target, `the verifier announces its address: ${verifier.info.addrs.join(' ')}`)
      const p = inNamespace(nsProber, process.execPath, PEER, 'prober', `/ip4/${PROBER}/tcp/4002`, target)
      const run = exec(p.file, p.args, { timeout: 30_000 })
      const { stdout } = await deadline(run.catch((err: any) => { throw new Error(`prober failed: ${err.stderr ?? err.message}`) }), 35_000, 'the AutoNAT prober')
      const seen = JSON.parse(stdout.trim().split('\n').pop()!)
      assert.ok(!seen.before.some((a: string) => a.includes(PROBER)), `unverified, the public address is not advertised: ${seen.before.join(' ')}`)
      assert.match(seen.after, new RegExp(`^/ip4/${PROBER.replaceAll('.', '\\.')}/tcp/4002/p2p/`))
      assert.equal(seen.updated, true, 'self:peer:update fired (the daemon heartbeats on it)')
    } finally {
      await verifier.stop()
    }
  })
})
