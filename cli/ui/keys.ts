import type { Key } from 'ink'

/**
 * The one key-binding table of the terminal UI. Every key the UI answers to is here; the
 * help screen is generated from it, and the controller looks commands up in it, so a key
 * cannot do something the help does not say.
 */

/** The screens; `text` is any field being typed into (a prompt or the composer). */
export type Screen = 'mail' | 'reader' | 'compose' | 'contacts' | 'outbox' | 'help'

export type Command =
  | 'down' | 'up' | 'top' | 'bottom' | 'pageDown' | 'pageUp'
  | 'open' | 'back' | 'quit' | 'help' | 'focus'
  | 'compose' | 'reply' | 'replyAll' | 'forward' | 'delete' | 'deleteForever' | 'emptyTrash' | 'archive' | 'toInbox' | 'toggleUnread' | 'search' | 'clearSearch'
  | 'contacts' | 'outbox' | 'refresh'
  | 'nextConversation' | 'prevConversation' | 'closeConversation' | 'nextInThread' | 'prevInThread'
  | 'nextAttachment' | 'prevAttachment' | 'saveOne' | 'saveAll'
  | 'addContact' | 'setStatus' | 'addServer' | 'cancelSend' | 'myCard' | 'removeContact'
  | 'send' | 'nextField' | 'prevField' | 'editor' | 'cancel' | 'clearField' | 'interrupt'
  | 'cursorLeft' | 'cursorRight' | 'lineDown'

export interface KeyBinding {
  command: Command
  /** Key names as `keyName()` makes them: `j`, `G`, `down`, `enter`, `tab`, `S-tab`, `C-s`, `escape`. */
  keys: string[]
  /** Where the binding applies. */
  screens: Screen[]
  help: string
}

const LISTS: Screen[] = ['mail', 'contacts', 'outbox']
const BROWSE: Screen[] = ['mail', 'reader', 'contacts', 'outbox']

export const KEY_BINDINGS: readonly KeyBinding[] = [
  { command: 'down', keys: ['j', 'down'], screens: [...LISTS, 'reader', 'help'], help: 'next line' },
  { command: 'up', keys: ['k', 'up'], screens: [...LISTS, 'reader', 'help'], help: 'previous line' },
  { command: 'top', keys: ['g', 'home'], screens: [...LISTS, 'reader', 'help'], help: 'first' },
  { command: 'bottom', keys: ['G', 'end'], screens: [...LISTS, 'reader', 'help'], help: 'last' },
  { command: 'pageDown', keys: ['pagedown', 'C-f'], screens: [...LISTS, 'reader', 'help'], help: 'page down' },
  { command: 'pageUp', keys: ['pageup', 'C-b'], screens: [...LISTS, 'reader', 'help'], help: 'page up' },
  { command: 'open', keys: ['enter', 'right', 'l'], screens: ['mail'], help: 'open the message (or the folder)' },
  { command: 'focus', keys: ['tab', 'left', 'h'], screens: ['mail'], help: 'switch between folders and messages' },
  { command: 'compose', keys: ['c', 'm'], screens: BROWSE, help: 'compose a new message' },
  { command: 'reply', keys: ['r'], screens: ['mail', 'reader'], help: 'reply to the sender' },
  { command: 'replyAll', keys: ['R'], screens: ['mail', 'reader'], help: 'reply to all' },
  { command: 'forward', keys: ['f'], screens: ['mail', 'reader'], help: 'forward' },
  { command: 'delete', keys: ['d'], screens: ['mail', 'reader'], help: 'move to trash' },
  { command: 'deleteForever', keys: ['D'], screens: ['mail', 'reader'], help: 'in the trash: delete for good (asks first)' },
  { command: 'emptyTrash', keys: ['E'], screens: ['mail'], help: 'in the trash: empty it, every message for good (asks first)' },
  { command: 'archive', keys: ['a'], screens: ['mail', 'reader'], help: 'move to archive' },
  { command: 'toInbox', keys: ['i'], screens: ['mail', 'reader'], help: 'move to the inbox (accept a request)' },
  { command: 'toggleUnread', keys: ['u'], screens: ['mail'], help: 'mark read / unread' },
  { command: 'search', keys: ['/'], screens: ['mail'], help: 'filter by sender, recipient or subject as you type; Enter searches the whole folder, message text too' },
  { command: 'clearSearch', keys: ['escape'], screens: ['mail'], help: 'clear the search or filter: the whole folder again' },
  { command: 'nextInThread', keys: ['n'], screens: ['reader'], help: 'next message of the conversation' },
  { command: 'prevInThread', keys: ['p'], screens: ['reader'], help: 'previous message of the conversation' },
  { command: 'nextConversation', keys: [']'], screens: ['reader'], help: 'next open conversation' },
  { command: 'prevConversation', keys: ['['], screens: ['reader'], help: 'previous open conversation' },
  { command: 'closeConversation', keys: ['x'], screens: ['reader'], help: 'close this conversation' },
  { command: 'nextAttachment', keys: ['J'], screens: ['reader'], help: 'select the next attachment' },
  { command: 'prevAttachment', keys: ['K'], screens: ['reader'], help: 'select the previous attachment' },
  { command: 'saveOne', keys: ['s'], screens: ['reader'], help: 'save the selected attachment' },
  { command: 'saveAll', keys: ['S'], screens: ['reader'], help: 'save all attachments' },
  { command: 'contacts', keys: ['C'], screens: ['mail', 'reader', 'outbox'], help: 'contacts and presence' },
  { command: 'outbox', keys: ['O'], screens: ['mail', 'reader', 'contacts'], help: 'outbox and transfers' },
  { command: 'addContact', keys: ['a'], screens: ['contacts'], help: 'add a contact (card or name@server)' },
  { command: 'setStatus', keys: ['s'], screens: ['contacts'], help: 'set my status' },
  { command: 'addServer', keys: ['H'], screens: ['contacts'], help: 'add a home (cache) server' },
  { command: 'removeContact', keys: ['D'], screens: ['contacts'], help: 'remove the selected contact (asks first; their next mail goes to requests)' },
  { command: 'myCard', keys: ['M'], screens: ['contacts'], help: 'show (or hide) my card, to give to the people who will write to me' },
  { command: 'open', keys: ['enter'], screens: ['contacts'], help: 'write to this contact' },
  { command: 'cancelSend', keys: ['X'], screens: ['outbox'], help: 'cancel the selected message for the recipients still waiting, withdrawing parked copies (asks first; delivered ones stay)' },
  { command: 'refresh', keys: ['$'], screens: BROWSE, help: 'reload from the daemon (after it stopped: start it again)' },
  { command: 'help', keys: ['?'], screens: BROWSE, help: 'this help' },
  { command: 'back', keys: ['q', 'escape'], screens: ['reader', 'contacts', 'outbox', 'help'], help: 'back' },
  { command: 'quit', keys: ['q'], screens: ['mail'], help: 'quit (the daemon keeps running)' },
  { command: 'interrupt', keys: ['C-c'], screens: [...BROWSE, 'help'], help: 'quit from anywhere (the daemon keeps running)' },
  { command: 'nextField', keys: ['tab'], screens: ['compose'], help: 'complete, or next field' },
  { command: 'prevField', keys: ['S-tab', 'up'], screens: ['compose'], help: 'previous field (Up in the body: the line above, then the field above)' },
  { command: 'cursorLeft', keys: ['left'], screens: ['compose'], help: 'cursor left: typing and Backspace work where it is' },
  { command: 'cursorRight', keys: ['right'], screens: ['compose'], help: 'cursor right' },
  { command: 'lineDown', keys: ['down'], screens: ['compose'], help: 'in the body: the line below' },
  { command: 'send', keys: ['C-s'], screens: ['compose'], help: 'send' },
  { command: 'editor', keys: ['C-e'], screens: ['compose'], help: 'edit the body in $EDITOR' },
  { command: 'cancel', keys: ['escape', 'C-c'], screens: ['compose'], help: 'discard the draft (asks first once something is typed)' },
  { command: 'clearField', keys: ['C-u'], screens: ['compose'], help: 'clear the field (in a prompt too)' }
]

/** The few commands each screen names in the title line, with a short word each (keys come from the table). */
const HINTS: Partial<Record<Screen, Array<[Command, string]>>> = {
  mail: [['open', 'open'], ['compose', 'new'], ['reply', 'reply'], ['search', 'search'], ['quit', 'quit'], ['delete', 'trash']],
  reader: [['reply', 'reply'], ['forward', 'fwd'], ['delete', 'trash'], ['back', 'back'], ['saveOne', 'save'], ['replyAll', 'all']],
  help: [['back', 'back']]
}

/**
 * The title line's key hints for `screen`, generated from the table (so they cannot name a
 * key that does something else), as many as fit in `width`, most useful first.
 */
export function keyHints (screen: Screen, width: number): string {
  let out = ''
  for (const [command, word] of HINTS[screen] ?? []) {
    const key = KEY_BINDINGS.find(b => b.command === command && b.screens.includes(screen))?.keys[0]
    if (key == null) continue
    const next = `${out === '' ? '' : `${out} · `}${keyLabel(key)} ${word}`
    if (next.length > width) break
    out = next
  }
  return out
}

/** Human spelling of a key name for the help screen. */
export function keyLabel (name: string): string {
  if (name.startsWith('C-')) return `Ctrl-${name.slice(2).toUpperCase()}`
  if (name === 'S-tab') return 'Shift-Tab'
  if (name.length === 1) return name
  return name.charAt(0).toUpperCase() + name.slice(1)
}

/** One name per key press, in the spelling the table uses. */
export function keyName (input: string, key: Key): string {
  if (key.upArrow) return 'up'
  if (key.downArrow) return 'down'
  if (key.leftArrow) return 'left'
  if (key.rightArrow) return 'right'
  if (key.pageDown) return 'pagedown'
  if (key.pageUp) return 'pageup'
  if (key.home) return 'home'
  if (key.end) return 'end'
  if (key.return) return 'enter'
  if (key.escape) return 'escape'
  if (key.tab) return key.shift ? 'S-tab' : 'tab'
  if (key.backspace || key.delete) return 'backspace'
  if (key.ctrl && input.length === 1) return `C-${input.toLowerCase()}`
  return input
}

/** The command bound to `name` on `screen`, if any. */
export function commandFor (screen: Screen, name: string): Command | undefined {
  return KEY_BINDINGS.find(b => b.screens.includes(screen) && b.keys.includes(name))?.command
}

export const SCREEN_TITLES: Record<Screen, string> = {
  mail: 'Mail list',
  reader: 'Reading',
  compose: 'Composing',
  contacts: 'Contacts',
  outbox: 'Outbox and transfers',
  help: 'Help'
}

const HELP_KEYS_WIDTH = 25

/**
 * The help text, generated from the table: one section per screen, one entry per binding;
 * with `width`, an entry's words wrap under its description (nothing cut at the edge).
 */
export function helpLines (width = Infinity): string[] {
  const lines: string[] = []
  const room = Math.max(20, width - HELP_KEYS_WIDTH)
  for (const screen of ['mail', 'reader', 'compose', 'contacts', 'outbox'] as Screen[]) {
    lines.push(`${SCREEN_TITLES[screen]}`)
    for (const b of KEY_BINDINGS.filter(b => b.screens.includes(screen))) {
      const [first = '', ...more] = wrapWords(b.help, room)
      lines.push(`  ${b.keys.map(keyLabel).join(', ').padEnd(HELP_KEYS_WIDTH - 3)} ${first}`)
      for (const line of more) lines.push(`${' '.repeat(HELP_KEYS_WIDTH)}${line}`)
    }
    lines.push('')
  }
  return lines
}

/** Words into lines of at most `width` (a longer word stands alone). */
function wrapWords (text: string, width: number): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) { lines.push(line); line = word } else line = line === '' ? word : `${line} ${word}`
  }
  return [...lines, line]
}

const NO_KEY: Key = { upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, pageDown: false, pageUp: false, home: false, end: false, return: false, escape: false, ctrl: false, shift: false, tab: false, backspace: false, delete: false, meta: false, super: false, hyper: false, capsLock: false, numLock: false }
export const ENTER_KEY: Key = { ...NO_KEY, return: true }
export const PLAIN_KEY: Key = NO_KEY

/** Presses that control characters inside a chunk of input stand for. */
const CONTROL_PRESSES: Record<string, Key> = {
  '\r': { ...NO_KEY, return: true },
  '\n': { ...NO_KEY, return: true },
  '\t': { ...NO_KEY, tab: true },
  '\x7f': { ...NO_KEY, backspace: true },
  '\b': { ...NO_KEY, backspace: true }
}

/**
 * Several key presses that reached us in one read (typed ahead, or sent by a script):
 * split them so each is handled as its own press. With `text`, plain characters stay
 * together (a paste into a field) and only control characters (Enter, Tab, Backspace)
 * become presses of their own.
 */
export function splitPresses (input: string, key: Key, text: boolean): Array<[string, Key]> {
  if (input.length <= 1 || key.ctrl || key.meta || key.escape || input.includes('\x1b')) return [[input, key]]
  const out: Array<[string, Key]> = []
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is split out here
  for (const part of input.split(/(\r\n|[\x00-\x1f\x7f])/)) {
    if (part === '') continue
    const control = CONTROL_PRESSES[part === '\r\n' ? '\r' : part]
    if (control != null) out.push(['', control])
    else if (part.length === 1 && part < ' ') out.push([String.fromCharCode(part.charCodeAt(0) + 96), { ...NO_KEY, ctrl: true }])
    else if (text) out.push([part, PLAIN_KEY])
    else for (const ch of part) out.push([ch, PLAIN_KEY])
  }
  return out
}

/** Text to put into a field: control characters never become part of it. */
export function printable (input: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is removed here
  return input.replace(/[\x00-\x1f\x7f]/g, '')
}
