import { strict as assert } from 'node:assert'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { blobRefOf, coRecipientsOf } from '../../node/attachments.js'
import type { BlobRecord } from '../../storage/blob-types.js'

const newPeerId = async (): Promise<string> => peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()

function record (recipients: string[]): BlobRecord {
  return { blobId: randomBytes(16).toString('hex'), size: 5, chunkSize: 1024, chunkCount: 1, sha256: randomBytes(32), key: randomBytes(32), cipher: 1, recipients, completed: [], createdAt: 0, expiresAt: 1 }
}

describe('blob references', () => {
  it('list every recipient when there are several, so one who pulled can serve the others', async () => {
    const [me, bob, carol] = [await newPeerId(), await newPeerId(), await newPeerId()]
    const ref = blobRefOf(record([bob, carol]), { name: 'a.bin', type: 'application/octet-stream' }, me)
    assert.deepEqual(coRecipientsOf(ref, bob), [carol])
    assert.deepEqual(coRecipientsOf(ref, carol), [bob])
  })

  it('list nobody for a single recipient: the field nodes before it fail on is left out', async () => {
    const [me, bob] = [await newPeerId(), await newPeerId()]
    const ref = blobRefOf(record([bob]), { name: 'a.bin', type: 'application/octet-stream' }, me)
    assert.deepEqual(ref.recipients, [])
    assert.deepEqual(coRecipientsOf(ref, bob), [])
  })
})
