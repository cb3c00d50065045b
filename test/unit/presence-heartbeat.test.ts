import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { generateKeyMaterial, identityFromKeyMaterial, peerIdBytesFromString } from '../../node/identity/index.js'
import { heartbeatSignedBy, PresenceStatus, signHeartbeat, verifyHeartbeat } from '../../node/protocol/presence.js'

describe('heartbeat signatures', () => {
  it('heartbeatSignedBy: true only for the named peer\'s own, untouched heartbeat; it agrees with verifyHeartbeat', async () => {
    const bob = identityFromKeyMaterial(await generateKeyMaterial({ now: Date.now() }))
    const mallory = identityFromKeyMaterial(await generateKeyMaterial({ now: Date.now() }))
    const bobBytes = peerIdBytesFromString(bob.peerIdString)
    const hb = signHeartbeat(bob, ['/ip4/127.0.0.1/tcp/4001'], PresenceStatus.AVAILABLE, Date.now())
    assert.equal(heartbeatSignedBy(hb, bobBytes), true)
    assert.equal(verifyHeartbeat(hb), bob.peerIdString)

    assert.equal(heartbeatSignedBy(hb, peerIdBytesFromString(mallory.peerIdString)), false, 'on another peer\'s connection')
    const forged = { ...signHeartbeat(mallory, [], PresenceStatus.AVAILABLE, Date.now()), peerId: bobBytes }
    assert.equal(heartbeatSignedBy(forged, bobBytes), false, 'names bob, signed by mallory')
    assert.equal(verifyHeartbeat(forged), undefined)
    const moved = { ...hb, addrs: ['/ip4/203.0.113.9/tcp/4001'] }
    assert.equal(heartbeatSignedBy(moved, bobBytes), false, 'addresses changed after signing')
    assert.equal(heartbeatSignedBy({ ...hb, peerId: bobBytes.subarray(1) }, bobBytes.subarray(1)), false, 'not an Ed25519 PeerId')
  })
})
