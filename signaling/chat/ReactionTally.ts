/**
 * Combines reaction window totals from several nodes into one total per room per wall-clock
 * window. Each node's share is stamped with the window it was sent in (time / windowMs); a
 * window is emitted once, `graceMs` after it ends, so every node that sees the same shares emits
 * the same totals. A share arriving after its window was emitted counts in the next one
 * (nothing is dropped, nothing counted twice).
 */
import type { ReactionEmoji } from '../protocol/messages.ts';
import type { ReactionTotals } from './ReactionWindow.ts';

/** One node's totals for one of its windows, as sent between nodes. */
export interface ReactionShare {
  readonly streamId: string;
  /** floor(time sent / windowMs). */
  readonly window: number;
  readonly counts: Partial<Record<ReactionEmoji, number>>;
  readonly total: number;
  /** Sum of the reactions' stream times (mean = sum / total). */
  readonly streamTimeSum: number;
}

interface Bucket {
  readonly counts: Map<ReactionEmoji, number>;
  total: number;
  streamTimeSum: number;
  readonly timer: NodeJS.Timeout;
}

export class ReactionTally {
  readonly #windowMs: number;
  readonly #graceMs: number;
  readonly #emit: (streamId: string, totals: ReactionTotals) => void;
  /** room → window → bucket. */
  readonly #open = new Map<string, Map<number, Bucket>>();
  /** room → newest window emitted. */
  readonly #emitted = new Map<string, number>();
  #closed = false;

  constructor(options: { windowMs: number; graceMs: number; emit: (streamId: string, totals: ReactionTotals) => void }) {
    this.#windowMs = options.windowMs;
    this.#graceMs = options.graceMs;
    this.#emit = options.emit;
  }

  /** The share this node sends for its own window totals taken at `now`. */
  shareOf(streamId: string, totals: ReactionTotals, now: number): ReactionShare {
    return { streamId, window: Math.floor(now / this.#windowMs), counts: totals.counts, total: totals.total, streamTimeSum: totals.streamTime * totals.total };
  }

  add(share: ReactionShare): void {
    if (this.#closed || !(share.total > 0)) return;
    const emitted = this.#emitted.get(share.streamId) ?? Number.NEGATIVE_INFINITY;
    const window = Math.max(share.window, emitted + 1);
    let windows = this.#open.get(share.streamId);
    if (!windows) this.#open.set(share.streamId, (windows = new Map()));
    let bucket = windows.get(window);
    if (!bucket) {
      const dueIn = Math.max(0, (window + 1) * this.#windowMs + this.#graceMs - Date.now());
      bucket = { counts: new Map(), total: 0, streamTimeSum: 0, timer: setTimeout(() => this.#flush(share.streamId, window), dueIn) };
      windows.set(window, bucket);
    }
    for (const [emoji, n] of Object.entries(share.counts) as [ReactionEmoji, number][]) bucket.counts.set(emoji, (bucket.counts.get(emoji) ?? 0) + n);
    bucket.total += share.total;
    bucket.streamTimeSum += share.streamTimeSum;
  }

  close(): void {
    this.#closed = true;
    for (const windows of this.#open.values()) for (const bucket of windows.values()) clearTimeout(bucket.timer);
    this.#open.clear();
  }

  #flush(streamId: string, window: number): void {
    const windows = this.#open.get(streamId);
    const bucket = windows?.get(window);
    if (!windows || !bucket) return;
    windows.delete(window);
    if (windows.size === 0) this.#open.delete(streamId);
    this.#emitted.set(streamId, Math.max(window, this.#emitted.get(streamId) ?? window));
    // Forget rooms quiet for a while, so the map does not grow with every stream ever seen.
    if (this.#emitted.size > 10_000) for (const [id, w] of this.#emitted) if (w < window - 100 && !this.#open.has(id)) this.#emitted.delete(id);
    this.#emit(streamId, { counts: Object.fromEntries(bucket.counts), total: bucket.total, streamTime: Math.round(bucket.streamTimeSum / bucket.total) });
  }
}
