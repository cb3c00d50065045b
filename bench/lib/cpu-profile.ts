/**
 * Summarise V8 `.cpuprofile` files (from `node --cpu-prof`): self time per function and
 * per package, so a profile can be read without DevTools.
 */
import { readFile } from 'node:fs/promises'

interface CallFrame { functionName: string, url: string, lineNumber: number }
interface ProfileNode { id: number, callFrame: CallFrame }
interface CpuProfile { nodes: ProfileNode[], samples: number[], timeDeltas: number[], startTime: number, endTime: number }

export interface SelfTime { name: string, ms: number, share: number }
export interface ProfileSummary { totalMs: number, functions: SelfTime[], packages: SelfTime[] }

/** Where a frame's code lives: an npm package, a peerpost folder, Node's internals, or V8's pseudo-frames. */
export function category (frame: CallFrame): string {
  const { url, functionName } = frame
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)'
  const nm = url.lastIndexOf('/node_modules/')
  if (nm !== -1) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/')
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!
  }
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0]
  const dist = url.lastIndexOf('/dist/')
  if (dist !== -1) return 'peerpost ' + url.slice(dist + 6).split('/').slice(0, -1).join('/')
  return url
}

function shortUrl (url: string): string {
  const nm = url.lastIndexOf('/node_modules/')
  if (nm !== -1) return url.slice(nm + 14)
  const dist = url.lastIndexOf('/dist/')
  if (dist !== -1) return url.slice(dist + 6)
  return url
}

export async function summariseProfile (path: string, top = 25): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(path, 'utf8')) as CpuProfile
  const byId = new Map(profile.nodes.map(n => [n.id, n]))
  const fn = new Map<string, number>()
  const pkg = new Map<string, number>()
  let total = 0
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]!)
    const dt = (profile.timeDeltas[i] ?? 0) / 1000
    if (node == null) continue
    total += dt
    const f = node.callFrame
    const key = f.url === '' ? f.functionName : `${f.functionName === '' ? '(anonymous)' : f.functionName} ${shortUrl(f.url)}:${f.lineNumber + 1}`
    fn.set(key, (fn.get(key) ?? 0) + dt)
    const c = category(f)
    pkg.set(c, (pkg.get(c) ?? 0) + dt)
  }
  const list = (m: Map<string, number>): SelfTime[] => [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, ms]) => ({ name, ms, share: total === 0 ? 0 : ms / total }))
  return { totalMs: total, functions: list(fn), packages: list(pkg) }
}

/** Markdown tables for one profile. */
export function formatSummary (title: string, s: ProfileSummary, top = 15): string {
  const pct = (x: number): string => `${(x * 100).toFixed(1)}%`
  const busy = s.packages.filter(p => p.name !== '(idle)').reduce((n, p) => n + p.ms, 0)
  const lines = [
    `#### ${title}`,
    '',
    `${(s.totalMs / 1000).toFixed(1)} s profiled, ${(busy / 1000).toFixed(1)} s not idle.`,
    '',
    '| self time by package / area | ms | share |',
    '|---|---:|---:|',
    ...s.packages.slice(0, top).map(p => `| ${p.name} | ${p.ms.toFixed(0)} | ${pct(p.share)} |`),
    '',
    '| self time by function | ms | share |',
    '|---|---:|---:|',
    ...s.functions.slice(0, top).map(f => `| \`${f.name.replace(/\|/g, '\\|')}\` | ${f.ms.toFixed(0)} | ${pct(f.share)} |`),
    ''
  ]
  return lines.join('\n')
}

/**
 * Who calls `functionName`: its self time grouped by the chain of (up to `depth`) callers,
 * heaviest first. Answers "which code path makes `_get` hot?".
 */
export async function callersOf (path: string, functionName: string, depth = 6, top = 8): Promise<Array<{ ms: number, chain: string }>> {
  const profile = JSON.parse(await readFile(path, 'utf8')) as CpuProfile & { nodes: Array<ProfileNode & { children?: number[] }> }
  const byId = new Map(profile.nodes.map(n => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const self = new Map<number, number>()
  for (let i = 0; i < profile.samples.length; i++) self.set(profile.samples[i]!, (self.get(profile.samples[i]!) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000)
  const chains = new Map<string, number>()
  for (const n of profile.nodes) {
    if (n.callFrame.functionName !== functionName) continue
    const ms = self.get(n.id) ?? 0
    if (ms === 0) continue
    const chain: string[] = []
    for (let id = parent.get(n.id), k = 0; id != null && k < depth; id = parent.get(id), k++) {
      const f = byId.get(id)!.callFrame
      chain.push(`${f.functionName === '' ? '(anonymous)' : f.functionName} ${shortUrl(f.url)}:${f.lineNumber + 1}`)
    }
    const key = chain.join(' < ')
    chains.set(key, (chains.get(key) ?? 0) + ms)
  }
  return [...chains].sort((a, b) => b[1] - a[1]).slice(0, top).map(([chain, ms]) => ({ ms, chain }))
}
