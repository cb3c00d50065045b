/**
 * Summarise `.cpuprofile` files: `node dist/bench/profile-summary.js FILE... [--top N]`.
 * `npm run bench -- delivery --profile` writes the daemons' profiles and runs this on them.
 */
import { basename } from 'node:path'
import { formatSummary, summariseProfile } from './lib/cpu-profile.js'

const args = process.argv.slice(2)
const topAt = args.indexOf('--top')
const top = topAt === -1 ? 15 : Number(args[topAt + 1])
const files = args.filter((a, i) => a !== '--top' && i !== topAt + 1)
if (files.length === 0) {
  process.stderr.write('usage: profile-summary.js FILE.cpuprofile... [--top N]\n')
  process.exitCode = 2
} else {
  for (const f of files) process.stdout.write(formatSummary(basename(f), await summariseProfile(f, Math.max(top, 25)), top) + '\n')
}
