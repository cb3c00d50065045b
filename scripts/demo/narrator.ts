/**
 * The demo's voice: every line stamped with the seconds since the start, a progress bar
 * that redraws in place on a terminal (and prints only its last state otherwise, so a log
 * stays readable), and plain tables.
 */
export class Narrator {
  private readonly t0 = Date.now()
  private barOpen = false
  /** Off a terminal: the label whose finished bar was printed (late progress events repeat it). */
  private barDone = ''
  private readonly out: NodeJS.WriteStream
  private readonly tty: boolean

  constructor (out: NodeJS.WriteStream = process.stdout) {
    this.out = out
    this.tty = out.isTTY === true
  }

  elapsed (): number { return (Date.now() - this.t0) / 1000 }

  private stamp (): string { return `[${this.elapsed().toFixed(1).padStart(5)}s]` }

  /** One narrated line. */
  say (text: string): void {
    this.closeBar()
    this.out.write(`${this.stamp()} ${text}\n`)
  }

  /** A stage heading. */
  stage (n: number, title: string): void {
    this.closeBar()
    this.out.write(`\n${this.stamp()} ── ${n}. ${title}\n`)
  }

  /** Indented detail under the last line, without a stamp. */
  detail (text: string): void {
    this.closeBar()
    this.out.write(`         ${text}\n`)
  }

  /** Draw (on a terminal: redraw) a progress bar; call `say` or `endBar` when done. */
  bar (label: string, done: number, total: number): void {
    const width = 30
    const filled = total <= 0 ? width : Math.min(width, Math.floor(done * width / total))
    const pct = total <= 0 ? 100 : Math.floor(done * 100 / total)
    const line = `${this.stamp()} ${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(pct).padStart(3)}% ${mib(done)}/${mib(total)}`
    if (this.tty) {
      this.out.write(`\r${line}\x1b[K`)
      this.barOpen = true
    } else if (done >= total && this.barDone !== label) {
      this.barDone = label
      this.out.write(`${line}\n`)
    }
  }

  private closeBar (): void {
    if (this.barOpen) this.out.write('\n')
    this.barOpen = false
  }

  /** A table with a header row, columns padded to their widest cell. */
  table (rows: string[][]): void {
    this.closeBar()
    const widths = rows[0]!.map((_c, i) => Math.max(...rows.map(r => (r[i] ?? '').length)))
    rows.forEach((r, n) => {
      this.out.write(`         ${r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()}\n`)
      if (n === 0) this.out.write(`         ${widths.map(w => '-'.repeat(w)).join('  ')}\n`)
    })
  }
}

export function mib (bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${Math.round(bytes / 1024)} KiB`
}

/** MB/s for `bytes` in `ms`, as a short text. */
export function rate (bytes: number, ms: number): string {
  return ms <= 0 ? '-' : `${(bytes / 1e6 / (ms / 1000)).toFixed(0)} MB/s`
}
