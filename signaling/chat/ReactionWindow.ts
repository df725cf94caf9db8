/**
 * Reactions of one room over one aggregation window: counts per emoji and the mean stream
 * time of the reactions, taken (and reset) once per window so a burst of taps fans out as
 * one small message instead of one per tap.
 */
import type { ReactionEmoji } from '../protocol/messages.ts';

export interface ReactionTotals {
  readonly counts: Partial<Record<ReactionEmoji, number>>;
  readonly total: number;
  readonly streamTime: number;
}

export class ReactionWindow {
  readonly #counts = new Map<ReactionEmoji, number>();
  #total = 0;
  #streamTimeSum = 0;

  get total(): number {
    return this.#total;
  }

  add(emoji: ReactionEmoji, streamTime: number): void {
    this.#counts.set(emoji, (this.#counts.get(emoji) ?? 0) + 1);
    this.#total++;
    this.#streamTimeSum += streamTime;
  }

  /** The window's totals, or undefined when empty; the window starts over either way. */
  take(): ReactionTotals | undefined {
    if (this.#total === 0) return undefined;
    const totals: ReactionTotals = {
      counts: Object.fromEntries(this.#counts),
      total: this.#total,
      streamTime: Math.round(this.#streamTimeSum / this.#total),
    };
    this.#counts.clear();
    this.#total = 0;
    this.#streamTimeSum = 0;
    return totals;
  }
}
