import type { MessageSummary } from '../storage/types.js'

/**
 * Whether a message's headers match a search: its sender, a recipient or its subject
 * contains `text`, case not mattering. The mail UI's filter of what it has loaded uses it
 * alone (it has no bodies); the daemon's whole-folder search (folder-search.ts) uses it
 * first and looks in the message's text only when it fails.
 */
export function matchesSearch (m: MessageSummary, text: string): boolean {
  const needle = text.trim().toLowerCase()
  if (needle === '') return true
  const has = (s: string): boolean => s.toLowerCase().includes(needle)
  return has(m.subject) || has(m.from) || m.to.some(has) || m.cc.some(has)
}
