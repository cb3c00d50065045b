/**
 * A real `peerpost cache-server` process for benchmarks, in a temp home that `stop()`
 * removes (also when the run is interrupted).
 */
import { readFile, rm } from 'node:fs/promises'
import { scrape, startCacheServer } from '../../test/helpers/cache-server.js'
import { tempDir } from '../../test/helpers/cli.js'
import { onInterrupt } from './proc.js'
import type { CacheServerProcess } from '../../test/helpers/cache-server.js'

export interface BenchCacheServer {
  server: CacheServerProcess
  /** One Prometheus sample, e.g. `peerpost_parked_envelopes`. */
  metric(name: string): Promise<number>
  /** The server process's resident set size now, in bytes (from /proc). */
  rss(): Promise<number>
  stop(): Promise<void>
}

export async function startBenchCacheServer (config: Record<string, unknown> = {}): Promise<BenchCacheServer> {
  const home = await tempDir('bench-cache')
  const unregister = onInterrupt(async () => { await rm(home, { recursive: true, force: true }) })
  let server: CacheServerProcess
  try {
    server = await startCacheServer(home, { config })
  } catch (err) {
    await rm(home, { recursive: true, force: true })
    unregister()
    throw err
  }
  const unregisterKill = onInterrupt(async () => { await server.kill() })
  return {
    server,
    metric: async name => (await scrape(server)).get(name) ?? Number.NaN,
    rss: async () => {
      const status = await readFile(`/proc/${server.proc.pid}/status`, 'utf8')
      const kib = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]
      if (kib == null) throw new Error('no VmRSS in /proc/PID/status')
      return Number(kib) * 1024
    },
    stop: async () => {
      await server.stop().catch(async () => { await server.kill() })
      unregisterKill()
      await rm(home, { recursive: true, force: true })
      unregister()
    }
  }
}
