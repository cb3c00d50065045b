/**
 * A bare sender for the reliability tests: hands envelopes to a daemon over
 * /peerpost/deliver/1.0.0 from a raw libp2p client, checking each receipt is signed by
 * the target for exactly the bytes it covers (and telling `onReceipt`, as it arrives).
 */
import { defaultLogger } from '@libp2p/logger'
import { sealEnvelope } from '../../node/crypto/index.js'
import { cardFromText } from '../../node/identity/index.js'
import { DeliverProtocol, verifyCoveringReceipt } from '../../node/protocol/deliver.js'
import { rawClient } from '../helpers/cache-server.js'
import { runJson } from '../helpers/cli.js'
import type { RawClient } from '../helpers/cache-server.js'
import type { User } from '../helpers/cli.js'
import type { Identity } from '../../node/identity/index.js'
import type { DeliverOutcome, OutgoingEnvelope } from '../../node/protocol/deliver.js'
import type { IdentityCard } from '../../node/protocol/peerpost.js'

export function deliverer (client: RawClient, onReceipt?: (envelopeId: Uint8Array) => void): (target: { peerId: string, addrs: string[] }, envelopes: OutgoingEnvelope[]) => Promise<DeliverOutcome[]> {
  const deliver = new DeliverProtocol({
    libp2p: client.libp2p,
    log: defaultLogger().forComponent('test:deliver'),
    verifyReceipt: (receipt, signer, covered) => {
      verifyCoveringReceipt(receipt, signer, covered)
      for (const e of covered) onReceipt?.(e.envelopeId)
    }
  }, { maxEnvelopeBytes: 64 * 1024 * 1024 })
  return async (target, envelopes) => deliver.deliver(target, envelopes)
}

/** The wire code of a refusal, or 'receipt'. */
export function outcomeCode (o: DeliverOutcome | undefined): string {
  if (o == null) return 'none'
  return o.ok ? 'receipt' : String((o.error as { code?: string }).code ?? o.error.message)
}

/**
 * A message "from" `fromPeerId` carrying `card` (a changed card, real or forged), signed by
 * `signer`, sealed to `to`'s current key and handed to its daemon from a raw client (kept in
 * `clients`, for the test to stop). Resolves to the answer's wire code.
 */
export async function deliverCarrying (to: User, signer: Identity, card: IdentityCard, fromPeerId: string, subject: string, clients: RawClient[]): Promise<string> {
  const box = cardFromText((await runJson(to.home, ['card'])).card).boxPublicKey
  const mime = new TextEncoder().encode(`From: ${fromPeerId}@peerpost\r\nSubject: ${subject}\r\nMessage-ID: <${subject}@${fromPeerId}>\r\n\r\nhello\r\n`)
  const sealed = sealEnvelope({ sender: signer, senderCard: card, recipient: { peerId: to.peerId, boxPublicKey: box }, mime, timestamp: Date.now() })
  const c = await rawClient()
  clients.push(c)
  const [o] = await deliverer(c)({ peerId: to.peerId, addrs: to.daemon!.addrs }, [{ envelopeId: sealed.envelopeId, bytes: sealed.bytes }])
  return outcomeCode(o)
}
