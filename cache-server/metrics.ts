import { createServer } from 'node:http'
import { parseHostPort } from './config.js'
import type { DhtPresenceStats } from './dht-presence.js'
import type { Server } from 'node:http'

/** Counters the server's handlers bump; gauges are read when scraped. */
export class CacheMetrics {
  deposits = 0
  duplicateDeposits = 0
  fetches = 0
  acks = 0
  withdrawals = 0
  expired = 0
  heartbeats = 0
  noticesDropped = 0
  /** Known reasons start at 0 so dashboards see the series before the first refusal. */
  readonly rejections = new Map<string, number>(['quota_exceeded', 'disk_full', 'too_large', 'malformed', 'internal'].map(r => [r, 0]))

  reject (reason: string): void {
    this.rejections.set(reason, (this.rejections.get(reason) ?? 0) + 1)
  }
}

/** What the server is right now, read at scrape time. */
export interface CacheGauges {
  connectedPeers: number
  presenceOnline: number
  parkedEnvelopes: number
  parkedBytes: number
  relayReservations: number
  /** Relayed circuits open now, opened since start, and the bytes they carried both ways (cache-server/relay-traffic.ts). */
  relayCircuitsActive: number
  relayCircuitsOpened: number
  relayBytes: number
  namesRegistered: number
  noticesStored: number
  /** Free bytes under the database, as last read (deposits refused below parking.minFreeDiskBytes). */
  diskFreeBytes: number
  /** Only when the DHT runs: no DHT series otherwise. */
  dht?: { stats: DhtPresenceStats, routingTablePeers: number, storedRecords: number }
}

interface Metric { name: string, help: string, type: 'counter' | 'gauge', samples: Array<{ labels?: Record<string, string>, value: number }> }

const escapeLabel = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')

/** Prometheus text exposition format 0.0.4. */
export function renderMetrics (m: CacheMetrics, g: CacheGauges): string {
  const one = (name: string, help: string, type: Metric['type'], value: number): Metric => ({ name, help, type, samples: [{ value }] })
  const metrics: Metric[] = [
    one('peerpost_connected_peers', 'Peers with an open connection to this server.', 'gauge', g.connectedPeers),
    one('peerpost_presence_online', 'Nodes whose presence is online (heartbeat within the timeout).', 'gauge', g.presenceOnline),
    one('peerpost_parked_envelopes', 'Sealed envelopes held for offline recipients.', 'gauge', g.parkedEnvelopes),
    one('peerpost_parked_bytes', 'Bytes of sealed envelopes held for offline recipients.', 'gauge', g.parkedBytes),
    one('peerpost_relay_reservations', 'Circuit relay reservations held by nodes.', 'gauge', g.relayReservations),
    one('peerpost_relay_circuits_active', 'Relayed connections open through this server now.', 'gauge', g.relayCircuitsActive),
    one('peerpost_relay_circuits_total', 'Relayed connections opened through this server (the relay asked a node holding a reservation to take one).', 'counter', g.relayCircuitsOpened),
    one('peerpost_relay_bytes_total', 'Bytes relayed between the two ends of relayed connections, both ways (with the relay\'s few hundred bytes of reservation and circuit setup).', 'counter', g.relayBytes),
    one('peerpost_names_registered', 'Names registered in this server\'s directory.', 'gauge', g.namesRegistered),
    one('peerpost_notices_stored', 'Notices held for recipients (message waiting, expiry).', 'gauge', g.noticesStored),
    one('peerpost_disk_free_bytes', 'Free bytes on the disk under the database (deposits are refused below parking.minFreeDiskBytes).', 'gauge', g.diskFreeBytes),
    one('peerpost_deposits_total', 'Envelopes parked (receipt sent after the synced write).', 'counter', m.deposits),
    one('peerpost_duplicate_deposits_total', 'Deposits of an envelope already held (answered with a receipt, stored once).', 'counter', m.duplicateDeposits),
    one('peerpost_fetches_total', 'Envelopes handed to their recipient.', 'counter', m.fetches),
    one('peerpost_acks_total', 'Envelopes deleted after their recipient acknowledged them.', 'counter', m.acks),
    one('peerpost_withdrawals_total', 'Envelopes deleted because their depositor took them back.', 'counter', m.withdrawals),
    one('peerpost_expired_total', 'Envelopes deleted unfetched at the end of their retention.', 'counter', m.expired),
    one('peerpost_heartbeats_total', 'Presence heartbeats accepted.', 'counter', m.heartbeats),
    one('peerpost_notices_dropped_total', 'Expiry notices that could not be stored (the depositor\'s notice quota was full).', 'counter', m.noticesDropped),
    { name: 'peerpost_rejections_total', help: 'Deposits refused, by reason.', type: 'counter', samples: [...m.rejections].map(([reason, value]) => ({ labels: { reason }, value })) }
  ]
  if (g.dht != null) {
    const s = g.dht.stats
    metrics.push(
      one('peerpost_dht_routing_table_peers', 'Other cache servers in this server\'s DHT routing table.', 'gauge', g.dht.routingTablePeers),
      one('peerpost_dht_stored_records', 'DHT records and provider records stored here for others (bounded by dht.maxStoredRecords).', 'gauge', g.dht.storedRecords),
      { name: 'peerpost_dht_puts_total', help: 'Presence records of nodes homed here put into the DHT, by result.', type: 'counter', samples: [['ok', s.putsOk], ['failed', s.putsFailed], ['dropped', s.putsDropped]].map(([result, value]) => ({ labels: { result: result as string }, value: value as number })) },
      { name: 'peerpost_dht_lookups_total', help: 'DHT lookups for peers not online here, by result.', type: 'counter', samples: [['found', s.lookupsFound], ['not_found', s.lookupsNotFound], ['busy', s.lookupsBusy]].map(([result, value]) => ({ labels: { result: result as string }, value: value as number })) },
      one('peerpost_dht_records_refused_total', 'Presence records refused: forged, stale, oversized or malformed.', 'counter', s.recordsRefused)
    )
  }
  const lines: string[] = []
  for (const metric of metrics) {
    lines.push(`# HELP ${metric.name} ${metric.help}`, `# TYPE ${metric.name} ${metric.type}`)
    for (const s of metric.samples) {
      const labels = s.labels == null ? '' : `{${Object.entries(s.labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`
      lines.push(`${metric.name}${labels} ${s.value}`)
    }
  }
  return lines.join('\n') + '\n'
}

/** Another process (often a second cache server on the same machine) serves the metrics port. */
export class MetricsAddressInUseError extends Error {
  static readonly NAME = 'MetricsAddressInUseError'
  override name = MetricsAddressInUseError.NAME
  constructor (address: string, options?: ErrorOptions) {
    super(`cannot serve metrics on ${address}: the port is in use (another cache server?): set "metrics": {"address": "127.0.0.1:PORT"} (or "off") in the config`, options)
  }
}

export interface MetricsServer {
  /** `http://host:port` actually bound (port 0 in the config becomes the real port). */
  url: string
  close(): Promise<void>
}

/**
 * Serve `GET /metrics` (Prometheus text) and `GET /health` (`{"ok":true,...}`) on `address`
 * (`host:port`). Nothing else is served; the default address is loopback only.
 */
export async function startMetricsServer (address: string, sources: { metrics: () => string | Promise<string>, health: () => Record<string, unknown> | Promise<Record<string, unknown>> }): Promise<MetricsServer> {
  const target = parseHostPort(address)
  if (target == null) throw new TypeError(`metrics address ${address} is not host:port`)
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end()
      return
    }
    const answer = async (): Promise<void> => {
      if (path === '/metrics') {
        const text = await sources.metrics()
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(text)
      } else if (path === '/health') {
        const health = await sources.health()
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, ...health }) + '\n')
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics or /health\n')
      }
    }
    answer().catch(() => { if (!res.headersSent) res.writeHead(500); res.end() })
  })
  // A scrape never needs a long-lived socket; do not let idle ones hold shutdown.
  server.keepAliveTimeout = 5_000
  server.requestTimeout = 10_000
  await new Promise<void>((resolve, reject) => {
    const failed = (err: NodeJS.ErrnoException): void => {
      reject(err.code === 'EADDRINUSE' ? new MetricsAddressInUseError(address, { cause: err }) : err)
    }
    server.once('error', failed)
    server.listen(target.port, target.host, () => { server.off('error', failed); resolve() })
  })
  const bound = server.address()
  const port = typeof bound === 'object' && bound != null ? bound.port : target.port
  const host = target.host.includes(':') ? `[${target.host}]` : target.host
  return {
    url: `http://${host}:${port}`,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>(resolve => { server.close(() => { resolve() }) })
    }
  }
}
