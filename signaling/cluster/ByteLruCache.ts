/**
 * An in-memory cache bounded by the bytes it holds: the least recently used
 * entries go first when a new one would pass the bound, and each entry also
 * has its own expiry (short for playlists, long for immutable media). A Map
 * keeps insertion order, so re-inserting on use makes its first key the LRU.
 */
interface Entry<V> {
  readonly value: V;
  readonly bytes: number;
  readonly expiresAt: number;
}

export class ByteLruCache<V> {
  readonly #maxBytes: number;
  readonly #entries = new Map<string, Entry<V>>();
  #bytes = 0;

  constructor(maxBytes: number) {
    if (!(maxBytes > 0)) throw new RangeError(`ByteLruCache needs a positive byte bound, got ${maxBytes}`);
    this.#maxBytes = maxBytes;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The live value under `key` (and marks it most recently used); undefined when absent or expired. */
  get(key: string, now = Date.now()): V | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= now) {
      this.#remove(key, entry);
      return undefined;
    }
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry.value;
  }

  /** Stores `value` for `ttlMs`; an entry larger than the whole bound is not kept. Returns whether it was stored. */
  set(key: string, value: V, bytes: number, ttlMs: number, now = Date.now()): boolean {
    const old = this.#entries.get(key);
    if (old) this.#remove(key, old);
    if (bytes > this.#maxBytes || !(ttlMs > 0)) return false;
    this.#entries.set(key, { value, bytes, expiresAt: now + ttlMs });
    this.#bytes += bytes;
    for (const [k, e] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#remove(k, e);
    }
    return true;
  }

  /** Drops expired entries (playlist answers keyed by msn/part are never asked for again). */
  sweep(now = Date.now()): void {
    for (const [k, e] of this.#entries) if (e.expiresAt <= now) this.#remove(k, e);
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }

  #remove(key: string, entry: Entry<V>): void {
    this.#entries.delete(key);
    this.#bytes -= entry.bytes;
  }
}
