import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { quietLogger } from '../../cache-server/quiet-logger.js'
import type { ComponentLogger, Logger } from '@libp2p/interface'

/** An inner ComponentLogger that records which names it was asked for and what they logged. */
function recordingLogger (): { inner: ComponentLogger, asked: string[], lines: string[] } {
  const asked: string[] = []
  const lines: string[] = []
  const make = (name: string): Logger => Object.assign((f: string) => { lines.push(`${name} ${f}`) }, {
    enabled: true,
    error: (f: string) => { lines.push(`${name}:error ${f}`) },
    trace: (f: string) => { lines.push(`${name}:trace ${f}`) },
    newScope: (scope: string) => make(`${name}:${scope}`)
  }) as unknown as Logger
  return { inner: { forComponent: name => { asked.push(name); return make(name) } }, asked, lines }
}

describe('quiet logger', () => {
  it('hands out the real logger for enabled names (or their :error / :trace) and a silent one for the rest', () => {
    const { inner, asked, lines } = recordingLogger()
    const on = new Set(['peerpost:cache', 'libp2p:tcp:error', 'libp2p:yamux:trace'])
    const logger = quietLogger(inner, ns => on.has(ns))

    const cache = logger.forComponent('peerpost:cache')
    cache('started')
    const tcp = logger.forComponent('libp2p:tcp')
    tcp.error('refused')
    logger.forComponent('libp2p:yamux').trace('frame')
    assert.deepEqual(asked, ['peerpost:cache', 'libp2p:tcp', 'libp2p:yamux'])

    const quiet = logger.forComponent('libp2p:connection:inbound:abc')
    quiet('nothing')
    quiet.error('nothing either')
    quiet.trace('nor this')
    assert.equal(quiet.enabled, false)
    assert.equal((quiet.error as unknown as { enabled?: boolean }).enabled, false)
    assert.deepEqual(asked, ['peerpost:cache', 'libp2p:tcp', 'libp2p:yamux'], 'no real logger made for a silent name')
    assert.deepEqual(lines, ['peerpost:cache started', 'libp2p:tcp:error refused', 'libp2p:yamux:trace frame'])
  })

  it('checks a scope below a silent logger by its full name', () => {
    const { inner, asked, lines } = recordingLogger()
    const logger = quietLogger(inner, ns => ns === 'libp2p:connection:abc:ping')
    const conn = logger.forComponent('libp2p:connection:abc')
    conn.newScope('identify')('silent')
    conn.newScope('ping')('heard')
    assert.deepEqual(asked, ['libp2p:connection:abc:ping'])
    assert.deepEqual(lines, ['libp2p:connection:abc:ping heard'])
  })
})
