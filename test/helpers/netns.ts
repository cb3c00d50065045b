import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

const exec = promisify(execFile)

/**
 * Network namespaces for the tests that need addresses libp2p counts as public (DCUtR and
 * AutoNAT never use private or loopback ones). Each namespace is the test's own: the
 * addresses live only on its interfaces (loopback, or a veth pair between two of them),
 * with no route out, and it is deleted afterwards. Needs root and iproute2 (`ip netns`);
 * where they are missing the tests skip with the reason.
 */
export async function ip (...args: string[]): Promise<string> {
  return (await exec('ip', args, { timeout: 10_000 })).stdout
}

/** Create namespace `name` with loopback up, or say why it cannot be made (nothing is left behind then). */
export async function createNamespace (name: string): Promise<string | undefined> {
  try {
    await ip('netns', 'add', name)
  } catch (err: any) {
    return `cannot create a network namespace (needs root and iproute2's "ip netns"): ${String(err.stderr ?? err.message).trim()}`
  }
  await ip('-n', name, 'link', 'set', 'lo', 'up')
}

/** End whatever still runs in the namespace (processes the test started there, each by its pid), then delete it. */
export async function removeNamespace (name: string): Promise<void> {
  const pids = await ip('netns', 'pids', name).catch(() => '')
  for (const pid of pids.split('\n').map(Number).filter(p => p > 0)) {
    try { process.kill(pid, 'SIGKILL') } catch { /* already gone */ }
  }
  await ip('netns', 'delete', name)
}

/** Join namespaces `a` and `b` with a veth pair, `addrA` on a's end and `addrB` on b's (CIDR). */
export async function linkNamespaces (a: string, addrA: string, b: string, addrB: string): Promise<void> {
  await ip('-n', a, 'link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'veth1', 'netns', b)
  await ip('-n', a, 'addr', 'add', addrA, 'dev', 'veth0')
  await ip('-n', b, 'addr', 'add', addrB, 'dev', 'veth1')
  await ip('-n', a, 'link', 'set', 'veth0', 'up')
  await ip('-n', b, 'link', 'set', 'veth1', 'up')
}

/** Arguments that run `file args...` inside namespace `name`. */
export function inNamespace (name: string, file: string, ...args: string[]): { file: string, args: string[] } {
  return { file: 'ip', args: ['netns', 'exec', name, file, ...args] }
}
