/**
 * A node's presence session when its server goes away: a request on a stream that is being
 * torn down rejects for its caller, and nothing else (an unhandled rejection ends the daemon).
 */
import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { streamPair } from '@libp2p/utils'
import { PresenceSession } from '../../node/protocol/presence.js'
import type { Libp2p, Stream } from '@libp2p/interface'

/** A session over one end of a stream pair (the other end plays the server, and says nothing). */
async function sessionOverPair (): Promise<{ session: PresenceSession, client: Stream }> {
  const [client] = await streamPair()
  const libp2p = { getConnections: () => [], peerStore: { merge: async () => {} }, dialProtocol: async () => client } as unknown as Libp2p
  const server = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
  return { session: await PresenceSession.open(libp2p, { peerId: server, addrs: [] }, () => {}), client }
}

/** Run `f`, then collect every unhandled rejection until its session's read loop has ended and the loop has turned. */
async function unhandledDuring (session: PresenceSession, f: () => Promise<void>): Promise<unknown[]> {
  const seen: unknown[] = []
  const listener = (reason: unknown): void => { seen.push(reason) }
  process.on('unhandledRejection', listener)
  try {
    await f()
    await session.ended
    await new Promise(resolve => setImmediate(resolve))
    await new Promise(resolve => setImmediate(resolve))
  } finally {
    process.off('unhandledRejection', listener)
  }
  return seen
}

describe('presence session whose stream goes away', () => {
  it('a heartbeat sent as the stream is reset rejects for its caller, and leaves no unhandled rejection', async () => {
    const { session, client } = await sessionOverPair()
    const unhandled = await unhandledDuring(session, async () => {
      // The server went away: the connection resets the stream, and a heartbeat is due at that moment.
      client.abort(new Error('connection reset'))
      await assert.rejects(session.query([]))
    })
    assert.deepEqual(unhandled.map(String), [])
  })

  it('a request after the read loop ended rejects at once, and leaves nothing behind', async () => {
    const { session, client } = await sessionOverPair()
    client.abort(new Error('connection reset'))
    await session.ended
    const unhandled = await unhandledDuring(session, async () => {
      await assert.rejects(session.query([]), /connection reset/)
    })
    assert.deepEqual(unhandled.map(String), [])
  })
})
