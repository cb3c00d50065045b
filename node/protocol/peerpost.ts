import { decodeMessage, encodeMessage, enumeration, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface IdentityCard {
  peerId: Uint8Array<ArrayBuffer>
  boxPublicKey: Uint8Array<ArrayBuffer>
  displayName: string
  homeServers: string[]
  created: bigint
  addrs: string[]
  signature: Uint8Array<ArrayBuffer>
}

export namespace IdentityCard {
  let _codec: Codec<IdentityCard>

  export const codec = (): Codec<IdentityCard> => {
    if (_codec == null) {
      _codec = message<IdentityCard>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.peerId != null && obj.peerId.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.peerId)
        }

        if ((obj.boxPublicKey != null && obj.boxPublicKey.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.boxPublicKey)
        }

        if ((obj.displayName != null && obj.displayName !== '')) {
          w.uint32(26)
          w.string(obj.displayName)
        }

        if (obj.homeServers != null && obj.homeServers.length > 0) {
          for (const value of obj.homeServers) {
            w.uint32(34)
            w.string(value)
          }
        }

        if ((obj.created != null && obj.created !== 0n)) {
          w.uint32(40)
          w.uint64(obj.created)
        }

        if (obj.addrs != null && obj.addrs.length > 0) {
          for (const value of obj.addrs) {
            w.uint32(50)
            w.string(value)
          }
        }

        if ((obj.signature != null && obj.signature.byteLength > 0)) {
          w.uint32(58)
          w.bytes(obj.signature)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          peerId: uint8ArrayAlloc(0),
          boxPublicKey: uint8ArrayAlloc(0),
          displayName: '',
          homeServers: [],
          created: 0n,
          addrs: [],
          signature: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.peerId = reader.bytes()
              break
            }
            case 2: {
              obj.boxPublicKey = reader.bytes()
              break
            }
            case 3: {
              obj.displayName = reader.string()
              break
            }
            case 4: {
              if (opts.limits?.homeServers != null && obj.homeServers.length === opts.limits.homeServers) {
                throw new MaxLengthError('Decode error - repeated field "homeServers" had too many elements')
              }

              obj.homeServers.push(reader.string())
              break
            }
            case 5: {
              obj.created = reader.uint64()
              break
            }
            case 6: {
              if (opts.limits?.addrs != null && obj.addrs.length === opts.limits.addrs) {
                throw new MaxLengthError('Decode error - repeated field "addrs" had too many elements')
              }

              obj.addrs.push(reader.string())
              break
            }
            case 7: {
              obj.signature = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          homeServers: 0,
          addrs: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.peerId`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.boxPublicKey`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.displayName`,
                value: reader.string()
              }
              break
            }
            case 4: {
              if (opts.limits?.homeServers != null && obj.homeServers === opts.limits.homeServers) {
                throw new MaxLengthError('Streaming decode error - repeated field "homeServers" had too many elements')
              }

              yield {
                field: `${prefix}.homeServers[]`,
                index: obj.homeServers,
                value: reader.string()
              }

              obj.homeServers++

              break
            }
            case 5: {
              yield {
                field: `${prefix}.created`,
                value: reader.uint64()
              }
              break
            }
            case 6: {
              if (opts.limits?.addrs != null && obj.addrs === opts.limits.addrs) {
                throw new MaxLengthError('Streaming decode error - repeated field "addrs" had too many elements')
              }

              yield {
                field: `${prefix}.addrs[]`,
                index: obj.addrs,
                value: reader.string()
              }

              obj.addrs++

              break
            }
            case 7: {
              yield {
                field: `${prefix}.signature`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface IdentityCardPeerIdFieldEvent {
    field: '$.peerId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface IdentityCardBoxPublicKeyFieldEvent {
    field: '$.boxPublicKey'
    value: Uint8Array<ArrayBuffer>
  }

  export interface IdentityCardDisplayNameFieldEvent {
    field: '$.displayName'
    value: string
  }

  export interface IdentityCardHomeServersFieldEvent {
    field: '$.homeServers[]'
    index: number
    value: string
  }

  export interface IdentityCardCreatedFieldEvent {
    field: '$.created'
    value: bigint
  }

  export interface IdentityCardAddrsFieldEvent {
    field: '$.addrs[]'
    index: number
    value: string
  }

  export interface IdentityCardSignatureFieldEvent {
    field: '$.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<IdentityCard>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, IdentityCard.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<IdentityCard>): IdentityCard {
    return decodeMessage(buf, IdentityCard.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<IdentityCard>): Generator<IdentityCardPeerIdFieldEvent | IdentityCardBoxPublicKeyFieldEvent | IdentityCardDisplayNameFieldEvent | IdentityCardHomeServersFieldEvent | IdentityCardCreatedFieldEvent | IdentityCardAddrsFieldEvent | IdentityCardSignatureFieldEvent> {
    return streamMessage(buf, IdentityCard.codec(), opts)
  }
}

export interface SealedEnvelope {
  recipient: Uint8Array<ArrayBuffer>
  envelopeId: Uint8Array<ArrayBuffer>
  ephemeralPublicKey: Uint8Array<ArrayBuffer>
  nonce: Uint8Array<ArrayBuffer>
  ciphertext: Uint8Array<ArrayBuffer>
}

export namespace SealedEnvelope {
  let _codec: Codec<SealedEnvelope>

  export const codec = (): Codec<SealedEnvelope> => {
    if (_codec == null) {
      _codec = message<SealedEnvelope>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.recipient != null && obj.recipient.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.recipient)
        }

        if ((obj.envelopeId != null && obj.envelopeId.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.envelopeId)
        }

        if ((obj.ephemeralPublicKey != null && obj.ephemeralPublicKey.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.ephemeralPublicKey)
        }

        if ((obj.nonce != null && obj.nonce.byteLength > 0)) {
          w.uint32(34)
          w.bytes(obj.nonce)
        }

        if ((obj.ciphertext != null && obj.ciphertext.byteLength > 0)) {
          w.uint32(42)
          w.bytes(obj.ciphertext)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          recipient: uint8ArrayAlloc(0),
          envelopeId: uint8ArrayAlloc(0),
          ephemeralPublicKey: uint8ArrayAlloc(0),
          nonce: uint8ArrayAlloc(0),
          ciphertext: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.recipient = reader.bytes()
              break
            }
            case 2: {
              obj.envelopeId = reader.bytes()
              break
            }
            case 3: {
              obj.ephemeralPublicKey = reader.bytes()
              break
            }
            case 4: {
              obj.nonce = reader.bytes()
              break
            }
            case 5: {
              obj.ciphertext = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.recipient`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.envelopeId`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.ephemeralPublicKey`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.nonce`,
                value: reader.bytes()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.ciphertext`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface SealedEnvelopeRecipientFieldEvent {
    field: '$.recipient'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SealedEnvelopeEnvelopeIdFieldEvent {
    field: '$.envelopeId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SealedEnvelopeEphemeralPublicKeyFieldEvent {
    field: '$.ephemeralPublicKey'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SealedEnvelopeNonceFieldEvent {
    field: '$.nonce'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SealedEnvelopeCiphertextFieldEvent {
    field: '$.ciphertext'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<SealedEnvelope>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, SealedEnvelope.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SealedEnvelope>): SealedEnvelope {
    return decodeMessage(buf, SealedEnvelope.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SealedEnvelope>): Generator<SealedEnvelopeRecipientFieldEvent | SealedEnvelopeEnvelopeIdFieldEvent | SealedEnvelopeEphemeralPublicKeyFieldEvent | SealedEnvelopeNonceFieldEvent | SealedEnvelopeCiphertextFieldEvent> {
    return streamMessage(buf, SealedEnvelope.codec(), opts)
  }
}

export interface BlobRef {
  blobId: Uint8Array<ArrayBuffer>
  name: string
  type: string
  size: bigint
  chunkSize: number
  sha256: Uint8Array<ArrayBuffer>
  key: Uint8Array<ArrayBuffer>
  locations: Uint8Array<ArrayBuffer>[]
}

export namespace BlobRef {
  let _codec: Codec<BlobRef>

  export const codec = (): Codec<BlobRef> => {
    if (_codec == null) {
      _codec = message<BlobRef>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.blobId != null && obj.blobId.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.blobId)
        }

        if ((obj.name != null && obj.name !== '')) {
          w.uint32(18)
          w.string(obj.name)
        }

        if ((obj.type != null && obj.type !== '')) {
          w.uint32(26)
          w.string(obj.type)
        }

        if ((obj.size != null && obj.size !== 0n)) {
          w.uint32(32)
          w.uint64(obj.size)
        }

        if ((obj.chunkSize != null && obj.chunkSize !== 0)) {
          w.uint32(40)
          w.uint32(obj.chunkSize)
        }

        if ((obj.sha256 != null && obj.sha256.byteLength > 0)) {
          w.uint32(50)
          w.bytes(obj.sha256)
        }

        if ((obj.key != null && obj.key.byteLength > 0)) {
          w.uint32(58)
          w.bytes(obj.key)
        }

        if (obj.locations != null && obj.locations.length > 0) {
          for (const value of obj.locations) {
            w.uint32(66)
            w.bytes(value)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          blobId: uint8ArrayAlloc(0),
          name: '',
          type: '',
          size: 0n,
          chunkSize: 0,
          sha256: uint8ArrayAlloc(0),
          key: uint8ArrayAlloc(0),
          locations: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.blobId = reader.bytes()
              break
            }
            case 2: {
              obj.name = reader.string()
              break
            }
            case 3: {
              obj.type = reader.string()
              break
            }
            case 4: {
              obj.size = reader.uint64()
              break
            }
            case 5: {
              obj.chunkSize = reader.uint32()
              break
            }
            case 6: {
              obj.sha256 = reader.bytes()
              break
            }
            case 7: {
              obj.key = reader.bytes()
              break
            }
            case 8: {
              if (opts.limits?.locations != null && obj.locations.length === opts.limits.locations) {
                throw new MaxLengthError('Decode error - repeated field "locations" had too many elements')
              }

              obj.locations.push(reader.bytes())
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          locations: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.blobId`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.name`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.type`,
                value: reader.string()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.size`,
                value: reader.uint64()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.chunkSize`,
                value: reader.uint32()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.sha256`,
                value: reader.bytes()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.key`,
                value: reader.bytes()
              }
              break
            }
            case 8: {
              if (opts.limits?.locations != null && obj.locations === opts.limits.locations) {
                throw new MaxLengthError('Streaming decode error - repeated field "locations" had too many elements')
              }

              yield {
                field: `${prefix}.locations[]`,
                index: obj.locations,
                value: reader.bytes()
              }

              obj.locations++

              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface BlobRefBlobIdFieldEvent {
    field: '$.blobId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface BlobRefNameFieldEvent {
    field: '$.name'
    value: string
  }

  export interface BlobRefTypeFieldEvent {
    field: '$.type'
    value: string
  }

  export interface BlobRefSizeFieldEvent {
    field: '$.size'
    value: bigint
  }

  export interface BlobRefChunkSizeFieldEvent {
    field: '$.chunkSize'
    value: number
  }

  export interface BlobRefSha256FieldEvent {
    field: '$.sha256'
    value: Uint8Array<ArrayBuffer>
  }

  export interface BlobRefKeyFieldEvent {
    field: '$.key'
    value: Uint8Array<ArrayBuffer>
  }

  export interface BlobRefLocationsFieldEvent {
    field: '$.locations[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<BlobRef>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, BlobRef.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<BlobRef>): BlobRef {
    return decodeMessage(buf, BlobRef.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<BlobRef>): Generator<BlobRefBlobIdFieldEvent | BlobRefNameFieldEvent | BlobRefTypeFieldEvent | BlobRefSizeFieldEvent | BlobRefChunkSizeFieldEvent | BlobRefSha256FieldEvent | BlobRefKeyFieldEvent | BlobRefLocationsFieldEvent> {
    return streamMessage(buf, BlobRef.codec(), opts)
  }
}

export interface InnerRecord {
  senderCard?: IdentityCard
  timestamp: bigint
  mime: Uint8Array<ArrayBuffer>
  blobRefs: BlobRef[]
  signature: Uint8Array<ArrayBuffer>
}

export namespace InnerRecord {
  let _codec: Codec<InnerRecord>

  export const codec = (): Codec<InnerRecord> => {
    if (_codec == null) {
      _codec = message<InnerRecord>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.senderCard != null) {
          w.uint32(10)
          IdentityCard.codec().encode(obj.senderCard, w)
        }

        if ((obj.timestamp != null && obj.timestamp !== 0n)) {
          w.uint32(16)
          w.uint64(obj.timestamp)
        }

        if ((obj.mime != null && obj.mime.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.mime)
        }

        if (obj.blobRefs != null && obj.blobRefs.length > 0) {
          for (const value of obj.blobRefs) {
            w.uint32(34)
            BlobRef.codec().encode(value, w)
          }
        }

        if ((obj.signature != null && obj.signature.byteLength > 0)) {
          w.uint32(42)
          w.bytes(obj.signature)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          timestamp: 0n,
          mime: uint8ArrayAlloc(0),
          blobRefs: [],
          signature: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.senderCard = IdentityCard.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.senderCard
              })
              break
            }
            case 2: {
              obj.timestamp = reader.uint64()
              break
            }
            case 3: {
              obj.mime = reader.bytes()
              break
            }
            case 4: {
              if (opts.limits?.blobRefs != null && obj.blobRefs.length === opts.limits.blobRefs) {
                throw new MaxLengthError('Decode error - repeated field "blobRefs" had too many elements')
              }

              obj.blobRefs.push(BlobRef.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.blobRefs$
              }))
              break
            }
            case 5: {
              obj.signature = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          blobRefs: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield * IdentityCard.codec().stream(reader, reader.uint32(), `${prefix}.senderCard`, {
                limits: opts.limits?.senderCard
              })

              break
            }
            case 2: {
              yield {
                field: `${prefix}.timestamp`,
                value: reader.uint64()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.mime`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              if (opts.limits?.blobRefs != null && obj.blobRefs === opts.limits.blobRefs) {
                throw new MaxLengthError('Streaming decode error - repeated field "blobRefs" had too many elements')
              }

              for (const evt of BlobRef.codec().stream(reader, reader.uint32(), `${prefix}.blobRefs[]`, {
                limits: opts.limits?.blobRefs$
              })) {
                yield {
                  ...evt,
                  index: obj.blobRefs
                }
              }

              obj.blobRefs++

              break
            }
            case 5: {
              yield {
                field: `${prefix}.signature`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface InnerRecordSenderCardPeerIdFieldEvent {
    field: '$.senderCard.peerId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface InnerRecordSenderCardBoxPublicKeyFieldEvent {
    field: '$.senderCard.boxPublicKey'
    value: Uint8Array<ArrayBuffer>
  }

  export interface InnerRecordSenderCardDisplayNameFieldEvent {
    field: '$.senderCard.displayName'
    value: string
  }

  export interface InnerRecordSenderCardHomeServersFieldEvent {
    field: '$.senderCard.homeServers[]'
    index: number
    value: string
  }

  export interface InnerRecordSenderCardCreatedFieldEvent {
    field: '$.senderCard.created'
    value: bigint
  }

  export interface InnerRecordSenderCardAddrsFieldEvent {
    field: '$.senderCard.addrs[]'
    index: number
    value: string
  }

  export interface InnerRecordSenderCardSignatureFieldEvent {
    field: '$.senderCard.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export interface InnerRecordTimestampFieldEvent {
    field: '$.timestamp'
    value: bigint
  }

  export interface InnerRecordMimeFieldEvent {
    field: '$.mime'
    value: Uint8Array<ArrayBuffer>
  }

  export interface InnerRecordBlobRefsBlobIdFieldEvent {
    field: '$.blobRefs[].blobId'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface InnerRecordBlobRefsNameFieldEvent {
    field: '$.blobRefs[].name'
    value: string
    index: number
  }

  export interface InnerRecordBlobRefsTypeFieldEvent {
    field: '$.blobRefs[].type'
    value: string
    index: number
  }

  export interface InnerRecordBlobRefsSizeFieldEvent {
    field: '$.blobRefs[].size'
    value: bigint
    index: number
  }

  export interface InnerRecordBlobRefsChunkSizeFieldEvent {
    field: '$.blobRefs[].chunkSize'
    value: number
    index: number
  }

  export interface InnerRecordBlobRefsSha256FieldEvent {
    field: '$.blobRefs[].sha256'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface InnerRecordBlobRefsKeyFieldEvent {
    field: '$.blobRefs[].key'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface InnerRecordBlobRefsLocationsFieldEvent {
    field: '$.blobRefs[].locations[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface InnerRecordSignatureFieldEvent {
    field: '$.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<InnerRecord>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, InnerRecord.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<InnerRecord>): InnerRecord {
    return decodeMessage(buf, InnerRecord.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<InnerRecord>): Generator<InnerRecordSenderCardPeerIdFieldEvent | InnerRecordSenderCardBoxPublicKeyFieldEvent | InnerRecordSenderCardDisplayNameFieldEvent | InnerRecordSenderCardHomeServersFieldEvent | InnerRecordSenderCardCreatedFieldEvent | InnerRecordSenderCardAddrsFieldEvent | InnerRecordSenderCardSignatureFieldEvent | InnerRecordTimestampFieldEvent | InnerRecordMimeFieldEvent | InnerRecordBlobRefsBlobIdFieldEvent | InnerRecordBlobRefsNameFieldEvent | InnerRecordBlobRefsTypeFieldEvent | InnerRecordBlobRefsSizeFieldEvent | InnerRecordBlobRefsChunkSizeFieldEvent | InnerRecordBlobRefsSha256FieldEvent | InnerRecordBlobRefsKeyFieldEvent | InnerRecordBlobRefsLocationsFieldEvent | InnerRecordSignatureFieldEvent> {
    return streamMessage(buf, InnerRecord.codec(), opts)
  }
}

export interface SignedContent {
  recipient: Uint8Array<ArrayBuffer>
  timestamp: bigint
  mimeSha256: Uint8Array<ArrayBuffer>
  blobRefs: BlobRef[]
  envelopeId: Uint8Array<ArrayBuffer>
}

export namespace SignedContent {
  let _codec: Codec<SignedContent>

  export const codec = (): Codec<SignedContent> => {
    if (_codec == null) {
      _codec = message<SignedContent>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.recipient != null && obj.recipient.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.recipient)
        }

        if ((obj.timestamp != null && obj.timestamp !== 0n)) {
          w.uint32(16)
          w.uint64(obj.timestamp)
        }

        if ((obj.mimeSha256 != null && obj.mimeSha256.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.mimeSha256)
        }

        if (obj.blobRefs != null && obj.blobRefs.length > 0) {
          for (const value of obj.blobRefs) {
            w.uint32(34)
            BlobRef.codec().encode(value, w)
          }
        }

        if ((obj.envelopeId != null && obj.envelopeId.byteLength > 0)) {
          w.uint32(42)
          w.bytes(obj.envelopeId)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          recipient: uint8ArrayAlloc(0),
          timestamp: 0n,
          mimeSha256: uint8ArrayAlloc(0),
          blobRefs: [],
          envelopeId: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.recipient = reader.bytes()
              break
            }
            case 2: {
              obj.timestamp = reader.uint64()
              break
            }
            case 3: {
              obj.mimeSha256 = reader.bytes()
              break
            }
            case 4: {
              if (opts.limits?.blobRefs != null && obj.blobRefs.length === opts.limits.blobRefs) {
                throw new MaxLengthError('Decode error - repeated field "blobRefs" had too many elements')
              }

              obj.blobRefs.push(BlobRef.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.blobRefs$
              }))
              break
            }
            case 5: {
              obj.envelopeId = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          blobRefs: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.recipient`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.timestamp`,
                value: reader.uint64()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.mimeSha256`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              if (opts.limits?.blobRefs != null && obj.blobRefs === opts.limits.blobRefs) {
                throw new MaxLengthError('Streaming decode error - repeated field "blobRefs" had too many elements')
              }

              for (const evt of BlobRef.codec().stream(reader, reader.uint32(), `${prefix}.blobRefs[]`, {
                limits: opts.limits?.blobRefs$
              })) {
                yield {
                  ...evt,
                  index: obj.blobRefs
                }
              }

              obj.blobRefs++

              break
            }
            case 5: {
              yield {
                field: `${prefix}.envelopeId`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface SignedContentRecipientFieldEvent {
    field: '$.recipient'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SignedContentTimestampFieldEvent {
    field: '$.timestamp'
    value: bigint
  }

  export interface SignedContentMimeSha256FieldEvent {
    field: '$.mimeSha256'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SignedContentBlobRefsBlobIdFieldEvent {
    field: '$.blobRefs[].blobId'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface SignedContentBlobRefsNameFieldEvent {
    field: '$.blobRefs[].name'
    value: string
    index: number
  }

  export interface SignedContentBlobRefsTypeFieldEvent {
    field: '$.blobRefs[].type'
    value: string
    index: number
  }

  export interface SignedContentBlobRefsSizeFieldEvent {
    field: '$.blobRefs[].size'
    value: bigint
    index: number
  }

  export interface SignedContentBlobRefsChunkSizeFieldEvent {
    field: '$.blobRefs[].chunkSize'
    value: number
    index: number
  }

  export interface SignedContentBlobRefsSha256FieldEvent {
    field: '$.blobRefs[].sha256'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface SignedContentBlobRefsKeyFieldEvent {
    field: '$.blobRefs[].key'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface SignedContentBlobRefsLocationsFieldEvent {
    field: '$.blobRefs[].locations[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface SignedContentEnvelopeIdFieldEvent {
    field: '$.envelopeId'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<SignedContent>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, SignedContent.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SignedContent>): SignedContent {
    return decodeMessage(buf, SignedContent.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SignedContent>): Generator<SignedContentRecipientFieldEvent | SignedContentTimestampFieldEvent | SignedContentMimeSha256FieldEvent | SignedContentBlobRefsBlobIdFieldEvent | SignedContentBlobRefsNameFieldEvent | SignedContentBlobRefsTypeFieldEvent | SignedContentBlobRefsSizeFieldEvent | SignedContentBlobRefsChunkSizeFieldEvent | SignedContentBlobRefsSha256FieldEvent | SignedContentBlobRefsKeyFieldEvent | SignedContentBlobRefsLocationsFieldEvent | SignedContentEnvelopeIdFieldEvent> {
    return streamMessage(buf, SignedContent.codec(), opts)
  }
}

export interface Receipt {
  envelopeId: Uint8Array<ArrayBuffer>
  envelopeSha256: Uint8Array<ArrayBuffer>
  signer: Uint8Array<ArrayBuffer>
  timestamp: bigint
  signature: Uint8Array<ArrayBuffer>
}

export namespace Receipt {
  let _codec: Codec<Receipt>

  export const codec = (): Codec<Receipt> => {
    if (_codec == null) {
      _codec = message<Receipt>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.envelopeId != null && obj.envelopeId.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.envelopeId)
        }

        if ((obj.envelopeSha256 != null && obj.envelopeSha256.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.envelopeSha256)
        }

        if ((obj.signer != null && obj.signer.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.signer)
        }

        if ((obj.timestamp != null && obj.timestamp !== 0n)) {
          w.uint32(32)
          w.uint64(obj.timestamp)
        }

        if ((obj.signature != null && obj.signature.byteLength > 0)) {
          w.uint32(42)
          w.bytes(obj.signature)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          envelopeId: uint8ArrayAlloc(0),
          envelopeSha256: uint8ArrayAlloc(0),
          signer: uint8ArrayAlloc(0),
          timestamp: 0n,
          signature: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.envelopeId = reader.bytes()
              break
            }
            case 2: {
              obj.envelopeSha256 = reader.bytes()
              break
            }
            case 3: {
              obj.signer = reader.bytes()
              break
            }
            case 4: {
              obj.timestamp = reader.uint64()
              break
            }
            case 5: {
              obj.signature = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.envelopeId`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.envelopeSha256`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.signer`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.timestamp`,
                value: reader.uint64()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.signature`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface ReceiptEnvelopeIdFieldEvent {
    field: '$.envelopeId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ReceiptEnvelopeSha256FieldEvent {
    field: '$.envelopeSha256'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ReceiptSignerFieldEvent {
    field: '$.signer'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ReceiptTimestampFieldEvent {
    field: '$.timestamp'
    value: bigint
  }

  export interface ReceiptSignatureFieldEvent {
    field: '$.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<Receipt>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Receipt.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Receipt>): Receipt {
    return decodeMessage(buf, Receipt.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Receipt>): Generator<ReceiptEnvelopeIdFieldEvent | ReceiptEnvelopeSha256FieldEvent | ReceiptSignerFieldEvent | ReceiptTimestampFieldEvent | ReceiptSignatureFieldEvent> {
    return streamMessage(buf, Receipt.codec(), opts)
  }
}

export interface DeliverRequest {
  envelope: Uint8Array<ArrayBuffer>
}

export namespace DeliverRequest {
  let _codec: Codec<DeliverRequest>

  export const codec = (): Codec<DeliverRequest> => {
    if (_codec == null) {
      _codec = message<DeliverRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.envelope != null && obj.envelope.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.envelope)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          envelope: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.envelope = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.envelope`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface DeliverRequestEnvelopeFieldEvent {
    field: '$.envelope'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<DeliverRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, DeliverRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<DeliverRequest>): DeliverRequest {
    return decodeMessage(buf, DeliverRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<DeliverRequest>): Generator<DeliverRequestEnvelopeFieldEvent> {
    return streamMessage(buf, DeliverRequest.codec(), opts)
  }
}

export enum DeliverErrorCode {
  UNSPECIFIED = 'UNSPECIFIED',
  MALFORMED = 'MALFORMED',
  TOO_LARGE = 'TOO_LARGE',
  WRONG_RECIPIENT = 'WRONG_RECIPIENT',
  UNSEALABLE = 'UNSEALABLE',
  BAD_SIGNATURE = 'BAD_SIGNATURE',
  BAD_CONTENT = 'BAD_CONTENT',
  INTERNAL = 'INTERNAL',
  REFUSED = 'REFUSED'
}

enum __DeliverErrorCodeValues {
  UNSPECIFIED = 0,
  MALFORMED = 1,
  TOO_LARGE = 2,
  WRONG_RECIPIENT = 3,
  UNSEALABLE = 4,
  BAD_SIGNATURE = 5,
  BAD_CONTENT = 6,
  INTERNAL = 7,
  REFUSED = 8
}

export namespace DeliverErrorCode {
  export const codec = (): Codec<DeliverErrorCode> => {
    return enumeration<DeliverErrorCode>(__DeliverErrorCodeValues)
  }
}

export interface DeliverError {
  code: DeliverErrorCode
  message: string
  retryable: boolean
}

export namespace DeliverError {
  let _codec: Codec<DeliverError>

  export const codec = (): Codec<DeliverError> => {
    if (_codec == null) {
      _codec = message<DeliverError>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.code != null && __DeliverErrorCodeValues[obj.code] !== 0) {
          w.uint32(8)
          DeliverErrorCode.codec().encode(obj.code, w)
        }

        if ((obj.message != null && obj.message !== '')) {
          w.uint32(18)
          w.string(obj.message)
        }

        if ((obj.retryable != null && obj.retryable !== false)) {
          w.uint32(24)
          w.bool(obj.retryable)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          code: DeliverErrorCode.UNSPECIFIED,
          message: '',
          retryable: false
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.code = DeliverErrorCode.codec().decode(reader)
              break
            }
            case 2: {
              obj.message = reader.string()
              break
            }
            case 3: {
              obj.retryable = reader.bool()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.code`,
                value: DeliverErrorCode.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.message`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.retryable`,
                value: reader.bool()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface DeliverErrorCodeFieldEvent {
    field: '$.code'
    value: DeliverErrorCode
  }

  export interface DeliverErrorMessageFieldEvent {
    field: '$.message'
    value: string
  }

  export interface DeliverErrorRetryableFieldEvent {
    field: '$.retryable'
    value: boolean
  }

  export function encode (obj: Partial<DeliverError>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, DeliverError.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<DeliverError>): DeliverError {
    return decodeMessage(buf, DeliverError.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<DeliverError>): Generator<DeliverErrorCodeFieldEvent | DeliverErrorMessageFieldEvent | DeliverErrorRetryableFieldEvent> {
    return streamMessage(buf, DeliverError.codec(), opts)
  }
}

export interface DeliverResponse {
  envelopeId: Uint8Array<ArrayBuffer>
  receipt?: Receipt
  error?: DeliverError
}

export namespace DeliverResponse {
  let _codec: Codec<DeliverResponse>

  export const codec = (): Codec<DeliverResponse> => {
    if (_codec == null) {
      _codec = message<DeliverResponse>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.envelopeId != null && obj.envelopeId.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.envelopeId)
        }

        if (obj.receipt != null) {
          w.uint32(18)
          Receipt.codec().encode(obj.receipt, w)
        }

        if (obj.error != null) {
          w.uint32(26)
          DeliverError.codec().encode(obj.error, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          envelopeId: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.envelopeId = reader.bytes()
              break
            }
            case 2: {
              obj.receipt = Receipt.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.receipt
              })
              break
            }
            case 3: {
              obj.error = DeliverError.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.error
              })
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.envelopeId`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield * Receipt.codec().stream(reader, reader.uint32(), `${prefix}.receipt`, {
                limits: opts.limits?.receipt
              })

              break
            }
            case 3: {
              yield * DeliverError.codec().stream(reader, reader.uint32(), `${prefix}.error`, {
                limits: opts.limits?.error
              })

              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface DeliverResponseEnvelopeIdFieldEvent {
    field: '$.envelopeId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface DeliverResponseReceiptEnvelopeIdFieldEvent {
    field: '$.receipt.envelopeId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface DeliverResponseReceiptEnvelopeSha256FieldEvent {
    field: '$.receipt.envelopeSha256'
    value: Uint8Array<ArrayBuffer>
  }

  export interface DeliverResponseReceiptSignerFieldEvent {
    field: '$.receipt.signer'
    value: Uint8Array<ArrayBuffer>
  }

  export interface DeliverResponseReceiptTimestampFieldEvent {
    field: '$.receipt.timestamp'
    value: bigint
  }

  export interface DeliverResponseReceiptSignatureFieldEvent {
    field: '$.receipt.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export interface DeliverResponseErrorCodeFieldEvent {
    field: '$.error.code'
    value: DeliverErrorCode
  }

  export interface DeliverResponseErrorMessageFieldEvent {
    field: '$.error.message'
    value: string
  }

  export interface DeliverResponseErrorRetryableFieldEvent {
    field: '$.error.retryable'
    value: boolean
  }

  export function encode (obj: Partial<DeliverResponse>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, DeliverResponse.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<DeliverResponse>): DeliverResponse {
    return decodeMessage(buf, DeliverResponse.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<DeliverResponse>): Generator<DeliverResponseEnvelopeIdFieldEvent | DeliverResponseReceiptEnvelopeIdFieldEvent | DeliverResponseReceiptEnvelopeSha256FieldEvent | DeliverResponseReceiptSignerFieldEvent | DeliverResponseReceiptTimestampFieldEvent | DeliverResponseReceiptSignatureFieldEvent | DeliverResponseErrorCodeFieldEvent | DeliverResponseErrorMessageFieldEvent | DeliverResponseErrorRetryableFieldEvent> {
    return streamMessage(buf, DeliverResponse.codec(), opts)
  }
}
