/**
 * `peerpost send --eml FILE`: an existing RFC 5322 message is sent as its exact bytes, so it
 * is only checked here, never rewritten. Its Message-ID is kept as is (design section 3).
 */

import { MissingMessageIdError } from './errors.js'
import type { MimeLimits } from './limits.js'
import { parseMessage } from './parse.js'
import type { ParsedMessage } from './parse.js'

const ADD_MESSAGE_ID_HINT =
  'peerpost identifies mail by it and keeps the one you give; add a line such as ' +
  '"Message-ID: <any-unique-text@your.domain>" to the header (above the first blank line)'

/**
 * Validates a message for sending as is: it must parse within the limits and carry a Message-ID.
 *
 * @example const parsed = await readEmlForSend(await readFile('note.eml'))
 * @throws MissingMessageIdError with instructions, or any error of {@link parseMessage}
 */
export async function readEmlForSend (raw: Uint8Array, limits?: Partial<MimeLimits>): Promise<ParsedMessage> {
  try {
    return await parseMessage(raw, limits)
  } catch (err) {
    // Only this one condition gets the sender-side advice; every other error passes unchanged.
    if (err instanceof MissingMessageIdError) throw new MissingMessageIdError(ADD_MESSAGE_ID_HINT)
    throw err
  }
}
