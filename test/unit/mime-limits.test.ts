import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import {
  DEFAULT_MAX_BYTES,
  MalformedMimeError,
  MimeHeaderTooLargeError,
  MimeNestingTooDeepError,
  MimeTooLargeError,
  MimeTooManyPartsError,
  parseMessage,
  parseText,
  resolveLimits
} from '../../node/mime/index.js'

const MiB = 1024 * 1024
const HEAD = 'From: a@peerpost\r\nTo: b@peerpost\r\nSubject: s\r\nMessage-ID: <m@peerpost>\r\nMIME-Version: 1.0\r\n'
const bytes = (s: string): Uint8Array => Buffer.from(s, 'latin1')

/** A multipart/mixed with `count` small attachments. */
function manyParts (count: number): string {
  const parts: string[] = [`${HEAD}Content-Type: multipart/mixed; boundary="b"\r\n\r\n`]
  for (let i = 0; i < count; i++) {
    parts.push(`--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="f${i}.bin"\r\n\r\nx\r\n`)
  }
  parts.push('--b--\r\n')
  return parts.join('')
}

/** Multiparts nested `depth` deep, each level with its own boundary. */
function nested (depth: number): string {
  let open = `${HEAD}Content-Type: multipart/mixed; boundary="b0"\r\n\r\n`
  let close = '--b0--\r\n'
  for (let i = 1; i < depth; i++) {
    open += `--b${i - 1}\r\nContent-Type: multipart/mixed; boundary="b${i}"\r\n\r\n`
    close = `--b${i}--\r\n${close}`
  }
  return `${open}--b${depth - 1}\r\nContent-Type: text/plain\r\n\r\ndeep\r\n${close}`
}

/** Time a rejection, so "refused quickly" is checked rather than assumed. */
async function rejectsWithin (ms: number, promise: Promise<unknown>, expected: new (...args: never[]) => Error): Promise<void> {
  const started = performance.now()
  await assert.rejects(promise, expected)
  const took = performance.now() - started
  assert.ok(took < ms, `took ${took.toFixed(0)} ms, expected under ${ms} ms`)
}

describe('MIME limits', () => {
  it('has named defaults and fills in what is not given', () => {
    assert.deepEqual(resolveLimits(), { maxBytes: 32 * MiB, maxHeaderBytes: 256 * 1024, maxParts: 500, maxNesting: 30 })
    assert.equal(resolveLimits({ maxParts: 7 }).maxBytes, DEFAULT_MAX_BYTES)
    assert.throws(() => resolveLimits({ maxParts: 0 }), RangeError)
  })

  it('refuses a message over maxBytes before looking inside', async () => {
    const raw = new Uint8Array(DEFAULT_MAX_BYTES + 1)
    await rejectsWithin(100, parseMessage(raw), MimeTooLargeError)
    await assert.rejects(parseMessage(bytes(`${HEAD}\r\n${'x'.repeat(2000)}`), { maxBytes: 1000 }), (err: Error) => {
      assert.equal(err.name, 'MimeTooLargeError')
      assert.match(err.message, /over the 1000 bytes limit/)
      return true
    })
  })

  it('refuses a 2 MiB header block', async () => {
    const pad = `X-Pad: ${'a'.repeat(70)}\r\n`
    const header = pad.repeat(Math.ceil((2 * MiB) / pad.length))
    await rejectsWithin(1000, parseMessage(bytes(`${HEAD}${header}\r\nbody\r\n`)), MimeHeaderTooLargeError)
    // One 2 MiB line without any line break is refused the same way.
    await assert.rejects(parseMessage(bytes(`Subject: ${'a'.repeat(2 * MiB)}\r\n\r\nbody`)), MimeHeaderTooLargeError)
  })

  it('refuses an oversized header inside a part', async () => {
    const raw = `${HEAD}Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nX-Pad: ${'a'.repeat(300 * 1024)}\r\n\r\nx\r\n--b--\r\n`
    await assert.rejects(parseMessage(bytes(raw)), MimeHeaderTooLargeError)
  })

  it('refuses 10,000 parts quickly', async () => {
    await rejectsWithin(2000, parseMessage(bytes(manyParts(10_000))), MimeTooManyPartsError)
  })

  it('accepts a message right at the part limit and refuses one over it', async () => {
    // root multipart + N attachments = N + 1 entities
    const ok = await parseMessage(bytes(manyParts(9)), { maxParts: 10 })
    assert.equal(ok.attachments.length, 9)
    await assert.rejects(parseMessage(bytes(manyParts(10)), { maxParts: 10 }), MimeTooManyPartsError)
  })

  it('parseText reads the text as parseMessage does, drops attachments, and keeps every limit', async () => {
    const withText = manyParts(3).replace('\r\n\r\n--b\r\n', '\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nthe words to find\r\n--b\r\n')
    const full = await parseMessage(bytes(withText))
    assert.equal(full.attachments.length, 3)
    assert.deepEqual(await parseText(bytes(withText)), { text: full.text })
    assert.match(full.text, /the words to find/)
    await assert.rejects(parseText(bytes(manyParts(10)), { maxParts: 10 }), MimeTooManyPartsError)
    await assert.rejects(parseText(bytes(nested(6)), { maxNesting: 5 }), MimeNestingTooDeepError)
    await assert.rejects(parseText(new Uint8Array(2 * MiB), { maxBytes: MiB }), MimeTooLargeError)
    await assert.rejects(parseText(new Uint8Array(0)), MalformedMimeError)
  })

  it('refuses multiparts nested 1,000 deep without parsing them', async () => {
    await rejectsWithin(1000, parseMessage(bytes(nested(1000))), MimeNestingTooDeepError)
  })

  it('accepts nesting at the limit and refuses one level more', async () => {
    const ok = await parseMessage(bytes(nested(5)), { maxNesting: 5 })
    assert.equal(ok.text.trim(), 'deep')
    await assert.rejects(parseMessage(bytes(nested(6)), { maxNesting: 5 }), MimeNestingTooDeepError)
  })

  it('reads boundaries the way mailparser does: RFC 2231 continuations, comments, a stray CR', async () => {
    // Each of these hides the nesting from a naive scanner but not from mailparser's splitter.
    const variants: Array<(i: number) => string> = [
      i => `multipart/mixed; boundary*0="b"; boundary*1="${i}"`,
      i => `multipart/mixed; boundary=b${i} (a comment)`,
      i => `multipart/mixed; boundary*=us-ascii''b${i}`
    ]
    for (const type of variants) {
      let open = `${HEAD}Content-Type: ${type(0)}\r\n\r\n`
      for (let i = 1; i < 40; i++) open += `--b${i - 1}\r\nContent-Type: ${type(i)}\r\n\r\n`
      await assert.rejects(parseMessage(bytes(`${open}--b39\r\n\r\ndeep\r\n`)), MimeNestingTooDeepError, type(0))
    }
    const strayCr = nested(40).replace(/\r\n--/g, '\r\n\r--')
    await assert.rejects(parseMessage(bytes(strayCr)), MimeNestingTooDeepError)
  })

  it('counts embedded message/rfc822 as nesting too', async () => {
    let raw = 'Subject: inner\r\nMessage-ID: <i@x>\r\n\r\nhi\r\n'
    for (let i = 0; i < 50; i++) raw = `Subject: level ${i}\r\nMessage-ID: <l${i}@x>\r\nContent-Type: message/rfc822\r\n\r\n${raw}`
    await assert.rejects(parseMessage(bytes(raw)), MimeNestingTooDeepError)
  })

  it('turns garbage into a typed error, never an untyped one', async () => {
    for (let seed = 0; seed < 50; seed++) {
      const garbage = new Uint8Array(randomBytes(4096))
      await assert.rejects(parseMessage(garbage), (err: Error) => {
        assert.ok(err instanceof MalformedMimeError || err instanceof MimeHeaderTooLargeError, `${err.name}: ${err.message}`)
        return true
      })
    }
    await assert.rejects(parseMessage(new Uint8Array(0)), MalformedMimeError)
    await assert.rejects(parseMessage(bytes('\r\n\r\nbody only')), MalformedMimeError)
    await assert.rejects(parseMessage(bytes('From alice Tue Mar 18 2025\r\nSubject: mbox\r\n\r\nx')), MalformedMimeError)
  })

  it('stops when the caller aborts', async () => {
    const controller = new AbortController()
    controller.abort(new Error('shutting down'))
    await assert.rejects(parseMessage(bytes(`${HEAD}\r\nx`), {}, { signal: controller.signal }), /shutting down/)
  })
})
