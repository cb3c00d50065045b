import { spawnSync } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { render } from 'ink'
import { App } from './components/App.js'
import { FirstRunScreen } from './components/FirstRunScreen.js'
import { Controller } from './controller.js'
import { FirstRunFlow } from './first-run.js'
import { ensureDaemon } from './daemon-start.js'
import { DaemonStartError } from './ui-errors.js'
import { captureConsole, fileLog } from './log.js'
import { initialState } from './state.js'
import { createStore } from './store.js'
import { UiApi } from './ui-api.js'
import { connectApi } from '../api.js'
import { UsageError } from '../errors.js'
import { errorName } from '../../node/errors.js'
import { homePaths } from '../../node/home.js'
import { saveListenPort } from '../../node/config.js'
import { generateKeyMaterial } from '../../node/identity/index.js'
import { createKeystore } from '../../storage/index.js'
import type { HomeApi } from '../api.js'
import type { UiLog } from './log.js'

export interface RunUiOptions {
  home: string
  /** The keystore passphrase from --passphrase-file, if given. */
  passphrase?: Uint8Array
  /** Where `s`/`S` offer to save attachments; default ~/Downloads. */
  saveDir?: string
}

const ENTER_ALT_SCREEN = '\x1b[?1049h\x1b[H'
const LEAVE_ALT_SCREEN = '\x1b[?1049l'

/**
 * `peerpost` with no arguments: connect to (or start) the home's daemon and run the
 * full-screen UI until `q`. A home without identity gets the first-run screen first.
 */
export async function runUi (options: RunUiOptions): Promise<void> {
  if (process.stdin.isTTY !== true || process.stdout.isTTY !== true) {
    throw new UsageError('the mail UI needs a terminal; in scripts use `peerpost list`, `read` and `send`')
  }
  const { home } = options
  await mkdir(home, { recursive: true, mode: 0o700 })
  const log = fileLog(home)
  const restoreConsole = captureConsole(log)
  process.stdout.write(ENTER_ALT_SCREEN)
  try {
    const connected = await connectOrWelcome(options, log)
    if (connected == null) return
    await mainScreen(connected, options, log)
  } finally {
    process.stdout.write(LEAVE_ALT_SCREEN)
    restoreConsole()
    await log.close()
  }
}

/** Connect to the daemon; on a new home or a sealed one without a daemon, through the welcome screen. */
async function connectOrWelcome (options: RunUiOptions, log: UiLog): Promise<{ api: HomeApi, started: boolean } | undefined> {
  const { home } = options
  const keystore = createKeystore(homePaths(home).keystore)
  const connect = async (passphrase: Uint8Array | undefined): Promise<{ api: HomeApi, started: boolean }> => ensureDaemon({ home, passphrase, log })
  let unlock = false
  if (await keystore.exists()) {
    // A running daemon needs no passphrase from us.
    try {
      return { api: await connectApi({ home, allowOffline: false }), started: false }
    } catch (err) {
      if (errorName(err) !== 'DaemonNotRunningError') throw err
    }
    if (options.passphrase == null) {
      try {
        await keystore.load(undefined)
      } catch (err) {
        if (errorName(err) !== 'PassphraseRequiredError') throw err
        unlock = true
      }
    }
    if (!unlock) return await connect(options.passphrase)
  }
  let result: { api: HomeApi, started: boolean } | undefined
  const flow = new FirstRunFlow({
    home,
    createIdentity: async (name, passphrase) => {
      const keys = await generateKeyMaterial({ displayName: name, now: Date.now() })
      await keystore.create(keys, passphrase)
      // As `peerpost init`: one listen port, kept from start to start, for a port forward.
      const listen = await saveListenPort(homePaths(home).config)
      log('created identity %s, listening on %s', keys.peerId, listen.join(' '))
    },
    connect,
    done: r => { result = r; app.unmount() }
  }, unlock)
  const app = render(<FirstRunScreen flow={flow} columns={process.stdout.columns ?? 80} />, { exitOnCtrlC: true, patchConsole: false })
  await app.waitUntilExit()
  app.clear()
  return result
}

async function mainScreen (connected: { api: HomeApi, started: boolean }, options: RunUiOptions, log: UiLog): Promise<void> {
  const store = createStore(initialState({ columns: process.stdout.columns ?? 80, rows: process.stdout.rows ?? 24 }))
  if (connected.started) store.dispatch({ type: 'status/info', text: `started the daemon in the background (log: ${basename(homePaths(options.home).log)} in the home)` })
  const api = new UiApi(connected.api, async () => await connectApi({ home: options.home, allowOffline: false }))
  let unmount = (): void => {}
  const controller = new Controller({
    api,
    store,
    log,
    saveDir: options.saveDir,
    editText: async text => editInEditor(text, () => { app.clear(); store.dispatch({ type: 'resize', columns: process.stdout.columns ?? 80, rows: process.stdout.rows ?? 24 }) }),
    onQuit: () => { unmount() },
    startDaemon: async () => { await startStoppedDaemon(options, log) }
  })
  // Ctrl-C goes to the key table: on a draft with typing it asks first, elsewhere it quits.
  const app = render(<App store={store} controller={controller} />, { exitOnCtrlC: false, patchConsole: false })
  unmount = () => { app.unmount() }
  void controller.start()
  try {
    await app.waitUntilExit()
  } finally {
    controller.stop()
    await api.close()
  }
}

/** Hand the terminal to $EDITOR (or $VISUAL) on a temp file; undefined when neither is set. */
async function editInEditor (text: string, redraw: () => void): Promise<string | undefined> {
  const editor = process.env.VISUAL ?? process.env.EDITOR
  if (editor == null || editor.trim() === '') return undefined
  const dir = await mkdtemp(join(tmpdir(), 'peerpost-draft-'))
  const file = join(dir, 'message.txt')
  try {
    await writeFile(file, text, { mode: 0o600 })
    const stdin = process.stdin
    stdin.setRawMode?.(false)
    process.stdout.write(LEAVE_ALT_SCREEN)
    spawnSync('/bin/sh', ['-c', `${editor} "$1"`, 'editor', file], { stdio: 'inherit' })
    process.stdout.write(ENTER_ALT_SCREEN)
    stdin.setRawMode?.(true)
    redraw()
    return await readFile(file, 'utf8')
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/**
 * `$` after the daemon stopped: start it again in the background. A sealed home needs its
 * passphrase, which the UI does not keep: opening peerpost again asks for it.
 */
async function startStoppedDaemon (options: RunUiOptions, log: UiLog): Promise<void> {
  if (options.passphrase == null) {
    try {
      await createKeystore(homePaths(options.home).keystore).load(undefined)
    } catch (err) {
      if (errorName(err) === 'PassphraseRequiredError') throw new DaemonStartError('this home is sealed: quit (q) and open peerpost again, it asks for the passphrase')
      throw err
    }
  }
  const { api } = await ensureDaemon({ home: options.home, passphrase: options.passphrase, log })
  // The UI's reconnect loop makes its own connection to it.
  await api.close()
}
