import type { Socket } from 'node:net'

/**
 * Split a socket's bytes into lines with a cap on line length, so a broken or hostile
 * client cannot make us buffer without bound. Calls `onOverflow` once and stops.
 */
export function onLines (socket: Socket, maxLineBytes: number, onLine: (line: string) => void, onOverflow: () => void): void {
  let pending: Buffer[] = []
  let pendingBytes = 0
  let dead = false
  socket.on('data', (chunk: Buffer) => {
    if (dead) return
    let start = 0
    while (true) {
      const nl = chunk.indexOf(10, start)
      if (nl === -1) break
      const part = chunk.subarray(start, nl)
      const line = pendingBytes === 0 ? part.toString('utf8') : Buffer.concat([...pending, part]).toString('utf8')
      pending = []
      pendingBytes = 0
      start = nl + 1
      if (line.length > 0) onLine(line)
    }
    const rest = chunk.subarray(start)
    if (rest.length > 0) {
      pending.push(rest)
      pendingBytes += rest.length
      if (pendingBytes > maxLineBytes) {
        dead = true
        pending = []
        onOverflow()
      }
    }
  })
}
