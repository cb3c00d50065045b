import { peerIdFromString } from '@libp2p/peer-id'
import { Receipt } from '../protocol/peerpost.js'
import { ed25519KeyFromPeerIdBytes } from '../identity/peer-id.js'
import { verifyEd25519, withDomain } from './ed25519.js'
import { BadReceiptError } from './errors.js'
import { equalBytes, own } from './hash.js'
import type { Identity } from '../identity/identity.js'

/** Prefix of every receipt signature. */
export const RECEIPT_SIGNING_DOMAIN = new TextEncoder().encode('peerpost/receipt/v1\n')

function receiptSigningBytes (receipt: Receipt): Uint8Array<ArrayBuffer> {
  return withDomain(RECEIPT_SIGNING_DOMAIN, Receipt.encode({ ...receipt, signature: new Uint8Array(0) }))
}

/** One envelope a receipt covers: its id and the sha256 of its encoded bytes. */
export interface ReceiptSubject {
  envelopeId: Uint8Array
  envelopeSha256: Uint8Array
}

/**
 * Sign a receipt saying this identity durably holds the envelope with this id and hash
 * (and, when `earlier` is given, those envelopes too: one signature for a batch).
 * Sign only after the envelopes are stored (synced): the sender stops retrying on them.
 */
export function signReceipt (identity: Identity, options: { envelopeId: Uint8Array, envelopeSha256: Uint8Array, now: number, earlier?: ReceiptSubject[] }): Receipt {
  const receipt: Receipt = {
    envelopeId: own(options.envelopeId),
    envelopeSha256: own(options.envelopeSha256),
    signer: own(identity.peerId.toMultihash().bytes),
    timestamp: BigInt(options.now),
    signature: new Uint8Array(0),
    earlier: (options.earlier ?? []).map(e => ({ envelopeId: own(e.envelopeId), envelopeSha256: own(e.envelopeSha256) }))
  }
  receipt.signature = identity.signer.sign(receiptSigningBytes(receipt))
  return receipt
}

/** Whether two byte arrays (one from the wire, so maybe not bytes at all) are equal. */
const sameBytes = (a: unknown, b: Uint8Array): boolean => a instanceof Uint8Array && equalBytes(a, b)

/**
 * Check that `receipt` is signed by `expectedSigner` (a PeerId string) for exactly this
 * envelope id and sha256 of the envelope bytes, and for exactly the `earlier` envelopes
 * (none when absent), in order. Throws BadReceiptError otherwise.
 */
export function verifyReceipt (receipt: Receipt, expected: { expectedSigner: string, envelopeId: Uint8Array, envelopeSha256: Uint8Array, earlier?: ReceiptSubject[] }): void {
  if (receipt == null || typeof receipt !== 'object') throw new BadReceiptError('there is no receipt')
  let signerBytes: Uint8Array
  try {
    signerBytes = peerIdFromString(expected.expectedSigner).toMultihash().bytes
  } catch {
    throw new BadReceiptError(`the expected signer ${expected.expectedSigner} is not a PeerId`)
  }
  const publicKey = ed25519KeyFromPeerIdBytes(signerBytes)
  if (publicKey === undefined) throw new BadReceiptError(`the expected signer ${expected.expectedSigner} is not an Ed25519 PeerId`)
  if (!sameBytes(receipt.signer, signerBytes)) {
    throw new BadReceiptError(`the receipt is signed by another peer than ${expected.expectedSigner}`)
  }
  if (!sameBytes(receipt.envelopeId, expected.envelopeId)) {
    throw new BadReceiptError('the receipt is for another envelope')
  }
  if (!sameBytes(receipt.envelopeSha256, expected.envelopeSha256)) {
    throw new BadReceiptError('the receipt is for different envelope bytes than were sent')
  }
  const earlier = expected.earlier ?? []
  const got = Array.isArray(receipt.earlier) ? receipt.earlier : []
  if (got.length !== earlier.length || !earlier.every((e, i) => sameBytes(got[i]?.envelopeId, e.envelopeId) && sameBytes(got[i]?.envelopeSha256, e.envelopeSha256))) {
    throw new BadReceiptError(`the receipt covers other envelopes than the ${earlier.length} answered before it`)
  }
  if (!(receipt.signature instanceof Uint8Array) || !verifyEd25519(publicKey, receiptSigningBytes(receipt), receipt.signature)) {
    throw new BadReceiptError(`the receipt's signature does not verify for ${expected.expectedSigner}`)
  }
}
