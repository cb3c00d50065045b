import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { lpStream, streamPair } from '@libp2p/utils'
import { pEvent } from 'p-event'
import { FrameEvents } from '../../node/protocol/frame-events.js'
import type { FrameEventsInit } from '../../node/protocol/frame-events.js'
import type { Stream } from '@libp2p/interface'

const LIMITS: FrameEventsInit = { maxFrameBytes: 1024, maxQueuedFrames: 4, writeTimeoutMs: 5_000 }
const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b)
const text = (frame: Uint8Array): string => new TextDecoder().decode(frame)

/** A FrameEvents on one end of a stream pair that echoes each frame back upper-cased and records what happened. */
async function echoServer (init: FrameEventsInit = LIMITS, streamOptions: Parameters<typeof streamPair>[0] = {}): Promise<{ client: Stream, server: Stream, frames: string[], closes: () => number, framed: FrameEvents }> {
  const [client, server] = await streamPair(streamOptions)
  const frames: string[] = []
  let closes = 0
  const framed: FrameEvents = new FrameEvents(server, {
    onFrame: frame => { frames.push(text(frame)); framed.send(new TextEncoder().encode(text(frame).toUpperCase())) },
    onClose: () => { closes++ }
  }, init)
  return { client, server, frames, closes: () => closes, framed }
}

describe('frame events (event-driven length-prefixed frames)', () => {
  it('hands over whole frames in order however the bytes are split, and its replies are length-prefixed frames', async () => {
    const { client, frames } = await echoServer()
    // "ab" split after its length byte, then the rest of it with all of "cde" and the
    // first byte of a 200-byte frame's two-byte length, then the remainder.
    const long = 'x'.repeat(200)
    client.send(bytes(2))
    client.send(bytes(0x61, 0x62, 3, 0x63, 0x64, 0x65, 200 | 0x80))
    client.send(Uint8Array.of(1, ...new TextEncoder().encode(long)))
    const lp = lpStream(client)
    const replies = [text((await lp.read()).subarray()), text((await lp.read()).subarray()), text((await lp.read()).subarray())]
    assert.deepEqual(frames, ['ab', 'cde', long])
    assert.deepEqual(replies, ['AB', 'CDE', long.toUpperCase()])
  })

  it('a length over maxFrameBytes aborts the stream with FrameTooLargeError before the frame arrives; onClose once', async () => {
    const { client, server, frames, closes } = await echoServer()
    const closed = pEvent(server, 'close')
    client.send(bytes(0x81, 0x08)) // 1025
    const evt = await closed as { error?: Error }
    assert.equal(evt.error?.name, 'FrameTooLargeError')
    assert.equal(server.status, 'aborted')
    assert.deepEqual(frames, [])
    assert.equal(closes(), 1)
  })

  it('a length whose varint is longer than the limit needs is refused the same way', async () => {
    const { client, server, closes } = await echoServer()
    const closed = pEvent(server, 'close')
    client.send(bytes(0x80, 0x80, 0x80)) // a fourth length byte would be needed: more than 1024 allows
    assert.equal((await closed as { error?: Error }).error?.name, 'FrameTooLargeError')
    assert.equal(closes(), 1)
  })

  it('when the peer closes its side, the replies still go out, then ours closes and onClose runs', async () => {
    const { client, server, closes } = await echoServer()
    client.send(bytes(2, 0x6f, 0x6b))
    await client.close()
    const lp = lpStream(client)
    assert.equal(text((await lp.read()).subarray()), 'OK')
    await assert.rejects(lp.read(), (err: Error) => err.name === 'UnexpectedEOFError', 'the server closed its side after the reply')
    if (server.status === 'open') await pEvent(server, 'close')
    assert.equal(closes(), 1)
  })

  it('a peer that does not read: frames queue up to maxQueuedFrames, one more aborts with PeerTooSlowError', async () => {
    // capacity 1: the second message in one delay window is refused by the pair (backpressure).
    const { server, framed, closes } = await echoServer({ ...LIMITS, maxQueuedFrames: 2 }, { capacity: 1, delay: 200 })
    const closed = pEvent(server, 'close')
    for (let i = 0; i < 6 && server.status === 'open'; i++) framed.send(bytes(i))
    assert.equal((await closed as { error?: Error }).error?.name, 'PeerTooSlowError')
    assert.equal(closes(), 1)
  })
})
