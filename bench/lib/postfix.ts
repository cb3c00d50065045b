/**
 * A private Postfix instance for the SMTP baseline: Debian's package, installed when
 * missing, run from its own config_directory / queue_directory / data_directory under a
 * temp dir, listening on a 127.0.0.1 port of our choosing, delivering to a local test
 * user's Maildir. The machine's default instance (/etc/postfix) is never touched.
 */
import { existsSync } from 'node:fs'
import { chown, mkdir, mkdtemp, readdir, readFile, rm, writeFile, chmod } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { freePort } from '../../test/helpers/cli.js'
import { mustRun, onInterrupt, runCommand } from './proc.js'

const POSTFIX = '/usr/sbin/postfix'
const SMTP_SOURCE = '/usr/sbin/smtp-source'
/** Poll interval while counting delivered files; the count is what ends the wait, not the sleep. */
const POLL_MS = 10

export interface PostfixInstance {
  port: number
  /** The local recipient, e.g. `ppbench123@localhost`. */
  recipient: string
  /** Submit `count` messages of `size` bytes over `sessions` SMTP sessions and wait until all are in Maildir/new; returns ms. */
  deliver(count: number, size: number, sessions: number, timeoutMs: number): Promise<number>
  /**
   * Submit `count` messages over `sessions` SMTP sessions; returns ms until `smtp-source`
   * exits (every message accepted: queued with fsync). Then waits, untimed, until all are
   * delivered, so the next measurement does not share the machine with Postfix's delivery.
   */
  accept(count: number, size: number, sessions: number, timeoutMs: number): Promise<number>
  stop(): Promise<void>
}

/** Install Debian's postfix non-interactively ("Local only") if its binaries are missing. */
export async function ensurePostfix (log: (m: string) => void): Promise<void> {
  if (existsSync(POSTFIX) && existsSync(SMTP_SOURCE)) return
  if (process.getuid?.() !== 0) throw new Error('postfix is not installed and installing it needs root: apt-get install -y postfix')
  log('installing postfix (Debian package, "Local only")')
  await mustRun('debconf-set-selections', [], { input: 'postfix postfix/main_mailer_type select Local only\npostfix postfix/mailname string localhost\n' })
  const env = { DEBIAN_FRONTEND: 'noninteractive' }
  let r = await runCommand('apt-get', ['install', '-y', '-q', 'postfix'], { env, timeoutMs: 600_000 })
  if (r.code !== 0) {
    await mustRun('apt-get', ['update', '-q'], { env, timeoutMs: 600_000 })
    r = await runCommand('apt-get', ['install', '-y', '-q', 'postfix'], { env, timeoutMs: 600_000 })
  }
  if (r.code !== 0 || !existsSync(SMTP_SOURCE)) throw new Error(`apt-get install postfix failed: ${r.stderr.slice(-2000)}`)
}

async function countFiles (dir: string): Promise<number> {
  try { return (await readdir(dir)).length } catch { return 0 }
}

/** Start a private Postfix instance; `stop()` stops it, removes its user and its files. */
export async function startPostfix (log: (m: string) => void): Promise<PostfixInstance> {
  await ensurePostfix(log)
  const root = await mkdtemp(join(tmpdir(), 'peerpost-bench-postfix-'))
  await chmod(root, 0o755)
  const etc = join(root, 'etc')
  const queue = join(root, 'queue')
  const data = join(root, 'data')
  const homes = join(root, 'home')
  for (const d of [etc, queue, data, homes]) await mkdir(d, { recursive: true })
  await chmod(homes, 0o755)
  const ids = (await mustRun('id', ['-u', 'postfix'])).trim()
  await chown(data, Number(ids), 0)

  const port = await freePort()
  const user = `ppbench${process.pid}`
  const home = join(homes, user)
  const maillog = join(root, 'maillog')
  // Stock settings but for what makes it a separate, local-only instance.
  await writeFile(join(etc, 'main.cf'), [
    'compatibility_level = 3.6',
    `queue_directory = ${queue}`,
    `data_directory = ${data}`,
    'myhostname = ppbench.localdomain',
    'mydomain = localdomain',
    'myorigin = $myhostname',
    'mydestination = localhost, $myhostname',
    'inet_interfaces = 127.0.0.1',
    'inet_protocols = ipv4',
    'mynetworks = 127.0.0.0/8',
    'relayhost =',
    'default_transport = error',
    'relay_transport = error',
    'alias_maps =',
    'alias_database =',
    'home_mailbox = Maildir/',
    'mailbox_size_limit = 0',
    'biff = no',
    `maillog_file = ${maillog}`,
    `maillog_file_prefixes = ${root}`,
    ''
  ].join('\n'))
  // Debian's master.cf, with smtpd on our port and nothing chrooted (the queue dir is fresh).
  const master = (await readFile('/etc/postfix/master.cf', 'utf8')).split('\n')
    .filter(l => !l.startsWith('#'))
    .map(l => {
      const f = l.split(/\s+/)
      if (f[0] === 'smtp' && f[1] === 'inet') return `127.0.0.1:${port} inet n - n - - smtpd`
      if (/^[a-z0-9]/.test(l) && f.length >= 8 && f[4] === 'y') { f[4] = 'n'; return f.join(' ') }
      return l
    })
  await writeFile(join(etc, 'master.cf'), master.join('\n'))

  let started = false
  let unregister = (): void => {}
  const stop = async (): Promise<void> => {
    unregister()
    // Stopping an instance that is not running only prints a warning.
    const pidFile = join(queue, 'pid', 'master.pid')
    const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim())
    if (started || pid > 0) await runCommand(POSTFIX, ['-c', etc, 'stop'], { timeoutMs: 30_000 })
    // master exits shortly after `stop` (its children with it); wait for it, bounded.
    for (let i = 0; i < 200 && pid > 0 && alive(pid); i++) await sleep(50)
    await runCommand('userdel', [user], { timeoutMs: 30_000 })
    await rm(root, { recursive: true, force: true })
  }
  await mustRun('useradd', ['--home-dir', home, '--create-home', '--shell', '/usr/sbin/nologin', user])
  unregister = onInterrupt(stop)
  try {
    // `check` creates the queue's subdirectories with their owners; its warnings are expected.
    await runCommand(POSTFIX, ['-c', etc, 'check'], { timeoutMs: 60_000 })
    await mustRun(POSTFIX, ['-c', etc, 'start'], { timeoutMs: 60_000 })
    started = true
    await waitListening(port, 10_000)
  } catch (err) {
    const tail = await readFile(maillog, 'utf8').catch(() => '')
    await stop()
    throw new Error(`private postfix did not start: ${String(err)}\n${tail.slice(-2000)}`, { cause: err })
  }
  const newDir = join(home, 'Maildir', 'new')
  const recipient = `${user}@localhost`
  log(`postfix instance in ${root} on 127.0.0.1:${port}, delivering to ${recipient}`)

  return {
    port,
    recipient,
    async deliver (count, size, sessions, timeoutMs) {
      await rm(join(home, 'Maildir'), { recursive: true, force: true })
      const start = performance.now()
      const source = runCommand(SMTP_SOURCE, ['-s', String(sessions), '-m', String(count), '-l', String(size), '-t', recipient, `127.0.0.1:${port}`], { timeoutMs })
      for (let n = await countFiles(newDir); n < count; n = await countFiles(newDir)) {
        if (performance.now() - start > timeoutMs) throw new Error(`postfix delivered ${n} of ${count} within ${timeoutMs} ms`)
        await sleep(POLL_MS)
      }
      const ms = performance.now() - start
      const r = await source
      if (r.code !== 0) throw new Error(`smtp-source exited ${r.code}: ${r.stderr.slice(-1000)}`)
      return ms
    },
    async accept (count, size, sessions, timeoutMs) {
      await rm(join(home, 'Maildir'), { recursive: true, force: true })
      const start = performance.now()
      const r = await runCommand(SMTP_SOURCE, ['-s', String(sessions), '-m', String(count), '-l', String(size), '-t', recipient, `127.0.0.1:${port}`], { timeoutMs })
      const ms = performance.now() - start
      if (r.code !== 0) throw new Error(`smtp-source exited ${r.code}: ${r.stderr.slice(-1000)}`)
      for (let n = await countFiles(newDir); n < count; n = await countFiles(newDir)) {
        if (performance.now() - start > timeoutMs) throw new Error(`postfix delivered ${n} of ${count} within ${timeoutMs} ms`)
        await sleep(POLL_MS)
      }
      return ms
    },
    stop
  }
}

function alive (pid: number): boolean {
  try { process.kill(pid, 0); return true } catch { return false }
}

async function waitListening (port: number, ms: number): Promise<void> {
  const { connect } = await import('node:net')
  const until = performance.now() + ms
  while (performance.now() < until) {
    const ok = await new Promise<boolean>(resolve => {
      const s = connect(port, '127.0.0.1')
      s.once('connect', () => { s.destroy(); resolve(true) })
      s.once('error', () => { resolve(false) })
    })
    if (ok) return
    await sleep(50)
  }
  throw new Error(`nothing listens on 127.0.0.1:${port} after ${ms} ms`)
}
