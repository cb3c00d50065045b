import { createServer } from 'node:net'

/**
 * The TCP port a new node listens on, so a person who forwards a port in their router, or
 * opens one in a firewall, has one number to forward (the cache servers' is 4455). `init`
 * saves the port it chose in config.json, so it stays the same from one start to the next.
 */
export const DEFAULT_NODE_PORT = 4456
/** Where `init` looks when DEFAULT_NODE_PORT is taken: below every OS's ephemeral range, above the well-known ports. */
const FALLBACK_LOW = 10_000
const FALLBACK_HIGH = 32_768
const FALLBACK_TRIES = 50

/** Whether a TCP listener can be opened on `host`:`port` now (a moment later it may not: callers treat it as a hint). */
export type Bindable = (port: number, host: string) => Promise<boolean>

/** The real check: open a listener and close it again. */
export const bindable: Bindable = async (port, host) => await new Promise(resolve => {
  const server = createServer()
  server.once('error', () => { resolve(false) })
  server.listen({ port, host, exclusive: true }, () => { server.close(() => { resolve(true) }) })
})

/**
 * The listen addresses `init` saves: DEFAULT_NODE_PORT on every IPv4 address when that port
 * is free, else a free port picked once at random (another node's home on this machine
 * took it, say), else port 0 (a new port each start, as before).
 *
 * @example
 * await chooseListen(bindable)   // ['/ip4/0.0.0.0/tcp/4456']
 */
export async function chooseListen (canBind: Bindable, random: () => number = Math.random): Promise<string[]> {
  const at = (port: number): string[] => [`/ip4/0.0.0.0/tcp/${port}`]
  if (await canBind(DEFAULT_NODE_PORT, '0.0.0.0')) return at(DEFAULT_NODE_PORT)
  for (let i = 0; i < FALLBACK_TRIES; i++) {
    const port = FALLBACK_LOW + Math.floor(random() * (FALLBACK_HIGH - FALLBACK_LOW))
    if (await canBind(port, '0.0.0.0')) return at(port)
  }
  return at(0)
}

/**
 * The configured listen addresses with every fixed TCP port that is taken now moved to port 0
 * (a new one for this run), and the addresses that were moved. A daemon started on its
 * saved port while another program holds it still runs (home servers and relays reach it)
 * instead of refusing to start; it says which port it could not have. An address the check
 * cannot judge (a DNS name, a relay) is left as it is.
 */
export async function withFreePorts (listen: readonly string[], canBind: Bindable): Promise<{ listen: string[], taken: string[] }> {
  const taken: string[] = []
  const out: string[] = []
  for (const addr of listen) {
    // A regex, not the multiaddr parser: the config schema checked the address already, and
    // `peerpost --help` (which reads DEFAULT_NODE_PORT) need not load the parser.
    const m = /^\/ip[46]\/([^/]+)\/tcp\/(\d+)(\/|$)/.exec(addr)
    const port = Number(m?.[2])
    if (m != null && port > 0 && !(await canBind(port, m[1]!))) {
      taken.push(addr)
      out.push(addr.replace(`/tcp/${port}`, '/tcp/0'))
    } else {
      out.push(addr)
    }
  }
  return { listen: out, taken }
}
