import { createWriteStream, renameSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { format } from 'node:util'

/** The UI's log: a file in the home, never the screen (the UI owns the terminal). */
export interface UiLog {
  (message: string, ...args: unknown[]): void
  readonly path?: string
  close(): Promise<void>
}

export const UI_LOG_NAME = 'ui.log'
/** A log past this size at start is moved to `ui.log.1` (one old file kept), so it stays bounded. */
export const UI_LOG_MAX_BYTES = 1024 * 1024

export function fileLog (home: string, maxBytes = UI_LOG_MAX_BYTES): UiLog {
  const path = join(home, UI_LOG_NAME)
  try {
    if (statSync(path).size > maxBytes) renameSync(path, `${path}.1`)
  } catch {
    // No log yet.
  }
  const stream = createWriteStream(path, { flags: 'a', mode: 0o600 })
  stream.on('error', () => { /* a log that cannot be written must not take the UI down */ })
  const log = ((message: string, ...args: unknown[]) => {
    stream.write(`${new Date().toISOString()} ${format(message, ...args)}\n`)
  }) as UiLog
  Object.defineProperty(log, 'path', { value: path })
  log.close = async () => { await new Promise<void>(resolve => { stream.end(resolve) }) }
  return log
}

/** A log that keeps lines in memory (tests read them). */
export function memoryLog (): UiLog & { lines: string[] } {
  const lines: string[] = []
  const log = ((message: string, ...args: unknown[]) => { lines.push(format(message, ...args)) }) as UiLog & { lines: string[] }
  log.lines = lines
  log.close = async () => {}
  return log
}

/** Send console output to the log while the UI runs; returns the function that restores it. */
export function captureConsole (log: UiLog): () => void {
  const saved = { log: console.log, error: console.error, warn: console.warn, info: console.info, debug: console.debug }
  for (const name of Object.keys(saved) as Array<keyof typeof saved>) {
    console[name] = (...args: unknown[]) => { log(`console.${name}: %s`, format(...args)) }
  }
  return () => { Object.assign(console, saved) }
}
