/** Blob ids and keys are kept as hex strings in records; these convert them (no validation: the records are ours). */
export const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')
export const unhex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'))
