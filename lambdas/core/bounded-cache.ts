/**
 * A per-process map that forgets everything once it holds `maxEntries`: bounded memory for
 * caches of pure work on hot paths (a parsed certificate, a measured text, a checked token),
 * with no bookkeeping of age or use. A full clear is rare and costs only recomputation.
 */
export class BoundedCache<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(private readonly maxEntries: number) {}

  get(key: K): V | undefined {
    return this.entries.get(key);
  }

  set(key: K, value: V): void {
    if (this.entries.size >= this.maxEntries && !this.entries.has(key)) this.entries.clear();
    this.entries.set(key, value);
  }

  /** The value for `key`, computed and kept on first use (nothing is kept when `compute` throws). */
  getOrCompute(key: K, compute: () => V): V {
    if (this.entries.has(key)) return this.entries.get(key) as V;
    const value = compute();
    this.set(key, value);
    return value;
  }
}
