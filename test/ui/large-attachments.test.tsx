import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { render } from 'ink-testing-library'
import { App } from '../../cli/ui/components/App.js'
import { Controller } from '../../cli/ui/controller.js'
import { memoryLog } from '../../cli/ui/log.js'
import { reducer } from '../../cli/ui/reducer.js'
import { initialState } from '../../cli/ui/state.js'
import { createStore } from '../../cli/ui/store.js'
import { UiApi, attachmentsOf, transfersOf } from '../../cli/ui/ui-api.js'
import { attachmentState, transferLine } from '../../cli/ui/view-format.js'
import { openTestHome, seedMessages, stranger, uiHome } from '../helpers/ui.js'
import type { HomeApi } from '../../cli/api.js'
import type { NodeEvent } from '../../node/events.js'

const MiB = 1024 * 1024

/**
 * Large attachments (kept by the sender, pulled by the recipient) come from the daemon as
 * `largeAttachments` on `read`, `transfers.list` and `transfer:*` events. The UI shows
 * what it is given and stays readable when a field is missing.
 */
describe('large attachments: states in the reader and the transfers pane', () => {
  it('maps the daemon\'s states to words and bars', () => {
    const views = attachmentsOf({
      attachments: [{ name: 'small.txt', type: 'text/plain', size: 10, sha256: 'ab' }],
      largeAttachments: [
        { blobId: 'b1', name: 'video.mp4', type: 'video/mp4', size: 100 * MiB, state: 'waiting', bytesDone: 0, waitingFor: '12D3KooWAlice', waitingForName: 'alice' },
        { blobId: 'b2', name: 'data.tar', size: 10 * MiB, state: 'pulling', bytesDone: 4 * MiB },
        { blobId: 'b3', name: 'bad.bin', size: 5, state: 'failed', reason: 'the holder sent a chunk that does not verify' },
        { blobId: 'b4', name: 'mine.iso', size: 5, state: 'held', have: ['x'], waiting: ['y', 'z'] },
        { blobId: 'b5', name: 'old.bin', size: 5 }
      ]
    })
    assert.deepEqual(views.map(attachmentState), [
      'here',
      'waiting for alice',
      '40% [######..........]',
      'failed: the holder sent a chunk that does not verify',
      'kept here for the recipients: 1 have it, 2 waiting',
      'here'
    ])
    assert.equal(views[2]?.type, 'application/octet-stream', 'a missing type gets a neutral one')
  })

  it('the transfers list: direction, peer, percent with a bar, speed', () => {
    const [down, waiting, up] = transfersOf({
      downloads: [
        { blobId: 'b2', name: 'data.tar', from: '12D3KooWBobBobBobBobBob', size: 10 * MiB, bytesDone: 5 * MiB, state: 'pulling' },
        { blobId: 'b1', name: 'video.mp4', from: '12D3KooWAlice', waitingForName: 'alice', size: 100 * MiB, bytesDone: 0, state: 'waiting' }
      ],
      uploads: [{ blobId: 'b9', peer: '12D3KooWCarolCarolCarol', chunksServed: 3, completed: false }]
    })
    assert.equal(transferLine({ ...down!, bytesPerSecond: 2 * MiB }), '↓ data.tar from 12D3KooW…BobBob 50% [##########..........] 5.0 MiB/10.0 MiB 2.0 MiB/s')
    assert.equal(transferLine(waiting!), '↓ video.mp4 waiting for alice 100.0 MiB')
    assert.equal(transferLine(up!), '↑ attachment b9 to 12D3KooW…lCarol serving')
    assert.deepEqual(transfersOf({}), [])
  })

  it('a progress event moves the bar of the open message without re-reading it', () => {
    let s = reducer(initialState(), { type: 'conversation/open', id: 'm' })
    s = reducer(s, { type: 'conversation/loaded', id: 'm', thread: [], message: { id: 'm', folder: 'inbox', messageId: '<m@x>', from: 'a', fromPeer: 'p', to: [], cc: [], subject: 's', date: '', text: '', references: [], attachments: [{ name: 'v', type: 't', size: 100, blobId: 'b1', state: 'waiting', received: 0 }] } })
    s = reducer(s, { type: 'attachment/progress', blobId: 'b1', bytesDone: 25 })
    assert.equal(attachmentState(s.conversations[0]!.message!.attachments[0]!), '25% [####............]')
    s = reducer(s, { type: 'attachment/progress', blobId: 'b1', bytesDone: 100 })
    assert.equal(attachmentState(s.conversations[0]!.message!.attachments[0]!), 'here')
  })

  it('a state event is applied as it comes: failed with its reason, waiting for a holder, complete is here', () => {
    let s = reducer(initialState(), { type: 'conversation/open', id: 'm' })
    s = reducer(s, { type: 'conversation/loaded', id: 'm', thread: [], message: { id: 'm', folder: 'inbox', messageId: '<m@x>', from: 'a', fromPeer: 'p', to: [], cc: [], subject: 's', date: '', text: '', references: [], attachments: [{ name: 'v', type: 't', size: 100, blobId: 'b1', state: 'pulling', received: 100 }] } })
    const shown = (): string => attachmentState(s.conversations[0]!.message!.attachments[0]!)
    assert.equal(shown(), '100% [################]')
    s = reducer(s, { type: 'attachment/state', blobId: 'b1', state: 'waiting', holder: 'alice' })
    assert.equal(shown(), 'waiting for alice')
    s = reducer(s, { type: 'attachment/state', blobId: 'b1', state: 'failed', reason: 'the holder sent bad data' })
    assert.equal(shown(), 'failed: the holder sent bad data')
    s = reducer(s, { type: 'attachment/state', blobId: 'b1', state: 'complete' })
    assert.equal(shown(), 'here')
  })

  const cleanups: Array<() => Promise<void>> = []
  after(async () => { for (const c of cleanups) await c() })

  it('on screen: the reader shows waiting, then the bar as progress events arrive; the outbox pane lists the transfer', async () => {
    const home = await uiHome('large')
    const alice = await stranger('alice')
    await seedMessages(home.home, home.peerId, [{ fromName: 'Alice', fromPeer: alice.peerId, subject: 'The video', text: 'It is big.', date: Date.now() }])
    const t = await openTestHome(home.home)
    cleanups.push(async () => { await t.close(); await home.remove() })
    // The daemon's large-attachment API, as a layer over the real home's methods.
    let bytesDone = 0
    const listeners: Array<(e: NodeEvent) => void> = []
    const api: HomeApi = {
      ...t.api,
      call: async <T, >(method: string, params?: unknown): Promise<T> => {
        if (method === 'transfers.list') return { downloads: [{ blobId: 'b1', name: 'video.mp4', from: alice.peerId, size: 8 * MiB, bytesDone, state: bytesDone === 0 ? 'waiting' : 'pulling', waitingForName: 'alice' }], uploads: [] } as T
        const r = await t.api.call<T>(method, params)
        if (method === 'read') return { ...r, largeAttachments: [{ blobId: 'b1', name: 'video.mp4', type: 'video/mp4', size: 8 * MiB, state: 'waiting', bytesDone: 0, waitingForName: 'alice' }] } as T
        return r
      },
      subscribe: async l => { listeners.push(l); await t.api.subscribe(l) }
    }
    const store = createStore(initialState({ columns: 110, rows: 24 }))
    const controller = new Controller({ api: new UiApi(api), store, log: memoryLog(), saveDir: join(home.home, 'saved') })
    const r = render(<App store={store} controller={controller} followResize={false} />)
    cleanups.push(async () => { controller.stop(); r.unmount() })
    await controller.start()
    await waitFrame(r, f => f.includes('The video'))
    r.stdin.write('\r')
    await waitFrame(r, f => /video\.mp4 +8\.0 MiB +video\/mp4 +waiting for alice/.test(f))
    r.stdin.write('s')
    await waitFrame(r, f => f.includes('video.mp4 is not here yet: waiting for alice'))
    bytesDone = 2 * MiB
    for (const l of listeners) l({ type: 'transfer:progress' as never, data: { blobId: 'b1', messageId: 'x', bytesDone, total: 8 * MiB } as never, at: Date.now() })
    await waitFrame(r, f => f.includes('video.mp4  8.0 MiB  video/mp4  25% [####............]'))
    r.stdin.write('O')
    await waitFrame(r, f => /↓ video\.mp4 from 12D3KooW…\w+ 25% \[#####\.+\] 2\.0 MiB\/8\.0 MiB/.test(f))
  })
})

async function waitFrame (r: ReturnType<typeof render>, check: (f: string) => boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms
  while (!check(r.lastFrame() ?? '')) {
    if (Date.now() > until) throw new Error(`timed out; last frame:\n${r.lastFrame() ?? ''}`)
    await new Promise(resolve => setTimeout(resolve, 10))
  }
}
