import { mkdir, stat } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'

/** Deeper than any path a file system takes (PATH_MAX is 4096 bytes on Linux). */
const MAX_DEPTH = 4096

/**
 * `mkdir -p` for a folder a person named (a save, export or output folder, a home): makes
 * `dir` and any missing parents, each level on its own. Node's `mkdir(…, { recursive: true })`
 * never returns for a folder under /proc (it spins at full CPU, Node 24), which would hang
 * the daemon on a typo'd save path; this walks up to the nearest existing folder and makes
 * each missing level with a plain mkdir, so a refusal comes back as an error.
 *
 * @throws the file system's error: ENOTDIR when a file is in the way, EACCES, ENOENT...
 * @example
 * await makeDirs('~/mail/saved'.replace('~', homedir()), 0o700)
 */
export async function makeDirs (dir: string, mode?: number): Promise<void> {
  const missing: string[] = []
  let at = resolve(dir)
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const kind = await stat(at).then(s => s.isDirectory() ? 'dir' : 'other', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return 'missing'
      throw err
    })
    if (kind === 'other') throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${at}'`), { code: 'ENOTDIR', path: at })
    if (kind === 'dir') break
    missing.push(at)
    const parent = dirname(at)
    if (parent === at) break
    at = parent
  }
  for (const level of missing.reverse()) {
    await mkdir(level, { mode }).catch(async (err: NodeJS.ErrnoException) => {
      // Made meanwhile by someone else: fine if it is a folder.
      if (err.code !== 'EEXIST' || !(await stat(level)).isDirectory()) throw err
    })
  }
}
