import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { EXIT_FAILURE, EXIT_USAGE, exitCodeFor } from '../../cli/errors.js'
import { ContactKeyChangedError, InvalidListenAddressError, InvalidServerAddressError, NameNotRegisteredError, NotARecipientError, OfflineError, OwnCardError, SelfRecipientError, ServerNotFoundError, UnknownRecipientError } from '../../node/errors.js'
import { InvalidMessageIdError } from '../../node/mime/errors.js'
import { DownloadNotFoundError } from '../../node/transfers.js'
import { InputFileIsFolderError, InputFileMissingError } from '../../cli/input-files.js'
import { ContactNotFoundError, InvalidIdError, MessageNotFoundError, NotCancellableError, NotInTrashError, OutboxEntryNotFoundError, UnknownFolderError } from '../../storage/errors.js'
import { ImportSourceMissingError } from '../../storage/mail-file-errors.js'

/** An error as the CLI gets it from the daemon: only its name and message cross the socket. */
const remote = (err: Error): Error => Object.assign(new Error(err.message), { name: err.name })

describe('exit codes: 2 when the command line is wrong, 1 when it could not be done', () => {
  it('an argument naming something that does not exist exits 2, whether thrown here or by the daemon', () => {
    const named = [
      new NotARecipientError('e1', 'zed', ['bob', 'carol']),
      new MessageNotFoundError('ffff'),
      new OutboxEntryNotFoundError('ffff'),
      new ContactNotFoundError('zed'),
      new UnknownRecipientError('zed'),
      new UnknownFolderError('nowhere'),
      new InvalidIdError('../etc'),
      new ImportSourceMissingError('/nowhere'),
      new NameNotRegisteredError('zed@cache.example.org'),
      new ServerNotFoundError('/ip4/203.0.113.7/tcp/4455'),
      new DownloadNotFoundError('b1'),
      new InputFileMissingError('--attach', 'photo.jgp')
    ]
    for (const err of named) {
      assert.equal(exitCodeFor(err), EXIT_USAGE, err.name)
      assert.equal(exitCodeFor(remote(err)), EXIT_USAGE, `${err.name} from the daemon`)
    }
  })

  it('something that exists but cannot be done now exits 1', () => {
    const states = [
      new NotCancellableError('e1', [{ address: 'bob', state: 'delivered' }]),
      new NotInTrashError('m1', 'inbox'),
      new ContactKeyChangedError('bob'),
      new OfflineError('outbox cancel'),
      new Error('connection reset')
    ]
    for (const err of states) assert.equal(exitCodeFor(err), EXIT_FAILURE, err.name)
  })

  it('a value that cannot be right exits 2: an address, a file that is a folder, yourself, a Message-ID', () => {
    const values = [
      new InvalidServerAddressError('cache.example.org', 'a multiaddr starts with /'),
      new InvalidListenAddressError('listen', 'tcp:4001'),
      new InputFileIsFolderError('--attach', '/home'),
      new SelfRecipientError('me'),
      new OwnCardError(),
      new InvalidMessageIdError('garbage')
    ]
    for (const err of values) {
      assert.equal(exitCodeFor(err), EXIT_USAGE, err.name)
      assert.equal(exitCodeFor(remote(err)), EXIT_USAGE, `${err.name} from the daemon`)
    }
  })
})
