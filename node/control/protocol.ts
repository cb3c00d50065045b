/**
 * The control socket between the daemon and the commands/UI: newline-delimited JSON.
 * A request is `{ id, method, params }`; the reply `{ id, result }` or
 * `{ id, error: { name, message } }`. After `subscribe`, the daemon also writes
 * `{ event: NodeEvent }` lines until the client hangs up.
 */
export const CONTROL_SOCKET_NAME = 'control.sock'
/** Requests carry paths, not file contents: a line this long is a broken client. */
export const MAX_CONTROL_LINE_BYTES = 8 * 1024 * 1024
/** Events queued for a slow subscriber before it is cut off (the stream is bounded). */
export const MAX_PENDING_EVENTS = 10_000

export interface ControlRequest { id: number, method: string, params?: unknown }
export interface ControlErrorBody { name: string, message: string }
export type ControlReply =
  | { id: number, result: unknown }
  | { id: number, error: ControlErrorBody }
  | { event: unknown }

/** An error the daemon raised, carried across the socket with its name intact. */
export class RemoteError extends Error {
  constructor (name: string, message: string) {
    super(message)
    this.name = name
  }
}

export class DaemonNotRunningError extends Error {
  static readonly NAME = 'DaemonNotRunningError'
  override name = DaemonNotRunningError.NAME
  constructor (home: string) { super(`no daemon is running for ${home}: start it with \`peerpost daemon --home ${home}\``) }
}

export class ControlProtocolError extends Error {
  static readonly NAME = 'ControlProtocolError'
  override name = ControlProtocolError.NAME
}
