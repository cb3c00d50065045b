/** libp2p 3 needs Node >= 22 (on 20 the Noise handshake fails deep inside: `Promise.withResolvers is not a function`). */
export const MIN_NODE_MAJOR = 22

export class NodeTooOldError extends Error {
  static readonly NAME = 'NodeTooOldError'
  override name = NodeTooOldError.NAME
  constructor (readonly version: string) {
    super(`this needs Node.js ${MIN_NODE_MAJOR} or newer, this is ${version}: install a current Node (nodejs.org, nvm or your package manager) and run peerpost with it`)
  }
}

/** Refuse early, with what to do, rather than fail on the first connection. */
export function checkNodeVersion (version: string = process.version): void {
  const major = Number(/^v?(\d+)\./.exec(version)?.[1] ?? 0)
  if (major < MIN_NODE_MAJOR) throw new NodeTooOldError(version)
}
