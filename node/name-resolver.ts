import { isIP } from 'node:net'
import { multiaddr } from '@multiformats/multiaddr'
import { DEFAULT_CACHE_SERVER_PORT } from './config.js'
import { serverRef } from './home-servers.js'
import type { DialTarget } from './protocol/rpc.js'
import type { Libp2p } from '@libp2p/interface'

/** `name@host[:port]`: a name registered on a cache server's directory. */
const NAME_ADDRESS = /^([a-z0-9][a-z0-9._-]{0,63})@([a-z0-9.-]+|\[[0-9a-f:.]+\])(?::(\d{1,5}))?$/i

export interface NameAddress {
  /** Lower-case, as the directory stores it. */
  name: string
  host: string
  port?: number
  /** The canonical form, used as the pinned contact's name: `name@host` or `name@host:port`. */
  address: string
}

/** Parse `name@server`; undefined when `text` is not one (a contact name or a PeerId). */
export function parseNameAddress (text: string): NameAddress | undefined {
  const m = NAME_ADDRESS.exec(text.trim())
  if (m == null) return undefined
  const name = m[1]!.toLowerCase()
  const host = m[2]!.toLowerCase().replace(/^\[|\]$/g, '')
  const port = m[3] == null ? undefined : Number(m[3])
  if (port != null && (port < 1 || port > 65535)) return undefined
  const shownHost = isIP(host) === 6 ? `[${host}]` : host
  const parsed: NameAddress = { name, host, address: port == null ? `${name}@${shownHost}` : `${name}@${shownHost}:${port}` }
  if (port != null) parsed.port = port
  return parsed
}

function hostAndPort (addr: string): { host?: string, port?: number } {
  const out: { host?: string, port?: number } = {}
  for (const c of multiaddr(addr).getComponents()) {
    if (['ip4', 'ip6', 'dns', 'dns4', 'dns6'].includes(c.name) && out.host == null) out.host = c.value?.toLowerCase()
    if (c.name === 'tcp' && out.port == null) out.port = Number(c.value)
  }
  return out
}

/**
 * Where to ask about `name@host`: a configured home server on that host (whose PeerId we
 * know from the config), else `host:port` (default 4455), whose PeerId the dial reveals.
 */
export function directoryServer (parsed: NameAddress, homeServers: string[]): { target?: DialTarget, addr: string } {
  for (const a of homeServers) {
    const { host, port } = hostAndPort(a)
    if (host === parsed.host && (parsed.port == null || parsed.port === port)) {
      const ref = serverRef(a)
      return { target: { peerId: ref.peerId, addrs: ref.dialAddrs }, addr: a }
    }
  }
  const kind = isIP(parsed.host) === 4 ? 'ip4' : isIP(parsed.host) === 6 ? 'ip6' : 'dns'
  return { addr: `/${kind}/${parsed.host}/tcp/${parsed.port ?? DEFAULT_CACHE_SERVER_PORT}` }
}

/** Dial the directory server if needed and return it as a target with its PeerId. */
export async function connectDirectory (libp2p: Libp2p, server: { target?: DialTarget, addr: string }, timeoutMs: number): Promise<DialTarget> {
  if (server.target != null) return server.target
  const connection = await libp2p.dial(multiaddr(server.addr), { signal: AbortSignal.timeout(timeoutMs) })
  return { peerId: connection.remotePeer.toString(), addrs: [server.addr] }
}
