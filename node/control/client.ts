import { connect } from 'node:net'
import { join } from 'node:path'
import { onLines } from './lines.js'
import { CONTROL_SOCKET_NAME, ControlProtocolError, DaemonNotRunningError, MAX_CONTROL_LINE_BYTES, RemoteError } from './protocol.js'
import type { ControlReply } from './protocol.js'
import type { NodeEvent } from '../events.js'
import type { Socket } from 'node:net'

/** A connection to a home's daemon. */
export class ControlClient {
  private nextId = 1
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void, reject: (e: Error) => void }>()
  private readonly eventListeners = new Set<(event: NodeEvent) => void>()
  private readonly closeListeners = new Set<(err: Error) => void>()
  private closedError: Error | undefined
  private closing = false

  private constructor (private readonly socket: Socket) {
    onLines(socket, MAX_CONTROL_LINE_BYTES, line => { this.onLine(line) }, () => {
      socket.destroy(new ControlProtocolError('daemon sent an oversized line'))
    })
    socket.on('close', () => {
      this.closedError ??= new ControlProtocolError('the daemon closed the control connection')
      for (const w of this.waiting.values()) w.reject(this.closedError)
      this.waiting.clear()
      if (!this.closing) for (const l of this.closeListeners) l(this.closedError)
    })
    socket.on('error', err => { this.closedError = err })
  }

  /** Connect to the daemon of `home`; throws DaemonNotRunningError when there is none. */
  static async connect (home: string): Promise<ControlClient> {
    const path = join(home, CONTROL_SOCKET_NAME)
    const socket = connect(path)
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') reject(new DaemonNotRunningError(home))
        else reject(err)
      })
    })
    return new ControlClient(socket)
  }

  async call<T = unknown>(method: string, params: unknown = {}): Promise<T> {
    if (this.closedError != null) throw this.closedError
    const id = this.nextId++
    const result = new Promise<unknown>((resolve, reject) => { this.waiting.set(id, { resolve, reject }) })
    this.socket.write(JSON.stringify({ id, method, params }) + '\n')
    return await result as T
  }

  /** Receive the daemon's events until close(). */
  async subscribe (listener: (event: NodeEvent) => void): Promise<void> {
    this.eventListeners.add(listener)
    await this.call('subscribe')
  }

  /** Told once if the daemon goes away (not when we close()). */
  onClose (listener: (err: Error) => void): void {
    this.closeListeners.add(listener)
  }

  close (): void {
    this.closing = true
    this.socket.end()
    this.socket.destroy()
  }

  private onLine (line: string): void {
    let reply: ControlReply
    try { reply = JSON.parse(line) } catch { return }
    if ('event' in reply) {
      for (const l of this.eventListeners) l(reply.event as NodeEvent)
      return
    }
    const waiter = this.waiting.get(reply.id)
    if (waiter == null) return
    this.waiting.delete(reply.id)
    if ('error' in reply) waiter.reject(new RemoteError(reply.error.name, reply.error.message))
    else waiter.resolve(reply.result)
  }
}
