/**
 * Turns the soak's periodic samples (every few seconds) into one row per minute: server memory
 * and CPU, each page's JS heap, glass-to-glass p50/p95 over all viewers, freeze ratio, frames
 * each viewer presented. Keeps only the current minute's samples.
 */
import { loadavg } from 'node:os';
import { summarize } from '../stats/percentiles.ts';
import { FreezeCounter } from './FreezeCounter.ts';
import type { ServerMemory } from './server-memory.ts';

export interface TickSample {
  /** Seconds since the measured run started. */
  readonly t: number;
  readonly server: ServerMemory;
  /** Used JS heap after GC per page label (publisher, viewer-1, …), bytes. */
  readonly pageHeaps: Readonly<Record<string, number>>;
  readonly viewers: ReadonlyArray<{ readonly label: string; readonly delays: readonly number[]; readonly frameTimes: readonly number[] }>;
}

export interface MinuteRow {
  /** 1-based. */
  readonly minute: number;
  readonly fromSec: number;
  readonly toSec: number;
  readonly server: { readonly rssMB: number; readonly heapUsedMB: number; readonly externalMB: number | null; readonly cpuPct: number | null };
  readonly pageHeapMB: Readonly<Record<string, number>>;
  readonly delay: { readonly count: number; readonly p50: number | null; readonly p95: number | null; readonly max: number | null };
  readonly freeze: { readonly ratio: number | null; readonly freezes: number; readonly freezeMs: number; readonly watchedMs: number };
  readonly framesPerViewer: Readonly<Record<string, number>>;
  readonly loadAverage1m: number;
}

const MB = 2 ** 20;

export class MinuteAggregator {
  readonly #freeze = new Map<string, FreezeCounter>();
  #ticks: TickSample[] = [];
  #cpuMark: { t: number; seconds: number } | undefined;

  constructor(viewerLabels: readonly string[]) {
    for (const label of viewerLabels) this.#freeze.set(label, new FreezeCounter());
  }

  /** The sample at t = 0: frames seen during warm-up become freeze context, the CPU counter its start. */
  start(sample: TickSample): void {
    for (const v of sample.viewers) this.#counter(v.label).add(v.frameTimes, 0);
    if (sample.server.cpuSeconds !== undefined) this.#cpuMark = { t: sample.t, seconds: sample.server.cpuSeconds };
  }

  add(sample: TickSample): void {
    this.#ticks.push(sample);
  }

  /** Closes the minute (fromSec, toSec] with the samples added since the previous call. */
  closeMinute(minute: number, fromSec: number, toSec: number): MinuteRow {
    const ticks = this.#ticks;
    this.#ticks = [];
    const sliceMs = (toSec - fromSec) * 1000;
    const delays: number[] = [];
    const framesPerViewer: Record<string, number> = {};
    let freezes = 0;
    let freezeMs = 0;
    let watchedMs = 0;
    for (const label of this.#freeze.keys()) {
      const frames = ticks.flatMap((t) => t.viewers.filter((v) => v.label === label).flatMap((v) => v.frameTimes));
      delays.push(...ticks.flatMap((t) => t.viewers.filter((v) => v.label === label).flatMap((v) => v.delays)));
      const slice = this.#counter(label).add(frames, sliceMs);
      framesPerViewer[label] = slice.frames;
      freezes += slice.freezes;
      freezeMs += slice.freezeMs;
      watchedMs += slice.watchedMs;
    }
    const last = ticks[ticks.length - 1];
    let cpuPct: number | null = null;
    if (last?.server.cpuSeconds !== undefined) {
      if (this.#cpuMark && last.t > this.#cpuMark.t) cpuPct = ((last.server.cpuSeconds - this.#cpuMark.seconds) / (last.t - this.#cpuMark.t)) * 100;
      this.#cpuMark = { t: last.t, seconds: last.server.cpuSeconds };
    }
    const labels = [...new Set(ticks.flatMap((t) => Object.keys(t.pageHeaps)))];
    const d = summarize(delays);
    const external = ticks.flatMap((t) => (t.server.externalBytes === undefined ? [] : [t.server.externalBytes]));
    return {
      minute,
      fromSec,
      toSec,
      server: {
        rssMB: mean(ticks.map((t) => t.server.rssBytes)) / MB,
        heapUsedMB: mean(ticks.map((t) => t.server.heapUsedBytes)) / MB,
        externalMB: external.length ? mean(external) / MB : null,
        cpuPct,
      },
      pageHeapMB: Object.fromEntries(labels.map((l) => [l, mean(ticks.flatMap((t) => (t.pageHeaps[l] === undefined ? [] : [t.pageHeaps[l]!]))) / MB])),
      delay: { count: d.count, p50: d.count ? d.p50 : null, p95: d.count ? d.p95 : null, max: d.count ? d.max : null },
      freeze: { ratio: watchedMs > 0 ? freezeMs / watchedMs : null, freezes, freezeMs, watchedMs },
      framesPerViewer,
      loadAverage1m: loadavg()[0]!,
    };
  }

  #counter(label: string): FreezeCounter {
    let c = this.#freeze.get(label);
    if (!c) this.#freeze.set(label, (c = new FreezeCounter()));
    return c;
  }
}

function mean(values: readonly number[]): number {
  return values.length ? values.reduce((s, v) => s + v, 0) / values.length : Number.NaN;
}
