/**
 * Freezes in a viewer's presented frames, counted slice by slice (a minute at a time) without
 * keeping the whole run. The last frames of the previous slice are kept as context, so the
 * recent-mean rule of stats/freezes.ts sees them and a freeze across a slice boundary counts in
 * the slice it ends in. A slice with no frame at all (the picture stopped) counts as frozen
 * throughout; when frames come back, that time is not counted a second time.
 */
import { freezeGaps } from '../stats/freezes.ts';

export interface FreezeSlice {
  readonly frames: number;
  /** Freezes that ended in this slice. */
  readonly freezes: number;
  /** Frozen time attributed to this slice, ms. */
  readonly freezeMs: number;
  /** Watched time attributed to this slice, ms (0 before the first frame). */
  readonly watchedMs: number;
}

/** freezeGaps looks back over 30 gaps: 31 frames of context. */
const CONTEXT_FRAMES = 31;

export class FreezeCounter {
  #context: number[] = [];
  /** Frozen time already counted for slices without frames, not yet matched by the gap that ends the stall. */
  #creditedMs = 0;

  /**
   * @param frameTimes presentation times since the previous call (ms, ascending)
   * @param sliceMs the slice's wall-clock length: counted as frozen when it has no frame
   */
  add(frameTimes: readonly number[], sliceMs: number): FreezeSlice {
    const lastSeen = this.#context[this.#context.length - 1];
    if (frameTimes.length === 0) {
      if (lastSeen === undefined) return { frames: 0, freezes: 0, freezeMs: 0, watchedMs: 0 };
      this.#creditedMs += sliceMs;
      return { frames: 0, freezes: 0, freezeMs: sliceMs, watchedMs: sliceMs };
    }
    const all = [...this.#context, ...frameTimes];
    let freezes = 0;
    let freezeMs = 0;
    for (const g of freezeGaps(all)) {
      // Gaps ending among the context frames were counted by the previous slice.
      if (lastSeen !== undefined && g.endAt <= lastSeen) continue;
      freezes++;
      freezeMs += g.gapMs;
    }
    const credited = this.#creditedMs;
    this.#creditedMs = 0;
    this.#context = all.slice(-CONTEXT_FRAMES);
    const from = lastSeen ?? frameTimes[0]!;
    return {
      frames: frameTimes.length,
      freezes,
      freezeMs: Math.max(0, freezeMs - credited),
      watchedMs: Math.max(0, all[all.length - 1]! - from - credited),
    };
  }
}
