import { EnvelopeExpiredError } from './protocol/errors.js'

/**
 * How long a copy of a message can still arrive, which bounds both what a receiver takes
 * and how long it keeps a deleted message's dedupe tombstone (storage/tombstones.ts).
 *
 * An envelope carries, signed inside its seal, the time its sender queued the message (the
 * outbox entry's createdAt: a re-seal or a stamp keeps it). Its copies travel at most:
 *   the sender's outbox lifetime (node/config.ts DEFAULT_MESSAGE_LIFETIME_MS, 7 days): its
 *   direct retries, and its last chance to park;
 *   + a holder's retention of what was parked at the very end of that: a cache server's
 *   (cache-server/config.ts DEFAULT_RETENTION_MS, 30 days) or a co-recipient's
 *   (DEFAULT_HOLDING_RETENTION_MS, 7 days). Holders never pass an envelope on.
 * That is 37 days with the defaults; both are other people's settings, so the receiver
 * fixes its own bound with room above them and refuses an envelope older than it. A test
 * (envelope-age.test.ts) fails if the defaults outgrow it.
 */
const DAY = 24 * 60 * 60_000
export const MAX_ENVELOPE_AGE_MS = 60 * DAY

/**
 * A tombstone outlives the oldest envelope still taken by this much: the envelope's time is
 * the sender's clock, the deletion time mine, and a sender's clock running ahead of mine
 * makes its copies look younger. A day covers any clock that is merely badly set.
 */
export const TOMBSTONE_CLOCK_MARGIN_MS = DAY

/**
 * How long a deleted message's dedupe tombstone is kept. Safe because every copy of the
 * message is then refused as expired: it was sealed before I received it (up to the clock
 * margin), and I received it before I deleted it.
 */
export const TOMBSTONE_LIFETIME_MS = MAX_ENVELOPE_AGE_MS + TOMBSTONE_CLOCK_MARGIN_MS

/**
 * Throws EnvelopeExpiredError if an envelope sealed at `timestamp` (ms, from its verified
 * inner record) is older than `maxAgeMs` at `now`. A timestamp in the future is not refused
 * here: it is the sender's own clock, and it only keeps the sender's own copies acceptable.
 */
export function assertEnvelopeFresh (timestamp: number, now: number, maxAgeMs = MAX_ENVELOPE_AGE_MS): void {
  const age = now - timestamp
  if (age > maxAgeMs) {
    throw new EnvelopeExpiredError(`the envelope was sealed ${Math.floor(age / DAY)} days ago; a copy older than ${Math.floor(maxAgeMs / DAY)} days is no longer taken`)
  }
}
