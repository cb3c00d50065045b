import { RELAY_V2_HOP_CODEC, RELAY_V2_STOP_CODEC } from '@libp2p/circuit-relay-v2'
import type { Metrics, Stream } from '@libp2p/interface'

/**
 * What the circuit relay carried, for /metrics and /health. @libp2p/circuit-relay-v2's
 * server counts nothing itself (it keeps only its reservations, and a per-circuit data
 * limit it does not expose), so this counts at the one place libp2p shows every negotiated
 * stream: its Metrics component's `trackProtocolStream`. A circuit is two streams on the
 * relay: the source's hop stream (in) and the stop stream the relay opens to the
 * destination (out), joined by the relay, which writes each side's bytes to the other with
 * `send`. So: a stop stream opened is a circuit, open until it closes; bytes sent on hop and
 * stop streams are the relayed traffic, both ways (plus the relay's own few hundred bytes
 * of reservation and circuit setup answers on the same streams).
 *
 * Counting is by wrapping each such stream's `send`, not by listening to its `message`
 * events: a stream with a message listener dispatches data at once instead of buffering it
 * until its reader listens, so an extra listener could lose the bytes the relay has yet to read.
 */
export class RelayTraffic {
  /** Circuits the relay opened to a destination (its stop streams). */
  circuitsOpened = 0
  /** Of those, still open. */
  circuitsActive = 0
  /** Bytes the relay wrote on hop and stop streams. */
  bytesRelayed = 0

  /** Count this stream if it is one side of a circuit (called by libp2p for every stream). */
  track (stream: Stream): void {
    const stop = stream.protocol === RELAY_V2_STOP_CODEC && stream.direction === 'outbound'
    const hop = stream.protocol === RELAY_V2_HOP_CODEC && stream.direction === 'inbound'
    if (!stop && !hop) return
    if (stop) {
      this.circuitsOpened++
      this.circuitsActive++
      stream.addEventListener('close', () => { this.circuitsActive-- }, { once: true })
    }
    const send = stream.send.bind(stream)
    stream.send = (data) => {
      this.bytesRelayed += data.byteLength
      return send(data)
    }
  }

  /**
   * A libp2p Metrics component that feeds `track` and records nothing else: what the other
   * components register (connection manager, DHT, transports) is not what this server
   * reports, so every registration returns a metric that ignores its updates.
   */
  metrics (): Metrics {
    const ignored = { update () {}, increment () {}, decrement () {}, reset () {}, observe () {}, timer: () => () => {} }
    // One object answers every register* call: a calculated metric (with `calculate`) returns nothing.
    const register = ((_name: string, options?: { calculate?: unknown }) => options?.calculate != null ? undefined : ignored) as never
    return {
      trackMultiaddrConnection () {},
      trackProtocolStream: stream => { this.track(stream) },
      registerMetric: register,
      registerMetricGroup: register,
      registerCounter: register,
      registerCounterGroup: register,
      registerHistogram: register,
      registerHistogramGroup: register,
      registerSummary: register,
      registerSummaryGroup: register,
      traceFunction: ((_name: string, fn: unknown) => fn) as never,
      createTrace: () => undefined
    }
  }
}
