import { strict as assert } from 'node:assert'
import { execFile } from 'node:child_process'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { STRICT_REJECTIONS_ENV } from '../../cli/unhandled-rejections.js'

const MODULE = fileURLToPath(new URL('../../cli/unhandled-rejections.js', import.meta.url))

/**
 * A real Node process that installs the policy, rejects a promise nobody handles, and says
 * 'alive' on the next timer turn if it is still running.
 */
async function runChild (env: NodeJS.ProcessEnv): Promise<{ code: number, stdout: string, stderr: string }> {
  const script = `
    const { keepRunningOnUnhandledRejection } = await import(${JSON.stringify(MODULE)})
    keepRunningOnUnhandledRejection('daemon')
    Promise.reject(new Error('a stream was reset under a request'))
    setTimeout(() => { process.stdout.write('alive') }, 50)
  `
  return await new Promise(resolve => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, [STRICT_REJECTIONS_ENV]: '', ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err == null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr })
    })
  })
}

describe('unhandled rejections in the daemon and the cache server', () => {
  it('are logged with their stack and the process goes on', async () => {
    const r = await runChild({})
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, 'alive')
    assert.match(r.stderr, /^peerpost daemon: an error no code path handled \(the daemon goes on; please report it\): Error: a stream was reset under a request\n\s+at /)
  })

  it(`end the process with ${STRICT_REJECTIONS_ENV}=1, as the tests want`, async () => {
    const r = await runChild({ [STRICT_REJECTIONS_ENV]: '1' })
    assert.notEqual(r.code, 0)
    assert.equal(r.stdout, '')
    assert.match(r.stderr, /a stream was reset under a request/)
  })
})
