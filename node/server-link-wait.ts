import type { NodeEventMap, NodeEvents } from './events.js'

/**
 * How long `servers add` waits for the daemon's link to a server it was just given before it
 * reports the server's state: long enough for a reachable server on any sane network (a dial,
 * Noise, a presence session), short enough that an unreachable one does not hang the command.
 */
export const SERVER_JOIN_WAIT_MS = 5_000

/**
 * Wait until the home server `peerId` is connected (`servers:changed`), at most `timeoutMs`.
 * Resolves true once connected, false at the deadline: the link keeps retrying either way,
 * this only decides what the caller reports.
 */
export async function waitForServerLink (events: NodeEvents, peerId: string, isConnected: () => boolean, timeoutMs = SERVER_JOIN_WAIT_MS): Promise<boolean> {
  if (isConnected()) return true
  return await new Promise<boolean>(resolve => {
    const done = (connected: boolean): void => {
      clearTimeout(timer)
      unsubscribe()
      resolve(connected)
    }
    const timer = setTimeout(() => { done(false) }, timeoutMs)
    const unsubscribe = events.subscribe(event => {
      if (event.type !== 'servers:changed') return
      const change = event.data as NodeEventMap['servers:changed']
      if (change.server === peerId && change.connected) done(true)
    })
    // It may have come up between the first look and the subscription.
    if (isConnected()) done(true)
  })
}
