/**
 * `peerpost read ID --raw | head -5`, `peerpost list | head -3`: when the program reading
 * stdout has had enough and exits, Node reports EPIPE, as a failed write or as an 'error'
 * event nobody handles (a stack trace, "Unhandled 'error' event"). A closed pipe is not a
 * failure of the command: it ends quietly, as other command-line tools do.
 */
export function isClosedPipe (err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'EPIPE'
}

/** Take stdout's EPIPE as the end of output; any other stdout error still surfaces. */
export function endQuietlyOnClosedStdout (stdout: NodeJS.WriteStream = process.stdout): void {
  stdout.on('error', err => {
    if (isClosedPipe(err)) return
    throw err
  })
}
