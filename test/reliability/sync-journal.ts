/**
 * A model of power loss for the level databases of this process: every write that reaches
 * LevelDB (put, del, batch, chained batch, clear) is journaled with whether it was synced,
 * and `syncedImage(location)` is the database as it would be if every unsynced write were
 * lost. (LevelDB's sync also flushes earlier unsynced writes, so this model is stricter
 * than a real disk: it keeps only what was itself synced.)
 *
 * It hooks the one class all writes go through (`level`'s ClassicLevel), so it covers
 * every store in the process, whoever wrote it.
 */
import { Level } from 'level'

interface Entry { key: string, value?: Buffer, synced: boolean }

const journals = new Map<string, Entry[]>()
let installed = false

const text = (k: unknown): string => typeof k === 'string' ? k : Buffer.from(k as Uint8Array).toString('latin1')
const buffer = (v: unknown): Buffer => typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v as Uint8Array)

function record (location: string, ops: Array<{ type: string, key: unknown, value?: unknown }>, synced: boolean): void {
  let journal = journals.get(location)
  if (journal == null) journals.set(location, journal = [])
  for (const op of ops) journal.push(op.type === 'del' ? { key: text(op.key), synced } : { key: text(op.key), value: buffer(op.value), synced })
}

/** Start journaling (idempotent). */
export function installSyncJournal (): void {
  if (installed) return
  installed = true
  const proto = Level.prototype as any
  const { _put, _del, _batch, _chainedBatch, _clear } = proto
  proto._put = async function (this: any, key: unknown, value: unknown, options: any) {
    await _put.call(this, key, value, options)
    record(this.location, [{ type: 'put', key, value }], options?.sync === true)
  }
  proto._del = async function (this: any, key: unknown, options: any) {
    await _del.call(this, key, options)
    record(this.location, [{ type: 'del', key }], options?.sync === true)
  }
  proto._batch = async function (this: any, operations: any[], options: any) {
    await _batch.call(this, operations, options)
    record(this.location, operations, options?.sync === true)
  }
  proto._chainedBatch = function (this: any) {
    const batch = _chainedBatch.call(this)
    const location: string = this.location
    const ops: any[] = []
    const { _put: bput, _del: bdel, _write: bwrite } = batch
    batch._put = function (key: unknown, value: unknown, o: unknown) { ops.push({ type: 'put', key, value }); return bput.call(this, key, value, o) }
    batch._del = function (key: unknown, o: unknown) { ops.push({ type: 'del', key }); return bdel.call(this, key, o) }
    batch._write = async function (options: any) { await bwrite.call(this, options); record(location, ops, options?.sync === true) }
    return batch
  }
  proto._clear = async function (this: any, options: any) {
    // A range delete is never synced; the model cannot replay it, so it must not happen on an acknowledged path.
    await _clear.call(this, options)
    record(this.location, [{ type: 'clear', key: '' }], false)
  }
}

/** The database at `location` as it would be after losing every unsynced write. */
export function syncedImage (location: string): Map<string, Buffer> {
  const image = new Map<string, Buffer>()
  for (const e of journals.get(location) ?? []) {
    if (!e.synced) continue
    if (e.value === undefined) image.delete(e.key)
    else image.set(e.key, e.value)
  }
  return image
}

/** How many journaled writes at `location` were not synced (an acknowledged path should have none). */
export function unsyncedWrites (location: string): number {
  return (journals.get(location) ?? []).filter(e => !e.synced).length
}

/** Write an image into a fresh database at `dir` (keys as stored, sublevel prefixes included). */
export async function restoreImage (image: Map<string, Buffer>, dir: string): Promise<void> {
  const db = new Level<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' })
  await db.open()
  await db.batch([...image].map(([key, value]) => ({ type: 'put' as const, key: Buffer.from(key, 'latin1'), value })), { sync: true })
  await db.close()
}
