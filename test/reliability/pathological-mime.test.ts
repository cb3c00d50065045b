/**
 * Generated pathological messages, first through the parse path in this process (where the
 * worst event-loop lag is measured), then sealed and delivered to a real daemon, which
 * must answer each with a receipt or a typed refusal, stay up, and save the hostile
 * attachment names only inside the folder `read --save-attachments` is given.
 */
import assert from 'node:assert/strict'
import { mkdir, readdir, realpath, rm, stat, symlink } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { after, before, describe, it } from 'node:test'
import { multiaddr } from '@multiformats/multiaddr'
import { lpStream } from '@libp2p/utils'
import { sealEnvelope } from '../../node/crypto/index.js'
import { cardFromText, generateKeyMaterial, identityFromKeyMaterial, makeCard } from '../../node/identity/index.js'
import { parseMessage } from '../../node/mime/index.js'
import { createNetwork } from '../../node/network.js'
import { DELIVER_PROTOCOL } from '../../node/protocol/deliver.js'
import { DeliverRequest, DeliverResponse, ErrorCode } from '../../node/protocol/peerpost.js'
import { cleanup, deadline, makeUser, online, runJson, tempDir } from '../helpers/cli.js'
import { size } from './size.js'
import type { User } from '../helpers/cli.js'
import type { PeerpostLibp2p } from '../../node/network.js'

const MiB = 1024 * 1024
/** The event loop may be blocked at most this long by one message (a stall of seconds fails). */
const MAX_LAG_MS = 3_000
const PARTS = size(10_000, 100_000)
const DEPTH = size(1_000, 10_000)
const LONG_LINE = size(1_000_000, 16 * MiB)

/** Names a sender could give attachments to escape or disguise themselves. */
const HOSTILE_NAMES = [
  '../../.bashrc', '/etc/passwd', '/tmp/../../root/.ssh/authorized_keys', 'C:\\x', 'C:\\Windows\\System32\\evil.dll', 'CON', 'con.txt', 'NUL',
  'a\u0000b.txt', '\u0000', 'evil\u202Etxt.exe', 'x'.repeat(300), 'é'.repeat(300) + '.pdf', '.', '..', '...', ' ', '.hidden', 'a/b/c.txt', '..\\..\\win.ini'
]

let n = 0
const id = (): string => `<path-${++n}-${Date.now()}@test>`
const head = (extra = ''): string => `From: mallory@example\r\nTo: bob@example\r\nSubject: pathological ${n}\r\nMessage-ID: ${id()}\r\nMIME-Version: 1.0\r\n${extra}`

function attachmentsWithNames (names: string[]): string {
  const parts = names.map((name, i) => {
    // Both ways a name travels: RFC 2231 (which keeps NUL and slashes as %-escapes) and plain.
    const encoded = encodeURIComponent(name).replace(/'/g, '%27')
    const disposition = i % 2 === 0 ? `attachment; filename*=utf-8''${encoded}` : `attachment; filename="${name.replace(/["\\]/g, '\\$&')}"`
    return `--B\r\nContent-Type: application/octet-stream\r\nContent-Disposition: ${disposition}\r\nContent-Transfer-Encoding: base64\r\n\r\n${Buffer.from(`file ${i}`).toString('base64')}\r\n`
  })
  return `${head('Content-Type: multipart/mixed; boundary="B"\r\n')}\r\n--B\r\nContent-Type: text/plain\r\n\r\nhostile names\r\n${parts.join('')}--B--\r\n`
}

function manyParts (count: number): string {
  const part = '--B\r\nContent-Type: text/plain\r\n\r\nx\r\n'
  return `${head('Content-Type: multipart/mixed; boundary="B"\r\n')}\r\n${part.repeat(count)}--B--\r\n`
}

function nested (depth: number): string {
  let open = ''
  let close = ''
  for (let i = 0; i < depth; i++) {
    open += `Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n`
    close = `\r\n--b${i}--\r\n` + close
  }
  return `${head()}${open}Content-Type: text/plain\r\n\r\ndeep${close}`
}

/** Each case: the raw message and what must happen to it (a typed refusal, or a parse). */
const CASES: Array<{ name: string, raw: () => string, refused?: string, check?: (m: Awaited<ReturnType<typeof parseMessage>>) => void }> = [
  { name: '2 MiB of header lines', raw: () => `${head()}${`X-Pad: ${'a'.repeat(70)}\r\n`.repeat(Math.ceil(2 * MiB / 80))}\r\nbody\r\n`, refused: 'MimeHeaderTooLargeError' },
  { name: 'one 2 MiB header line', raw: () => `${head()}X-Long: ${'a'.repeat(2 * MiB)}\r\n\r\nbody\r\n`, refused: 'MimeHeaderTooLargeError' },
  { name: `${PARTS} parts`, raw: () => manyParts(PARTS), refused: 'MimeTooManyPartsError' },
  { name: `nesting ${DEPTH} deep`, raw: () => nested(DEPTH), refused: 'MimeNestingTooDeepError' },
  { name: `a ${LONG_LINE}-byte body line without spaces`, raw: () => `${head()}\r\n${'x'.repeat(LONG_LINE)}\r\n`, check: m => { assert.ok(m.text.length >= LONG_LINE) } },
  { name: 'a long base64 line without breaks', raw: () => `${head('Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=a.bin\r\nContent-Transfer-Encoding: base64\r\n')}\r\n${Buffer.alloc(Math.floor(LONG_LINE * 3 / 4), 7).toString('base64')}\r\n`, check: m => { assert.equal(m.attachments[0]?.size, Math.floor(LONG_LINE * 3 / 4)) } },
  { name: 'broken base64 (bad characters, no padding, cut mid-quantum)', raw: () => `${head('Content-Type: application/pdf; name=x.pdf\r\nContent-Transfer-Encoding: base64\r\n')}\r\nJVBERi0x!!!@@@###\r\nAAA\r\n====\r\nQQ\r\n`, check: m => { assert.equal(m.attachments.length, 1) } },
  { name: 'broken quoted-printable (=ZZ, a lone =, soft breaks everywhere)', raw: () => `${head('Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n')}\r\n=ZZ=\r\n=\r\n${'=\r\n'.repeat(10_000)}end=C3=\r\n`, check: m => { assert.match(m.text, /end/) } },
  { name: 'unknown charset and invalid UTF-8 bytes', raw: () => `${head('Content-Type: text/plain; charset=x-no-such-charset-9000\r\nContent-Transfer-Encoding: 8bit\r\n')}\r\nbytes \xff\xfe\xc3\x28 \xe2\x82 end\r\n`, check: m => { assert.match(m.text, /end/) } },
  { name: 'encoded words with a bogus charset and broken base64 in Subject and From', raw: () => `From: =?x-bogus?B?!!!?= <mallory@example>\r\nTo: bob@example\r\nSubject: =?utf-8?B?not*base64?= =?utf-8?Q?=ZZ?= =?utf-7?B?K0FHRUFhUUJ1LQ==?=\r\nMessage-ID: ${id()}\r\n\r\nbody\r\n`, check: m => { assert.equal(typeof m.subject, 'string') } },
  { name: 'charset=utf-7 and UTF-16 bodies', raw: () => `${head('Content-Type: multipart/mixed; boundary="B"\r\n')}\r\n--B\r\nContent-Type: text/plain; charset=utf-7\r\n\r\n+AGEAaQBu-\r\n--B\r\nContent-Type: text/plain; charset=utf-16le\r\nContent-Transfer-Encoding: base64\r\n\r\n${Buffer.from('\ud800 lone surrogate', 'utf16le').toString('base64')}\r\n--B--\r\n`, check: m => { assert.equal(typeof m.text, 'string') } },
  { name: '3 MiB of nested HTML', raw: () => `${head('Content-Type: text/html; charset=utf-8\r\n')}\r\n${'<div>'.repeat(300_000)}x${'</div>'.repeat(300_000)}\r\n`, check: m => { assert.ok(m.html != null) } },
  { name: 'hostile attachment names', raw: () => attachmentsWithNames(HOSTILE_NAMES), check: m => { assert.equal(m.attachments.length, HOSTILE_NAMES.length) } }
]

describe('pathological MIME', () => {
  const lags: Record<string, number> = {}

  after(() => {
    // The figures for docs/reliability.md.
    console.log(JSON.stringify({ worstEventLoopLagMs: lags }))
  })

  for (const c of CASES) {
    it(`parse: ${c.name} is ${c.refused ?? 'read'}, blocking the event loop under ${MAX_LAG_MS} ms`, async () => {
      const raw = new Uint8Array(Buffer.from(c.raw(), 'latin1'))
      const monitor = monitorEventLoopDelay({ resolution: 10 })
      monitor.enable()
      let outcome: Error | Awaited<ReturnType<typeof parseMessage>>
      try {
        outcome = await deadline(parseMessage(raw), 60_000, c.name)
      } catch (err) {
        outcome = err as Error
      } finally {
        monitor.disable()
      }
      const lagMs = Math.round(monitor.max / 1e6)
      lags[c.name] = lagMs
      if (c.refused != null) {
        assert.ok(outcome instanceof Error, `${c.name} was read`)
        assert.equal(outcome.name, c.refused, outcome.message)
      } else {
        assert.ok(!(outcome instanceof Error), `${c.name} was refused: ${(outcome as Error).message}`)
        c.check?.(outcome)
      }
      assert.ok(lagMs < MAX_LAG_MS, `${c.name} blocked the event loop for ${lagMs} ms`)
    })
  }
})

const mallory = identityFromKeyMaterial(await generateKeyMaterial({ displayName: 'mallory', now: Date.now() }))

describe('pathological MIME delivered to a daemon', () => {
  let bob: User
  let raw: PeerpostLibp2p
  let parent: string

  before(async () => {
    bob = await makeUser('bob-mime')
    await online(bob)
    raw = await createNetwork({ privateKey: mallory.privateKey, listen: [] })
    await raw.start()
    parent = await tempDir('mime-save')
  })
  after(async () => {
    await raw?.stop()
    await cleanup([bob])
    if (parent != null) await rm(parent, { recursive: true, force: true })
  })

  async function deliver (mime: string): Promise<DeliverResponse> {
    const bobCard = cardFromText((await runJson(bob.home, ['card'])).card)
    const sealed = sealEnvelope({ sender: mallory, senderCard: makeCard(mallory, { now: Date.now() }), recipient: { peerId: bob.peerId, boxPublicKey: bobCard.boxPublicKey }, mime: new Uint8Array(Buffer.from(mime, 'latin1')), timestamp: Date.now() })
    const stream = await raw.dialProtocol(multiaddr(bob.daemon!.addrs[0]!), DELIVER_PROTOCOL, { signal: AbortSignal.timeout(10_000) })
    const lp = lpStream(stream, { maxDataLength: 64 * 1024 })
    await lp.write(DeliverRequest.encode({ envelope: sealed.bytes }), { signal: AbortSignal.timeout(30_000) })
    const reply = DeliverResponse.decode((await lp.read({ signal: AbortSignal.timeout(60_000) })).subarray())
    await stream.close()
    return reply
  }

  it('answers every case with a receipt or BAD_CONTENT, and keeps running', async () => {
    for (const c of CASES) {
      const reply = await deliver(c.raw())
      if (c.refused != null) assert.equal(reply.error?.code, ErrorCode.BAD_CONTENT, `${c.name}: ${reply.error?.message}`)
      else assert.ok(reply.receipt != null, `${c.name}: ${reply.error?.message}`)
    }
    const status = await deadline(runJson(bob.home, ['status']), 10_000, 'status')
    assert.equal(status.peerId, bob.peerId)
  })

  it('read --save-attachments writes every hostile name inside the chosen folder, never over a planted link', async () => {
    const reply = await deliver(attachmentsWithNames(HOSTILE_NAMES))
    assert.ok(reply.receipt != null)
    const requests = await runJson<any[]>(bob.home, ['list', '--folder', 'requests'])
    const message = requests.find(m => m.attachments.length === HOSTILE_NAMES.length)
    assert.ok(message != null, 'the message from a stranger is in requests')
    const dir = join(parent, 'downloads')
    const outside = join(parent, 'outside-target')
    await mkdir(dir)
    // A link planted where a sanitised name would go must not be followed.
    await symlink(outside, join(dir, '_bashrc'))
    const before = (await readdir(parent)).sort()
    const saved: string[] = []
    for (let i = 0; i < 2; i++) saved.push(...(await runJson(bob.home, ['read', message.id, '--save-attachments', dir])).saved)
    assert.equal(saved.length, 2 * HOSTILE_NAMES.length)
    const real = await realpath(dir)
    for (const p of saved) {
      assert.equal(dirname(await realpath(p)), real, `${p} is inside ${real}`)
      assert.doesNotMatch(p.slice(dir.length + 1), /[/\\\u0000-\u001f\u202a-\u202e]/)
    }
    assert.equal(new Set(saved).size, saved.length, 'nothing was overwritten')
    assert.deepEqual((await readdir(parent)).sort(), before, 'nothing appeared next to the folder')
    await assert.rejects(stat(outside), { code: 'ENOENT' }, 'the planted link was not followed')
  })
})
