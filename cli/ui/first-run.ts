import { mkdir } from 'node:fs/promises'
import { keyName, printable, splitPresses } from './keys.js'
import { describeUiError } from './ui-errors.js'
import { createStateStore } from './store.js'
import type { StateStore } from './store.js'
import type { HomeApi } from '../api.js'
import type { Key } from 'ink'

/**
 * The first-run screen (a home with no identity: name, optional passphrase, card to share,
 * an optional cache server) and the unlock screen (a sealed keystore and no daemon yet).
 */
export type FirstRunStep = 'name' | 'passphrase' | 'working' | 'card' | 'server' | 'unlock' | 'done'

export interface FirstRunState {
  step: FirstRunStep
  /** The text being typed on the current step. */
  input: string
  name: string
  card?: string
  peerId?: string
  note?: string
  error?: string
}

export type FirstRunAction =
  | { type: 'type', text: string }
  | { type: 'backspace' }
  | { type: 'step', step: FirstRunStep, note?: string }
  | { type: 'named', name: string }
  | { type: 'card', card: string, peerId: string }
  | { type: 'error', text: string }

export function firstRunReducer (state: FirstRunState, action: FirstRunAction): FirstRunState {
  switch (action.type) {
    case 'type': return { ...state, input: state.input + action.text, error: undefined }
    case 'backspace': return { ...state, input: state.input.slice(0, -1) }
    case 'step': return { ...state, step: action.step, input: '', note: action.note ?? state.note, error: undefined }
    case 'named': return { ...state, name: action.name }
    case 'card': return { ...state, card: action.card, peerId: action.peerId }
    case 'error': return { ...state, error: action.text, step: state.step === 'working' ? 'name' : state.step }
  }
}

/** What the flow needs done, passed in (tests hand in a temp home's real functions). */
export interface FirstRunDeps {
  home: string
  /** Create the identity (keystore) of the home. */
  createIdentity: (name: string, passphrase: Uint8Array | undefined) => Promise<void>
  /** Connect to the daemon, starting it (with the passphrase when sealed). */
  connect: (passphrase: Uint8Array | undefined) => Promise<{ api: HomeApi, started: boolean }>
  /** Told when the flow is over, with the connected API. */
  done: (result: { api: HomeApi, started: boolean }) => void
}

/** Key handling and effects of the first-run and unlock screens. */
export class FirstRunFlow {
  readonly store: StateStore<FirstRunState, FirstRunAction>
  private passphrase: Uint8Array | undefined
  /** The keystore exists: a retry after a failed daemon start must not create it again. */
  private created = false
  private connected: { api: HomeApi, started: boolean } | undefined

  constructor (private readonly d: FirstRunDeps, unlock = false) {
    this.store = createStateStore(firstRunReducer, { step: unlock ? 'unlock' : 'name', input: '', name: '' })
  }

  key (input: string, key: Key): void {
    const presses = splitPresses(input, key, true)
    if (presses.length > 1) { for (const [i, k] of presses) this.key(i, k); return }
    const s = this.store.getState()
    if (s.step === 'working' || s.step === 'done') return
    const name = keyName(input, key)
    if (s.step === 'card') { if (name === 'enter') this.store.dispatch({ type: 'step', step: 'server' }); return }
    if (name === 'enter') { void this.submit(s.step, s.input.trim()); return }
    if (name === 'backspace') { this.store.dispatch({ type: 'backspace' }); return }
    if (input !== '' && !key.ctrl && !key.meta && !key.escape && !key.tab) this.store.dispatch({ type: 'type', text: printable(input) })
  }

  private async submit (step: FirstRunStep, text: string): Promise<void> {
    const { store } = this
    try {
      switch (step) {
        case 'name':
          if (text === '') { store.dispatch({ type: 'error', text: 'type the name people will see, then Enter' }); return }
          store.dispatch({ type: 'named', name: text })
          store.dispatch({ type: 'step', step: 'passphrase' })
          return
        case 'passphrase': {
          // Once the keystore is made, a retry (the daemon did not start) keeps its passphrase.
          if (!this.created) this.passphrase = text === '' ? undefined : new TextEncoder().encode(text)
          store.dispatch({ type: 'step', step: 'working', note: 'creating your identity and starting the daemon…' })
          await mkdir(this.d.home, { recursive: true, mode: 0o700 })
          if (!this.created) {
            await this.d.createIdentity(store.getState().name, this.passphrase)
            this.created = true
          }
          await this.connectAndShowCard()
          return
        }
        case 'unlock':
          this.passphrase = new TextEncoder().encode(text)
          store.dispatch({ type: 'step', step: 'working', note: 'starting the daemon…' })
          this.connected = await this.d.connect(this.passphrase)
          store.dispatch({ type: 'step', step: 'done' })
          this.d.done(this.connected)
          return
        case 'server':
          if (text !== '') {
            store.dispatch({ type: 'step', step: 'working', note: 'adding the server…' })
            try {
              await this.connected!.api.call('servers.add', { addr: text })
            } catch (err) {
              store.dispatch({ type: 'step', step: 'server' })
              store.dispatch({ type: 'error', text: describeUiError('adding the server', err) })
              return
            }
          }
          store.dispatch({ type: 'step', step: 'done' })
          this.d.done(this.connected!)
          return
        default:
      }
    } catch (err) {
      const back = step === 'unlock' ? 'unlock' : step
      store.dispatch({ type: 'step', step: back === 'passphrase' ? 'passphrase' : back })
      store.dispatch({ type: 'error', text: describeUiError(step === 'unlock' ? 'unlocking' : 'creating the identity', err) })
    }
  }

  private async connectAndShowCard (): Promise<void> {
    this.connected = await this.d.connect(this.passphrase)
    const card = await this.connected.api.call<{ card: string, peerId: string }>('card')
    this.store.dispatch({ type: 'card', card: card.card, peerId: card.peerId })
    this.store.dispatch({ type: 'step', step: 'card', note: this.connected.started ? 'the daemon runs in the background now' : undefined })
  }
}
