/**
 * A bare sender for the reliability tests: hands envelopes to a daemon over
 * /peerpost/deliver/1.0.0 from a raw libp2p client, checking each receipt is signed by
 * the target for exactly the bytes it covers (and telling `onReceipt`, as it arrives).
 */
import { defaultLogger } from '@libp2p/logger'
import { DeliverProtocol, verifyCoveringReceipt } from '../../node/protocol/deliver.js'
import type { RawClient } from '../helpers/cache-server.js'
import type { DeliverOutcome, OutgoingEnvelope } from '../../node/protocol/deliver.js'

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
