import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { after, before, describe, it } from 'node:test'
import { DAEMON_HEAP_FLAGS } from '../../cli/daemon-heap.js'
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

  it('the running daemon has its V8 heap flags on its command line (it re-executes itself with them)', async () => {
    assert.equal((await run(alice.home, ['stop'])).code, 0)
    const daemon = await online(alice)
    const args = (await readFile(`/proc/${daemon.proc.pid}/cmdline`, 'utf8')).split('\0')
    for (const flag of DAEMON_HEAP_FLAGS) assert.ok(args.includes(flag), `${flag} missing from: ${args.join(' ')}`)
  })
})
