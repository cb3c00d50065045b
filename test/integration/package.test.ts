import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { access, constants, readFile, readdir, rm } from 'node:fs/promises'
import { delimiter, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, before, describe, it } from 'node:test'
import { cleanup, introduce, makeUser, online, run, runJson, tempDir, waitUntil } from '../helpers/cli.js'
import type { CommandLine, User } from '../helpers/cli.js'

/** The repository root (this file runs from dist/test/integration/). */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

/** Run npm (the one on PATH, or the one running `npm test`) and return its stdout; throws with its stderr. */
async function npm (args: string[], cwd: string): Promise<string> {
  const viaNode = process.env.npm_execpath?.endsWith('.js') === true
  const file = viaNode ? process.execPath : 'npm'
  const argv = viaNode ? [process.env.npm_execpath!, ...args] : args
  return await new Promise((resolve, reject) => {
    execFile(file, argv, { cwd, timeout: 240_000, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, npm_config_update_notifier: 'false' } }, (err, stdout, stderr) => {
      if (err != null) reject(new Error(`npm ${args.join(' ')} failed: ${stderr.trim().split('\n').slice(-5).join(' / ')}`))
      else resolve(stdout)
    })
  })
}

/**
 * What a person does with a release: `npm pack`, then `npm install -g` of the tarball into
 * a prefix of their own, and `peerpost` on PATH. The installed bin is run through its own
 * shebang (`#!/usr/bin/env node`) with the tests' Node first on PATH, because this machine's
 * default `node` is older than the package's engines (>= 22).
 */
describe('the packed tarball installs and runs', () => {
  let work: string
  let prefix: string
  let installed: CommandLine
  const users: User[] = []

  before(async () => {
    work = await tempDir('package')
    prefix = join(work, 'prefix')
    // dist/ is fresh (`npm test` builds first), so skip prepack's second build here; a
    // release's `npm pack` runs it (checked here, since this test does not).
    const manifest = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    assert.match(manifest.scripts.prepack ?? '', /npm run build/, 'npm pack builds dist/ first (prepack)')
    const packed = JSON.parse(await npm(['pack', '--json', '--ignore-scripts', '--pack-destination', work], ROOT)) as Array<{ filename: string, files: Array<{ path: string }> }>
    const tarball = join(work, packed[0]!.filename)
    const paths = packed[0]!.files.map(f => f.path)
    assert.ok(paths.includes('dist/cli/main.js'), 'the bin is in the package')
    for (const doc of ['README.md', 'docs/cli.md', 'deploy/peerpost-cache.service', 'deploy/cache.example.json']) assert.ok(paths.includes(doc), `${doc} is in the package`)
    assert.ok(!paths.some(p => p.startsWith('dist/test/') || p.startsWith('dist/bench/') || p.endsWith('.map') || p.endsWith('.ts')), `no tests, benchmarks, maps or sources: ${paths.filter(p => p.startsWith('dist/test/') || p.endsWith('.map')).slice(0, 3).join(', ')}`)
    await npm(['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', tarball], work)
    installed = {
      file: join(prefix, 'bin', 'peerpost'),
      args: [],
      env: { PATH: [dirname(process.execPath), join(prefix, 'bin'), process.env.PATH ?? ''].join(delimiter) }
    }
  })
  after(async () => {
    await cleanup(users)
    if (work != null) await rm(work, { recursive: true, force: true })
  })

  it('puts an executable peerpost with a node shebang on the prefix\'s bin, with its dependencies and no dev ones', async () => {
    await access(installed.file, constants.X_OK)
    const pkgDir = join(prefix, 'lib', 'node_modules', 'peerpost')
    assert.match(await readFile(join(pkgDir, 'dist', 'cli', 'main.js'), 'utf8'), /^#!\/usr\/bin\/env node\n/)
    const deps = new Set(await readdir(join(pkgDir, 'node_modules')))
    assert.ok(deps.has('libp2p') && deps.has('commander') && deps.has('level'), 'runtime dependencies installed')
    assert.ok(!deps.has('typescript') && !deps.has('eslint') && !deps.has('node'), 'no dev dependencies')
  })

  it('the mail UI\'s modules (ink, React) load from the installed package', async () => {
    const ui = join(prefix, 'lib', 'node_modules', 'peerpost', 'dist', 'cli', 'ui', 'run.js')
    const loaded = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(ui)}); console.log(typeof m.runUi)`], { timeout: 60_000 }, (err, stdout, stderr) => {
        if (err != null) reject(new Error(stderr)); else resolve(stdout.trim())
      })
    })
    assert.equal(loaded, 'function')
  })

  it('peerpost --version prints the package\'s version', async () => {
    const r = await run(work, ['--version'], { command: installed })
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout.trim(), JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')).version)
  })

  it('peerpost --help lists the commands', async () => {
    const r = await run(work, ['--help'], { command: installed })
    assert.equal(r.code, 0, r.stderr)
    for (const cmd of ['init', 'daemon', 'send', 'list', 'read', 'contacts', 'cache-server']) assert.match(r.stdout, new RegExp(`^\\s+${cmd}\\b`, 'm'))
  })

  it('two daemons of the installed package exchange a message', async () => {
    const alice = await makeUser('alice', { command: installed }); users.push(alice)
    const bob = await makeUser('bob', { command: installed }); users.push(bob)
    await online(alice)
    await online(bob)
    await introduce([alice, bob])
    const sent = await runJson(alice.home, ['send', '--to', 'bob', '--subject', 'from the tarball', '--body', 'installed with npm install -g', '--wait', '--timeout', '20000'], installed)
    assert.equal(sent.entry.recipients[0].state, 'delivered')
    const copy = await waitUntil(bob.home, async () => (await runJson<any[]>(bob.home, ['list'], installed)).find(m => m.messageId === sent.messageId), 15_000, 'bob to have the message')
    const read = await runJson(bob.home, ['read', copy.id], installed)
    assert.equal(read.fromPeer, alice.peerId)
    assert.equal(read.text.trim(), 'installed with npm install -g')
  })
})
