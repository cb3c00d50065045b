import { peerNames } from './format.js'
import type { HomeApi } from './api.js'
import type { ServerView } from '../node/mail-service.js'

/** My home servers' names ("server 203.0.113.7:4455") for the holders named in outbox lines, instead of a cut PeerId. */
export async function serverNames (api: HomeApi): Promise<Map<string, string>> {
  return peerNames(await api.call<ServerView[]>('servers.list'))
}
