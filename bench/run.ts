/**
 * The benchmark runner: `npm run bench [-- NAME...] [--record] [--repeats N] [--scale X] [--profile] [--list]`.
 * Prints the table, writes bench/results/latest.json, and with --record rewrites the
 * benchmarks' sections of docs/benchmarks.md. See bench/README.md.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { formatSummary, summariseProfile } from './lib/cpu-profile.js'
import { runInterruptCleanups } from './lib/proc.js'
import { machine, recordToDocs, textTable } from './lib/report.js'
import { benchmarks } from './registry.js'
import type { RunRecord } from './lib/report.js'
import type { BenchContext, ResultRow } from './types.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

interface Options { names: string[], record: boolean, repeats: number, scale: number, profile: boolean, list: boolean }

function parseArgs (argv: string[]): Options {
  const o: Options = { names: [], record: false, repeats: 3, scale: 1, profile: false, list: false }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    const value = (): number => {
      const v = Number(argv[++i])
      if (!Number.isFinite(v) || v <= 0) throw new Error(`${a} needs a positive number`)
      return v
    }
    if (a === '--record') o.record = true
    else if (a === '--profile') o.profile = true
    else if (a === '--list') o.list = true
    else if (a === '--repeats') o.repeats = Math.min(20, Math.round(value()))
    else if (a === '--scale') o.scale = Math.min(1, value())
    else if (a.startsWith('-')) throw new Error(`unknown option ${a}`)
    else o.names.push(a)
  }
  return o
}

async function main (): Promise<void> {
  const argv = process.argv.slice(2)
  const options = parseArgs(argv)
  if (options.list) {
    for (const b of benchmarks) console.log(`${b.name.padEnd(12)} ${b.description}`)
    return
  }
  const unknown = options.names.filter(n => !benchmarks.some(b => b.name === n))
  if (unknown.length > 0) throw new Error(`no benchmark named ${unknown.join(', ')} (have: ${benchmarks.map(b => b.name).join(', ')})`)
  const chosen = options.names.length === 0 ? benchmarks : benchmarks.filter(b => options.names.includes(b.name))

  const results = join(ROOT, 'bench', 'results')
  await mkdir(results, { recursive: true })
  const stamp = new Date().toISOString().replace(/[:.]/g, '-')
  const profileDir = options.profile ? join(results, 'profiles', stamp) : undefined
  if (profileDir != null) await mkdir(profileDir, { recursive: true })

  const ctx: BenchContext = {
    repeats: options.repeats,
    scale: options.scale,
    ...(profileDir == null ? {} : { profileDir }),
    log: m => { process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}\n`) }
  }
  const record: RunRecord = { command: `npm run bench${argv.length > 0 ? ' -- ' + argv.join(' ') : ''}`, machine: machine(), repeats: options.repeats, scale: options.scale, rows: [] }
  for (const b of chosen) {
    ctx.log(`${b.name}: ${b.description}`)
    const rows: ResultRow[] = await b.run(ctx)
    record.rows.push(...rows)
  }
  record.machine.loadEnd = loadavg()[0]!

  console.log(textTable(record.rows))
  await writeFile(join(results, 'latest.json'), JSON.stringify(record, null, 2) + '\n')
  ctx.log(`wrote ${join(results, 'latest.json')}`)
  if (options.record) {
    await recordToDocs(join(ROOT, 'docs', 'benchmarks.md'), record)
    ctx.log('recorded into docs/benchmarks.md')
  }
  if (profileDir != null) {
    const files = (await readdir(profileDir)).filter(f => f.endsWith('.cpuprofile')).sort()
    const parts = await Promise.all(files.map(async f => formatSummary(f, await summariseProfile(join(profileDir, f)))))
    await writeFile(join(profileDir, 'summary.md'), parts.join('\n'))
    console.log('\n' + parts.join('\n'))
    ctx.log(`profiles and summary.md in ${profileDir}`)
  }
}

// Interrupted: stop the daemons and the private Postfix instance before leaving.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: stopping what the benchmark started\n`)
    void runInterruptCleanups().finally(() => { process.exit(130) })
  })
}

main().catch(err => {
  console.error(err instanceof Error ? err.stack ?? err.message : err)
  process.exitCode = 1
})
