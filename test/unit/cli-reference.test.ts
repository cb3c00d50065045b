import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { describe, it } from 'node:test'
import { buildProgram } from '../../cli/program.js'
import { allCommands, helpText, renderCliReference, undocumented } from '../../cli/reference.js'
import { checkNodeVersion } from '../../cli/node-version.js'

const DOC = fileURLToPath(new URL('../../../docs/cli.md', import.meta.url))

describe('the command reference', () => {
  it('every command, option and argument has help text', () => {
    assert.deepEqual(undocumented(buildProgram()), [])
  })

  it('every command has its own --help that names it', () => {
    for (const cmd of allCommands(buildProgram())) assert.match(helpText(cmd), new RegExp(`^Usage: .*${cmd.name()}`))
  })

  it('docs/cli.md is what `npm run docs:cli` writes now (run it after changing a command)', async () => {
    const onDisk = await readFile(DOC, 'utf8').catch(() => '(missing)')
    assert.equal(onDisk, renderCliReference(buildProgram()), 'docs/cli.md is stale: run `npm run docs:cli` and commit it')
  })
})

describe('the Node version check', () => {
  it('refuses Node 20 with what to do, accepts 22 and 24', () => {
    assert.throws(() => { checkNodeVersion('v20.20.2') }, { name: 'NodeTooOldError', message: /needs Node\.js 22 or newer, this is v20\.20\.2: install/ })
    checkNodeVersion('v22.0.0')
    checkNodeVersion('v24.21.0')
  })
})
