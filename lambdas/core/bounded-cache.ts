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
    const held = this.entries.get(key);
    // One lookup on a hit; a second only for a kept `undefined`.
    if (held !== undefined || this.entries.has(key)) return held as V;
    const value = compute();
    this.set(key, value);
    return value;
  }
}

/**
 * A per-process map whose entries expire `ttlMs` after they were set, holding at most
 * `maxEntries` (the one set longest ago is dropped first): for reads that may be a few seconds
 * stale (the catalogue a charge is checked against, the year totals of the alert rules).
 */
export class ExpiringCache<K, V> {
  /** In the order they were set: the Map's insertion order is the age order. */
  private readonly entries = new Map<K, { at: number; value: V }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The value set less than `ttlMs` ago, if any. */
  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    return entry && this.now() - entry.at < this.ttlMs ? entry.value : undefined;
  }

  set(key: K, value: V): void {
    this.entries.delete(key); // re-inserted last
    this.entries.set(key, { at: this.now(), value });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  /** Forgets `key` if it still holds `value` (a read that failed, or found nothing to keep). */
  forget(key: K, value: V): void {
    if (this.entries.get(key)?.value === value) this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
