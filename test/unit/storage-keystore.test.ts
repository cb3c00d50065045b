import { strict as assert } from 'node:assert'
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { createKeystore } from '../../storage/index.js'
import type { KeyMaterial } from '../../storage/index.js'

const keys: KeyMaterial = {
  peerId: '12D3KooWAlice',
  identityKey: new Uint8Array(68).fill(7),
  boxSecretKey: new Uint8Array(32).fill(1),
  boxPublicKey: new Uint8Array(32).fill(2),
  displayName: 'Alice',
  created: 1_700_000_000_000
}
const passphrase = new TextEncoder().encode('correct horse battery staple')

describe('keystore', () => {
  let dir: string
  let path: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'peerpost-keystore-'))
    path = join(dir, 'keystore.json')
  })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  it('stores keys in clear and loads them back, with the PeerId readable', async () => {
    const keystore = createKeystore(path)
    assert.equal(await keystore.exists(), false)
    await keystore.create(keys)
    assert.equal(await keystore.exists(), true)
    assert.deepEqual(await keystore.load(), keys)
    assert.equal(await keystore.peerId(), keys.peerId)
  })

  it('seals keys with a passphrase: the secret is not in the file, the PeerId is', async () => {
    const keystore = createKeystore(path)
    await keystore.create(keys, passphrase)
    const text = await readFile(path, 'utf8')
    assert.ok(!text.includes(Buffer.from(keys.boxSecretKey).toString('base64')))
    const file = JSON.parse(text) as { sealed: boolean, kdf: { N: number, r: number, p: number, salt: string } }
    assert.equal(file.sealed, true)
    assert.deepEqual([file.kdf.N, file.kdf.r, file.kdf.p], [2 ** 15, 8, 1])
    assert.equal(await keystore.peerId(), keys.peerId)
    assert.deepEqual(await keystore.load(passphrase), keys)
  })

  it('refuses a wrong passphrase and a missing one, each with its own error', async () => {
    const keystore = createKeystore(path)
    await keystore.create(keys, passphrase)
    await assert.rejects(keystore.load(new TextEncoder().encode('wrong')), { name: 'WrongPassphraseError' })
    await assert.rejects(keystore.load(), { name: 'PassphraseRequiredError' })
  })

  it('writes the file with mode 0600 and leaves no temp file behind', async () => {
    await createKeystore(path).create(keys, passphrase)
    assert.equal((await stat(path)).mode & 0o777, 0o600)
    assert.deepEqual(await readdir(dir), ['keystore.json'])
  })

  it('never overwrites an existing keystore', async () => {
    const keystore = createKeystore(path)
    await keystore.create(keys)
    await assert.rejects(keystore.create({ ...keys, peerId: 'other' }), { name: 'KeystoreExistsError' })
    assert.equal(await keystore.peerId(), keys.peerId)
  })

  it('reports a missing and a damaged file clearly', async () => {
    await assert.rejects(createKeystore(path).load(), { name: 'KeystoreMissingError' })
    await writeFile(path, '{"version":1,"peerId":"x", "sealed": tru')
    await assert.rejects(createKeystore(path).load(), { name: 'KeystoreCorruptError' })
    await writeFile(path, JSON.stringify({ version: 1, peerId: 'x', sealed: true, kdf: { name: 'scrypt', N: 2 ** 30, r: 8, p: 1, salt: 'AA==' }, cipher: 'xsalsa20-poly1305', nonce: '', box: '' }))
    await assert.rejects(createKeystore(path).load(passphrase), { name: 'KeystoreCorruptError' })
  })
})
