import type { MessageSummary } from '../storage/types.js'

/**
 * Whether a message matches a search: its sender, a recipient or its subject contains
 * `text`, case not mattering. One rule for the daemon's whole-folder search and the mail
 * UI's filter of what it has loaded, so both show the same messages.
 */
export function matchesSearch (m: MessageSummary, text: string): boolean {
  const needle = text.trim().toLowerCase()
  if (needle === '') return true
  const has = (s: string): boolean => s.toLowerCase().includes(needle)
  return has(m.subject) || has(m.from) || m.to.some(has) || m.cc.some(has)
}
