/**
 * A small least-recently-used map. Used for native public KeyObjects: building one from
 * raw bytes costs about as much as a verification, and a node verifies the same few
 * contacts' keys over and over. The cache holds only public values, so sharing one per
 * module is safe; it is bounded so a flood of strangers cannot grow it.
 */
export class BoundedCache<V> {
  private readonly entries = new Map<string, V>()

  constructor (private readonly max: number) {}

  get (key: string): V | undefined {
    const value = this.entries.get(key)
    if (value !== undefined) {
      // Re-insert to mark as most recently used (Map keeps insertion order).
      this.entries.delete(key)
      this.entries.set(key, value)
    }
    return value
  }

  set (key: string, value: V): void {
    this.entries.delete(key)
    this.entries.set(key, value)
    if (this.entries.size > this.max) {
      const oldest = this.entries.keys().next()
      if (oldest.done !== true) this.entries.delete(oldest.value)
    }
  }

  get size (): number {
    return this.entries.size
  }
}
