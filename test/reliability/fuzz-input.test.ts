/**
 * Hostile input from files and from peers' MIME: the node and cache-server config loaders
 * (any JSON value, and damaged config files read from disk) and the MIME parse path (the
 * fixture messages, mutated). Each returns or throws its typed error, within a deadline.
 * Cases: CI 2,000 per loader / parser; soak (PEERPOST_SOAK=1) 100,000.
 */
import assert from 'node:assert/strict'
import { readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import fc from 'fast-check'
import { loadCacheConfig, parseCacheConfig } from '../../cache-server/config.js'
import { loadNodeConfig, parseNodeConfig } from '../../node/config.js'
import { parseMessage, sanitizeFilename, summarize } from '../../node/mime/index.js'
import { deadline, tempDir } from '../helpers/cli.js'
import { assertTyped, mutated, succeeded } from './fuzz.js'
import { size } from './size.js'

const RUNS = size(2_000, 100_000)
/** Any one message must be parsed or refused within this (a hang shows as a failure, not a stuck run). */
const PARSE_DEADLINE_MS = 10_000

const MIME_ERRORS = ['MimeTooLargeError', 'MimeHeaderTooLargeError', 'MimeTooManyPartsError', 'MimeNestingTooDeepError', 'MalformedMimeError', 'MissingMessageIdError', 'AttachmentReadError']
const FIXTURES = new URL('../../../test/fixtures/eml/', import.meta.url)

const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s))

describe(`fuzzing the config loaders (${RUNS} cases each)`, () => {
  let dir: string | undefined
  after(async () => { if (dir != null) await rm(dir, { recursive: true, force: true }) })

  const loaders = [
    { name: 'node config', parse: parseNodeConfig, load: loadNodeConfig, seed: { listen: ['/ip4/127.0.0.1/tcp/0'], outbox: { retryBaseMs: 10 }, homeServers: ['/ip4/127.0.0.1/tcp/4455/p2p/12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN'], presence: { status: 'away' } } },
    { name: 'cache-server config', parse: parseCacheConfig, load: async (p: string) => loadCacheConfig(p, { required: true }), seed: { listen: ['/ip4/127.0.0.1/tcp/0'], parking: { maxEnvelopeBytes: 1024, perRecipient: { maxBytes: 4096, maxCount: 3 } }, metrics: { address: 'off' } } }
  ]

  for (const { name, parse, load, seed } of loaders) {
    it(`${name}: any JSON value is a config or a ConfigError`, () => {
      const full = JSON.parse(JSON.stringify(parse(seed)))
      fc.assert(fc.property(fc.oneof(fc.jsonValue(), fc.anything(), mutatedObject(full), mutatedObject(seed)), value => {
        try {
          parse(value)
          succeeded(name)
        } catch (e) { assertTyped(e, ['ConfigError'], name) }
      }), { numRuns: RUNS })
    })

    it(`${name}: a damaged file is a config or a ConfigError`, async () => {
      dir ??= await tempDir('fuzz-config')
      const file = join(dir, `${name.replace(/\W/g, '-')}.json`)
      const seeds = [bytes(JSON.stringify(seed)), bytes(JSON.stringify(parse(seed), null, 2))]
      await fc.assert(fc.asyncProperty(fc.oneof(mutated(seeds), fc.string().map(bytes)), async content => {
        await writeFile(file, content)
        try {
          await load(file)
          succeeded(`${name} file`)
        } catch (e) { assertTyped(e, ['ConfigError'], `${name} file`) }
      }), { numRuns: Math.min(RUNS, size(500, 20_000)) })
    })
  }
})

describe(`fuzzing the MIME parse path (${RUNS} cases)`, () => {
  it('a mutated message parses (and its attachment names sanitise to one safe component) or is refused with a typed error, each within a deadline', async () => {
    const names = (await readdir(FIXTURES)).filter(n => n.endsWith('.eml')).sort()
    const seeds = await Promise.all(names.map(async n => new Uint8Array(await readFile(new URL(n, FIXTURES)))))
    assert.ok(seeds.length >= 5, 'the .eml fixtures are there')
    let worstMs = 0
    await fc.assert(fc.asyncProperty(mutated(seeds), async raw => {
      const started = performance.now()
      try {
        const parsed = await deadline(parseMessage(raw, { maxBytes: 1024 * 1024 }), PARSE_DEADLINE_MS, 'a parse')
        summarize(parsed)
        for (const a of parsed.attachments) {
          const safe = sanitizeFilename(a.name)
          assert.ok(safe !== '' && !/[/\\\u0000]/.test(safe) && safe !== '.' && safe !== '..', `unsafe name ${JSON.stringify(safe)}`)
        }
        succeeded('parseMessage')
      } catch (e) {
        assertTyped(e, MIME_ERRORS, 'parseMessage')
      }
      worstMs = Math.max(worstMs, performance.now() - started)
    }), { numRuns: RUNS })
    if (process.env.PEERPOST_FUZZ_REPORT === '1') console.log(JSON.stringify({ mimeWorstParseMs: Math.round(worstMs) }))
  })
})

/** A valid config object with one value replaced, dropped or added somewhere in it. */
function mutatedObject (seed: Record<string, unknown>): fc.Arbitrary<unknown> {
  const paths: string[][] = []
  const walk = (v: unknown, path: string[]): void => {
    paths.push(path)
    if (v != null && typeof v === 'object') for (const [k, c] of Object.entries(v)) walk(c, [...path, k])
  }
  walk(seed, [])
  return fc.tuple(fc.constantFrom(...paths), fc.oneof(fc.jsonValue(), fc.constant(undefined), fc.constantFrom(-1, 0, 1e308, Number.MAX_SAFE_INTEGER + 2, '', '__proto__', 'constructor')), fc.boolean())
    .map(([path, value, addKey]) => {
      const copy = structuredClone(seed) as Record<string, any>
      if (path.length === 0) return addKey ? { ...copy, extra: value } : value
      let at: any = copy
      for (const k of path.slice(0, -1)) at = at[k]
      const last = path[path.length - 1]!
      if (addKey && at[last] != null && typeof at[last] === 'object' && !Array.isArray(at[last])) at[last].extra = value
      else at[last] = value
      return copy
    })
}


