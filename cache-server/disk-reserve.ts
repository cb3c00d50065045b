import { statfs } from 'node:fs/promises'

/**
 * The free disk a cache server keeps under its database. The quotas bound what it parks,
 * but not what else fills the disk (logs, other programs, a quota sized for a larger disk),
 * and a database that runs out of disk fails every write after: deposits, and the acks and
 * expiry deletes that would free room (the mail is still there, but cannot be taken away
 * until an operator frees space and restarts). So deposits are refused, as a full quota is,
 * while less than the reserve is free, and the acks, expiry and the database's own
 * compactions keep the rest.
 */

/** How long one reading of the file system's free space is used (deposits in between are subtracted from it). */
export const DISK_CHECK_INTERVAL_MS = 1_000

/** The disk under the server's database has less free than `parking.minFreeDiskBytes`; nothing was stored. */
export class DiskReserveError extends Error {
  static readonly NAME = 'DiskReserveError'
  override name = DiskReserveError.NAME
  constructor (readonly freeBytes: number, readonly minFreeBytes: number) {
    super(`this server's disk is full (it keeps ${minFreeBytes} bytes free and has ${Math.max(0, freeBytes)}): nothing was stored; the sender should try another location`)
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

  constructor (private readonly c: DiskReserveComponents, private readonly path: string, readonly minFreeBytes: number) {}

  /** The free bytes last read (and the deposits since subtracted), or undefined before the first reading. */
  get freeBytes (): number | undefined {
    return this.reading == null ? undefined : this.reading.free - this.since
  }

  /** Throws DiskReserveError when storing `bytes` more would leave less than the reserve free. */
  async check (bytes: number): Promise<void> {
    if (this.minFreeBytes === 0) return
    const free = await this.free() - this.since
    if (free - bytes < this.minFreeBytes) throw new DiskReserveError(free, this.minFreeBytes)
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
