import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { mkdir, readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { Argument, Command, InvalidArgumentError, Option } from 'commander'
import { connectApi } from './api.js'
import { PassphraseFileMissingError, UsageError } from './errors.js'
import { formatAcceptedKey, formatContact, formatMessage, formatOutboxEntry, formatServers, formatStatus, formatElsewhere, formatSummaryLine } from './format.js'
import { serverNames } from './server-names.js'
import { resolveHome } from './home-dir.js'
import { inputFile, outputFolder } from './input-files.js'
import { ensureDaemonHeapFlags } from './daemon-heap.js'
import { registerCacheServerCommand } from './commands/cache-server.js'
import { registerDeleteCommands } from './commands/delete.js'
import { registerMailFileCommands } from './commands/mail-files.js'
import { registerOutboxCommands } from './commands/outbox.js'
import { formatBytes, formatLargeAttachment, formatMessageAttachments, percent, registerTransfersCommand } from './commands/transfers.js'
import { progressMode, showJobProgress } from './progress.js'
import { letInkDraw } from './ui/ci-env.js'
import type { HomeApi } from './api.js'
import type { AcceptKeyView, ContactView, FolderView, MessageStatusView, ReadResult, SearchPage, SendRequest, SendResult, ServerView, StatusView } from '../node/mail-service.js'
import type { Folder, MessageSummary, OutboxEntry, Page } from '../storage/types.js'
import { keepRunningOnUnhandledRejection } from './unhandled-rejections.js'
import { DEFAULT_NODE_PORT } from '../node/listen-port.js'

interface GlobalOptions { home?: string, json?: boolean, passphraseFile?: string }

/** The mail folders (storage's FOLDERS; spelled here so the CLI does not load storage to print --help). */
const MESSAGE_FOLDERS: Folder[] = ['inbox', 'requests', 'sent', 'quarantine', 'archive', 'trash']
/** A summary as `list --json` prints it: the same shape as `read --json` without bodies, dates as ISO strings. */
const isoDates = (m: MessageSummary): unknown => ({ ...m, date: new Date(m.date).toISOString(), receivedAt: new Date(m.receivedAt).toISOString() })
const collect = (value: string, previous: string[] = []): string[] => [...previous, value]
/** A count or a time in ms on the command line: a whole number from `min` up, or a usage error naming the option. */
const wholeNumber = (min: number) => (value: string): number => {
  const n = Number(value)
  if (value.trim() === '' || !Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`Give a whole number from ${min} up.`)
  return n
}
/** A TCP port on the command line: 0 to 65535. */
const portNumber = (value: string): number => {
  const n = Number(value)
  if (value.trim() === '' || !Number.isSafeInteger(n) || n < 0 || n > 65_535) throw new InvalidArgumentError('Give a port from 0 to 65535 (0: a new one each start).')
  return n
}
const out = (text: string): void => { process.stdout.write(text.endsWith('\n') ? text : `${text}\n`) }
const printJson = (value: unknown): void => { out(JSON.stringify(value, null, 2)) }

/**
 * A page as `list --json` prints it: the bare array of its items (the shape scripts already
 * read), or with `--paged` `{items, next}`, `next` being the `--cursor` of the following page
 * (absent on the last), so a script can walk a folder of any size as the human list does.
 */
const jsonPage = <T>(page: Page<T>, paged: boolean, item: (value: T) => unknown = v => v): unknown =>
  paged ? { items: page.items.map(item), ...(page.next != null ? { next: page.next } : {}) } : page.items.map(item)

/** Said under a page that is not the last: without it `--cursor` could never be used. */
const morePages = (next: string): string => `(older ones follow: add --cursor ${next}, or a larger --limit)`

/** `read --raw`: the message's stored bytes to stdout, a bounded part per call. */
async function writeRaw (api: HomeApi, id: string): Promise<void> {
  let offset = 0
  for (;;) {
    const part = await api.call<{ size: number, offset: number, data: string }>('read.raw', { id, offset })
    const bytes = Buffer.from(part.data, 'base64')
    if (bytes.length > 0) await new Promise<void>((resolve, reject) => { process.stdout.write(bytes, err => { if (err == null) resolve(); else reject(err) }) })
    offset = part.offset + bytes.length
    if (bytes.length === 0 || offset >= part.size) return
  }
}

/** Read a passphrase file; one trailing newline (as editors and `echo` leave) is not part of it. */
async function readPassphrase (file: string | undefined): Promise<Uint8Array | undefined> {
  const path = file ?? process.env.PEERPOST_PASSPHRASE_FILE
  if (path == null || path === '') return undefined
  let bytes: Uint8Array
  try {
    bytes = new Uint8Array(await readFile(path))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new PassphraseFileMissingError(path)
    throw err
  }
  if (bytes.at(-1) === 10) bytes = bytes.subarray(0, -1)
  if (bytes.at(-1) === 13) bytes = bytes.subarray(0, -1)
  return bytes
}

function globals (cmd: Command): GlobalOptions & { homeDir: string } {
  const opts = cmd.optsWithGlobals<GlobalOptions>()
  return { ...opts, homeDir: resolveHome(opts.home) }
}

/** Run `fn` against the home's daemon, or the home itself when no daemon runs and `allowOffline`. */
async function withApi<T> (cmd: Command, allowOffline: boolean, fn: (api: HomeApi, g: GlobalOptions) => Promise<T>): Promise<T> {
  const g = globals(cmd)
  const api = await connectApi({ home: g.homeDir, allowOffline, passphrase: async () => readPassphrase(g.passphraseFile) })
  try {
    return await fn(api, g)
  } finally {
    await api.close()
  }
}

/** Config keys as the `config` command sees them. */
interface ConfigAccess {
  /** A running daemon answers (and applies what it can at once). */
  readonly daemon: boolean
  get(key?: string): Promise<unknown>
  set(key: string, value: unknown): Promise<unknown>
}

/** Keys a running daemon applies as soon as they are set (README "Configuration"); the others at its next start. */
const LIVE_CONFIG_KEYS = ['holding', 'search', 'blobs.serveCoRecipients', 'presence', 'homeServers']
const appliedAtOnce = (key: string): boolean => LIVE_CONFIG_KEYS.some(k => key === k || key.startsWith(`${k}.`))

/**
 * Get and set config keys through the home's daemon, so it applies them at once, or on the
 * config file itself when no daemon runs (no keystore needed: config holds no secrets).
 */
async function withConfig<T> (home: string, fn: (config: ConfigAccess) => Promise<T>): Promise<T> {
  let api: HomeApi | undefined
  try {
    api = await connectApi({ home, allowOffline: false })
  } catch (err) {
    if (!(err instanceof Error) || err.name !== 'DaemonNotRunningError') throw err
  }
  if (api != null) {
    const remote = api
    try {
      return await fn({
        daemon: true,
        get: async key => (await remote.call<{ value: unknown }>('config.get', { key })).value,
        set: async (key, value) => (await remote.call<{ value: unknown }>('config.set', { key, value })).value
      })
    } finally {
      await remote.close()
    }
  }
  const { configValue, loadNodeConfig, updateNodeConfig, withConfigValue } = await import('../node/config.js')
  const { homePaths } = await import('../node/home.js')
  const path = homePaths(home).config
  const current = await loadNodeConfig(path)
  return await fn({
    daemon: false,
    get: async key => key == null || key === '' ? current : configValue(current, key),
    set: async (key, value) => configValue(await updateNodeConfig(path, raw => withConfigValue(raw, current, key, value)), key)
  })
}

/**
 * The whole `peerpost` command tree. Built without side effects, so the entry point runs
 * it and `scripts/cli-reference.ts` walks it to write docs/cli.md from the same help texts.
 */
export function buildProgram (): Command {
  const program = new Command()
  program
    .name('peerpost')
    .description('Peer-to-peer email: end-to-end sealed mail delivered directly over libp2p.')
    .version(packageVersion(), '-V, --version', 'print the version of peerpost')
    .option('--home <dir>', 'the home directory (keys, mailbox, config); default $PEERPOST_HOME or ~/.local/share/peerpost')
    .option('--json', 'print machine-readable JSON')
    .option('--passphrase-file <file>', 'file holding the keystore passphrase (or $PEERPOST_PASSPHRASE_FILE)')
    .exitOverride()
    .addHelpText('after', `
First steps:
  peerpost init --name alice                 create your identity
  peerpost daemon &                          run your node (it owns the home), on the port init
                                             saved (4456, or a free one when that was taken)
  peerpost card                              one line to give a friend
  peerpost contacts add 'peerpost1:...' --as bob
  peerpost send --to bob --subject Hi --body 'Hello' --wait
  peerpost list                              your inbox

Run \`peerpost COMMAND --help\` for a command's options. Exit codes: 0 ok; 1 failure (it could
not be done now); 2 usage (a bad option or value, or a message, entry, contact, server,
recipient, folder or file named that does not exist).`)

  program.command('init')
    .description('create the identity of this home and print its PeerId')
    .option('--name <name>', 'display name shown to the people you write to')
    .addOption(new Option('--port <port>', `the TCP port the daemon listens on, saved in config.json (default ${DEFAULT_NODE_PORT}, or a free one picked once when that is taken; 0: a new one each start)`).argParser(portNumber))
    .addHelpText('after', `
Examples:
  peerpost init --name alice                                 in ~/.local/share/peerpost (or --home DIR, $PEERPOST_HOME)
  peerpost init --name alice --passphrase-file ~/.pp-pass    the keystore sealed with the passphrase in that file
  (a sealed home's daemon, and its commands while none runs, need --passphrase-file too)`)
    .action(async (opts: { name?: string, port?: number }, cmd: Command) => {
      const g = globals(cmd)
      const { generateKeyMaterial } = await import('../node/identity/index.js')
      const { createKeystore, openDatabase } = await import('../storage/index.js')
      const { homePaths } = await import('../node/home.js')
      // Keys first: a name no card can carry is refused before the home is made.
      const keys = await generateKeyMaterial({ displayName: opts.name, now: Date.now() })
      await mkdir(g.homeDir, { recursive: true, mode: 0o700 })
      const passphrase = await readPassphrase(g.passphraseFile)
      const paths = homePaths(g.homeDir)
      await createKeystore(paths.keystore).create(keys, passphrase)
      // Mark the home as a node's at once: a cache server pointed at it refuses it from now on.
      await (await openDatabase(paths.db, { kind: 'node' })).close()
      const listen = await (await import('../node/config.js')).saveListenPort(paths.config, opts.port)
      if (g.json === true) { printJson({ peerId: keys.peerId, home: g.homeDir, sealed: passphrase != null, listen }); return }
      out(keys.peerId)
      // On stderr, so `ID=$(peerpost init)` still gets the PeerId alone.
      const port = /\/tcp\/(\d+)$/.exec(listen[0] ?? '')?.[1]
      if (port != null && port !== '0') process.stderr.write(`peerpost: your node will listen on TCP port ${port} (saved in config.json as "listen"): forward it in your router to be reached directly\n`)
    })

  program.command('card')
    .description('print my identity card: one line to paste to a friend (includes my addresses while the daemon runs)')
    .action(async (_opts: unknown, cmd: Command) => {
      await withApi(cmd, true, async (api, g) => {
        const card = await api.call<{ card: string, peerId: string, addrs: string[] }>('card')
        if (g.json === true) { printJson(card); return }
        out(card.card)
        // On stderr, so `peerpost card > card.txt` or a pipe still gets the card alone.
        if (card.addrs.length === 0) process.stderr.write(`peerpost: note: this card carries no address to reach you at${api.remote ? ' (the daemon listens on none yet)' : ' (the daemon is not running)'}; a friend reaches you through your home servers only, if any. Start \`peerpost daemon\` and print it again (a friend's \`contacts add\` of the new card updates the old one)\n`)
      })
    })

  const contacts = program.command('contacts').description('pin and list contacts')
  contacts.command('add')
    .description('pin a card (from `peerpost card`) under a name, or resolve and pin name@server')
    .argument('<card>', 'the card text, or name@server (host[:port], default port 4455)')
    .option('--as <name>', 'the name to use for this contact (default: the card\'s display name)')
    .addHelpText('after', `
Examples:
  peerpost contacts add 'peerpost1:CiQIARIg...' --as bob   a card a friend sent you
  peerpost contacts add bob@cache.example.org              resolved on that server, pinned on first use`)
    .action(async (card: string, opts: { as?: string }, cmd: Command) => {
      await withApi(cmd, true, async (api, g) => {
        const contact = await api.call<ContactView>('contacts.add', { card, as: opts.as })
        if (g.json === true) printJson(contact)
        else if (contact.card === 'updated') out(`updated ${contact.name} = ${contact.peerId}: addresses and home servers from the newer card${contact.name !== card && !card.startsWith('peerpost') ? `; ${card} is ${contact.name}` : ''}`)
        else if (contact.card === 'unchanged') out(`${contact.name} = ${contact.peerId} is pinned with this card already (nothing newer in it)${contact.name !== card && !card.startsWith('peerpost') ? `: ${card} is ${contact.name}` : ''}`)
        else out(`pinned ${contact.name} = ${contact.peerId}`)
      })
    })
  contacts.command('list')
    .description('list contacts, with their presence (online/status or last seen) while the daemon runs')
    .action(async (_opts: unknown, cmd: Command) => {
      await withApi(cmd, true, async (api, g) => {
        const list = await api.call<ContactView[]>('contacts.list')
        if (g.json === true) printJson(list)
        else out(list.length === 0 ? '(no contacts: pin a friend\'s card with `peerpost contacts add CARD --as NAME`, or `contacts add name@server`)' : list.map(c => formatContact(c, Date.now())).join('\n'))
      })
    })
  contacts.command('accept-key')
    .description('after checking with them, accept the new encryption key a contact\'s mail carried (sending to them is refused, and mail queued for them waits, until then; the queued mail is then sealed to the new key and goes)')
    .argument('<name>', 'the contact name')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      await withApi(cmd, true, async (api, g) => {
        const r = await api.call<AcceptKeyView>('contacts.acceptKey', { name })
        if (g.json === true) printJson(r)
        else out(formatAcceptedKey(r))
      })
    })
  contacts.command('remove')
    .description('forget a contact (e.g. to pin name@server again after a key change you checked)')
    .argument('<name>', 'the contact name')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      await withApi(cmd, true, async (api, g) => {
        const r = await api.call<{ removed: string }>('contacts.remove', { name })
        if (g.json === true) printJson(r)
        else out(`removed ${name}`)
      })
    })

  const servers = program.command('servers').description('my home cache servers: they hold mail while I am offline, relay for me and publish my presence')
  servers.command('add')
    .description('add a home server (works with or without the daemon; a running daemon joins it at once)')
    .argument('<multiaddr>', 'the server address, ending in /p2p/<server PeerId>')
    .option('--register <name>', 'also register this name for my card on the server\'s directory (name@server)')
    .addHelpText('after', `
Example:
  peerpost servers add /dns4/cache.example.org/tcp/4455/p2p/12D3KooW... --register alice
  (the address and PeerId are in the server's ready line; friends then write to alice@cache.example.org)`)
    .action(async (addr: string, opts: { register?: string }, cmd: Command) => {
      await withApi(cmd, true, async (api, g) => {
        const r = await api.call<{ servers: ServerView[], registered?: string }>('servers.add', { addr, register: opts.register })
        if (g.json === true) { printJson(r); return }
        out(formatServers(r.servers, api.remote))
        if (r.registered != null) out(`registered as ${r.registered}`)
      })
    })
  servers.command('list')
    .description('list my home servers and whether the daemon is connected to each')
    .action(async (_opts: unknown, cmd: Command) => {
      await withApi(cmd, true, async (api, g) => {
        const list = await api.call<ServerView[]>('servers.list')
        if (g.json === true) printJson(list)
        else out(formatServers(list, api.remote))
      })
    })
  servers.command('remove')
    .description('stop using a home server')
    .argument('<server>', 'its multiaddr or PeerId')
    .action(async (addr: string, _opts: unknown, cmd: Command) => {
      await withApi(cmd, true, async (api, g) => {
        const list = await api.call<ServerView[]>('servers.remove', { addr })
        if (g.json === true) printJson(list)
        else out(formatServers(list, api.remote))
      })
    })

  program.command('presence')
    .description('print my presence status, or set it (sent to my home servers at once)')
    .addOption(new Option('--status <status>', 'my new status').choices(['available', 'away', 'busy', 'dnd']))
    .action(async (opts: { status?: string }, cmd: Command) => {
      await withApi(cmd, true, async (api, g) => {
        const r = opts.status == null
          ? await api.call<{ status: string, servers: ServerView[] }>('presence.get')
          : await api.call<{ status: string, servers: ServerView[] }>('presence.set', { status: opts.status })
        if (g.json === true) printJson(r)
        else out(`${r.status}${api.remote ? '' : ' (the daemon is not running: you appear offline)'}`)
      })
    })

  program.command('daemon')
    .description('run the node: deliver, receive and serve the control socket (SIGTERM stops it cleanly)')
    .option('--listen <multiaddr>', `listen address, repeatable (default from config: the port init saved, /ip4/0.0.0.0/tcp/${DEFAULT_NODE_PORT} on a new home; on a port another program holds, a new one for that run)`, collect)
    .option('--ready-file <file>', 'write {peerId, addrs} as JSON to this file once ready')
    .addHelpText('after', `
Examples:
  peerpost daemon                                    on the port init saved (config get listen; 4456 by default)
  peerpost daemon --listen /ip4/0.0.0.0/tcp/4001     on port 4001 this time (open it in your firewall)
  peerpost daemon --listen /p2p-circuit              no open port: reachable through your home servers' relay
  peerpost stop                                      stop it again`)
    .action(async (opts: { listen?: string[], readyFile?: string }, cmd: Command) => {
      ensureDaemonHeapFlags()
      keepRunningOnUnhandledRejection('daemon')
      const g = globals(cmd)
      const { startDaemon } = await import('../node/daemon.js')
      let requestStop = (): void => {}
      const stopRequested = new Promise<void>(resolveStop => {
        requestStop = () => { resolveStop() }
        process.once('SIGTERM', requestStop)
        process.once('SIGINT', requestStop)
      })
      const daemon = await startDaemon({
        home: g.homeDir,
        listen: opts.listen,
        passphrase: await readPassphrase(g.passphraseFile),
        readyFile: opts.readyFile == null ? undefined : resolve(opts.readyFile),
        onStopRequest: () => { requestStop() }
      })
      if (daemon.portsTaken.length > 0) process.stderr.write(`peerpost: note: the port of ${daemon.portsTaken.join(', ')} (config.json "listen") is taken by another program: listening on a new port for this run, so a port forward to it does not reach this node now; free the port and restart, or \`peerpost config set listen /ip4/0.0.0.0/tcp/PORT\`\n`)
      if (g.json === true) out(JSON.stringify({ ready: true, peerId: daemon.peerId, addrs: daemon.addrs }))
      else out(`peerpost daemon ${daemon.peerId} ready on ${daemon.addrs.length > 0 ? daemon.addrs.join(' ') : '(no address yet: with --listen /p2p-circuit it gets one through each home server\'s relay once joined; `peerpost status` shows them)'}`)
      await stopRequested
      await daemon.stop()
    })

  program.command('stop')
    .description('stop the daemon of this home (started by you or by the mail UI) and wait until it has exited')
    .addOption(new Option('--timeout <ms>', 'give up waiting after this long').default(30_000).argParser(wholeNumber(1)))
    .action(async (opts: { timeout: number }, cmd: Command) => {
      const g = globals(cmd)
      const { stopDaemon } = await import('./stop-daemon.js')
      const stopped = await stopDaemon(g.homeDir, opts.timeout)
      if (g.json === true) printJson(stopped)
      else out(stopped.wasRunning ? `stopped the daemon of ${g.homeDir} (pid ${stopped.pid})` : `no daemon was running for ${g.homeDir}`)
    })

  program.command('send')
    .description('send a message; it is in the outbox durably when this returns')
    .requiredOption('--to <addr>', 'recipient: contact name, PeerId or name@server (repeatable)', collect)
    .option('--cc <addr>', 'copy recipient (repeatable)', collect)
    .option('--subject <text>', 'subject line', '')
    .option('--body <text>', 'the message text')
    .option('--body-file <file>', 'read the message text from a file')
    .option('--html-file <file>', 'an HTML version of the body')
    .option('--eml <file>', 'send an existing RFC 5322 message as it is')
    .option('--attach <file>', 'attach a file (repeatable)', collect)
    .option('--in-reply-to <message-id>', 'the Message-ID this replies to')
    .option('--references <message-id>', 'a Message-ID of the thread (repeatable)', collect)
    .option('--progress', 'show how far each large attachment is stored (bytes of total, on stderr) even when stderr is no terminal or with --json; on a terminal it shows without this')
    .option('--wait', 'wait until each recipient is delivered, parked (on a server or a co-recipient, for one offline) or failed, or has had a first attempt, and print their states (needs the daemon)')
    .addOption(new Option('--timeout <ms>', 'with --wait: give up waiting after this long').default(60_000).argParser(wholeNumber(1)))
    .addHelpText('after', `
Examples:
  peerpost send --to bob --subject Hi --body 'Hello Bob' --wait
  peerpost send --to bob@cache.example.org --cc carol --body-file note.txt --attach photo.jpg
  peerpost send --to bob --eml draft.eml`)
    .action(async (opts: { to: string[], cc?: string[], subject: string, body?: string, bodyFile?: string, htmlFile?: string, eml?: string, attach?: string[], inReplyTo?: string, references?: string[], wait?: boolean, timeout: number, progress?: boolean }, cmd: Command) => {
      const bodies = [opts.body, opts.bodyFile, opts.eml].filter(v => v != null).length
      if (bodies !== 1) throw new UsageError('give exactly one of --body, --body-file or --eml')
      if (opts.eml != null && (opts.attach != null || opts.htmlFile != null)) throw new UsageError('--eml sends the file as it is: --attach and --html-file do not apply')
      const request: SendRequest = { to: opts.to, cc: opts.cc ?? [], subject: opts.subject }
      if (opts.body != null) request.text = opts.body
      if (opts.bodyFile != null) request.text = await readFile(await inputFile('--body-file', opts.bodyFile), 'utf8')
      if (opts.htmlFile != null) request.html = await readFile(await inputFile('--html-file', opts.htmlFile), 'utf8')
      if (opts.eml != null) request.emlPath = await inputFile('--eml', opts.eml)
      if (opts.attach != null) request.attachmentPaths = await Promise.all(opts.attach.map(async p => inputFile('--attach', p)))
      if (opts.inReplyTo != null) request.inReplyTo = opts.inReplyTo
      if (opts.references != null) request.references = opts.references
      await withApi(cmd, opts.wait !== true, async (api, g) => {
        // A large attachment is sealed into the blob store before the message is queued: say how far.
        const job = randomBytes(8).toString('hex')
        const mode = progressMode({ json: g.json === true, asked: opts.progress === true })
        const progressDone = request.attachmentPaths == null ? () => {} : await showJobProgress(api, 'send:progress', job, mode, p => `storing ${p.name}: ${formatBytes(p.done)} of ${formatBytes(p.total)} (${percent(p.done, p.total)}%)`)
        let result: SendResult & { entry?: OutboxEntry }
        try {
          result = await api.call<SendResult & { entry?: OutboxEntry }>('send', { request, wait: opts.wait === true, timeoutMs: opts.timeout, job })
        } finally { progressDone() }
        if (g.json === true) { printJson(result); return }
        if (result.entry != null) out(formatOutboxEntry(result.entry, Date.now(), await serverNames(api)))
        else out(`queued ${result.id} for ${result.recipients.map(r => r.address).join(', ')}${api.remote ? '' : ' (the daemon is not running: it goes out when it starts)'}`)
      })
    })

  program.command('list')
    .description('list messages in a folder, newest first')
    .addOption(new Option('--folder <folder>', 'folder').choices([...MESSAGE_FOLDERS, 'outbox']).default('inbox'))
    .addOption(new Option('--limit <n>', 'at most this many').default(50).argParser(wholeNumber(1)))
    .option('--cursor <cursor>', 'go on where the previous page ended (it prints the cursor under its last line; --json --paged gives it as "next")')
    .option('--paged', 'with --json: print {"items": [...], "next": CURSOR} instead of the bare array; "next" (absent on the last page) is the --cursor of the following page, as --search always gives it')
    .option('--search <text>', 'only messages whose sender, recipients, subject or text contain this (any case); reads the whole folder, newest first, a part per call (20,000 messages, 1,000 bodies): --cursor goes on')
    .addHelpText('after', `
Examples:
  peerpost list --limit 20                          the 20 newest in the inbox; the line under them gives the cursor for more
  peerpost list --json --paged --limit 500          a script's first page: {"items": [...], "next": "..."}
  peerpost list --json --paged --limit 500 --cursor NEXT   the page after it, until no "next" comes back`)
    .action(async (opts: { folder: Folder | 'outbox', limit: number, cursor?: string, search?: string, paged?: boolean }, cmd: Command) => {
      if (opts.paged === true && globals(cmd).json !== true) throw new UsageError('--paged shapes the --json output: add --json (the list printed for people pages by itself)')
      await withApi(cmd, true, async (api, g) => {
        if (opts.search != null) {
          if (opts.folder === 'outbox') throw new UsageError('--search looks in a mail folder, not the outbox')
          const found = await api.call<SearchPage>('search', { folder: opts.folder, text: opts.search, limit: opts.limit, cursor: opts.cursor })
          if (g.json === true) { printJson({ items: found.items.map(isoDates), next: found.next, ...(found.skipped > 0 ? { skipped: found.skipped } : {}) }); return }
          out(found.items.length === 0 ? `(nothing in ${opts.folder} matches "${opts.search}")` : found.items.map(formatSummaryLine).join('\n'))
          if (found.skipped > 0) out(`(${found.skipped} stored message${found.skipped === 1 ? '' : 's'} could not be read and ${found.skipped === 1 ? 'was' : 'were'} left out)`)
          if (found.next != null) out(`(more may match further back: add --cursor ${found.next})`)
          return
        }
        if (opts.folder === 'outbox') {
          const page = await api.call<Page<OutboxEntry>>('outbox.list', { limit: opts.limit, cursor: opts.cursor })
          if (g.json === true) { printJson(jsonPage(page, opts.paged === true)); return }
          const names = await serverNames(api)
          out(page.items.length === 0 ? '(outbox empty)' : page.items.map(e => formatOutboxEntry(e, Date.now(), names)).join('\n'))
          if (page.next != null) out(morePages(page.next))
          return
        }
        const page = await api.call<Page<MessageSummary>>('list', { folder: opts.folder, limit: opts.limit, cursor: opts.cursor })
        if (g.json === true) { printJson(jsonPage(page, opts.paged === true, isoDates)); return }
        out(page.items.length === 0 ? `(${opts.folder} is empty)` : page.items.map(formatSummaryLine).join('\n'))
        if (page.next != null) out(morePages(page.next))
        // Mail from strangers and impostors never shows in the inbox: say when some waits elsewhere.
        if (opts.folder === 'inbox' && opts.cursor == null) {
          const waiting = formatElsewhere(await api.call<FolderView[]>('folders'))
          if (waiting != null) out(waiting)
        }
      })
    })

  program.command('read')
    .description('show a message (by the id `list` prints)')
    .argument('<id>', 'message id')
    .option('--save-attachments <dir>', 'save its attachments into this folder (names are made safe; nothing is overwritten)')
    .option('--raw', 'write the message\'s raw RFC 5322 bytes, as stored, to stdout (e.g. `> message.eml`); it stays unread')
    .action(async (id: string, opts: { saveAttachments?: string, raw?: boolean }, cmd: Command) => {
      if (opts.raw === true && (opts.saveAttachments != null || globals(cmd).json === true)) throw new UsageError('--raw writes the message alone: leave out --json and --save-attachments')
      await withApi(cmd, true, async (api, g) => {
        if (opts.raw === true) { await writeRaw(api, id); return }
        const message = await api.call<ReadResult>('read', { id })
        let saved: string[] | undefined
        if (opts.saveAttachments != null) {
          const dir = resolve(opts.saveAttachments)
          await outputFolder('--save-attachments', dir)
          saved = await api.call<string[]>('attachments.save', { id, dir })
        }
        if (g.json === true) { printJson(saved == null ? message : { ...message, saved }); return }
        out(formatMessage(message))
        if (message.folder === 'requests') out(`\nThis is a request: its sender is not one of your contacts. \`peerpost move ${id} inbox\` accepts it; pin their card (\`peerpost contacts add CARD\`) to have their next mail in your inbox.`)
        if ((message.largeAttachments ?? []).length > 0) out(`\nLarge attachments (kept by the sender, pulled by this node):\n${(message.largeAttachments ?? []).map(a => `  ${formatLargeAttachment(a)}`).join('\n')}`)
        if (saved != null) out(saved.length === 0 ? 'no attachments to save' : `saved:\n${saved.map(p => `  ${p}`).join('\n')}`)
      })
    })

  program.command('move')
    .description('move a message to another folder (inbox accepts a request: a large attachment waiting for that starts)')
    .argument('<id>', 'message id')
    .addArgument(new Argument('<folder>', 'where to').choices(MESSAGE_FOLDERS))
    .action(async (id: string, folder: Folder, _opts: unknown, cmd: Command) => {
      await withApi(cmd, true, async (api, g) => {
        const moved = await api.call<{ id: string, folder: string }>('messages.update', { id, folder })
        if (g.json === true) printJson(moved)
        else out(`moved ${moved.id} to ${moved.folder}`)
      })
    })

  program.command('status')
    .description('my PeerId, addresses, and the outbox with each recipient\'s state; with an id, that message and who has its large attachments')
    .argument('[id]', 'an outbox id (from `send` or `list --folder outbox`)')
    .action(async (id: string | undefined, _opts: unknown, cmd: Command) => {
      await withApi(cmd, true, async (api, g) => {
        if (id != null) {
          const one = await api.call<MessageStatusView>('status', { id })
          if (g.json === true) printJson(one)
          else out([formatOutboxEntry(one.entry, Date.now(), await serverNames(api)), formatMessageAttachments(one)].filter(t => t !== '').join('\n'))
          return
        }
        const status = await api.call<StatusView>('status')
        if (g.json === true) printJson(status)
        else out(formatStatus(status, Date.now()))
      })
    })

  program.command('config')
    .description('print the node configuration, or get / set one key (dotted, e.g. holding.enabled); a running daemon applies holding.*, search.*, blobs.serveCoRecipients, presence and homeServers at once, the rest at its next start')
    .argument('[op]', 'get | set (none: print the effective config, defaults filled in)')
    .argument('[key]', 'dotted key, e.g. holding.enabled or holding.maxBytes')
    .argument('[value]', 'with set: the new value, as JSON (true, 1048576, ["a"]) or else as text')
    .option('--print', 'print the effective config (the default)')
    .addHelpText('after', `
Examples:
  peerpost config set holding.enabled false   stop holding mail for offline co-recipients
  peerpost config set holding.minFreeDiskBytes 0   hold for them whatever disk is free (default: keep 1 GiB free)
  peerpost config set listen /ip4/0.0.0.0/tcp/4001   one address (or a JSON list of them)
  peerpost config get holding.maxBytes
A value of the wrong kind for its key (not a multiaddr, not a number, a timer over 24.8 days)
is refused with exit 2 and nothing changed.`)
    .action(async (op: string | undefined, key: string | undefined, value: string | undefined, _opts: unknown, cmd: Command) => {
      const g = globals(cmd)
      const { parseConfigInput } = await import('../node/config.js')
      if (op != null && op !== 'get' && op !== 'set') throw new UsageError(`unknown config operation "${op}": use get or set`)
      if (op != null && (key == null || key === '')) throw new UsageError(`config ${op} needs a key, e.g. holding.enabled`)
      if (op === 'set' && value == null) throw new UsageError('config set needs a value, e.g. `peerpost config set holding.enabled false`')
      if (op !== 'set' && value != null) throw new UsageError('only config set takes a value')
      const result = await withConfig(g.homeDir, async config => op === 'set'
        ? { key, value: await config.set(key!, parseConfigInput(value!)), later: config.daemon && !appliedAtOnce(key!) }
        : { key, value: await config.get(key), later: false })
      if (op == null) printJson(result.value)
      else if (g.json === true) printJson({ key: result.key, value: result.value })
      else out(`${key} = ${JSON.stringify(result.value)}${result.later ? ' (the running daemon uses it from its next start: `peerpost stop`, then start it again)' : ''}`)
    })

  program.command('ui', { isDefault: true })
    .description('the full-screen mail UI (what `peerpost` with no command opens); starts the daemon if none runs')
    .option('--save-dir <dir>', 'where attachments are offered to be saved (default ~/Downloads)')
    .action(async (opts: { saveDir?: string }, cmd: Command) => {
      const g = globals(cmd)
      letInkDraw(process.env)
      // Imported here so other commands do not load React and ink (and after letInkDraw, which ink reads on import).
      const { runUi } = await import('./ui/run.js')
      await runUi({ home: g.homeDir, passphrase: await readPassphrase(g.passphraseFile), saveDir: opts.saveDir == null ? undefined : resolve(opts.saveDir) })
    })

  registerCacheServerCommand(program)
  registerTransfersCommand(program, withApi)
  registerDeleteCommands(program, withApi)
  registerMailFileCommands(program, withApi)
  registerOutboxCommands(program, withApi)
  oneLineErrors(program)
  refuseUnknownCommands(program)
  return program
}

/**
 * `peerpost` alone opens the UI (the default command), but a mistyped command must neither
 * open it nor fail as "too many arguments for 'ui'": report the unknown command, with
 * commander's own "did you mean".
 */
function refuseUnknownCommands (program: Command): void {
  program.hook('preSubcommand', (parent, sub) => {
    const first = parent.args[0]
    if (first != null && first !== sub.name()) (parent as unknown as { unknownCommand: () => void }).unknownCommand()
  })
}

/** The package's version, from its package.json (two levels above dist/cli/, in a clone or installed). */
function packageVersion (): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string }
  return manifest.version ?? 'unknown'
}

/** `peerpost contacts add`: the command's full name, as a person types it. */
function commandPath (cmd: Command): string {
  const names: string[] = []
  for (let c: Command | null = cmd; c != null; c = c.parent) names.unshift(c.name())
  return names.join(' ')
}

/**
 * Commander's usage errors (unknown option, missing argument, bad choice, with its "did
 * you mean") as one line that names the help to read, on every command.
 */
function oneLineErrors (cmd: Command): void {
  const help = `${commandPath(cmd)} --help`
  cmd.configureOutput({
    outputError: (str, write) => { write(`peerpost: ${str.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ').trim()} (see \`${help}\`)\n`) }
  })
  for (const sub of cmd.commands) oneLineErrors(sub)
}
