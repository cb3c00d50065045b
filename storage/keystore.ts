import { randomBytes, scrypt } from 'node:crypto'
import { access, chmod, link, open, readFile, rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import nacl from 'tweetnacl'
import {
  EmptyPassphraseError, KeystoreCorruptError, KeystoreExistsError, KeystoreMissingError,
  PassphraseRequiredError, WrongPassphraseError
} from './errors.js'
import { isObject } from './records.js'
import type { KeyMaterial, Keystore } from './types.js'

/** scrypt cost parameters, recorded in a sealed file so they can be raised later. */
export interface ScryptParams {
  N: number
  r: number
  p: number
}

/** About 100 ms and 32 MiB on a laptop: slows guessing without making unlock annoying. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 15, r: 8, p: 1 }
export const KEYSTORE_VERSION = 1
const SALT_BYTES = 16
/** Params read from a file are bounded, so a doctored file cannot make us allocate gigabytes. */
const MAX_SCRYPT_N = 2 ** 20
const MAX_SCRYPT_R = 32
const MAX_SCRYPT_P = 16

export interface KeystoreInit {
  /** scrypt parameters for newly sealed keystores; default DEFAULT_SCRYPT. */
  scrypt?: ScryptParams
}

/** KeyMaterial with bytes as base64, the form both plain and sealed files carry. */
interface EncodedKeys {
  peerId: string
  identityKey: string
  boxSecretKey: string
  boxPublicKey: string
  displayName?: string
  created: number
}

interface PlainFile {
  version: number
  peerId: string
  sealed: false
  keys: EncodedKeys
}

interface SealedFile {
  version: number
  peerId: string
  sealed: true
  kdf: ScryptParams & { name: 'scrypt', salt: string }
  cipher: 'xsalsa20-poly1305'
  nonce: string
  /** secretbox of the JSON of EncodedKeys */
  box: string
}

type KeystoreFile = PlainFile | SealedFile

/**
 * The keystore at `filePath`: a JSON file (mode 0600) holding one identity's keys, in
 * clear or sealed with a passphrase (scrypt -> 32-byte key -> NaCl secretbox). The PeerId
 * is always in clear so it can be shown without the passphrase.
 *
 * Passphrases are bytes exactly as given. Callers read them from a file and remove one
 * trailing newline (`\n` or `\r\n`) first, nothing else, so `echo secret > file` works.
 *
 * @example
 * const keystore = createKeystore(join(home, 'keystore.json'))
 * await keystore.create(keys, passphrase)
 * const loaded = await keystore.load(passphrase)
 */
export function createKeystore (filePath: string, init: KeystoreInit = {}): Keystore {
  const params = init.scrypt ?? DEFAULT_SCRYPT

  async function readKeystoreFile (): Promise<KeystoreFile> {
    let text: string
    try {
      text = await readFile(filePath, 'utf8')
    } catch (err) {
      if (isErrnoCode(err, 'ENOENT')) throw new KeystoreMissingError(filePath)
      throw err
    }
    return parseKeystoreFile(filePath, text)
  }

  return {
    async exists () {
      try {
        await access(filePath)
        return true
      } catch (err) {
        if (isErrnoCode(err, 'ENOENT')) return false
        throw err
      }
    },

    async create (keys, passphrase) {
      const encoded = encodeKeys(keys)
      let file: KeystoreFile
      if (passphrase === undefined) {
        file = { version: KEYSTORE_VERSION, peerId: keys.peerId, sealed: false, keys: encoded }
      } else {
        if (passphrase.byteLength === 0) throw new EmptyPassphraseError()
        const salt = randomBytes(SALT_BYTES)
        const nonce = randomBytes(nacl.secretbox.nonceLength)
        const key = await deriveKey(passphrase, salt, params)
        const box = nacl.secretbox(Buffer.from(JSON.stringify(encoded), 'utf8'), nonce, key)
        key.fill(0)
        file = {
          version: KEYSTORE_VERSION,
          peerId: keys.peerId,
          sealed: true,
          kdf: { name: 'scrypt', ...params, salt: b64(salt) },
          cipher: 'xsalsa20-poly1305',
          nonce: b64(nonce),
          box: b64(box)
        }
      }
      await writeNewFileAtomically(filePath, JSON.stringify(file, null, 2) + '\n')
    },

    async load (passphrase) {
      const file = await readKeystoreFile()
      // A passphrase given for a plain keystore is simply not needed.
      if (!file.sealed) return decodeKeys(filePath, file.keys, file.peerId)
      if (passphrase === undefined) throw new PassphraseRequiredError(filePath)
      if (passphrase.byteLength === 0) throw new EmptyPassphraseError()
      const key = await deriveKey(passphrase, Buffer.from(file.kdf.salt, 'base64'), file.kdf)
      const opened = nacl.secretbox.open(Buffer.from(file.box, 'base64'), Buffer.from(file.nonce, 'base64'), key)
      key.fill(0)
      if (opened === null) throw new WrongPassphraseError(filePath)
      let inner: unknown
      try {
        inner = JSON.parse(Buffer.from(opened).toString('utf8'))
      } catch (err) {
        throw new KeystoreCorruptError(filePath, 'sealed keys do not parse', { cause: err })
      }
      if (!isEncodedKeys(inner)) throw new KeystoreCorruptError(filePath, 'sealed keys have the wrong shape')
      return decodeKeys(filePath, inner, file.peerId)
    },

    async peerId () {
      return (await readKeystoreFile()).peerId
    }
  }
}

function parseKeystoreFile (filePath: string, text: string): KeystoreFile {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new KeystoreCorruptError(filePath, 'not JSON', { cause: err })
  }
  if (!isObject(value) || typeof value.peerId !== 'string') throw new KeystoreCorruptError(filePath, 'no PeerId')
  if (value.version !== KEYSTORE_VERSION) throw new KeystoreCorruptError(filePath, `unknown version ${String(value.version)}`)
  if (value.sealed === false) {
    if (!isEncodedKeys(value.keys)) throw new KeystoreCorruptError(filePath, 'keys have the wrong shape')
    return value as unknown as PlainFile
  }
  if (value.sealed !== true) throw new KeystoreCorruptError(filePath, 'neither sealed nor plain')
  const kdf = value.kdf
  if (!isObject(kdf) || kdf.name !== 'scrypt' || typeof kdf.salt !== 'string' || !validParams(kdf)) {
    throw new KeystoreCorruptError(filePath, 'unsupported or out-of-range key derivation parameters')
  }
  if (value.cipher !== 'xsalsa20-poly1305' || typeof value.nonce !== 'string' || typeof value.box !== 'string' ||
    Buffer.from(value.nonce, 'base64').byteLength !== nacl.secretbox.nonceLength) {
    throw new KeystoreCorruptError(filePath, 'unsupported cipher or bad nonce')
  }
  return value as unknown as SealedFile
}

function validParams (kdf: Record<string, unknown>): boolean {
  const { N, r, p } = kdf
  return Number.isSafeInteger(N) && Number.isSafeInteger(r) && Number.isSafeInteger(p) &&
    (N as number) >= 2 && (N as number) <= MAX_SCRYPT_N && ((N as number) & ((N as number) - 1)) === 0 &&
    (r as number) >= 1 && (r as number) <= MAX_SCRYPT_R && (p as number) >= 1 && (p as number) <= MAX_SCRYPT_P
}

function isEncodedKeys (value: unknown): value is EncodedKeys {
  return isObject(value) && typeof value.peerId === 'string' && typeof value.identityKey === 'string' &&
    typeof value.boxSecretKey === 'string' && typeof value.boxPublicKey === 'string' && typeof value.created === 'number' &&
    (value.displayName === undefined || typeof value.displayName === 'string')
}

function encodeKeys (keys: KeyMaterial): EncodedKeys {
  const encoded: EncodedKeys = {
    peerId: keys.peerId,
    identityKey: b64(keys.identityKey),
    boxSecretKey: b64(keys.boxSecretKey),
    boxPublicKey: b64(keys.boxPublicKey),
    created: keys.created
  }
  if (keys.displayName !== undefined) encoded.displayName = keys.displayName
  return encoded
}

function decodeKeys (filePath: string, encoded: EncodedKeys, clearPeerId: string): KeyMaterial {
  // The clear PeerId is what gets shown without the passphrase: it must be the sealed one.
  if (encoded.peerId !== clearPeerId) throw new KeystoreCorruptError(filePath, 'the PeerId in clear does not match the keys')
  const keys: KeyMaterial = {
    peerId: encoded.peerId,
    identityKey: bytes(encoded.identityKey),
    boxSecretKey: bytes(encoded.boxSecretKey),
    boxPublicKey: bytes(encoded.boxPublicKey),
    created: encoded.created
  }
  if (keys.boxSecretKey.byteLength !== 32 || keys.boxPublicKey.byteLength !== 32) throw new KeystoreCorruptError(filePath, 'box keys are not 32 bytes')
  if (encoded.displayName !== undefined) keys.displayName = encoded.displayName
  return keys
}

async function deriveKey (passphrase: Uint8Array, salt: Uint8Array, params: ScryptParams): Promise<Uint8Array> {
  // scrypt needs 128 * N * r bytes; Node's default cap (32 MiB) is exactly N=2^15, r=8, so raise it.
  const maxmem = 128 * params.N * params.r * (params.p + 1) + 1024 * 1024
  return await new Promise((resolve, reject) => {
    scrypt(passphrase, salt, nacl.secretbox.keyLength, { N: params.N, r: params.r, p: params.p, maxmem }, (err, key) => {
      if (err !== null) reject(err)
      else resolve(new Uint8Array(key.buffer, key.byteOffset, key.byteLength))
    })
  })
}

/**
 * Write a file that must not already exist, so a crash leaves either no file or the whole
 * file: write a uniquely named temp file (0600), fsync it, hard-link it into place (link,
 * unlike rename, fails if the target exists, so two creators cannot overwrite each other),
 * drop the temp name, fsync the directory.
 */
async function writeNewFileAtomically (filePath: string, contents: string): Promise<void> {
  const tmp = `${filePath}.${randomBytes(6).toString('hex')}.tmp`
  const handle = await open(tmp, 'wx', 0o600)
  try {
    try {
      await handle.chmod(0o600)
      await handle.writeFile(contents, 'utf8')
      await handle.sync()
    } finally {
      await handle.close()
    }
    try {
      await link(tmp, filePath)
    } catch (err) {
      if (isErrnoCode(err, 'EEXIST')) throw new KeystoreExistsError(filePath)
      throw err
    }
  } finally {
    await rm(tmp, { force: true })
  }
  await chmod(filePath, 0o600)
  await fsyncDirectory(dirname(filePath))
}

async function fsyncDirectory (dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

function isErrnoCode (err: unknown, code: string): boolean {
  return err instanceof Error && (err as NodeJS.ErrnoException).code === code
}

const b64 = (data: Uint8Array): string => Buffer.from(data).toString('base64')
const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64'))
