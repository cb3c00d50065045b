import { chmod, unlink } from 'node:fs/promises'
import { createServer } from 'node:net'
import { onLines } from './lines.js'
import { MAX_CONTROL_LINE_BYTES, MAX_PENDING_EVENTS } from './protocol.js'
import type { ControlReply, ControlRequest } from './protocol.js'
import type { NodeEvent, NodeEvents } from '../events.js'
import type { Logger } from '@libp2p/interface'
import type { Server, Socket } from 'node:net'

/** A control method: takes the request's params, returns a JSON-able result or throws a typed error. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each method declares the params it reads
export type ControlMethod = (params: any) => Promise<unknown>

export interface ControlServerComponents {
  methods: Record<string, ControlMethod>
  events: NodeEvents
  log: Logger
}

/**
 * Serves the daemon's API on a unix socket that only the owner can open (mode 0600).
 */
export class ControlServer {
  private server: Server | undefined
  private readonly sockets = new Set<Socket>()

  constructor (private readonly components: ControlServerComponents) {}

  async listen (path: string): Promise<void> {
    // A socket file left by a daemon that was killed: nobody listens on it any more
    // (the caller has checked), so it is safe to remove.
    await unlink(path).catch(() => {})
    const server = createServer(socket => { this.accept(socket) })
    this.server = server
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      // Restrict before listening so the socket is never reachable by others.
      const oldMask = process.umask(0o177)
      server.listen(path, () => {
        process.umask(oldMask)
        server.off('error', reject)
        resolve()
      })
    })
    await chmod(path, 0o600)
  }

  async close (): Promise<void> {
    for (const socket of this.sockets) {
      // What send() corked this turn (the reply to `stop`, say) goes out before the socket closes.
      while (socket.writableCorked > 0) socket.uncork()
      socket.destroy()
    }
    const server = this.server
    if (server == null) return
    await new Promise<void>(resolve => { server.close(() => { resolve() }) })
  }

  private accept (socket: Socket): void {
    this.sockets.add(socket)
    let unsubscribe: (() => void) | undefined
    socket.on('close', () => { this.sockets.delete(socket); unsubscribe?.() })
    socket.on('error', () => { socket.destroy() })
    // Replies and events written in one turn of the event loop leave in one write: a
    // delivery batch emits an event per message, and a syscall each cost the sender ~5% of
    // its CPU per message (delivery bench profile).
    let corked = false
    const send = (reply: ControlReply): void => {
      if (socket.destroyed) return
      if (!corked) {
        corked = true
        socket.cork()
        setImmediate(() => { corked = false; socket.uncork() })
      }
      socket.write(JSON.stringify(reply) + '\n')
    }
    onLines(socket, MAX_CONTROL_LINE_BYTES, line => {
      let request: ControlRequest
      try {
        request = JSON.parse(line)
      } catch {
        send({ id: -1, error: { name: 'ControlProtocolError', message: 'request is not JSON' } })
        return
      }
      if (request.method === 'subscribe') {
        unsubscribe ??= this.components.events.subscribe((event: NodeEvent) => {
          if (socket.writableLength > MAX_PENDING_EVENTS * 256) { socket.destroy(); return }
          send({ event })
        })
        send({ id: request.id, result: true })
        return
      }
      const method = this.components.methods[request.method]
      if (method == null) {
        send({ id: request.id, error: { name: 'UnknownMethodError', message: `unknown control method ${String(request.method)}` } })
        return
      }
      method(request.params ?? {}).then(
        result => { send({ id: request.id, result: result ?? null }) },
        (err: unknown) => {
          const e = err instanceof Error ? err : new Error(String(err))
          if (e.name === 'Error' || e.name === 'TypeError') this.components.log.error('control %s failed - %e', request.method, e)
          send({ id: request.id, error: { name: e.name, message: e.message } })
        }
      )
    }, () => { socket.destroy() })
  }
}
