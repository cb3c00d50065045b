import { randomBytes } from 'node:crypto'
import { access, rename, stat, unlink, writeFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { ensureCacheServerMemorySettings } from '../daemon-heap.js'
import type { Command } from 'commander'
import { UsageError } from '../errors.js'
import { keepRunningOnUnhandledRejection } from '../unhandled-rejections.js'

interface CacheServerOptions {
  listen?: string[]
  announce?: string[]
  config?: string
  readyFile?: string
  printConfig?: boolean
  audit?: boolean
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value]
const out = (text: string): void => { process.stdout.write(text.endsWith('\n') ? text : `${text}\n`) }

/** Write `text` to `file` so a reader sees either nothing or all of it. */
async function writeAtomically (file: string, text: string): Promise<void> {
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`
  await writeFile(tmp, text, { mode: 0o644 })
  await rename(tmp, file)
}

/**
 * `peerpost cache-server`: run a cache server (parking, fetch, presence, notices, name
 * directory, circuit relay, metrics) in its own home until SIGTERM/SIGINT.
 */
export function registerCacheServerCommand (program: Command): void {
  program.command('cache-server')
    .description('run a cache server: park mail for offline recipients, presence, notices, names, relay (SIGTERM stops it cleanly)')
    .option('--listen <multiaddr>', 'listen address, repeatable (default from config: /ip4/0.0.0.0/tcp/4455)', collect)
    .option('--announce <multiaddr>', 'public address to advertise, repeatable (default from config: none)', collect)
    .option('--config <file>', 'JSON config file (default: cache.json in the home, if present)')
    .option('--ready-file <file>', 'write {peerId, addrs, metrics} as JSON to this file once ready')
    .option('--print-config', 'print the effective configuration (defaults filled in) and exit')
    .option('--audit', 'check the stored envelopes against the quota counters (server stopped) and exit: 0 consistent, 1 not')
    .addHelpText('after', `
Examples:
  peerpost cache-server --home /var/lib/peerpost-cache --config /etc/peerpost/cache.json
  peerpost cache-server --print-config                  every key with its effective value
  (a systemd unit and an example config are in deploy/; the README's VPS section has the rest)

DHT among cache servers (off by default): with "dht": {"enabled": true, "bootstrap":
["/ip4/203.0.113.8/tcp/4455/p2p/12D3KooW..."]} in the config, this server joins the other
cache servers' Kademlia DHT (its own protocol, /peerpost/kad/1.0.0, not the public IPFS one),
puts the signed presence of the nodes homed here into it, and answers a presence query
about a node homed elsewhere from there. Nodes do not join it.`)
    .action(async (opts: CacheServerOptions, cmd: Command) => {
      // The daemon's small young generation and V8's memory saver mode (cli/daemon-heap.ts):
      // a server holding 500 heartbeating nodes sat at 450 KiB of RSS per node with V8's
      // defaults, 300 KiB with the small young generation, while the live heap was ~66 KiB
      // per node: the rest was garbage waiting for a collection, and pages kept after it.
      // Also no Buffer pool (libp2p's long-lived slices kept whole 64 KiB pools alive) and
      // glibc's mmap threshold at 16 KiB (worker threads' arenas grew by megabytes).
      if (opts.printConfig !== true && opts.audit !== true) ensureCacheServerMemorySettings()
      const g = cmd.optsWithGlobals<{ home?: string, json?: boolean }>()
      const { resolveCacheHome, cacheHomePaths } = await import('../../cache-server/home.js')
      const { loadCacheConfig, parseCacheConfig } = await import('../../cache-server/config.js')
      const home = resolveCacheHome(g.home)
      const configFile = opts.config != null ? resolve(opts.config) : cacheHomePaths(home).config
      let config = await loadCacheConfig(configFile, { required: opts.config != null })
      // Checked like the file's own addresses, before anything is made in the home.
      if (opts.listen != null || opts.announce != null) {
        config = parseCacheConfig({ ...config, ...(opts.listen != null ? { listen: opts.listen } : {}), ...(opts.announce != null ? { announce: opts.announce } : {}) }, 'the command line')
      }

      if (opts.printConfig === true) {
        out(JSON.stringify(config, null, 2))
        return
      }

      const { auditCacheHome, startCacheServer } = await import('../../cache-server/server.js')
      if (opts.audit === true) {
        // Opening a database creates it: an audit of a mistyped home would make an empty one
        // there and call it consistent (with DynamicUser the home is /var/lib/private/...).
        const db = cacheHomePaths(home).db
        if (!(await access(db).then(() => true, () => false))) throw new UsageError(`no cache server database in ${home} (no ${db}): give the server's home with --home (under systemd's DynamicUser: /var/lib/private/peerpost-cache)`)
        const report = await auditCacheHome(home, config)
        if (g.json === true) out(JSON.stringify(report))
        else out(report.consistent ? `consistent: ${report.counted.count} envelopes, ${report.counted.bytes} bytes` : `INCONSISTENT:\n${report.problems.map(p => `  ${p}`).join('\n')}`)
        if (!report.consistent) process.exitCode = 1
        return
      }

      // Checked before starting: a missing folder used to fail only once the server was up.
      const readyFile = opts.readyFile == null ? undefined : resolve(opts.readyFile)
      if (readyFile != null && !(await stat(dirname(readyFile)).then(info => info.isDirectory(), () => false))) throw new UsageError(`--ready-file ${readyFile}: its folder ${dirname(readyFile)} does not exist`)

      keepRunningOnUnhandledRejection('cache server')
      // Listening for the stop signals before anything else: a supervisor (or a test) that
      // reads the ready line may send SIGTERM at once, and one that arrived between that
      // line and these handlers killed the process outright (exit by signal, no clean stop).
      // A signal while starting stops the server as soon as it has started.
      let stopRequested = (): void => {}
      const stopSignal = new Promise<void>(resolveStop => { stopRequested = resolveStop })
      process.once('SIGTERM', stopRequested)
      process.once('SIGINT', stopRequested)
      const server = await startCacheServer({ home, config })
      const ready = { ready: true, peerId: server.peerId, addrs: server.addrs, metrics: server.metricsUrl ?? null }
      try {
        if (readyFile != null) await writeAtomically(readyFile, JSON.stringify(ready) + '\n')
      } catch (err) {
        await server.stop()
        throw err
      }
      if (g.json === true) out(JSON.stringify(ready))
      else out(`peerpost cache-server ${server.peerId} ready on ${server.addrs.join(' ')}${server.metricsUrl == null ? '' : ` (metrics ${server.metricsUrl}/metrics)`}`)
      await stopSignal
      await server.stop()
      if (readyFile != null) await unlink(readyFile).catch(() => {})
    })
}
