import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { formatAddress, InvalidAddressError, parseMailbox, peerIdFromAddress } from '../../node/mime/index.js'

const ALICE = '12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA'

describe('peer addresses', () => {
  it('writes a peer as Name <PEERID@peerpost>', () => {
    assert.equal(formatAddress({ name: 'Alice', peerId: ALICE }), `Alice <${ALICE}@peerpost>`)
    assert.equal(formatAddress({ peerId: ALICE }), `${ALICE}@peerpost`)
    assert.equal(formatAddress({ name: 'Smith, Alice "Al"', peerId: ALICE }), `"Smith, Alice \\"Al\\"" <${ALICE}@peerpost>`)
  })

  it('drops line breaks from display names so they cannot forge headers', () => {
    assert.equal(formatAddress({ name: 'Eve\r\nBcc: x@y', peerId: ALICE }), `"Eve Bcc: x@y" <${ALICE}@peerpost>`)
  })

  it('refuses a PeerId that is not base58', () => {
    assert.throws(() => formatAddress({ peerId: 'not/base58' }), InvalidAddressError)
    assert.throws(() => formatAddress({ peerId: '0OIl' }), InvalidAddressError)
  })

  const cases: Array<[string, string | undefined]> = [
    [`Alice <${ALICE}@peerpost>`, ALICE],
    [`${ALICE}@peerpost`, ALICE],
    [`"Smith, Alice" <${ALICE}@PeerPost>`, ALICE],
    ['alice@cache.example.org', undefined],
    [`Alice <${ALICE}@peerpost.example.org>`, undefined],
    ['not an address', undefined],
    [`a@peerpost, ${ALICE}@peerpost`, undefined],
    ['', undefined]
  ]
  for (const [input, expected] of cases) {
    it(`peerIdFromAddress(${JSON.stringify(input)}) is ${String(expected)}`, () => {
      assert.equal(peerIdFromAddress(input), expected)
    })
  }

  it('parses one mailbox and refuses lists', () => {
    assert.deepEqual(parseMailbox('Carol <carol@cache.example.org>'), { name: 'Carol', address: 'carol@cache.example.org' })
    assert.throws(() => parseMailbox('a@b.c, d@e.f'), (err: Error) => err.name === 'InvalidAddressError')
  })
})
