/**
 * One createNetwork node for test/integration/autonat.test.ts, run inside a network
 * namespace (`ip netns exec`). Two roles:
 *
 * - `verifier LISTEN`: listens on LISTEN and announces it (a reachable node), prints
 *   `{ peerId, addrs }` as its ready line, and runs until SIGTERM.
 * - `prober LISTEN TARGET`: listens on LISTEN (a public address nothing verified yet, so
 *   libp2p does not advertise it), dials TARGET directly and waits until AutoNAT had the
 *   target dial it back and the address is advertised; prints `{ before, after, updated }`
 *   and exits (1, with the error on stderr, if that did not happen in time).
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { createNetwork } from '../../node/network.js'
import { deadline } from './ready-process.js'
import type { PeerpostLibp2p } from '../../node/network.js'

const [role, listen, target] = process.argv.slice(2)

async function verifier (): Promise<void> {
  const node = await createNetwork({ privateKey: await generateKeyPair('Ed25519'), listen: [listen!], announce: [listen!] })
  process.stdout.write(JSON.stringify({ peerId: node.peerId.toString(), addrs: node.getMultiaddrs().map(a => a.toString()) }) + '\n')
  process.once('SIGTERM', () => { void Promise.resolve(node.stop()).finally(() => process.exit(0)) })
}

async function prober (): Promise<void> {
  const node: PeerpostLibp2p = await createNetwork({ privateKey: await generateKeyPair('Ed25519'), listen: [listen!] })
  try {
    const host = /^\/ip4\/([^/]+)\//.exec(listen!)![1]!
    const advertised = (): string | undefined => node.getMultiaddrs().map(a => a.toString()).find(a => a.startsWith(`/ip4/${host}/tcp/`))
    const before = node.getMultiaddrs().map(a => a.toString())
    // 'self:peer:update' is what makes the daemon heartbeat its new addresses to its servers.
    let updates = 0
    const seen = new Promise<string>(resolve => {
      node.addEventListener('self:peer:update', () => {
        updates++
        const addr = advertised()
        if (addr != null) resolve(addr)
      })
    })
    await node.dial(multiaddr(target!))
    const after = await deadline(seen, 15_000, `AutoNAT to verify ${host}`)
    process.stdout.write(JSON.stringify({ before, after, updated: updates > 0 }) + '\n')
  } finally {
    await node.stop()
  }
}

const run = role === 'verifier' && listen != null ? verifier : role === 'prober' && listen != null && target != null ? prober : undefined
if (run == null) {
  process.stderr.write('usage: autonat-peer.js verifier LISTEN | prober LISTEN TARGET\n')
  process.exitCode = 2
} else {
  run().catch(err => {
    process.stderr.write(`${err?.stack ?? String(err)}\n`)
    process.exitCode = 1
  })
}
