import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { DISK_CHECK_INTERVAL_MS, DiskReserve } from '../../storage/disk-reserve.js'

describe('disk reserve', () => {
  it('refuses a deposit that would leave less than the reserve free, counting deposits the file system does not show yet', async () => {
    let now = 0
    let free = 10_000
    let readings = 0
    const disk = new DiskReserve({ freeBytes: async () => { readings++; return free }, now: () => now }, '/db', 4_000)
    await disk.check(3_000)
    await disk.check(3_000)
    await assert.rejects(disk.check(1), { name: 'DiskReserveError', freeBytes: 4_000, minFreeBytes: 4_000 })
    assert.equal(readings, 1, 'one reading serves the deposits within the interval')
    assert.equal(disk.freeBytes, 4_000)

    free = 20_000
    now = DISK_CHECK_INTERVAL_MS
    await disk.check(1)
    assert.equal(readings, 2, 'read again once the interval is over; what it shows replaces the count')
    assert.equal(disk.freeBytes, 19_999)
  })

  it('concurrent deposits share one reading; a reserve of 0 never reads', async () => {
    let readings = 0
    const disk = new DiskReserve({ freeBytes: async () => { readings++; return 1_000 }, now: () => 0 }, '/db', 100)
    const results = await Promise.allSettled(Array.from({ length: 5 }, async () => { await disk.check(300) }))
    assert.equal(readings, 1)
    assert.deepEqual(results.map(r => r.status), ['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'rejected'])
    const off = new DiskReserve({ freeBytes: async () => { readings++; return 0 }, now: () => 0 }, '/db', 0)
    await off.check(1_000_000)
    assert.equal(readings, 1)
  })
})
