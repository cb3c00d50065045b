import { deadline } from './cli.js'
import type { PeerpostLibp2p } from '../../node/network.js'

/**
 * Resolve with `check`'s first non-undefined answer: asked now, then on every `type` event of
 * `node`, with a deadline. (p-event's typings do not take libp2p's typed event target.)
 */
export async function until<T> (node: PeerpostLibp2p, type: 'connection:open' | 'connection:close' | 'self:peer:update' | 'transport:listening', check: (evt?: CustomEvent<any>) => T | undefined, ms: number, what: string): Promise<T> {
  let listener: ((evt: CustomEvent<any>) => void) | undefined
  const seen = new Promise<T>(resolve => {
    listener = evt => { const v = check(evt); if (v !== undefined) resolve(v) }
    node.addEventListener(type, listener)
    const now = check()
    if (now !== undefined) resolve(now)
  })
  try {
    return await deadline(seen, ms, what)
  } finally {
    node.removeEventListener(type, listener)
  }
}
