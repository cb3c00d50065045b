/**
 * The senders of the deposit benchmark, in their own process: SENDERS libp2p nodes, each
 * with its own identity (as distinct nodes look to the server), started before the clock
 * runs. Timed: every sender dials the server and deposits its share of COUNT opaque
 * envelopes of BYTES each on one pipelined park stream; each counts only with a receipt
 * signed by the server for exactly those bytes (sent after its synced write).
 *
 *   node depositor.js PEERID ADDR SENDERS COUNT BYTES [START_AT]
 *     -> prints {"start": EPOCH_MS, "end": EPOCH_MS, "ok": N, "failed": N, "errors": {...}}
 * With START_AT (epoch ms) the senders begin then, so several processes start together.
 */
import { generateKeyMaterial, identityFromKeyMaterial } from '../../node/identity/index.js'
import { opaqueEnvelope, rawClient } from '../../test/helpers/cache-server.js'
import type { RawClient } from '../../test/helpers/cache-server.js'

/** Recipients the envelopes are spread over (per-recipient quotas are not what is measured). */
const RECIPIENTS = 10
/**
 * Tries per sender for the deposits that failed (a handshake can time out on a loaded
 * machine; a real sender's outbox retries too). The time of the retries is counted.
 */
const ATTEMPTS = 3
/** Bytes of the sealed envelope around the ciphertext (ids, ephemeral key, nonce, framing). */
const ENVELOPE_OVERHEAD_BYTES = 120

async function main (serverPeerId: string, addr: string, senders: number, count: number, bytes: number, startAt: number): Promise<void> {
  const recipients: string[] = []
  for (let i = 0; i < RECIPIENTS; i++) recipients.push(identityFromKeyMaterial(await generateKeyMaterial({ now: Date.now() })).peerIdString)
  const clients: RawClient[] = []
  for (let i = 0; i < senders; i++) clients.push(await rawClient({ serverPeerId }))
  // Envelopes made before the clock runs: the server's work is what is measured.
  const shares = clients.map((_, s) => Array.from({ length: Math.floor(count / senders) + (s < count % senders ? 1 : 0) },
    (_, i) => opaqueEnvelope(recipients[(s + i) % RECIPIENTS]!, Math.max(1, bytes - ENVELOPE_OVERHEAD_BYTES))))
  let ok = 0
  let failed = 0
  const errors: Record<string, number> = {}
  const wait = startAt - Date.now()
  if (wait > 0) await new Promise(resolve => setTimeout(resolve, wait))
  // Wall clock (not performance.now): compared across processes.
  const start = Date.now()
  let retried = 0
  await Promise.all(clients.map(async (client, s) => {
    let todo = shares[s]!
    for (let attempt = 1; attempt <= ATTEMPTS && todo.length > 0; attempt++) {
      const last = attempt === ATTEMPTS
      if (attempt > 1) retried += todo.length
      let outcomes: Array<{ ok: boolean, error?: Error }>
      try {
        outcomes = await client.park.deliver({ peerId: serverPeerId, addrs: [addr] }, todo)
      } catch (err) {
        outcomes = todo.map(() => ({ ok: false, error: err as Error }))
      }
      const again: typeof todo = []
      outcomes.forEach((o, i) => {
        if (o.ok) { ok++; return }
        if (!last) { again.push(todo[i]!); return }
        failed++
        const m = o.error?.message ?? 'failed'
        errors[m] = (errors[m] ?? 0) + 1
      })
      todo = again
    }
  }))
  const end = Date.now()
  process.stdout.write(JSON.stringify({ start, end, ok, failed, retried, errors }) + '\n')
  // Bounded: a node that does not stop in time must not keep the run waiting.
  await Promise.race([Promise.all(clients.map(async c => { await c.stop() })), new Promise(resolve => setTimeout(resolve, 10_000).unref())])
}

const [peerId, addr, senders, count, bytes, startAt] = process.argv.slice(2)
if (peerId == null || addr == null) {
  process.stderr.write('usage: depositor.js PEERID ADDR SENDERS COUNT BYTES\n')
  process.exitCode = 2
} else {
  await main(peerId, addr, Number(senders), Number(count), Number(bytes), Number(startAt ?? 0))
}
