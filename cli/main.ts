#!/usr/bin/env node
import { CommanderError } from 'commander'
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, describeError, exitCodeFor } from './errors.js'
import { endQuietlyOnClosedStdout, isClosedPipe } from './closed-pipe.js'
import { checkNodeVersion } from './node-version.js'
import { buildProgram } from './program.js'

export async function main (argv: string[]): Promise<number> {
  const program = buildProgram()
  endQuietlyOnClosedStdout()
  try {
    checkNodeVersion()
    await program.parseAsync(argv)
    return EXIT_OK
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.help' || err.code === 'commander.version') return EXIT_OK
      return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE
    }
    if (isClosedPipe(err)) return EXIT_OK
    process.stderr.write(`peerpost: ${describeError(err)}\n`)
    return err instanceof Error ? exitCodeFor(err) : EXIT_FAILURE
  }
}

main(process.argv).then(code => { process.exitCode = code }, err => {
  process.stderr.write(`peerpost: ${describeError(err)}\n`)
  process.exitCode = EXIT_FAILURE
})
