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
  stamp: Uint8Array<ArrayBuffer>
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

        if ((obj.stamp != null && obj.stamp.byteLength > 0)) {
          w.uint32(50)
          w.bytes(obj.stamp)
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
          ciphertext: uint8ArrayAlloc(0),
          stamp: uint8ArrayAlloc(0)
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
            case 6: {
              obj.stamp = reader.bytes()
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
            case 6: {
              yield {
                field: `${prefix}.stamp`,
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

  export interface SealedEnvelopeStampFieldEvent {
    field: '$.stamp'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<SealedEnvelope>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, SealedEnvelope.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SealedEnvelope>): SealedEnvelope {
    return decodeMessage(buf, SealedEnvelope.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SealedEnvelope>): Generator<SealedEnvelopeRecipientFieldEvent | SealedEnvelopeEnvelopeIdFieldEvent | SealedEnvelopeEphemeralPublicKeyFieldEvent | SealedEnvelopeNonceFieldEvent | SealedEnvelopeCiphertextFieldEvent | SealedEnvelopeStampFieldEvent> {
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
  cipher: number
  recipients: Uint8Array<ArrayBuffer>[]
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

        if ((obj.cipher != null && obj.cipher !== 0)) {
          w.uint32(72)
          w.uint32(obj.cipher)
        }

        if (obj.recipients != null && obj.recipients.length > 0) {
          for (const value of obj.recipients) {
            w.uint32(82)
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
          locations: [],
          cipher: 0,
          recipients: []
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
            case 9: {
              obj.cipher = reader.uint32()
              break
            }
            case 10: {
              if (opts.limits?.recipients != null && obj.recipients.length === opts.limits.recipients) {
                throw new MaxLengthError('Decode error - repeated field "recipients" had too many elements')
              }

              obj.recipients.push(reader.bytes())
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
          locations: 0,
          recipients: 0
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
            case 9: {
              yield {
                field: `${prefix}.cipher`,
                value: reader.uint32()
              }
              break
            }
            case 10: {
              if (opts.limits?.recipients != null && obj.recipients === opts.limits.recipients) {
                throw new MaxLengthError('Streaming decode error - repeated field "recipients" had too many elements')
              }

              yield {
                field: `${prefix}.recipients[]`,
                index: obj.recipients,
                value: reader.bytes()
              }

              obj.recipients++

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

  export interface BlobRefCipherFieldEvent {
    field: '$.cipher'
    value: number
  }

  export interface BlobRefRecipientsFieldEvent {
    field: '$.recipients[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<BlobRef>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, BlobRef.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<BlobRef>): BlobRef {
    return decodeMessage(buf, BlobRef.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<BlobRef>): Generator<BlobRefBlobIdFieldEvent | BlobRefNameFieldEvent | BlobRefTypeFieldEvent | BlobRefSizeFieldEvent | BlobRefChunkSizeFieldEvent | BlobRefSha256FieldEvent | BlobRefKeyFieldEvent | BlobRefLocationsFieldEvent | BlobRefCipherFieldEvent | BlobRefRecipientsFieldEvent> {
    return streamMessage(buf, BlobRef.codec(), opts)
  }
}

export interface InnerRecord {
  senderCard?: IdentityCard
  timestamp: bigint
  mime: Uint8Array<ArrayBuffer>
  blobRefs: Uint8Array<ArrayBuffer>[]
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
            w.bytes(value)
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

              obj.blobRefs.push(reader.bytes())
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

              yield {
                field: `${prefix}.blobRefs[]`,
                index: obj.blobRefs,
                value: reader.bytes()
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

  export interface InnerRecordBlobRefsFieldEvent {
    field: '$.blobRefs[]'
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

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<InnerRecord>): Generator<InnerRecordSenderCardPeerIdFieldEvent | InnerRecordSenderCardBoxPublicKeyFieldEvent | InnerRecordSenderCardDisplayNameFieldEvent | InnerRecordSenderCardHomeServersFieldEvent | InnerRecordSenderCardCreatedFieldEvent | InnerRecordSenderCardAddrsFieldEvent | InnerRecordSenderCardSignatureFieldEvent | InnerRecordTimestampFieldEvent | InnerRecordMimeFieldEvent | InnerRecordBlobRefsFieldEvent | InnerRecordSignatureFieldEvent> {
    return streamMessage(buf, InnerRecord.codec(), opts)
  }
}

export interface SignedContent {
  recipient: Uint8Array<ArrayBuffer>
  timestamp: bigint
  mimeSha256: Uint8Array<ArrayBuffer>
  blobRefs: Uint8Array<ArrayBuffer>[]
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
            w.bytes(value)
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

              obj.blobRefs.push(reader.bytes())
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

              yield {
                field: `${prefix}.blobRefs[]`,
                index: obj.blobRefs,
                value: reader.bytes()
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

  export interface SignedContentBlobRefsFieldEvent {
    field: '$.blobRefs[]'
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

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SignedContent>): Generator<SignedContentRecipientFieldEvent | SignedContentTimestampFieldEvent | SignedContentMimeSha256FieldEvent | SignedContentBlobRefsFieldEvent | SignedContentEnvelopeIdFieldEvent> {
    return streamMessage(buf, SignedContent.codec(), opts)
  }
}

export interface Receipt {
  envelopeId: Uint8Array<ArrayBuffer>
  envelopeSha256: Uint8Array<ArrayBuffer>
  signer: Uint8Array<ArrayBuffer>
  timestamp: bigint
  signature: Uint8Array<ArrayBuffer>
  earlier: ReceiptEntry[]
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

        if (obj.earlier != null && obj.earlier.length > 0) {
          for (const value of obj.earlier) {
            w.uint32(50)
            ReceiptEntry.codec().encode(value, w)
          }
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
          signature: uint8ArrayAlloc(0),
          earlier: []
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
            case 6: {
              if (opts.limits?.earlier != null && obj.earlier.length === opts.limits.earlier) {
                throw new MaxLengthError('Decode error - repeated field "earlier" had too many elements')
              }

              obj.earlier.push(ReceiptEntry.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.earlier$
              }))
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
          earlier: 0
        }

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
            case 6: {
              if (opts.limits?.earlier != null && obj.earlier === opts.limits.earlier) {
                throw new MaxLengthError('Streaming decode error - repeated field "earlier" had too many elements')
              }

              for (const evt of ReceiptEntry.codec().stream(reader, reader.uint32(), `${prefix}.earlier[]`, {
                limits: opts.limits?.earlier$
              })) {
                yield {
                  ...evt,
                  index: obj.earlier
                }
              }

              obj.earlier++

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

  export interface ReceiptEarlierEnvelopeIdFieldEvent {
    field: '$.earlier[].envelopeId'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface ReceiptEarlierEnvelopeSha256FieldEvent {
    field: '$.earlier[].envelopeSha256'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export function encode (obj: Partial<Receipt>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Receipt.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Receipt>): Receipt {
    return decodeMessage(buf, Receipt.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Receipt>): Generator<ReceiptEnvelopeIdFieldEvent | ReceiptEnvelopeSha256FieldEvent | ReceiptSignerFieldEvent | ReceiptTimestampFieldEvent | ReceiptSignatureFieldEvent | ReceiptEarlierEnvelopeIdFieldEvent | ReceiptEarlierEnvelopeSha256FieldEvent> {
    return streamMessage(buf, Receipt.codec(), opts)
  }
}

export interface ReceiptEntry {
  envelopeId: Uint8Array<ArrayBuffer>
  envelopeSha256: Uint8Array<ArrayBuffer>
}

export namespace ReceiptEntry {
  let _codec: Codec<ReceiptEntry>

  export const codec = (): Codec<ReceiptEntry> => {
    if (_codec == null) {
      _codec = message<ReceiptEntry>((obj, w, opts = {}) => {
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

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          envelopeId: uint8ArrayAlloc(0),
          envelopeSha256: uint8ArrayAlloc(0)
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

  export interface ReceiptEntryEnvelopeIdFieldEvent {
    field: '$.envelopeId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ReceiptEntryEnvelopeSha256FieldEvent {
    field: '$.envelopeSha256'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<ReceiptEntry>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ReceiptEntry.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ReceiptEntry>): ReceiptEntry {
    return decodeMessage(buf, ReceiptEntry.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ReceiptEntry>): Generator<ReceiptEntryEnvelopeIdFieldEvent | ReceiptEntryEnvelopeSha256FieldEvent> {
    return streamMessage(buf, ReceiptEntry.codec(), opts)
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

export enum ErrorCode {
  UNSPECIFIED = 'UNSPECIFIED',
  MALFORMED = 'MALFORMED',
  TOO_LARGE = 'TOO_LARGE',
  WRONG_RECIPIENT = 'WRONG_RECIPIENT',
  UNSEALABLE = 'UNSEALABLE',
  BAD_SIGNATURE = 'BAD_SIGNATURE',
  BAD_CONTENT = 'BAD_CONTENT',
  INTERNAL = 'INTERNAL',
  REFUSED = 'REFUSED',
  QUOTA_EXCEEDED = 'QUOTA_EXCEEDED',
  NOT_FOUND = 'NOT_FOUND',
  NAME_TAKEN = 'NAME_TAKEN',
  RATE_LIMITED = 'RATE_LIMITED',
  STAMP_REQUIRED = 'STAMP_REQUIRED'
}

enum __ErrorCodeValues {
  UNSPECIFIED = 0,
  MALFORMED = 1,
  TOO_LARGE = 2,
  WRONG_RECIPIENT = 3,
  UNSEALABLE = 4,
  BAD_SIGNATURE = 5,
  BAD_CONTENT = 6,
  INTERNAL = 7,
  REFUSED = 8,
  QUOTA_EXCEEDED = 9,
  NOT_FOUND = 10,
  NAME_TAKEN = 11,
  RATE_LIMITED = 12,
  STAMP_REQUIRED = 13
}

export namespace ErrorCode {
  export const codec = (): Codec<ErrorCode> => {
    return enumeration<ErrorCode>(__ErrorCodeValues)
  }
}

export interface ErrorReply {
  code: ErrorCode
  message: string
  retryable: boolean
}

export namespace ErrorReply {
  let _codec: Codec<ErrorReply>

  export const codec = (): Codec<ErrorReply> => {
    if (_codec == null) {
      _codec = message<ErrorReply>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.code != null && __ErrorCodeValues[obj.code] !== 0) {
          w.uint32(8)
          ErrorCode.codec().encode(obj.code, w)
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
          code: ErrorCode.UNSPECIFIED,
          message: '',
          retryable: false
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.code = ErrorCode.codec().decode(reader)
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
                value: ErrorCode.codec().decode(reader)
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

  export interface ErrorReplyCodeFieldEvent {
    field: '$.code'
    value: ErrorCode
  }

  export interface ErrorReplyMessageFieldEvent {
    field: '$.message'
    value: string
  }

  export interface ErrorReplyRetryableFieldEvent {
    field: '$.retryable'
    value: boolean
  }

  export function encode (obj: Partial<ErrorReply>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ErrorReply.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ErrorReply>): ErrorReply {
    return decodeMessage(buf, ErrorReply.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ErrorReply>): Generator<ErrorReplyCodeFieldEvent | ErrorReplyMessageFieldEvent | ErrorReplyRetryableFieldEvent> {
    return streamMessage(buf, ErrorReply.codec(), opts)
  }
}

export interface DeliverResponse {
  envelopeId: Uint8Array<ArrayBuffer>
  receipt?: Receipt
  error?: ErrorReply
  stampExempt?: boolean
  receiptFollows?: boolean
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
          ErrorReply.codec().encode(obj.error, w)
        }

        if (obj.stampExempt != null) {
          w.uint32(32)
          w.bool(obj.stampExempt)
        }

        if (obj.receiptFollows != null) {
          w.uint32(40)
          w.bool(obj.receiptFollows)
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
              obj.error = ErrorReply.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.error
              })
              break
            }
            case 4: {
              obj.stampExempt = reader.bool()
              break
            }
            case 5: {
              obj.receiptFollows = reader.bool()
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
              yield * ErrorReply.codec().stream(reader, reader.uint32(), `${prefix}.error`, {
                limits: opts.limits?.error
              })

              break
            }
            case 4: {
              yield {
                field: `${prefix}.stampExempt`,
                value: reader.bool()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.receiptFollows`,
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

  export interface DeliverResponseReceiptEarlierEnvelopeIdFieldEvent {
    field: '$.receipt.earlier[].envelopeId'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface DeliverResponseReceiptEarlierEnvelopeSha256FieldEvent {
    field: '$.receipt.earlier[].envelopeSha256'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface DeliverResponseErrorCodeFieldEvent {
    field: '$.error.code'
    value: ErrorCode
  }

  export interface DeliverResponseErrorMessageFieldEvent {
    field: '$.error.message'
    value: string
  }

  export interface DeliverResponseErrorRetryableFieldEvent {
    field: '$.error.retryable'
    value: boolean
  }

  export interface DeliverResponseStampExemptFieldEvent {
    field: '$.stampExempt'
    value: boolean
  }

  export interface DeliverResponseReceiptFollowsFieldEvent {
    field: '$.receiptFollows'
    value: boolean
  }

  export function encode (obj: Partial<DeliverResponse>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, DeliverResponse.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<DeliverResponse>): DeliverResponse {
    return decodeMessage(buf, DeliverResponse.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<DeliverResponse>): Generator<DeliverResponseEnvelopeIdFieldEvent | DeliverResponseReceiptEnvelopeIdFieldEvent | DeliverResponseReceiptEnvelopeSha256FieldEvent | DeliverResponseReceiptSignerFieldEvent | DeliverResponseReceiptTimestampFieldEvent | DeliverResponseReceiptSignatureFieldEvent | DeliverResponseReceiptEarlierEnvelopeIdFieldEvent | DeliverResponseReceiptEarlierEnvelopeSha256FieldEvent | DeliverResponseErrorCodeFieldEvent | DeliverResponseErrorMessageFieldEvent | DeliverResponseErrorRetryableFieldEvent | DeliverResponseStampExemptFieldEvent | DeliverResponseReceiptFollowsFieldEvent> {
    return streamMessage(buf, DeliverResponse.codec(), opts)
  }
}

export enum FetchOp {
  LIST = 'LIST',
  GET = 'GET',
  ACK = 'ACK'
}

enum __FetchOpValues {
  LIST = 0,
  GET = 1,
  ACK = 2
}

export namespace FetchOp {
  export const codec = (): Codec<FetchOp> => {
    return enumeration<FetchOp>(__FetchOpValues)
  }
}

export interface FetchRequest {
  op: FetchOp
  envelopeIds: Uint8Array<ArrayBuffer>[]
  cursor: Uint8Array<ArrayBuffer>
  limit: number
}

export namespace FetchRequest {
  let _codec: Codec<FetchRequest>

  export const codec = (): Codec<FetchRequest> => {
    if (_codec == null) {
      _codec = message<FetchRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.op != null && __FetchOpValues[obj.op] !== 0) {
          w.uint32(8)
          FetchOp.codec().encode(obj.op, w)
        }

        if (obj.envelopeIds != null && obj.envelopeIds.length > 0) {
          for (const value of obj.envelopeIds) {
            w.uint32(18)
            w.bytes(value)
          }
        }

        if ((obj.cursor != null && obj.cursor.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.cursor)
        }

        if ((obj.limit != null && obj.limit !== 0)) {
          w.uint32(32)
          w.uint32(obj.limit)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          op: FetchOp.LIST,
          envelopeIds: [],
          cursor: uint8ArrayAlloc(0),
          limit: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.op = FetchOp.codec().decode(reader)
              break
            }
            case 2: {
              if (opts.limits?.envelopeIds != null && obj.envelopeIds.length === opts.limits.envelopeIds) {
                throw new MaxLengthError('Decode error - repeated field "envelopeIds" had too many elements')
              }

              obj.envelopeIds.push(reader.bytes())
              break
            }
            case 3: {
              obj.cursor = reader.bytes()
              break
            }
            case 4: {
              obj.limit = reader.uint32()
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
          envelopeIds: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.op`,
                value: FetchOp.codec().decode(reader)
              }
              break
            }
            case 2: {
              if (opts.limits?.envelopeIds != null && obj.envelopeIds === opts.limits.envelopeIds) {
                throw new MaxLengthError('Streaming decode error - repeated field "envelopeIds" had too many elements')
              }

              yield {
                field: `${prefix}.envelopeIds[]`,
                index: obj.envelopeIds,
                value: reader.bytes()
              }

              obj.envelopeIds++

              break
            }
            case 3: {
              yield {
                field: `${prefix}.cursor`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.limit`,
                value: reader.uint32()
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

  export interface FetchRequestOpFieldEvent {
    field: '$.op'
    value: FetchOp
  }

  export interface FetchRequestEnvelopeIdsFieldEvent {
    field: '$.envelopeIds[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface FetchRequestCursorFieldEvent {
    field: '$.cursor'
    value: Uint8Array<ArrayBuffer>
  }

  export interface FetchRequestLimitFieldEvent {
    field: '$.limit'
    value: number
  }

  export function encode (obj: Partial<FetchRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, FetchRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<FetchRequest>): FetchRequest {
    return decodeMessage(buf, FetchRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<FetchRequest>): Generator<FetchRequestOpFieldEvent | FetchRequestEnvelopeIdsFieldEvent | FetchRequestCursorFieldEvent | FetchRequestLimitFieldEvent> {
    return streamMessage(buf, FetchRequest.codec(), opts)
  }
}

export interface HeldEnvelope {
  envelopeId: Uint8Array<ArrayBuffer>
  size: bigint
  depositedAt: bigint
  expiresAt: bigint
}

export namespace HeldEnvelope {
  let _codec: Codec<HeldEnvelope>

  export const codec = (): Codec<HeldEnvelope> => {
    if (_codec == null) {
      _codec = message<HeldEnvelope>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.envelopeId != null && obj.envelopeId.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.envelopeId)
        }

        if ((obj.size != null && obj.size !== 0n)) {
          w.uint32(16)
          w.uint64(obj.size)
        }

        if ((obj.depositedAt != null && obj.depositedAt !== 0n)) {
          w.uint32(24)
          w.uint64(obj.depositedAt)
        }

        if ((obj.expiresAt != null && obj.expiresAt !== 0n)) {
          w.uint32(32)
          w.uint64(obj.expiresAt)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          envelopeId: uint8ArrayAlloc(0),
          size: 0n,
          depositedAt: 0n,
          expiresAt: 0n
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
              obj.size = reader.uint64()
              break
            }
            case 3: {
              obj.depositedAt = reader.uint64()
              break
            }
            case 4: {
              obj.expiresAt = reader.uint64()
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
                field: `${prefix}.size`,
                value: reader.uint64()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.depositedAt`,
                value: reader.uint64()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.expiresAt`,
                value: reader.uint64()
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

  export interface HeldEnvelopeEnvelopeIdFieldEvent {
    field: '$.envelopeId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface HeldEnvelopeSizeFieldEvent {
    field: '$.size'
    value: bigint
  }

  export interface HeldEnvelopeDepositedAtFieldEvent {
    field: '$.depositedAt'
    value: bigint
  }

  export interface HeldEnvelopeExpiresAtFieldEvent {
    field: '$.expiresAt'
    value: bigint
  }

  export function encode (obj: Partial<HeldEnvelope>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, HeldEnvelope.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<HeldEnvelope>): HeldEnvelope {
    return decodeMessage(buf, HeldEnvelope.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<HeldEnvelope>): Generator<HeldEnvelopeEnvelopeIdFieldEvent | HeldEnvelopeSizeFieldEvent | HeldEnvelopeDepositedAtFieldEvent | HeldEnvelopeExpiresAtFieldEvent> {
    return streamMessage(buf, HeldEnvelope.codec(), opts)
  }
}

export interface FetchResponse {
  held: HeldEnvelope[]
  next: Uint8Array<ArrayBuffer>
  envelopes: Uint8Array<ArrayBuffer>[]
  acked: number
  error?: ErrorReply
}

export namespace FetchResponse {
  let _codec: Codec<FetchResponse>

  export const codec = (): Codec<FetchResponse> => {
    if (_codec == null) {
      _codec = message<FetchResponse>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.held != null && obj.held.length > 0) {
          for (const value of obj.held) {
            w.uint32(10)
            HeldEnvelope.codec().encode(value, w)
          }
        }

        if ((obj.next != null && obj.next.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.next)
        }

        if (obj.envelopes != null && obj.envelopes.length > 0) {
          for (const value of obj.envelopes) {
            w.uint32(26)
            w.bytes(value)
          }
        }

        if ((obj.acked != null && obj.acked !== 0)) {
          w.uint32(32)
          w.uint32(obj.acked)
        }

        if (obj.error != null) {
          w.uint32(42)
          ErrorReply.codec().encode(obj.error, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          held: [],
          next: uint8ArrayAlloc(0),
          envelopes: [],
          acked: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.held != null && obj.held.length === opts.limits.held) {
                throw new MaxLengthError('Decode error - repeated field "held" had too many elements')
              }

              obj.held.push(HeldEnvelope.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.held$
              }))
              break
            }
            case 2: {
              obj.next = reader.bytes()
              break
            }
            case 3: {
              if (opts.limits?.envelopes != null && obj.envelopes.length === opts.limits.envelopes) {
                throw new MaxLengthError('Decode error - repeated field "envelopes" had too many elements')
              }

              obj.envelopes.push(reader.bytes())
              break
            }
            case 4: {
              obj.acked = reader.uint32()
              break
            }
            case 5: {
              obj.error = ErrorReply.codec().decode(reader, reader.uint32(), {
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
        const obj = {
          held: 0,
          envelopes: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.held != null && obj.held === opts.limits.held) {
                throw new MaxLengthError('Streaming decode error - repeated field "held" had too many elements')
              }

              for (const evt of HeldEnvelope.codec().stream(reader, reader.uint32(), `${prefix}.held[]`, {
                limits: opts.limits?.held$
              })) {
                yield {
                  ...evt,
                  index: obj.held
                }
              }

              obj.held++

              break
            }
            case 2: {
              yield {
                field: `${prefix}.next`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              if (opts.limits?.envelopes != null && obj.envelopes === opts.limits.envelopes) {
                throw new MaxLengthError('Streaming decode error - repeated field "envelopes" had too many elements')
              }

              yield {
                field: `${prefix}.envelopes[]`,
                index: obj.envelopes,
                value: reader.bytes()
              }

              obj.envelopes++

              break
            }
            case 4: {
              yield {
                field: `${prefix}.acked`,
                value: reader.uint32()
              }
              break
            }
            case 5: {
              yield * ErrorReply.codec().stream(reader, reader.uint32(), `${prefix}.error`, {
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

  export interface FetchResponseHeldEnvelopeIdFieldEvent {
    field: '$.held[].envelopeId'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface FetchResponseHeldSizeFieldEvent {
    field: '$.held[].size'
    value: bigint
    index: number
  }

  export interface FetchResponseHeldDepositedAtFieldEvent {
    field: '$.held[].depositedAt'
    value: bigint
    index: number
  }

  export interface FetchResponseHeldExpiresAtFieldEvent {
    field: '$.held[].expiresAt'
    value: bigint
    index: number
  }

  export interface FetchResponseNextFieldEvent {
    field: '$.next'
    value: Uint8Array<ArrayBuffer>
  }

  export interface FetchResponseEnvelopesFieldEvent {
    field: '$.envelopes[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface FetchResponseAckedFieldEvent {
    field: '$.acked'
    value: number
  }

  export interface FetchResponseErrorCodeFieldEvent {
    field: '$.error.code'
    value: ErrorCode
  }

  export interface FetchResponseErrorMessageFieldEvent {
    field: '$.error.message'
    value: string
  }

  export interface FetchResponseErrorRetryableFieldEvent {
    field: '$.error.retryable'
    value: boolean
  }

  export function encode (obj: Partial<FetchResponse>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, FetchResponse.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<FetchResponse>): FetchResponse {
    return decodeMessage(buf, FetchResponse.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<FetchResponse>): Generator<FetchResponseHeldEnvelopeIdFieldEvent | FetchResponseHeldSizeFieldEvent | FetchResponseHeldDepositedAtFieldEvent | FetchResponseHeldExpiresAtFieldEvent | FetchResponseNextFieldEvent | FetchResponseEnvelopesFieldEvent | FetchResponseAckedFieldEvent | FetchResponseErrorCodeFieldEvent | FetchResponseErrorMessageFieldEvent | FetchResponseErrorRetryableFieldEvent> {
    return streamMessage(buf, FetchResponse.codec(), opts)
  }
}

export enum PresenceStatus {
  OFFLINE = 'OFFLINE',
  AVAILABLE = 'AVAILABLE',
  AWAY = 'AWAY',
  BUSY = 'BUSY',
  DND = 'DND'
}

enum __PresenceStatusValues {
  OFFLINE = 0,
  AVAILABLE = 1,
  AWAY = 2,
  BUSY = 3,
  DND = 4
}

export namespace PresenceStatus {
  export const codec = (): Codec<PresenceStatus> => {
    return enumeration<PresenceStatus>(__PresenceStatusValues)
  }
}

export interface Heartbeat {
  peerId: Uint8Array<ArrayBuffer>
  addrs: string[]
  status: PresenceStatus
  timestamp: bigint
  signature: Uint8Array<ArrayBuffer>
}

export namespace Heartbeat {
  let _codec: Codec<Heartbeat>

  export const codec = (): Codec<Heartbeat> => {
    if (_codec == null) {
      _codec = message<Heartbeat>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.peerId != null && obj.peerId.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.peerId)
        }

        if (obj.addrs != null && obj.addrs.length > 0) {
          for (const value of obj.addrs) {
            w.uint32(18)
            w.string(value)
          }
        }

        if (obj.status != null && __PresenceStatusValues[obj.status] !== 0) {
          w.uint32(24)
          PresenceStatus.codec().encode(obj.status, w)
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
          peerId: uint8ArrayAlloc(0),
          addrs: [],
          status: PresenceStatus.OFFLINE,
          timestamp: 0n,
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
              if (opts.limits?.addrs != null && obj.addrs.length === opts.limits.addrs) {
                throw new MaxLengthError('Decode error - repeated field "addrs" had too many elements')
              }

              obj.addrs.push(reader.string())
              break
            }
            case 3: {
              obj.status = PresenceStatus.codec().decode(reader)
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
        const obj = {
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
            case 3: {
              yield {
                field: `${prefix}.status`,
                value: PresenceStatus.codec().decode(reader)
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

  export interface HeartbeatPeerIdFieldEvent {
    field: '$.peerId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface HeartbeatAddrsFieldEvent {
    field: '$.addrs[]'
    index: number
    value: string
  }

  export interface HeartbeatStatusFieldEvent {
    field: '$.status'
    value: PresenceStatus
  }

  export interface HeartbeatTimestampFieldEvent {
    field: '$.timestamp'
    value: bigint
  }

  export interface HeartbeatSignatureFieldEvent {
    field: '$.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<Heartbeat>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Heartbeat.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Heartbeat>): Heartbeat {
    return decodeMessage(buf, Heartbeat.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Heartbeat>): Generator<HeartbeatPeerIdFieldEvent | HeartbeatAddrsFieldEvent | HeartbeatStatusFieldEvent | HeartbeatTimestampFieldEvent | HeartbeatSignatureFieldEvent> {
    return streamMessage(buf, Heartbeat.codec(), opts)
  }
}

export interface PresenceInfo {
  peerId: Uint8Array<ArrayBuffer>
  online: boolean
  addrs: string[]
  status: PresenceStatus
  since: bigint
  lastSeen: bigint
  routed: boolean
}

export namespace PresenceInfo {
  let _codec: Codec<PresenceInfo>

  export const codec = (): Codec<PresenceInfo> => {
    if (_codec == null) {
      _codec = message<PresenceInfo>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.peerId != null && obj.peerId.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.peerId)
        }

        if ((obj.online != null && obj.online !== false)) {
          w.uint32(16)
          w.bool(obj.online)
        }

        if (obj.addrs != null && obj.addrs.length > 0) {
          for (const value of obj.addrs) {
            w.uint32(26)
            w.string(value)
          }
        }

        if (obj.status != null && __PresenceStatusValues[obj.status] !== 0) {
          w.uint32(32)
          PresenceStatus.codec().encode(obj.status, w)
        }

        if ((obj.since != null && obj.since !== 0n)) {
          w.uint32(40)
          w.uint64(obj.since)
        }

        if ((obj.lastSeen != null && obj.lastSeen !== 0n)) {
          w.uint32(48)
          w.uint64(obj.lastSeen)
        }

        if ((obj.routed != null && obj.routed !== false)) {
          w.uint32(56)
          w.bool(obj.routed)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          peerId: uint8ArrayAlloc(0),
          online: false,
          addrs: [],
          status: PresenceStatus.OFFLINE,
          since: 0n,
          lastSeen: 0n,
          routed: false
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
              obj.online = reader.bool()
              break
            }
            case 3: {
              if (opts.limits?.addrs != null && obj.addrs.length === opts.limits.addrs) {
                throw new MaxLengthError('Decode error - repeated field "addrs" had too many elements')
              }

              obj.addrs.push(reader.string())
              break
            }
            case 4: {
              obj.status = PresenceStatus.codec().decode(reader)
              break
            }
            case 5: {
              obj.since = reader.uint64()
              break
            }
            case 6: {
              obj.lastSeen = reader.uint64()
              break
            }
            case 7: {
              obj.routed = reader.bool()
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
                field: `${prefix}.online`,
                value: reader.bool()
              }
              break
            }
            case 3: {
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
            case 4: {
              yield {
                field: `${prefix}.status`,
                value: PresenceStatus.codec().decode(reader)
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.since`,
                value: reader.uint64()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.lastSeen`,
                value: reader.uint64()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.routed`,
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

  export interface PresenceInfoPeerIdFieldEvent {
    field: '$.peerId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface PresenceInfoOnlineFieldEvent {
    field: '$.online'
    value: boolean
  }

  export interface PresenceInfoAddrsFieldEvent {
    field: '$.addrs[]'
    index: number
    value: string
  }

  export interface PresenceInfoStatusFieldEvent {
    field: '$.status'
    value: PresenceStatus
  }

  export interface PresenceInfoSinceFieldEvent {
    field: '$.since'
    value: bigint
  }

  export interface PresenceInfoLastSeenFieldEvent {
    field: '$.lastSeen'
    value: bigint
  }

  export interface PresenceInfoRoutedFieldEvent {
    field: '$.routed'
    value: boolean
  }

  export function encode (obj: Partial<PresenceInfo>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, PresenceInfo.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<PresenceInfo>): PresenceInfo {
    return decodeMessage(buf, PresenceInfo.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<PresenceInfo>): Generator<PresenceInfoPeerIdFieldEvent | PresenceInfoOnlineFieldEvent | PresenceInfoAddrsFieldEvent | PresenceInfoStatusFieldEvent | PresenceInfoSinceFieldEvent | PresenceInfoLastSeenFieldEvent | PresenceInfoRoutedFieldEvent> {
    return streamMessage(buf, PresenceInfo.codec(), opts)
  }
}

export interface PresenceRequest {
  requestId: number
  heartbeat?: Heartbeat
  query: Uint8Array<ArrayBuffer>[]
  subscribe: Uint8Array<ArrayBuffer>[]
  unsubscribe: Uint8Array<ArrayBuffer>[]
}

export namespace PresenceRequest {
  let _codec: Codec<PresenceRequest>

  export const codec = (): Codec<PresenceRequest> => {
    if (_codec == null) {
      _codec = message<PresenceRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.requestId != null && obj.requestId !== 0)) {
          w.uint32(8)
          w.uint32(obj.requestId)
        }

        if (obj.heartbeat != null) {
          w.uint32(18)
          Heartbeat.codec().encode(obj.heartbeat, w)
        }

        if (obj.query != null && obj.query.length > 0) {
          for (const value of obj.query) {
            w.uint32(26)
            w.bytes(value)
          }
        }

        if (obj.subscribe != null && obj.subscribe.length > 0) {
          for (const value of obj.subscribe) {
            w.uint32(34)
            w.bytes(value)
          }
        }

        if (obj.unsubscribe != null && obj.unsubscribe.length > 0) {
          for (const value of obj.unsubscribe) {
            w.uint32(42)
            w.bytes(value)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          requestId: 0,
          query: [],
          subscribe: [],
          unsubscribe: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.requestId = reader.uint32()
              break
            }
            case 2: {
              obj.heartbeat = Heartbeat.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.heartbeat
              })
              break
            }
            case 3: {
              if (opts.limits?.query != null && obj.query.length === opts.limits.query) {
                throw new MaxLengthError('Decode error - repeated field "query" had too many elements')
              }

              obj.query.push(reader.bytes())
              break
            }
            case 4: {
              if (opts.limits?.subscribe != null && obj.subscribe.length === opts.limits.subscribe) {
                throw new MaxLengthError('Decode error - repeated field "subscribe" had too many elements')
              }

              obj.subscribe.push(reader.bytes())
              break
            }
            case 5: {
              if (opts.limits?.unsubscribe != null && obj.unsubscribe.length === opts.limits.unsubscribe) {
                throw new MaxLengthError('Decode error - repeated field "unsubscribe" had too many elements')
              }

              obj.unsubscribe.push(reader.bytes())
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
          query: 0,
          subscribe: 0,
          unsubscribe: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.requestId`,
                value: reader.uint32()
              }
              break
            }
            case 2: {
              yield * Heartbeat.codec().stream(reader, reader.uint32(), `${prefix}.heartbeat`, {
                limits: opts.limits?.heartbeat
              })

              break
            }
            case 3: {
              if (opts.limits?.query != null && obj.query === opts.limits.query) {
                throw new MaxLengthError('Streaming decode error - repeated field "query" had too many elements')
              }

              yield {
                field: `${prefix}.query[]`,
                index: obj.query,
                value: reader.bytes()
              }

              obj.query++

              break
            }
            case 4: {
              if (opts.limits?.subscribe != null && obj.subscribe === opts.limits.subscribe) {
                throw new MaxLengthError('Streaming decode error - repeated field "subscribe" had too many elements')
              }

              yield {
                field: `${prefix}.subscribe[]`,
                index: obj.subscribe,
                value: reader.bytes()
              }

              obj.subscribe++

              break
            }
            case 5: {
              if (opts.limits?.unsubscribe != null && obj.unsubscribe === opts.limits.unsubscribe) {
                throw new MaxLengthError('Streaming decode error - repeated field "unsubscribe" had too many elements')
              }

              yield {
                field: `${prefix}.unsubscribe[]`,
                index: obj.unsubscribe,
                value: reader.bytes()
              }

              obj.unsubscribe++

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

  export interface PresenceRequestRequestIdFieldEvent {
    field: '$.requestId'
    value: number
  }

  export interface PresenceRequestHeartbeatPeerIdFieldEvent {
    field: '$.heartbeat.peerId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface PresenceRequestHeartbeatAddrsFieldEvent {
    field: '$.heartbeat.addrs[]'
    index: number
    value: string
  }

  export interface PresenceRequestHeartbeatStatusFieldEvent {
    field: '$.heartbeat.status'
    value: PresenceStatus
  }

  export interface PresenceRequestHeartbeatTimestampFieldEvent {
    field: '$.heartbeat.timestamp'
    value: bigint
  }

  export interface PresenceRequestHeartbeatSignatureFieldEvent {
    field: '$.heartbeat.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export interface PresenceRequestQueryFieldEvent {
    field: '$.query[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface PresenceRequestSubscribeFieldEvent {
    field: '$.subscribe[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface PresenceRequestUnsubscribeFieldEvent {
    field: '$.unsubscribe[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<PresenceRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, PresenceRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<PresenceRequest>): PresenceRequest {
    return decodeMessage(buf, PresenceRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<PresenceRequest>): Generator<PresenceRequestRequestIdFieldEvent | PresenceRequestHeartbeatPeerIdFieldEvent | PresenceRequestHeartbeatAddrsFieldEvent | PresenceRequestHeartbeatStatusFieldEvent | PresenceRequestHeartbeatTimestampFieldEvent | PresenceRequestHeartbeatSignatureFieldEvent | PresenceRequestQueryFieldEvent | PresenceRequestSubscribeFieldEvent | PresenceRequestUnsubscribeFieldEvent> {
    return streamMessage(buf, PresenceRequest.codec(), opts)
  }
}

export interface PresenceMessage {
  requestId: number
  infos: PresenceInfo[]
  error?: ErrorReply
}

export namespace PresenceMessage {
  let _codec: Codec<PresenceMessage>

  export const codec = (): Codec<PresenceMessage> => {
    if (_codec == null) {
      _codec = message<PresenceMessage>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.requestId != null && obj.requestId !== 0)) {
          w.uint32(8)
          w.uint32(obj.requestId)
        }

        if (obj.infos != null && obj.infos.length > 0) {
          for (const value of obj.infos) {
            w.uint32(18)
            PresenceInfo.codec().encode(value, w)
          }
        }

        if (obj.error != null) {
          w.uint32(26)
          ErrorReply.codec().encode(obj.error, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          requestId: 0,
          infos: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.requestId = reader.uint32()
              break
            }
            case 2: {
              if (opts.limits?.infos != null && obj.infos.length === opts.limits.infos) {
                throw new MaxLengthError('Decode error - repeated field "infos" had too many elements')
              }

              obj.infos.push(PresenceInfo.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.infos$
              }))
              break
            }
            case 3: {
              obj.error = ErrorReply.codec().decode(reader, reader.uint32(), {
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
        const obj = {
          infos: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.requestId`,
                value: reader.uint32()
              }
              break
            }
            case 2: {
              if (opts.limits?.infos != null && obj.infos === opts.limits.infos) {
                throw new MaxLengthError('Streaming decode error - repeated field "infos" had too many elements')
              }

              for (const evt of PresenceInfo.codec().stream(reader, reader.uint32(), `${prefix}.infos[]`, {
                limits: opts.limits?.infos$
              })) {
                yield {
                  ...evt,
                  index: obj.infos
                }
              }

              obj.infos++

              break
            }
            case 3: {
              yield * ErrorReply.codec().stream(reader, reader.uint32(), `${prefix}.error`, {
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

  export interface PresenceMessageRequestIdFieldEvent {
    field: '$.requestId'
    value: number
  }

  export interface PresenceMessageInfosPeerIdFieldEvent {
    field: '$.infos[].peerId'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface PresenceMessageInfosOnlineFieldEvent {
    field: '$.infos[].online'
    value: boolean
    index: number
  }

  export interface PresenceMessageInfosAddrsFieldEvent {
    field: '$.infos[].addrs[]'
    index: number
    value: string
  }

  export interface PresenceMessageInfosStatusFieldEvent {
    field: '$.infos[].status'
    value: PresenceStatus
    index: number
  }

  export interface PresenceMessageInfosSinceFieldEvent {
    field: '$.infos[].since'
    value: bigint
    index: number
  }

  export interface PresenceMessageInfosLastSeenFieldEvent {
    field: '$.infos[].lastSeen'
    value: bigint
    index: number
  }

  export interface PresenceMessageInfosRoutedFieldEvent {
    field: '$.infos[].routed'
    value: boolean
    index: number
  }

  export interface PresenceMessageErrorCodeFieldEvent {
    field: '$.error.code'
    value: ErrorCode
  }

  export interface PresenceMessageErrorMessageFieldEvent {
    field: '$.error.message'
    value: string
  }

  export interface PresenceMessageErrorRetryableFieldEvent {
    field: '$.error.retryable'
    value: boolean
  }

  export function encode (obj: Partial<PresenceMessage>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, PresenceMessage.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<PresenceMessage>): PresenceMessage {
    return decodeMessage(buf, PresenceMessage.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<PresenceMessage>): Generator<PresenceMessageRequestIdFieldEvent | PresenceMessageInfosPeerIdFieldEvent | PresenceMessageInfosOnlineFieldEvent | PresenceMessageInfosAddrsFieldEvent | PresenceMessageInfosStatusFieldEvent | PresenceMessageInfosSinceFieldEvent | PresenceMessageInfosLastSeenFieldEvent | PresenceMessageInfosRoutedFieldEvent | PresenceMessageErrorCodeFieldEvent | PresenceMessageErrorMessageFieldEvent | PresenceMessageErrorRetryableFieldEvent> {
    return streamMessage(buf, PresenceMessage.codec(), opts)
  }
}

export enum NoticeKind {
  MESSAGE_WAITING = 'MESSAGE_WAITING',
  ENVELOPE_EXPIRED = 'ENVELOPE_EXPIRED'
}

enum __NoticeKindValues {
  MESSAGE_WAITING = 0,
  ENVELOPE_EXPIRED = 1
}

export namespace NoticeKind {
  export const codec = (): Codec<NoticeKind> => {
    return enumeration<NoticeKind>(__NoticeKindValues)
  }
}

export interface Location {
  peerId: Uint8Array<ArrayBuffer>
  addrs: string[]
}

export namespace Location {
  let _codec: Codec<Location>

  export const codec = (): Codec<Location> => {
    if (_codec == null) {
      _codec = message<Location>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.peerId != null && obj.peerId.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.peerId)
        }

        if (obj.addrs != null && obj.addrs.length > 0) {
          for (const value of obj.addrs) {
            w.uint32(18)
            w.string(value)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          peerId: uint8ArrayAlloc(0),
          addrs: []
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
              if (opts.limits?.addrs != null && obj.addrs.length === opts.limits.addrs) {
                throw new MaxLengthError('Decode error - repeated field "addrs" had too many elements')
              }

              obj.addrs.push(reader.string())
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

  export interface LocationPeerIdFieldEvent {
    field: '$.peerId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface LocationAddrsFieldEvent {
    field: '$.addrs[]'
    index: number
    value: string
  }

  export function encode (obj: Partial<Location>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Location.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Location>): Location {
    return decodeMessage(buf, Location.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Location>): Generator<LocationPeerIdFieldEvent | LocationAddrsFieldEvent> {
    return streamMessage(buf, Location.codec(), opts)
  }
}

export interface Notice {
  noticeId: Uint8Array<ArrayBuffer>
  kind: NoticeKind
  recipient: Uint8Array<ArrayBuffer>
  envelopeId: Uint8Array<ArrayBuffer>
  locations: Location[]
  blobLocations: Location[]
  created: bigint
}

export namespace Notice {
  let _codec: Codec<Notice>

  export const codec = (): Codec<Notice> => {
    if (_codec == null) {
      _codec = message<Notice>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.noticeId != null && obj.noticeId.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.noticeId)
        }

        if (obj.kind != null && __NoticeKindValues[obj.kind] !== 0) {
          w.uint32(16)
          NoticeKind.codec().encode(obj.kind, w)
        }

        if ((obj.recipient != null && obj.recipient.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.recipient)
        }

        if ((obj.envelopeId != null && obj.envelopeId.byteLength > 0)) {
          w.uint32(34)
          w.bytes(obj.envelopeId)
        }

        if (obj.locations != null && obj.locations.length > 0) {
          for (const value of obj.locations) {
            w.uint32(42)
            Location.codec().encode(value, w)
          }
        }

        if (obj.blobLocations != null && obj.blobLocations.length > 0) {
          for (const value of obj.blobLocations) {
            w.uint32(50)
            Location.codec().encode(value, w)
          }
        }

        if ((obj.created != null && obj.created !== 0n)) {
          w.uint32(56)
          w.uint64(obj.created)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          noticeId: uint8ArrayAlloc(0),
          kind: NoticeKind.MESSAGE_WAITING,
          recipient: uint8ArrayAlloc(0),
          envelopeId: uint8ArrayAlloc(0),
          locations: [],
          blobLocations: [],
          created: 0n
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.noticeId = reader.bytes()
              break
            }
            case 2: {
              obj.kind = NoticeKind.codec().decode(reader)
              break
            }
            case 3: {
              obj.recipient = reader.bytes()
              break
            }
            case 4: {
              obj.envelopeId = reader.bytes()
              break
            }
            case 5: {
              if (opts.limits?.locations != null && obj.locations.length === opts.limits.locations) {
                throw new MaxLengthError('Decode error - repeated field "locations" had too many elements')
              }

              obj.locations.push(Location.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.locations$
              }))
              break
            }
            case 6: {
              if (opts.limits?.blobLocations != null && obj.blobLocations.length === opts.limits.blobLocations) {
                throw new MaxLengthError('Decode error - repeated field "blobLocations" had too many elements')
              }

              obj.blobLocations.push(Location.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.blobLocations$
              }))
              break
            }
            case 7: {
              obj.created = reader.uint64()
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
          locations: 0,
          blobLocations: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.noticeId`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.kind`,
                value: NoticeKind.codec().decode(reader)
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.recipient`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.envelopeId`,
                value: reader.bytes()
              }
              break
            }
            case 5: {
              if (opts.limits?.locations != null && obj.locations === opts.limits.locations) {
                throw new MaxLengthError('Streaming decode error - repeated field "locations" had too many elements')
              }

              for (const evt of Location.codec().stream(reader, reader.uint32(), `${prefix}.locations[]`, {
                limits: opts.limits?.locations$
              })) {
                yield {
                  ...evt,
                  index: obj.locations
                }
              }

              obj.locations++

              break
            }
            case 6: {
              if (opts.limits?.blobLocations != null && obj.blobLocations === opts.limits.blobLocations) {
                throw new MaxLengthError('Streaming decode error - repeated field "blobLocations" had too many elements')
              }

              for (const evt of Location.codec().stream(reader, reader.uint32(), `${prefix}.blobLocations[]`, {
                limits: opts.limits?.blobLocations$
              })) {
                yield {
                  ...evt,
                  index: obj.blobLocations
                }
              }

              obj.blobLocations++

              break
            }
            case 7: {
              yield {
                field: `${prefix}.created`,
                value: reader.uint64()
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

  export interface NoticeNoticeIdFieldEvent {
    field: '$.noticeId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface NoticeKindFieldEvent {
    field: '$.kind'
    value: NoticeKind
  }

  export interface NoticeRecipientFieldEvent {
    field: '$.recipient'
    value: Uint8Array<ArrayBuffer>
  }

  export interface NoticeEnvelopeIdFieldEvent {
    field: '$.envelopeId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface NoticeLocationsPeerIdFieldEvent {
    field: '$.locations[].peerId'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface NoticeLocationsAddrsFieldEvent {
    field: '$.locations[].addrs[]'
    index: number
    value: string
  }

  export interface NoticeBlobLocationsPeerIdFieldEvent {
    field: '$.blobLocations[].peerId'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface NoticeBlobLocationsAddrsFieldEvent {
    field: '$.blobLocations[].addrs[]'
    index: number
    value: string
  }

  export interface NoticeCreatedFieldEvent {
    field: '$.created'
    value: bigint
  }

  export function encode (obj: Partial<Notice>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Notice.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Notice>): Notice {
    return decodeMessage(buf, Notice.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Notice>): Generator<NoticeNoticeIdFieldEvent | NoticeKindFieldEvent | NoticeRecipientFieldEvent | NoticeEnvelopeIdFieldEvent | NoticeLocationsPeerIdFieldEvent | NoticeLocationsAddrsFieldEvent | NoticeBlobLocationsPeerIdFieldEvent | NoticeBlobLocationsAddrsFieldEvent | NoticeCreatedFieldEvent> {
    return streamMessage(buf, Notice.codec(), opts)
  }
}

export interface NoticeRequest {
  post?: Notice
  subscribe: boolean
  ack: Uint8Array<ArrayBuffer>[]
}

export namespace NoticeRequest {
  let _codec: Codec<NoticeRequest>

  export const codec = (): Codec<NoticeRequest> => {
    if (_codec == null) {
      _codec = message<NoticeRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.post != null) {
          w.uint32(10)
          Notice.codec().encode(obj.post, w)
        }

        if ((obj.subscribe != null && obj.subscribe !== false)) {
          w.uint32(16)
          w.bool(obj.subscribe)
        }

        if (obj.ack != null && obj.ack.length > 0) {
          for (const value of obj.ack) {
            w.uint32(26)
            w.bytes(value)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          subscribe: false,
          ack: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.post = Notice.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.post
              })
              break
            }
            case 2: {
              obj.subscribe = reader.bool()
              break
            }
            case 3: {
              if (opts.limits?.ack != null && obj.ack.length === opts.limits.ack) {
                throw new MaxLengthError('Decode error - repeated field "ack" had too many elements')
              }

              obj.ack.push(reader.bytes())
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
          ack: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield * Notice.codec().stream(reader, reader.uint32(), `${prefix}.post`, {
                limits: opts.limits?.post
              })

              break
            }
            case 2: {
              yield {
                field: `${prefix}.subscribe`,
                value: reader.bool()
              }
              break
            }
            case 3: {
              if (opts.limits?.ack != null && obj.ack === opts.limits.ack) {
                throw new MaxLengthError('Streaming decode error - repeated field "ack" had too many elements')
              }

              yield {
                field: `${prefix}.ack[]`,
                index: obj.ack,
                value: reader.bytes()
              }

              obj.ack++

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

  export interface NoticeRequestPostNoticeIdFieldEvent {
    field: '$.post.noticeId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface NoticeRequestPostKindFieldEvent {
    field: '$.post.kind'
    value: NoticeKind
  }

  export interface NoticeRequestPostRecipientFieldEvent {
    field: '$.post.recipient'
    value: Uint8Array<ArrayBuffer>
  }

  export interface NoticeRequestPostEnvelopeIdFieldEvent {
    field: '$.post.envelopeId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface NoticeRequestPostLocationsPeerIdFieldEvent {
    field: '$.post.locations[].peerId'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface NoticeRequestPostLocationsAddrsFieldEvent {
    field: '$.post.locations[].addrs[]'
    index: number
    value: string
  }

  export interface NoticeRequestPostBlobLocationsPeerIdFieldEvent {
    field: '$.post.blobLocations[].peerId'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface NoticeRequestPostBlobLocationsAddrsFieldEvent {
    field: '$.post.blobLocations[].addrs[]'
    index: number
    value: string
  }

  export interface NoticeRequestPostCreatedFieldEvent {
    field: '$.post.created'
    value: bigint
  }

  export interface NoticeRequestSubscribeFieldEvent {
    field: '$.subscribe'
    value: boolean
  }

  export interface NoticeRequestAckFieldEvent {
    field: '$.ack[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<NoticeRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, NoticeRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<NoticeRequest>): NoticeRequest {
    return decodeMessage(buf, NoticeRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<NoticeRequest>): Generator<NoticeRequestPostNoticeIdFieldEvent | NoticeRequestPostKindFieldEvent | NoticeRequestPostRecipientFieldEvent | NoticeRequestPostEnvelopeIdFieldEvent | NoticeRequestPostLocationsPeerIdFieldEvent | NoticeRequestPostLocationsAddrsFieldEvent | NoticeRequestPostBlobLocationsPeerIdFieldEvent | NoticeRequestPostBlobLocationsAddrsFieldEvent | NoticeRequestPostCreatedFieldEvent | NoticeRequestSubscribeFieldEvent | NoticeRequestAckFieldEvent> {
    return streamMessage(buf, NoticeRequest.codec(), opts)
  }
}

export interface NoticeMessage {
  notices: Notice[]
  ok: boolean
  error?: ErrorReply
}

export namespace NoticeMessage {
  let _codec: Codec<NoticeMessage>

  export const codec = (): Codec<NoticeMessage> => {
    if (_codec == null) {
      _codec = message<NoticeMessage>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.notices != null && obj.notices.length > 0) {
          for (const value of obj.notices) {
            w.uint32(10)
            Notice.codec().encode(value, w)
          }
        }

        if ((obj.ok != null && obj.ok !== false)) {
          w.uint32(16)
          w.bool(obj.ok)
        }

        if (obj.error != null) {
          w.uint32(26)
          ErrorReply.codec().encode(obj.error, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          notices: [],
          ok: false
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.notices != null && obj.notices.length === opts.limits.notices) {
                throw new MaxLengthError('Decode error - repeated field "notices" had too many elements')
              }

              obj.notices.push(Notice.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.notices$
              }))
              break
            }
            case 2: {
              obj.ok = reader.bool()
              break
            }
            case 3: {
              obj.error = ErrorReply.codec().decode(reader, reader.uint32(), {
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
        const obj = {
          notices: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.notices != null && obj.notices === opts.limits.notices) {
                throw new MaxLengthError('Streaming decode error - repeated field "notices" had too many elements')
              }

              for (const evt of Notice.codec().stream(reader, reader.uint32(), `${prefix}.notices[]`, {
                limits: opts.limits?.notices$
              })) {
                yield {
                  ...evt,
                  index: obj.notices
                }
              }

              obj.notices++

              break
            }
            case 2: {
              yield {
                field: `${prefix}.ok`,
                value: reader.bool()
              }
              break
            }
            case 3: {
              yield * ErrorReply.codec().stream(reader, reader.uint32(), `${prefix}.error`, {
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

  export interface NoticeMessageNoticesNoticeIdFieldEvent {
    field: '$.notices[].noticeId'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface NoticeMessageNoticesKindFieldEvent {
    field: '$.notices[].kind'
    value: NoticeKind
    index: number
  }

  export interface NoticeMessageNoticesRecipientFieldEvent {
    field: '$.notices[].recipient'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface NoticeMessageNoticesEnvelopeIdFieldEvent {
    field: '$.notices[].envelopeId'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface NoticeMessageNoticesLocationsPeerIdFieldEvent {
    field: '$.notices[].locations[].peerId'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface NoticeMessageNoticesLocationsAddrsFieldEvent {
    field: '$.notices[].locations[].addrs[]'
    index: number
    value: string
  }

  export interface NoticeMessageNoticesBlobLocationsPeerIdFieldEvent {
    field: '$.notices[].blobLocations[].peerId'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface NoticeMessageNoticesBlobLocationsAddrsFieldEvent {
    field: '$.notices[].blobLocations[].addrs[]'
    index: number
    value: string
  }

  export interface NoticeMessageNoticesCreatedFieldEvent {
    field: '$.notices[].created'
    value: bigint
    index: number
  }

  export interface NoticeMessageOkFieldEvent {
    field: '$.ok'
    value: boolean
  }

  export interface NoticeMessageErrorCodeFieldEvent {
    field: '$.error.code'
    value: ErrorCode
  }

  export interface NoticeMessageErrorMessageFieldEvent {
    field: '$.error.message'
    value: string
  }

  export interface NoticeMessageErrorRetryableFieldEvent {
    field: '$.error.retryable'
    value: boolean
  }

  export function encode (obj: Partial<NoticeMessage>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, NoticeMessage.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<NoticeMessage>): NoticeMessage {
    return decodeMessage(buf, NoticeMessage.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<NoticeMessage>): Generator<NoticeMessageNoticesNoticeIdFieldEvent | NoticeMessageNoticesKindFieldEvent | NoticeMessageNoticesRecipientFieldEvent | NoticeMessageNoticesEnvelopeIdFieldEvent | NoticeMessageNoticesLocationsPeerIdFieldEvent | NoticeMessageNoticesLocationsAddrsFieldEvent | NoticeMessageNoticesBlobLocationsPeerIdFieldEvent | NoticeMessageNoticesBlobLocationsAddrsFieldEvent | NoticeMessageNoticesCreatedFieldEvent | NoticeMessageOkFieldEvent | NoticeMessageErrorCodeFieldEvent | NoticeMessageErrorMessageFieldEvent | NoticeMessageErrorRetryableFieldEvent> {
    return streamMessage(buf, NoticeMessage.codec(), opts)
  }
}

export interface DirectoryRequest {
  name: string
  card: Uint8Array<ArrayBuffer>
}

export namespace DirectoryRequest {
  let _codec: Codec<DirectoryRequest>

  export const codec = (): Codec<DirectoryRequest> => {
    if (_codec == null) {
      _codec = message<DirectoryRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.name != null && obj.name !== '')) {
          w.uint32(10)
          w.string(obj.name)
        }

        if ((obj.card != null && obj.card.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.card)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          name: '',
          card: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.name = reader.string()
              break
            }
            case 2: {
              obj.card = reader.bytes()
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
                field: `${prefix}.name`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.card`,
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

  export interface DirectoryRequestNameFieldEvent {
    field: '$.name'
    value: string
  }

  export interface DirectoryRequestCardFieldEvent {
    field: '$.card'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<DirectoryRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, DirectoryRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<DirectoryRequest>): DirectoryRequest {
    return decodeMessage(buf, DirectoryRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<DirectoryRequest>): Generator<DirectoryRequestNameFieldEvent | DirectoryRequestCardFieldEvent> {
    return streamMessage(buf, DirectoryRequest.codec(), opts)
  }
}

export interface DirectoryResponse {
  card: Uint8Array<ArrayBuffer>
  error?: ErrorReply
}

export namespace DirectoryResponse {
  let _codec: Codec<DirectoryResponse>

  export const codec = (): Codec<DirectoryResponse> => {
    if (_codec == null) {
      _codec = message<DirectoryResponse>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.card != null && obj.card.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.card)
        }

        if (obj.error != null) {
          w.uint32(18)
          ErrorReply.codec().encode(obj.error, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          card: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.card = reader.bytes()
              break
            }
            case 2: {
              obj.error = ErrorReply.codec().decode(reader, reader.uint32(), {
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
                field: `${prefix}.card`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield * ErrorReply.codec().stream(reader, reader.uint32(), `${prefix}.error`, {
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

  export interface DirectoryResponseCardFieldEvent {
    field: '$.card'
    value: Uint8Array<ArrayBuffer>
  }

  export interface DirectoryResponseErrorCodeFieldEvent {
    field: '$.error.code'
    value: ErrorCode
  }

  export interface DirectoryResponseErrorMessageFieldEvent {
    field: '$.error.message'
    value: string
  }

  export interface DirectoryResponseErrorRetryableFieldEvent {
    field: '$.error.retryable'
    value: boolean
  }

  export function encode (obj: Partial<DirectoryResponse>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, DirectoryResponse.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<DirectoryResponse>): DirectoryResponse {
    return decodeMessage(buf, DirectoryResponse.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<DirectoryResponse>): Generator<DirectoryResponseCardFieldEvent | DirectoryResponseErrorCodeFieldEvent | DirectoryResponseErrorMessageFieldEvent | DirectoryResponseErrorRetryableFieldEvent> {
    return streamMessage(buf, DirectoryResponse.codec(), opts)
  }
}

export interface BlobRequest {
  blobId: Uint8Array<ArrayBuffer>
  firstChunk: number
  count: number
  done: boolean
}

export namespace BlobRequest {
  let _codec: Codec<BlobRequest>

  export const codec = (): Codec<BlobRequest> => {
    if (_codec == null) {
      _codec = message<BlobRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.blobId != null && obj.blobId.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.blobId)
        }

        if ((obj.firstChunk != null && obj.firstChunk !== 0)) {
          w.uint32(16)
          w.uint32(obj.firstChunk)
        }

        if ((obj.count != null && obj.count !== 0)) {
          w.uint32(24)
          w.uint32(obj.count)
        }

        if ((obj.done != null && obj.done !== false)) {
          w.uint32(32)
          w.bool(obj.done)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          blobId: uint8ArrayAlloc(0),
          firstChunk: 0,
          count: 0,
          done: false
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
              obj.firstChunk = reader.uint32()
              break
            }
            case 3: {
              obj.count = reader.uint32()
              break
            }
            case 4: {
              obj.done = reader.bool()
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
                field: `${prefix}.blobId`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.firstChunk`,
                value: reader.uint32()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.count`,
                value: reader.uint32()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.done`,
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

  export interface BlobRequestBlobIdFieldEvent {
    field: '$.blobId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface BlobRequestFirstChunkFieldEvent {
    field: '$.firstChunk'
    value: number
  }

  export interface BlobRequestCountFieldEvent {
    field: '$.count'
    value: number
  }

  export interface BlobRequestDoneFieldEvent {
    field: '$.done'
    value: boolean
  }

  export function encode (obj: Partial<BlobRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, BlobRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<BlobRequest>): BlobRequest {
    return decodeMessage(buf, BlobRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<BlobRequest>): Generator<BlobRequestBlobIdFieldEvent | BlobRequestFirstChunkFieldEvent | BlobRequestCountFieldEvent | BlobRequestDoneFieldEvent> {
    return streamMessage(buf, BlobRequest.codec(), opts)
  }
}

export interface BlobChunk {
  blobId: Uint8Array<ArrayBuffer>
  index: number
  data: Uint8Array<ArrayBuffer>
  last: boolean
  done: boolean
  error?: ErrorReply
}

export namespace BlobChunk {
  let _codec: Codec<BlobChunk>

  export const codec = (): Codec<BlobChunk> => {
    if (_codec == null) {
      _codec = message<BlobChunk>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.blobId != null && obj.blobId.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.blobId)
        }

        if ((obj.index != null && obj.index !== 0)) {
          w.uint32(16)
          w.uint32(obj.index)
        }

        if ((obj.data != null && obj.data.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.data)
        }

        if ((obj.last != null && obj.last !== false)) {
          w.uint32(32)
          w.bool(obj.last)
        }

        if ((obj.done != null && obj.done !== false)) {
          w.uint32(40)
          w.bool(obj.done)
        }

        if (obj.error != null) {
          w.uint32(50)
          ErrorReply.codec().encode(obj.error, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          blobId: uint8ArrayAlloc(0),
          index: 0,
          data: uint8ArrayAlloc(0),
          last: false,
          done: false
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
              obj.index = reader.uint32()
              break
            }
            case 3: {
              obj.data = reader.bytes()
              break
            }
            case 4: {
              obj.last = reader.bool()
              break
            }
            case 5: {
              obj.done = reader.bool()
              break
            }
            case 6: {
              obj.error = ErrorReply.codec().decode(reader, reader.uint32(), {
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
                field: `${prefix}.blobId`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.index`,
                value: reader.uint32()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.data`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.last`,
                value: reader.bool()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.done`,
                value: reader.bool()
              }
              break
            }
            case 6: {
              yield * ErrorReply.codec().stream(reader, reader.uint32(), `${prefix}.error`, {
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

  export interface BlobChunkBlobIdFieldEvent {
    field: '$.blobId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface BlobChunkIndexFieldEvent {
    field: '$.index'
    value: number
  }

  export interface BlobChunkDataFieldEvent {
    field: '$.data'
    value: Uint8Array<ArrayBuffer>
  }

  export interface BlobChunkLastFieldEvent {
    field: '$.last'
    value: boolean
  }

  export interface BlobChunkDoneFieldEvent {
    field: '$.done'
    value: boolean
  }

  export interface BlobChunkErrorCodeFieldEvent {
    field: '$.error.code'
    value: ErrorCode
  }

  export interface BlobChunkErrorMessageFieldEvent {
    field: '$.error.message'
    value: string
  }

  export interface BlobChunkErrorRetryableFieldEvent {
    field: '$.error.retryable'
    value: boolean
  }

  export function encode (obj: Partial<BlobChunk>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, BlobChunk.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<BlobChunk>): BlobChunk {
    return decodeMessage(buf, BlobChunk.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<BlobChunk>): Generator<BlobChunkBlobIdFieldEvent | BlobChunkIndexFieldEvent | BlobChunkDataFieldEvent | BlobChunkLastFieldEvent | BlobChunkDoneFieldEvent | BlobChunkErrorCodeFieldEvent | BlobChunkErrorMessageFieldEvent | BlobChunkErrorRetryableFieldEvent> {
    return streamMessage(buf, BlobChunk.codec(), opts)
  }
}

export interface WithdrawRequest {
  envelopeId: Uint8Array<ArrayBuffer>
  recipient: Uint8Array<ArrayBuffer>
}

export namespace WithdrawRequest {
  let _codec: Codec<WithdrawRequest>

  export const codec = (): Codec<WithdrawRequest> => {
    if (_codec == null) {
      _codec = message<WithdrawRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.envelopeId != null && obj.envelopeId.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.envelopeId)
        }

        if ((obj.recipient != null && obj.recipient.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.recipient)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          envelopeId: uint8ArrayAlloc(0),
          recipient: uint8ArrayAlloc(0)
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
              obj.recipient = reader.bytes()
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
                field: `${prefix}.recipient`,
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

  export interface WithdrawRequestEnvelopeIdFieldEvent {
    field: '$.envelopeId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface WithdrawRequestRecipientFieldEvent {
    field: '$.recipient'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<WithdrawRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, WithdrawRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<WithdrawRequest>): WithdrawRequest {
    return decodeMessage(buf, WithdrawRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<WithdrawRequest>): Generator<WithdrawRequestEnvelopeIdFieldEvent | WithdrawRequestRecipientFieldEvent> {
    return streamMessage(buf, WithdrawRequest.codec(), opts)
  }
}

export enum WithdrawResult {
  WITHDRAW_UNSPECIFIED = 'WITHDRAW_UNSPECIFIED',
  WITHDRAWN = 'WITHDRAWN',
  NOT_HERE = 'NOT_HERE'
}

enum __WithdrawResultValues {
  WITHDRAW_UNSPECIFIED = 0,
  WITHDRAWN = 1,
  NOT_HERE = 2
}

export namespace WithdrawResult {
  export const codec = (): Codec<WithdrawResult> => {
    return enumeration<WithdrawResult>(__WithdrawResultValues)
  }
}

export interface WithdrawResponse {
  result: WithdrawResult
  error?: ErrorReply
  fetched: boolean
}

export namespace WithdrawResponse {
  let _codec: Codec<WithdrawResponse>

  export const codec = (): Codec<WithdrawResponse> => {
    if (_codec == null) {
      _codec = message<WithdrawResponse>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.result != null && __WithdrawResultValues[obj.result] !== 0) {
          w.uint32(8)
          WithdrawResult.codec().encode(obj.result, w)
        }

        if (obj.error != null) {
          w.uint32(18)
          ErrorReply.codec().encode(obj.error, w)
        }

        if ((obj.fetched != null && obj.fetched !== false)) {
          w.uint32(24)
          w.bool(obj.fetched)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          result: WithdrawResult.WITHDRAW_UNSPECIFIED,
          fetched: false
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.result = WithdrawResult.codec().decode(reader)
              break
            }
            case 2: {
              obj.error = ErrorReply.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.error
              })
              break
            }
            case 3: {
              obj.fetched = reader.bool()
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
                field: `${prefix}.result`,
                value: WithdrawResult.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield * ErrorReply.codec().stream(reader, reader.uint32(), `${prefix}.error`, {
                limits: opts.limits?.error
              })

              break
            }
            case 3: {
              yield {
                field: `${prefix}.fetched`,
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

  export interface WithdrawResponseResultFieldEvent {
    field: '$.result'
    value: WithdrawResult
  }

  export interface WithdrawResponseErrorCodeFieldEvent {
    field: '$.error.code'
    value: ErrorCode
  }

  export interface WithdrawResponseErrorMessageFieldEvent {
    field: '$.error.message'
    value: string
  }

  export interface WithdrawResponseErrorRetryableFieldEvent {
    field: '$.error.retryable'
    value: boolean
  }

  export interface WithdrawResponseFetchedFieldEvent {
    field: '$.fetched'
    value: boolean
  }

  export function encode (obj: Partial<WithdrawResponse>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, WithdrawResponse.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<WithdrawResponse>): WithdrawResponse {
    return decodeMessage(buf, WithdrawResponse.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<WithdrawResponse>): Generator<WithdrawResponseResultFieldEvent | WithdrawResponseErrorCodeFieldEvent | WithdrawResponseErrorMessageFieldEvent | WithdrawResponseErrorRetryableFieldEvent | WithdrawResponseFetchedFieldEvent> {
    return streamMessage(buf, WithdrawResponse.codec(), opts)
  }
}
