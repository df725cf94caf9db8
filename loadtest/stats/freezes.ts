/**
 * Freezes in a run of presented-frame timestamps, by the WebRTC stats
 * definition: a frame whose gap to the previous one exceeds
 * max(3 × the recent mean gap, mean gap + 150 ms) ends a freeze of that gap.
 * The mean is taken over the previous (up to) 30 gaps.
 */
export interface FreezeStats {
  readonly frames: number;
  readonly freezes: number;
  /** Sum of the freezing gaps, ms. */
  readonly freezeMs: number;
  /** From the first to the last frame, ms. */
  readonly spanMs: number;
}

const WINDOW = 30;

/** Each freeze: when it ended (the late frame's time) and how long the gap was, ms. */
export function freezeGaps(times: readonly number[]): Array<{ readonly endAt: number; readonly gapMs: number }> {
  const out: Array<{ endAt: number; gapMs: number }> = [];
  const gaps: number[] = [];
  let gapSum = 0;
  for (let i = 1; i < times.length; i++) {
    const gap = times[i]! - times[i - 1]!;
    if (gaps.length >= 3) {
      const mean = gapSum / gaps.length;
      if (gap > Math.max(3 * mean, mean + 150)) out.push({ endAt: times[i]!, gapMs: gap });
    }
    gaps.push(gap);
    gapSum += gap;
    if (gaps.length > WINDOW) gapSum -= gaps.shift()!;
  }
  return out;
}

export function freezeStats(times: readonly number[]): FreezeStats {
  const gaps = freezeGaps(times);
  return {
    frames: times.length,
    freezes: gaps.length,
    freezeMs: gaps.reduce((s, g) => s + g.gapMs, 0),
    spanMs: times.length > 1 ? times[times.length - 1]! - times[0]! : 0,
  };
}
