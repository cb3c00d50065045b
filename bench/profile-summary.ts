/**
 * Summarise `.cpuprofile` files:
 *   node dist/bench/profile-summary.js FILE... [--top N]      self time by package and function
 *   node dist/bench/profile-summary.js FILE --callers NAME     which call paths make NAME hot
 * `npm run bench -- delivery --profile` writes the daemons' profiles and summarises them.
 */
import { basename } from 'node:path'
import { callersOf, formatSummary, summariseProfile } from './lib/cpu-profile.js'

const args = process.argv.slice(2)
const option = (name: string): string | undefined => { const i = args.indexOf(name); return i === -1 ? undefined : args[i + 1] }
const top = Number(option('--top') ?? 15)
const callers = option('--callers')
const files = args.filter((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1]!.startsWith('--')))
if (files.length === 0) {
  process.stderr.write('usage: profile-summary.js FILE.cpuprofile... [--top N] [--callers FUNCTION]\n')
  process.exitCode = 2
} else {
  for (const f of files) {
    if (callers != null) {
      process.stdout.write(`#### ${basename(f)}: callers of ${callers}\n\n`)
      for (const c of await callersOf(f, callers)) process.stdout.write(`${c.ms.toFixed(0).padStart(7)} ms  ${c.chain}\n`)
      process.stdout.write('\n')
    } else {
      process.stdout.write(formatSummary(basename(f), await summariseProfile(f, Math.max(top, 25)), top) + '\n')
    }
  }
}
