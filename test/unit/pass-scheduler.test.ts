import { strict as assert } from 'node:assert'
import { afterEach, beforeEach, describe, it, mock } from 'node:test'
import { MAX_PASSES_IN_A_ROW, PassScheduler } from '../../node/pass-scheduler.js'

/** A queue of item times and a scheduler over it, on a clock and timers the test moves. */
function setup (pass: (s: { times: number[], now: number }) => Promise<void> | void = () => {}) {
  const state = { times: [] as number[], now: 1_000, passes: 0, errors: [] as unknown[] }
  const scheduler = new PassScheduler({
    pass: async () => { state.passes++; await pass(state) },
    waiting: () => state.times.map(t => ({ notBefore: t })),
    now: () => state.now,
    onError: err => { state.errors.push(err) }
  })
  return { state, scheduler }
}

/** Move the clock and the mocked timers together, then let the passes they start settle. */
async function advance (state: { now: number }, scheduler: PassScheduler, ms: number): Promise<void> {
  state.now += ms
  mock.timers.tick(ms)
  await scheduler.idle()
}

describe('pass scheduler (one pass at a time, a timer at the earliest item)', () => {
  beforeEach(() => { mock.timers.enable({ apis: ['setTimeout'] }) })
  afterEach(() => { mock.timers.reset() })

  it('runs a pass at the earliest item\'s time, not before, and none when nothing waits', async () => {
    // The pass takes every due item.
    const { state, scheduler } = setup(s => { s.times = s.times.filter(t => t > s.now) })
    scheduler.reschedule()
    await advance(state, scheduler, 10_000)
    assert.equal(state.passes, 0)
    state.times = [state.now + 500, state.now + 2_000]
    scheduler.reschedule()
    await advance(state, scheduler, 499)
    assert.equal(state.passes, 0)
    await advance(state, scheduler, 1)
    assert.equal(state.passes, 1)
    assert.deepEqual(state.times.length, 1)
    await advance(state, scheduler, 1_500)
    assert.equal(state.passes, 2)
    await scheduler.stop()
  })

  it('a wake during a pass runs one more right after it; passes never overlap', async () => {
    let inside = 0
    let release: () => void = () => {}
    const { state, scheduler } = setup(async () => {
      inside++
      assert.equal(inside, 1, 'passes overlap')
      if (state.passes === 1) await new Promise<void>(resolve => { release = resolve })
      inside--
    })
    scheduler.wake()
    scheduler.wake()
    scheduler.wake()
    assert.equal(state.passes, 1)
    release()
    await scheduler.idle()
    assert.equal(state.passes, 2, 'the wakes during the first pass made one more')
    await scheduler.stop()
  })

  it('a pass that throws is reported, and one that leaves items due runs at most MAX_PASSES_IN_A_ROW before waiting for the timer', async () => {
    const { state, scheduler } = setup(() => { throw new Error('disk full') })
    state.times = [0]
    scheduler.wake()
    await scheduler.idle()
    assert.equal(state.passes, MAX_PASSES_IN_A_ROW)
    assert.equal(state.errors.length, MAX_PASSES_IN_A_ROW)
    assert.match(String(state.errors[0]), /disk full/)
    // Still due: the next run comes from the timer, not a tight loop.
    await advance(state, scheduler, 0)
    assert.equal(state.passes, 2 * MAX_PASSES_IN_A_ROW)
    await scheduler.stop()
  })

  it('after stop no pass starts, and stop waits for the one running', async () => {
    let release: () => void = () => {}
    let ended = false
    const { state, scheduler } = setup(async () => { await new Promise<void>(resolve => { release = resolve }); ended = true })
    state.times = [state.now + 100]
    scheduler.wake()
    const stopped = scheduler.stop()
    release()
    await stopped
    assert.equal(ended, true)
    scheduler.wake()
    scheduler.reschedule()
    await advance(state, scheduler, 1_000)
    assert.equal(state.passes, 1)
  })
})
