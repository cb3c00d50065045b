import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { IdleStreams } from '../../node/protocol/idle-streams.js'
import type { Stream } from '@libp2p/interface'

/** Just enough of a stream for the sweep: it records the error it was aborted with. */
const fakeStream = (): Stream & { abortedWith?: Error } => {
  const s: { abortedWith?: Error, abort: (err: Error) => void } = { abort: (err: Error) => { s.abortedWith = err } }
  return s as unknown as Stream & { abortedWith?: Error }
}

describe('idle streams', () => {
  it('aborts only the streams silent for longer than idleMs, once, with a StreamTimeoutError', () => {
    let now = 1_000
    const idle = new IdleStreams({ idleMs: 100, now: () => now })
    const [quiet, chatty, done] = [fakeStream(), fakeStream(), fakeStream()]
    idle.touch(quiet)
    idle.touch(chatty)
    idle.touch(done)
    idle.forget(done)
    now = 1_080
    idle.touch(chatty)
    assert.equal(idle.sweep(), 0, 'nobody silent for 100 ms yet')
    now = 1_101
    assert.equal(idle.sweep(), 1)
    assert.equal(quiet.abortedWith?.name, 'StreamTimeoutError')
    assert.equal(chatty.abortedWith, undefined, 'heard 21 ms ago')
    assert.equal(done.abortedWith, undefined, 'forgotten streams are never aborted')
    assert.equal(idle.size, 1)
    now = 1_181
    assert.equal(idle.sweep(), 1)
    assert.equal((chatty as { abortedWith?: Error }).abortedWith?.name, 'StreamTimeoutError')
    assert.equal(idle.sweep(), 0, 'an aborted stream is forgotten')
    assert.equal(idle.size, 0)
  })
})
