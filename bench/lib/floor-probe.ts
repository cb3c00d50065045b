/**
 * The work peerpost's format and durability rules require, measured alone in one process
 * with the daemon's V8 flags: what no implementation of the design could skip, whatever
 * else it did better. bench/floors.ts adds the transport (measured in the same run) and
 * turns these into the best figure each issue-8 target could reach.
 *
 *   node floor-probe.js DIR   -> prints one JSON object (see ProbeResult), uses DIR for files
 *
 * Per message: sealing and opening a 4 KiB message with the project's own functions (the
 * stamp is left out: contacts need none), and one durable LevelDB write of its bytes
 * (the recipient's mailbox; the sender's outbox writes as much). Per MiB of a large
 * attachment: opening the sealed chunk (AES-256-GCM, in the 64 KiB pieces it arrives in),
 * the whole file's sha256, writing it with O_DIRECT and an fdatasync every 8 MiB (as the
 * puller does), and reading it back in sealed chunks (as the holder does).
 */
import { createHash, createSecretKey, randomBytes } from 'node:crypto'
import { open } from 'node:fs/promises'
import { join } from 'node:path'
import { Uint8ArrayList } from 'uint8arraylist'
import { openEnvelope, sealEnvelope } from '../../node/crypto/envelope.js'
import { generateKeyMaterial, identityFromKeyMaterial, makeCard } from '../../node/identity/index.js'
import { BLOB_CIPHER_AES_256_GCM, BLOB_TAG_BYTES, DEFAULT_CHUNK_SIZE, openChunkParts, SEAL_PIECE_BYTES, sealChunk } from '../../storage/blob-crypto.js'
import { openDatabase } from '../../storage/database.js'
import { openFileAppender } from '../../storage/file-appender.js'
import { textOfSize } from './peerpost.js'
import { median } from './stats.js'

export interface ProbeResult {
  /** CPU µs per 4 KiB message (user + system of this process), median of rounds. */
  sealCpuUs: number
  openCpuUs: number
  /** CPU µs per message for its durable write, writes grouped as the daemons group them. */
  storeCpuUs: number
  /** Wall time of one synced 4 KiB write on its own (what a single message waits), median, ms. */
  syncWriteMs: number
  /** Wall time of one seal and one open on their own, medians, ms. */
  sealMs: number
  openMs: number
  /** CPU ms per MiB of a large attachment, for each step. */
  chunkOpenCpuMsPerMiB: number
  sha256CpuMsPerMiB: number
  directWriteCpuMsPerMiB: number
  readCpuMsPerMiB: number
}

const MESSAGE_BYTES = 4096
const MESSAGES = 2000
const ROUNDS = 3
const SINGLE_SAMPLES = 200
const GROUP = 32
const ATTACHMENT_MIB = 256
const SYNC_EVERY_MIB = 8

function cpuUs (from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from)
  return d.user + d.system
}

/** CPU µs per call of `fn` over `count` calls, median of ROUNDS. */
async function cpuPer (count: number, fn: (i: number) => unknown | Promise<unknown>): Promise<number> {
  const rounds: number[] = []
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.cpuUsage()
    for (let i = 0; i < count; i++) await fn(i)
    rounds.push(cpuUs(start) / count)
  }
  return median(rounds)
}

async function messageCosts (dir: string): Promise<Pick<ProbeResult, 'sealCpuUs' | 'openCpuUs' | 'storeCpuUs' | 'syncWriteMs' | 'sealMs' | 'openMs'>> {
  const now = Date.now()
  const alice = identityFromKeyMaterial(await generateKeyMaterial({ displayName: 'alice', now }))
  const bob = identityFromKeyMaterial(await generateKeyMaterial({ displayName: 'bob', now }))
  const aliceCard = makeCard(alice, { addrs: ['/ip4/127.0.0.1/tcp/4001'], now })
  const mime = new TextEncoder().encode(textOfSize(MESSAGE_BYTES))
  const recipient = { peerId: bob.peerId.toString(), boxPublicKey: bob.boxPublicKey }
  const seal = (): Uint8Array => sealEnvelope({ sender: alice, senderCard: aliceCard, recipient, mime, timestamp: Date.now(), stampBits: 0 }).bytes
  const sealed = Array.from({ length: MESSAGES }, seal)

  const sealCpuUs = await cpuPer(MESSAGES, seal)
  const openCpuUs = await cpuPer(MESSAGES, i => openEnvelope(sealed[i]!, bob))
  const wall = (fn: () => unknown): number => { const t = performance.now(); fn(); return performance.now() - t }
  const sealMs = median(Array.from({ length: SINGLE_SAMPLES }, () => wall(seal)))
  const openMs = median(Array.from({ length: SINGLE_SAMPLES }, (_, i) => wall(() => openEnvelope(sealed[i]!, bob))))

  const db = await openDatabase(join(dir, 'db'))
  try {
    const put = async (key: string, value: Uint8Array): Promise<void> => { await db.commit([{ type: 'put', sublevel: db.sublevels.mailbox.raw, key, value }]) }
    // Grouped: GROUP writes in flight, which the database's group commit syncs together.
    const storeCpuUs = await cpuPer(MESSAGES / GROUP, async g => {
      await Promise.all(Array.from({ length: GROUP }, async (_, i) => { await put(`g${g}-${i}-${Math.random()}`, sealed[(g * GROUP + i) % MESSAGES]!) }))
    }) / GROUP
    const singles: number[] = []
    for (let i = 0; i < SINGLE_SAMPLES; i++) {
      const t = performance.now()
      await put(`s${i}`, sealed[i]!)
      singles.push(performance.now() - t)
    }
    return { sealCpuUs, openCpuUs, storeCpuUs, syncWriteMs: median(singles), sealMs, openMs }
  } finally {
    await db.close()
  }
}

async function attachmentCosts (dir: string): Promise<Pick<ProbeResult, 'chunkOpenCpuMsPerMiB' | 'sha256CpuMsPerMiB' | 'directWriteCpuMsPerMiB' | 'readCpuMsPerMiB'>> {
  const key = randomBytes(32)
  const keyObject = createSecretKey(key)
  const blobId = randomBytes(16)
  const plain = randomBytes(DEFAULT_CHUNK_SIZE)
  // A few distinct sealed chunks, each as the Noise frames it would arrive in (64 KiB pieces).
  const chunks = Array.from({ length: 4 }, (_, index) => {
    const list = new Uint8ArrayList()
    for (const piece of sealChunk(BLOB_CIPHER_AES_256_GCM, key, blobId, index, plain)) {
      for (let o = 0; o < piece.byteLength; o += SEAL_PIECE_BYTES) list.append(piece.subarray(o, o + SEAL_PIECE_BYTES))
    }
    return list
  })
  const perMiB = (us: number): number => us / 1000
  const chunkOpenCpuMsPerMiB = perMiB(await cpuPer(ATTACHMENT_MIB, i => openChunkParts(BLOB_CIPHER_AES_256_GCM, keyObject, blobId, i % 4, chunks[i % 4]!)))
  const sha256CpuMsPerMiB = perMiB(await cpuPer(1, () => {
    const hash = createHash('sha256')
    for (let i = 0; i < ATTACHMENT_MIB; i++) hash.update(plain)
    return hash.digest()
  }) / ATTACHMENT_MIB)

  const file = join(dir, 'attachment.bin')
  const writeRounds: number[] = []
  for (let r = 0; r < ROUNDS; r++) {
    const appender = await openFileAppender(file)
    const start = process.cpuUsage()
    for (let i = 0; i < ATTACHMENT_MIB; i++) {
      await appender.append(plain)
      if ((i + 1) % SYNC_EVERY_MIB === 0) await appender.sync()
    }
    await appender.sync()
    await appender.close()
    writeRounds.push(cpuUs(start) / ATTACHMENT_MIB)
  }
  // The holder reads sealed chunks (1 MiB + tag) at their offsets; this file stands in for its store.
  const readRounds: number[] = []
  const sealedChunk = DEFAULT_CHUNK_SIZE + BLOB_TAG_BYTES
  const out = Buffer.allocUnsafe(sealedChunk)
  for (let r = 0; r < ROUNDS; r++) {
    const handle = await open(file, 'r')
    const start = process.cpuUsage()
    for (let i = 0; i < ATTACHMENT_MIB - 1; i++) await handle.read(out, 0, sealedChunk, i * DEFAULT_CHUNK_SIZE)
    readRounds.push(cpuUs(start) / (ATTACHMENT_MIB - 1))
    await handle.close()
  }
  return { chunkOpenCpuMsPerMiB, sha256CpuMsPerMiB, directWriteCpuMsPerMiB: perMiB(median(writeRounds)), readCpuMsPerMiB: perMiB(median(readRounds)) }
}

const dir = process.argv[2]
if (dir == null) {
  process.stderr.write('usage: floor-probe.js DIR\n')
  process.exitCode = 2
} else {
  const result: ProbeResult = { ...await messageCosts(dir), ...await attachmentCosts(dir) }
  process.stdout.write(JSON.stringify(result) + '\n')
}
