import { useEffect, useSyncExternalStore } from 'react'
import { Box, Text, useInput, useStdout } from 'ink'
import { MailScreen } from './MailScreen.js'
import { ReaderScreen } from './ReaderScreen.js'
import { ComposeScreen } from './ComposeScreen.js'
import { ContactsScreen } from './ContactsScreen.js'
import { OutboxScreen } from './OutboxScreen.js'
import { HelpScreen } from './HelpScreen.js'
import { SendingBox } from './SendingBox.js'
import { StatusBar } from './StatusBar.js'
import { SCREEN_TITLES, keyHints } from '../keys.js'
import { fit, shortPeer } from '../view-format.js'
import type { Controller } from '../controller.js'
import type { Store } from '../store.js'

export interface AppProps {
  store: Store
  controller: Controller
  /** Clock for dates on screen (tests pass a fixed one). */
  now?: () => number
  /** Follow the terminal's size (off in tests, which set the size in the state). */
  followResize?: boolean
}

/** The whole screen: a title line, the current screen, the status line. Keys go to the controller. */
export function App ({ store, controller, now = Date.now, followResize = true }: AppProps) {
  const state = useSyncExternalStore(store.subscribe, store.getState)
  const { stdout } = useStdout()
  useInput((input, key) => { controller.key(input, key) })
  useEffect(() => {
    if (!followResize) return
    const resize = (): void => { store.dispatch({ type: 'resize', columns: stdout.columns ?? 80, rows: stdout.rows ?? 24 }) }
    resize()
    stdout.on('resize', resize)
    return () => { stdout.off('resize', resize) }
  }, [stdout, store, followResize])
  const t = now()
  const title = `peerpost · ${SCREEN_TITLES[state.screen]}${state.status.peerId != null ? ` · ${shortPeer(state.status.peerId)}` : ''}`
  // The main keys on the right of the title, as many as fit: a first-time user sees where to start.
  const hints = keyHints(state.screen, state.size.columns - title.length - 3)
  const titleLine = hints === '' ? title : `${title}${' '.repeat(Math.max(2, state.size.columns - title.length - hints.length - 1))}${hints} `
  return (
    <Box flexDirection='column' width={state.size.columns} height={state.size.rows}>
      <Text inverse bold>{fit(titleLine, state.size.columns)}</Text>
      <Box flexDirection='column' flexGrow={1}>
        {state.screen === 'mail' && <MailScreen state={state} now={t} />}
        {state.screen === 'reader' && <ReaderScreen state={state} now={t} />}
        {state.screen === 'compose' && <ComposeScreen state={state} />}
        {state.screen === 'contacts' && <ContactsScreen state={state} now={t} />}
        {state.screen === 'outbox' && <OutboxScreen state={state} now={t} />}
        {state.screen === 'help' && <HelpScreen state={state} />}
      </Box>
      {(state.screen === 'mail' || state.screen === 'reader') && <SendingBox state={state} now={t} />}
      <StatusBar state={state} />
    </Box>
  )
}
