/**
 * A large attachment between two processes, measuring each side's peak RSS: the holder
 * streams the attachment into its store and serves it, the puller pulls it to disk. Both
 * must stay flat whatever the size. 100 MiB in `npm test`; PEERPOST_SOAK=1 runs 1 GiB,
 * PEERPOST_BLOB_SOAK_MIB=N any size. This one file is also the two child programs
 * (PEERPOST_BLOB_ROLE=holder|puller), so the test needs nothing outside itself.
 */
import { strict as assert } from 'node:assert'
import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { describe, it } from 'node:test'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { logger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { DAEMON_HEAP_FLAGS } from '../../cli/daemon-heap.js'
import { createNetwork } from '../../node/network.js'
import { BLOB_MAX_INBOUND_STREAMS, BLOB_PROTOCOL, blobHandler, pullBlob } from '../../node/protocol/blob.js'
import { createBlobDownloads, createBlobStore, DEFAULT_SYNC_EVERY_BYTES, openDatabase } from '../../storage/index.js'
import type { ChildProcess } from 'node:child_process'

const MiB = 1024 * 1024
const SOAK_MIB = Number(process.env.PEERPOST_BLOB_SOAK_MIB ?? (process.env.PEERPOST_SOAK === '1' ? 1024 : 100))
/** Peak RSS either side may reach, whatever the attachment size (node + libp2p alone take about 100 MiB). */
const RSS_BOUND_MIB = 200
const HOUR = 3_600_000
const ROLE = process.env.PEERPOST_BLOB_ROLE
const IN_FLIGHT = 4
/** Chunks written between two fsyncs: a crash loses at most these (they are pulled again). */
const SYNC_CHUNKS = DEFAULT_SYNC_EVERY_BYTES / MiB

const peakRssMiB = (): number => process.resourceUsage().maxRSS / 1024
const say = (value: unknown): void => { process.stdout.write(JSON.stringify(value) + '\n') }
const env = (name: string): string => {
  const value = process.env[name]
  if (value === undefined) throw new Error(`${name} is not set`)
  return value
}

async function * randomStream (size: number, piece = MiB): AsyncGenerator<Uint8Array> {
  for (let done = 0; done < size; done += piece) yield randomBytes(Math.min(piece, size - done))
}

/** Child: put a random attachment of BLOB_SIZE bytes for BLOB_RECIPIENT, serve it until stdin closes. */
async function holder (): Promise<void> {
  const home = env('BLOB_HOME')
  const db = await openDatabase(join(home, 'db'))
  const blobs = createBlobStore(db, { dir: join(home, 'blobs') })
  const started = performance.now()
  const record = await blobs.put(randomStream(Number(env('BLOB_SIZE'))), { recipients: [env('BLOB_RECIPIENT')], retentionMs: HOUR })
  const putMs = performance.now() - started
  const node = await createNetwork({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'] })
  await node.start()
  const served = new Map<number, number>()
  const onChunkServed = (_blobId: string, index: number): void => { served.set(index, (served.get(index) ?? 0) + 1) }
  await node.handle(BLOB_PROTOCOL, blobHandler(blobs, { log: logger('peerpost:soak:holder'), onChunkServed }), { maxInboundStreams: BLOB_MAX_INBOUND_STREAMS })
  say({
    target: { peerId: node.peerId.toString(), addrs: node.getMultiaddrs().map(String) },
    ref: { blobId: record.blobId, size: record.size, chunkSize: record.chunkSize, sha256: Buffer.from(record.sha256).toString('hex'), key: Buffer.from(record.key).toString('hex'), cipher: record.cipher },
    putMs
  })
  for await (const _line of createInterface({ input: process.stdin })) { /* wait for the parent to close stdin */ }
  say({ peakRssMiB: peakRssMiB(), servedTwice: [...served.values()].filter(n => n > 1).length, servedOnce: [...served.values()].filter(n => n >= 1).length })
  await node.stop()
  await db.close()
}

/** Child: pull BLOB_REF from BLOB_TARGET as the identity BLOB_KEY, then report. */
async function puller (): Promise<void> {
  const home = env('BLOB_HOME')
  const ref = JSON.parse(env('BLOB_REF'))
  const db = await openDatabase(join(home, 'db'))
  const downloads = createBlobDownloads(db, { dir: join(home, 'blobs') })
  const node = await createNetwork({ privateKey: privateKeyFromProtobuf(Buffer.from(env('BLOB_KEY'), 'base64')), listen: [] })
  await node.start()
  const download = await downloads.open({ ...ref, sha256: Buffer.from(ref.sha256, 'hex'), key: Buffer.from(ref.key, 'hex') })
  const started = performance.now()
  assert.equal(download.record.state, 'pending')
  say({ resumedAt: download.record.nextChunk })
  // With BLOB_REPORT_PROGRESS the parent watches progress (and may kill -9 this process part way).
  const onProgress = process.env.BLOB_REPORT_PROGRESS === '1' ? (bytes: number) => { say({ progress: bytes }) } : undefined
  const record = await pullBlob(node, JSON.parse(env('BLOB_TARGET')), download, { inFlight: IN_FLIGHT, onProgress })
  const pullMs = performance.now() - started
  const hash = createHash('sha256')
  for await (const piece of createReadStream(downloads.receivedPath(record.blobId))) hash.update(piece as Buffer)
  say({ state: record.state, sha256: hash.digest('hex'), pullMs, peakRssMiB: peakRssMiB() })
  await node.stop()
  await db.close()
}

function child (role: 'holder' | 'puller', vars: Record<string, string>): { proc: ChildProcess, lines: AsyncIterator<string> } {
  // The daemon's heap flags: its peak RSS is what is bounded, and it runs with them.
  const proc = spawn(process.execPath, [...DAEMON_HEAP_FLAGS, fileURLToPath(import.meta.url)], {
    env: { ...process.env, ...vars, PEERPOST_BLOB_ROLE: role },
    stdio: ['pipe', 'pipe', 'inherit']
  })
  return { proc, lines: createInterface({ input: proc.stdout! })[Symbol.asyncIterator]() }
}

async function nextJson (lines: AsyncIterator<string>): Promise<any> {
  const { value, done } = await lines.next()
  if (done === true) throw new Error('the child exited without reporting')
  return JSON.parse(value)
}

if (ROLE === 'holder') {
  await holder()
} else if (ROLE === 'puller') {
  await puller()
} else {
  describe('a large attachment between two processes', () => {
    it(`${SOAK_MIB} MiB: the copy matches and both sides' peak RSS stays under ${RSS_BOUND_MIB} MiB`, async t => {
      const root = await mkdtemp(join(tmpdir(), 'peerpost-blob-soak-'))
      const pullerKey = await generateKeyPair('Ed25519')
      const holding = child('holder', { BLOB_HOME: join(root, 'alice'), BLOB_SIZE: String(SOAK_MIB * MiB), BLOB_RECIPIENT: peerIdFromPrivateKey(pullerKey).toString() })
      try {
        const ready = await nextJson(holding.lines)
        const pulling = child('puller', {
          BLOB_HOME: join(root, 'bob'),
          BLOB_KEY: Buffer.from(privateKeyToProtobuf(pullerKey)).toString('base64'),
          BLOB_TARGET: JSON.stringify(ready.target),
          BLOB_REF: JSON.stringify(ready.ref)
        })
        assert.equal((await nextJson(pulling.lines)).resumedAt, 0)
        const pulled = await nextJson(pulling.lines)
        holding.proc.stdin!.end()
        const held = await nextJson(holding.lines)
        t.diagnostic(`put ${SOAK_MIB} MiB in ${Math.round(ready.putMs)} ms (${Math.round(SOAK_MIB * 1000 / ready.putMs)} MiB/s); ` +
          `pull in ${Math.round(pulled.pullMs)} ms (${Math.round(SOAK_MIB * 1000 / pulled.pullMs)} MiB/s); ` +
          `peak RSS holder ${Math.round(held.peakRssMiB)} MiB, puller ${Math.round(pulled.peakRssMiB)} MiB`)
        assert.equal(pulled.state, 'complete')
        assert.equal(pulled.sha256, ready.ref.sha256)
        assert.ok(held.peakRssMiB < RSS_BOUND_MIB, `holder peak RSS ${held.peakRssMiB} MiB`)
        assert.ok(pulled.peakRssMiB < RSS_BOUND_MIB, `puller peak RSS ${pulled.peakRssMiB} MiB`)
      } finally {
        holding.proc.kill()
        await rm(root, { recursive: true, force: true })
      }
    })

    it('kill -9 of the puller half way: the restarted pull resumes, and only the chunks since the last fsync and those in flight are served twice', async t => {
      const size = 40 * MiB
      const root = await mkdtemp(join(tmpdir(), 'peerpost-blob-kill-'))
      const pullerKey = await generateKeyPair('Ed25519')
      const holding = child('holder', { BLOB_HOME: join(root, 'alice'), BLOB_SIZE: String(size), BLOB_RECIPIENT: peerIdFromPrivateKey(pullerKey).toString() })
      try {
        const ready = await nextJson(holding.lines)
        const pullerEnv = {
          BLOB_HOME: join(root, 'bob'),
          BLOB_KEY: Buffer.from(privateKeyToProtobuf(pullerKey)).toString('base64'),
          BLOB_TARGET: JSON.stringify(ready.target),
          BLOB_REF: JSON.stringify(ready.ref),
          BLOB_REPORT_PROGRESS: '1'
        }
        const first = child('puller', pullerEnv)
        assert.equal((await nextJson(first.lines)).resumedAt, 0)
        const exited = new Promise(resolve => first.proc.once('exit', resolve))
        while ((await nextJson(first.lines)).progress < size / 2) { /* wait for half */ }
        first.proc.kill('SIGKILL')
        await exited

        const second = child('puller', pullerEnv)
        const { resumedAt } = await nextJson(second.lines)
        assert.ok(resumedAt >= 20 - SYNC_CHUNKS, `resumed at chunk ${resumedAt}`)
        let report
        do report = await nextJson(second.lines); while (report.progress !== undefined)
        assert.equal(report.state, 'complete')
        assert.equal(report.sha256, ready.ref.sha256)
        holding.proc.stdin!.end()
        const held = await nextJson(holding.lines)
        t.diagnostic(`killed, resumed at chunk ${resumedAt} of 40; ${held.servedTwice} chunks served twice (in flight: ${IN_FLIGHT}, fsync every ${SYNC_CHUNKS} chunks)`)
        assert.equal(held.servedOnce, 40)
        // Written since the last fsync, requested ahead (IN_FLIGHT), and the one being written when the process died.
        assert.ok(held.servedTwice <= SYNC_CHUNKS + IN_FLIGHT + 1, `${held.servedTwice} chunks served twice`)
      } finally {
        holding.proc.kill()
        await rm(root, { recursive: true, force: true })
      }
    })
  })
}
