import { homedir } from 'node:os'
import { join, resolve } from 'node:path'

/** `--home`, else $PEERPOST_HOME, else the user's data directory. */
export function resolveHome (option: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (option != null && option !== '') return resolve(option)
  if (env.PEERPOST_HOME != null && env.PEERPOST_HOME !== '') return resolve(env.PEERPOST_HOME)
  const data = env.XDG_DATA_HOME != null && env.XDG_DATA_HOME !== '' ? env.XDG_DATA_HOME : join(homedir(), '.local', 'share')
  return join(data, 'peerpost')
}
