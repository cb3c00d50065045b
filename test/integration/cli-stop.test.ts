import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { cleanup, makeUser, online, run, runJson } from '../helpers/cli.js'
import type { User } from '../helpers/cli.js'

describe('peerpost stop', () => {
  let alice: User

  before(async () => { alice = await makeUser('alice') })
  after(async () => { await cleanup([alice]) })

  it('stops the running daemon and returns once it has exited, leaving the home free', async () => {
    const daemon = await online(alice)
    const r = await run(alice.home, ['stop'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^stopped the daemon of .* \(pid \d+\)$/m)
    assert.equal(await daemon.stop(), 0, 'the daemon exited cleanly')
    assert.deepEqual(await runJson(alice.home, ['stop']), { wasRunning: false })
    // The database is closed: a new daemon opens the home at once.
    await online(alice)
    assert.equal((await runJson(alice.home, ['status'])).running, true)
  })
})
