/**
 * Holds incoming items (chat messages, donations, reaction bursts) until this viewer's
 * playhead reaches their stream time, so each one shows next to the picture it refers to:
 * a viewer 2 s behind sees it 2 s later. Released in stream-time order (ties in arrival order).
 * Without a playhead (not playing) nothing is held; nothing is held longer than maxHoldMs,
 * so a wrong clock can delay an item but never hide it.
 */
export interface Timed {
  readonly streamTime: number;
}

interface Entry<T> {
  readonly item: T;
  readonly arrivedAt: number;
  readonly order: number;
}

export const DEFAULT_MAX_HOLD_MS = 30_000;

export class HoldBackQueue<T extends Timed> {
  readonly maxHoldMs: number;
  /** Sorted by (streamTime, order). */
  #entries: Entry<T>[] = [];
  #order = 0;

  constructor(maxHoldMs = DEFAULT_MAX_HOLD_MS) {
    this.maxHoldMs = maxHoldMs;
  }

  get size(): number {
    return this.#entries.length;
  }

  push(item: T, now: number): void {
    const entry = { item, arrivedAt: now, order: this.#order++ };
    let lo = 0;
    let hi = this.#entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#entries[mid]!.item.streamTime <= item.streamTime) lo = mid + 1;
      else hi = mid;
    }
    this.#entries.splice(lo, 0, entry);
  }

  /** Drops held items matching `predicate` (e.g. a message deleted before it was shown); returns how many. */
  remove(predicate: (item: T) => boolean): number {
    const before = this.#entries.length;
    this.#entries = this.#entries.filter((e) => !predicate(e.item));
    return before - this.#entries.length;
  }

  /** Items due at this playhead (null = not playing: everything), oldest stream time first. */
  release(playhead: number | null, now: number): T[] {
    if (this.#entries.length === 0) return [];
    if (playhead === null) return this.#entries.splice(0).map((e) => e.item);
    let due = 0;
    while (due < this.#entries.length && this.#entries[due]!.item.streamTime <= playhead) due++;
    const out = this.#entries.splice(0, due);
    // Overdue ones (clock trouble) go too, in their stream-time order.
    if (this.#entries.some((e) => now - e.arrivedAt >= this.maxHoldMs)) {
      const overdue = this.#entries.filter((e) => now - e.arrivedAt >= this.maxHoldMs);
      this.#entries = this.#entries.filter((e) => now - e.arrivedAt < this.maxHoldMs);
      out.push(...overdue);
    }
    return out.map((e) => e.item);
  }
}
