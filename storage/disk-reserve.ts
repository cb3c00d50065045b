import { statfs } from 'node:fs/promises'
import { WRITE_BUFFER_BYTES } from './database.js'

/**
 * The free disk a holder keeps under its database: a cache server (`parking.minFreeDiskBytes`)
 * and a node holding for offline co-recipients (`holding.minFreeDiskBytes`). The quotas
 * bound what it parks, but not what else fills the disk (logs, other programs, a quota
 * sized for a larger disk, on a node the user's own mail), and a database that runs out of
 * disk fails every write after: deposits, and the acks and expiry deletes that would free
 * room (the mail is still there, but cannot be taken away until someone frees space and
 * restarts). So deposits are refused, as a full quota is (QUOTA_EXCEEDED: the sender tries
 * another location), while less than the reserve is free, and the acks, expiry and the
 * database's own compactions keep the rest.
 */

/** How long one reading of the file system's free space is used (deposits in between are subtracted from it). */
export const DISK_CHECK_INTERVAL_MS = 1_000

/**
 * The least reserve that is not 0 (off). Measured on a 6 MiB tmpfs with 2 MiB kept free: the
 * server stopped cleanly, then could not open its database again (ENOSPC): at open LevelDB
 * writes its log (up to WRITE_BUFFER_BYTES of recent writes) out as a table, beside the log.
 * So twice that, and as much again for compactions.
 */
export const MIN_FREE_DISK_FLOOR_BYTES = 4 * WRITE_BUFFER_BYTES

/** Why `bytes` is no reserve a config may set (undefined: it is one), for each config's own error. */
export function diskReserveProblem (bytes: number): string | undefined {
  if (bytes === 0 || bytes >= MIN_FREE_DISK_FLOOR_BYTES) return undefined
  return `must be 0 (no check) or at least ${MIN_FREE_DISK_FLOOR_BYTES}: the database needs that much free disk to open again and to compact`
}

/** The disk under the holder's database has less free than its reserve; nothing was stored. */
export class DiskReserveError extends Error {
  static readonly NAME = 'DiskReserveError'
  override name = DiskReserveError.NAME
  constructor (readonly freeBytes: number, readonly minFreeBytes: number, holder = 'this server') {
    super(`${holder}'s disk is full (it keeps ${minFreeBytes} bytes free and has ${Math.max(0, freeBytes)}): nothing was stored; the sender should try another location`)
  }
}

export interface DiskReserveComponents {
  /** Free bytes an unprivileged process may use on the file system holding `path`. */
  freeBytes: (path: string) => Promise<number>
  now: () => number
}

/** statfs: blocks available to unprivileged users times the block size. */
export async function statfsFreeBytes (path: string): Promise<number> {
  const s = await statfs(path)
  return Number(s.bavail) * Number(s.bsize)
}

export class DiskReserve {
  private reading: { at: number, free: number } | undefined
  private pending: Promise<number> | undefined
  /** Bytes deposited since the last reading: the next deposits count them before the file system shows them. */
  private since = 0

  /**
   * @param minFreeBytes the reserve, or how to read it when it may change while running (a node's live config)
   * @param holder who keeps it, as refusals name it ("this server", "this node")
   */
  constructor (private readonly c: DiskReserveComponents, private readonly path: string, private readonly minFree: number | (() => number), private readonly holder?: string) {}

  get minFreeBytes (): number {
    return typeof this.minFree === 'number' ? this.minFree : this.minFree()
  }

  /** The free bytes last read (and the deposits since subtracted), or undefined before the first reading. */
  get freeBytes (): number | undefined {
    return this.reading == null ? undefined : this.reading.free - this.since
  }

  /** Throws DiskReserveError when storing `bytes` more would leave less than the reserve free. */
  async check (bytes: number): Promise<void> {
    const minFreeBytes = this.minFreeBytes
    if (minFreeBytes === 0) return
    const free = await this.free() - this.since
    if (free - bytes < minFreeBytes) throw new DiskReserveError(free, minFreeBytes, this.holder)
    this.since += bytes
  }

  /** Read the file system again (at most once per DISK_CHECK_INTERVAL_MS; concurrent callers share one reading). */
  async free (): Promise<number> {
    const r = this.reading
    if (r != null && this.c.now() - r.at < DISK_CHECK_INTERVAL_MS) return r.free
    this.pending ??= this.c.freeBytes(this.path).then(free => {
      this.reading = { at: this.c.now(), free }
      this.since = 0
      return free
    }).finally(() => { this.pending = undefined })
    return await this.pending
  }
}
