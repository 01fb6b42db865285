/**
 * A small bounded string-keyed cache for the encoding hot path (escaped keys, series heads, attribute texts,
 * filter decisions), always owned by the instance using it (no module-level caches). At most `max`
 * entries; when full, the oldest inserted entry is evicted (FIFO: a hit costs one Map lookup and nothing else).
 * Keys longer than `maxKeyLength` are never cached, so a hostile huge name cannot pin memory.
 */
export interface CacheStats {
  size: number;
  hits: number;
  misses: number;
  evictions: number;
}

export class BoundedCache<V> {
  readonly #map = new Map<string, V>();
  #hits = 0;
  #misses = 0;
  #evictions = 0;

  constructor(
    readonly max: number,
    readonly maxKeyLength = 256,
  ) {
    if (!(max >= 1)) throw new Error('BoundedCache needs room for at least one entry');
  }

  get(key: string): V | undefined {
    const v = this.#map.get(key);
    if (v === undefined) this.#misses += 1;
    else this.#hits += 1;
    return v;
  }

  set(key: string, value: V): void {
    if (key.length > this.maxKeyLength) return;
    if (!this.#map.has(key) && this.#map.size >= this.max) {
      const oldest = this.#map.keys().next().value as string;
      this.#map.delete(oldest);
      this.#evictions += 1;
    }
    this.#map.set(key, value);
  }

  stats(): CacheStats {
    return { size: this.#map.size, hits: this.#hits, misses: this.#misses, evictions: this.#evictions };
  }
}
