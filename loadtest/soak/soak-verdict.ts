/**
 * The soak's verdict from its samples: does memory keep growing, does the delay drift?
 *
 * Memory: the mean over the last 10 minutes must stay within +10 % of the mean over minutes
 * 5–15 (the first 5 minutes are warm-up: JIT, pools, buffers). Runs shorter than 30 minutes
 * keep the same proportions (1/6–1/2 of the run against its last third), so a 2-minute run
 * compares 0:20–1:00 with 1:20–2:00. Shrinking memory is fine.
 * Delay: least-squares slope of the per-minute p95; the fitted rise over the run must stay
 * within 30 ms (a queue that fills up shows as a steady rise; noise averages out in the fit).
 */
import { linearFit } from '../stats/linear-fit.ts';

export const MEMORY_TOLERANCE_PCT = 10;
export const DRIFT_LIMIT_MS = 30;
const FULL_RUN_SEC = 30 * 60;

export interface TimedValue {
  /** Seconds since the measured run started. */
  readonly t: number;
  readonly value: number;
}

export interface MemoryWindows {
  /** [from, to] seconds. */
  readonly baseline: readonly [number, number];
  readonly last: readonly [number, number];
  /** True when the run is shorter than 30 minutes and the windows were scaled down. */
  readonly scaled: boolean;
}

export interface MemoryTrend {
  readonly baselineMean: number;
  readonly lastMean: number;
  /** (last − baseline) / baseline, %; NaN when a window has no sample. */
  readonly growthPct: number;
  readonly samples: { readonly baseline: number; readonly last: number };
  readonly ok: boolean;
}

export interface DelayDrift {
  /** ms of p95 per minute of run. */
  readonly slopeMsPerMinute: number;
  /** Fitted p95 at the last minute minus at the first, ms. */
  readonly riseMs: number;
  readonly r2: number;
  /** Minutes with a p95 (the fit's points). */
  readonly minutes: number;
  readonly ok: boolean;
}

export function memoryWindows(durationSec: number): MemoryWindows {
  if (!(durationSec > 0)) throw new RangeError(`the run must last more than 0 s, got ${durationSec}`);
  if (durationSec >= FULL_RUN_SEC) return { baseline: [5 * 60, 15 * 60], last: [durationSec - 10 * 60, durationSec], scaled: false };
  return { baseline: [durationSec / 6, durationSec / 2], last: [(durationSec * 2) / 3, durationSec], scaled: true };
}

export function memoryTrend(samples: readonly TimedValue[], windows: MemoryWindows, tolerancePct = MEMORY_TOLERANCE_PCT): MemoryTrend {
  const inWindow = ([from, to]: readonly [number, number]): number[] => samples.filter((s) => s.t >= from && s.t <= to).map((s) => s.value);
  const base = inWindow(windows.baseline);
  const last = inWindow(windows.last);
  const baselineMean = mean(base);
  const lastMean = mean(last);
  const growthPct = base.length && last.length && baselineMean > 0 ? ((lastMean - baselineMean) / baselineMean) * 100 : Number.NaN;
  return { baselineMean, lastMean, growthPct, samples: { baseline: base.length, last: last.length }, ok: growthPct <= tolerancePct };
}

/** @param p95PerMinute index i is minute i + 1; null for a minute without delay samples. */
export function delayDrift(p95PerMinute: ReadonlyArray<number | null>, limitMs = DRIFT_LIMIT_MS): DelayDrift {
  const xs: number[] = [];
  const ys: number[] = [];
  p95PerMinute.forEach((v, i) => {
    if (v !== null && Number.isFinite(v)) {
      xs.push(i + 1);
      ys.push(v);
    }
  });
  if (xs.length < 2) return { slopeMsPerMinute: Number.NaN, riseMs: Number.NaN, r2: Number.NaN, minutes: xs.length, ok: false };
  const fit = linearFit(xs, ys);
  const riseMs = fit.slope * (xs[xs.length - 1]! - xs[0]!);
  return { slopeMsPerMinute: fit.slope, riseMs, r2: fit.r2, minutes: xs.length, ok: riseMs <= limitMs };
}

function mean(values: readonly number[]): number {
  return values.length ? values.reduce((s, v) => s + v, 0) / values.length : Number.NaN;
}

export interface MemorySample {
  readonly t: number;
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  /** Used JS heap after GC per page label, bytes. */
  readonly pageHeaps: Readonly<Record<string, number>>;
}

export interface SoakVerdict {
  readonly windows: MemoryWindows;
  readonly memoryTolerancePct: number;
  /** Per measure (server RSS, server heap, each page's JS heap), MB. */
  readonly memory: Readonly<Record<string, MemoryTrend>>;
  /** The measures the verdict depends on (the server's); the pages' are information. */
  readonly gated: readonly string[];
  readonly drift: DelayDrift;
  readonly driftLimitMs: number;
  readonly freezeRatio: number | null;
  readonly freezes: number;
  readonly ok: boolean;
}

const MB = 2 ** 20;
const GATED = ['server RSS', 'server heap'];

export function buildVerdict(input: {
  readonly durationSec: number;
  readonly samples: readonly MemorySample[];
  readonly p95PerMinute: ReadonlyArray<number | null>;
  readonly freeze: { readonly freezeMs: number; readonly watchedMs: number; readonly freezes: number };
}): SoakVerdict {
  const windows = memoryWindows(input.durationSec);
  const series = (read: (s: MemorySample) => number | undefined): TimedValue[] =>
    input.samples.flatMap((s) => {
      const v = read(s);
      return v === undefined ? [] : [{ t: s.t, value: v / MB }];
    });
  const memory: Record<string, MemoryTrend> = {
    'server RSS': memoryTrend(series((s) => s.rssBytes), windows),
    'server heap': memoryTrend(series((s) => s.heapUsedBytes), windows),
  };
  for (const label of [...new Set(input.samples.flatMap((s) => Object.keys(s.pageHeaps)))]) {
    memory[`${label} JS heap`] = memoryTrend(series((s) => s.pageHeaps[label]), windows);
  }
  const drift = delayDrift(input.p95PerMinute);
  return {
    windows,
    memoryTolerancePct: MEMORY_TOLERANCE_PCT,
    memory,
    gated: GATED,
    drift,
    driftLimitMs: DRIFT_LIMIT_MS,
    freezeRatio: input.freeze.watchedMs > 0 ? input.freeze.freezeMs / input.freeze.watchedMs : null,
    freezes: input.freeze.freezes,
    ok: GATED.every((name) => memory[name]!.ok) && drift.ok,
  };
}
