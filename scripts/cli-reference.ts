/**
 * `npm run docs:cli`: write docs/cli.md from the `peerpost` command's own help texts.
 * test/integration/cli-reference.test.ts fails while the file is stale.
 */
import { writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { buildProgram } from '../cli/program.js'
import { renderCliReference } from '../cli/reference.js'

const target = fileURLToPath(new URL('../../docs/cli.md', import.meta.url))
await writeFile(target, renderCliReference(buildProgram()))
process.stdout.write(`wrote ${target}\n`)
