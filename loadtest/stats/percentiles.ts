/**
 * Percentiles and summaries for benchmark samples (delays, first-frame times, CPU costs).
 * Percentiles interpolate linearly between closest ranks (the "R-7" / Excel method), so
 * p50 of [1, 2, 3, 4] is 2.5 and small samples do not jump from one value to the next.
 */

export interface Summary {
  readonly count: number;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
}

/** The p-th percentile (0 ≤ p ≤ 100) of values; NaN for an empty sample. Does not modify values. */
export function percentile(values: readonly number[], p: number): number {
  return percentileOfSorted(sortedCopy(values), p);
}

/** Like percentile(), for values already sorted ascending (saves the sort when taking several). */
export function percentileOfSorted(sorted: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100, got ${p}`);
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const rank = (p / 100) * (n - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (rank - lo);
}

/** count/min/max/mean/p50/p95/p99 of values; every figure is NaN (count 0) for an empty sample. */
export function summarize(values: readonly number[]): Summary {
  const sorted = sortedCopy(values);
  const n = sorted.length;
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: n,
    min: n ? (sorted[0] as number) : Number.NaN,
    max: n ? (sorted[n - 1] as number) : Number.NaN,
    mean: n ? sum / n : Number.NaN,
    p50: percentileOfSorted(sorted, 50),
    p95: percentileOfSorted(sorted, 95),
    p99: percentileOfSorted(sorted, 99),
  };
}

function sortedCopy(values: readonly number[]): number[] {
  for (const v of values) {
    if (!Number.isFinite(v)) throw new RangeError(`samples must be finite numbers, got ${v}`);
  }
  return [...values].sort((x, y) => x - y);
}
