/**
 * The soak run: the platform in its own process, one Chromium publishing the frame clock from
 * /live, N decoding viewers on /watch (one context each), for a given time. Every few seconds it
 * reads the server's memory (/metrics), each page's JS heap after GC (CDP) and drains the
 * viewers' delays and frame times; every minute it prints a row; at the end the verdict
 * (soak-verdict.ts), a JSON report in loadtest/reports/soak-<time>.json and an HTML one beside it.
 * Everything started is stopped at the end, on errors, on Ctrl-C (after writing what was measured)
 * and at a hard time bound.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'playwright-core';
import { buildWebClient } from '../../web-client/build.ts';
import { goLiveWithClock } from '../browser/clock-pages.ts';
import { launchChromium } from '../browser/launch-chromium.ts';
import { MetricsProbe } from '../metrics/MetricsProbe.ts';
import { Teardown } from '../process/Teardown.ts';
import { writeReport } from '../report/write-report.ts';
import { summarize, type Summary } from '../stats/percentiles.ts';
import { MinuteAggregator, type MinuteRow, type TickSample } from './MinuteAggregator.ts';
import { PageHeapProbe } from './PageHeapProbe.ts';
import { PlatformProcess } from './PlatformProcess.ts';
import { readPublisherStatus, type PublisherStatus } from './publisher-status.ts';
import { readServerMemory } from './server-memory.ts';
import { SoakViewer } from './SoakViewer.ts';
import { formatMinute, formatVerdict, minuteHeader } from './soak-output.ts';
import { writeSoakHtml } from './soak-html.ts';
import { buildVerdict, type MemorySample, type SoakVerdict } from './soak-verdict.ts';

export interface SoakOptions {
  /** Measured time, after the warm-up. */
  readonly durationSec: number;
  readonly viewers?: number;
  /** After every viewer shows frames and before measuring: lets JIT, pools and Chromium's jitter buffers settle. */
  readonly warmupSec?: number;
  readonly sampleSec?: number;
  readonly log?: (line: string) => void;
}

export interface SoakMinute extends MinuteRow {
  /** The /live page's own view at the minute's end: state, reconnects, what it sends. */
  readonly publisher: PublisherStatus | null;
  readonly viewerStates: Readonly<Record<string, string>>;
}

export interface SoakReport {
  readonly options: Required<Omit<SoakOptions, 'log'>>;
  readonly streamId: string | null;
  /** True when the run was cut short (Ctrl-C, error); the figures cover the minutes measured. */
  readonly interrupted: boolean;
  readonly error: string | null;
  readonly minutes: readonly SoakMinute[];
  readonly samples: readonly MemorySample[];
  readonly delayMs: Summary;
  readonly firstFrameMs: Readonly<Record<string, number | null>>;
  readonly framesPerViewer: Readonly<Record<string, number>>;
  readonly viewerProblems: readonly string[];
  readonly loadAverage1m: { readonly start: number; readonly mean: number; readonly max: number };
  readonly verdict: SoakVerdict | null;
  readonly serverPid: number | null;
}

export interface SoakResult {
  readonly report: SoakReport;
  readonly jsonPath: string;
  readonly htmlPath: string | null;
}

const SETUP_BOUND_SEC = 240;

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const opts = { viewers: 3, warmupSec: 15, sampleSec: 10, ...options };
  const log = options.log ?? ((line: string) => console.log(line));
  if (!(opts.durationSec >= 10)) throw new RangeError(`the soak must measure at least 10 s, got ${opts.durationSec}`);
  const teardown = new Teardown();
  teardown.boundTotalTime((opts.warmupSec + opts.durationSec + SETUP_BOUND_SEC) * 1000, 'soak');

  const viewerLabels = Array.from({ length: opts.viewers }, (_, i) => `viewer-${i + 1}`);
  const rows: SoakMinute[] = [];
  const samples: MemorySample[] = [];
  const allDelays: number[] = [];
  const frames: Record<string, number> = Object.fromEntries(viewerLabels.map((l) => [l, 0]));
  const problems = new Set<string>();
  const loads: number[] = [];
  const loadStart = loadavg()[0]!;
  let streamId: string | null = null;
  let server: PlatformProcess | undefined;
  const viewers: SoakViewer[] = [];
  let measuredSec = 0;
  let written: Promise<SoakResult> | undefined;
  let error: unknown;

  const write = (interrupted: boolean): Promise<SoakResult> =>
    (written ??= (async () => {
      const freeze = rows.reduce((a, r) => ({ freezeMs: a.freezeMs + r.freeze.freezeMs, watchedMs: a.watchedMs + r.freeze.watchedMs, freezes: a.freezes + r.freeze.freezes }), {
        freezeMs: 0,
        watchedMs: 0,
        freezes: 0,
      });
      const verdict =
        measuredSec > 0 ? buildVerdict({ durationSec: measuredSec, samples, p95PerMinute: rows.map((r) => r.delay.p95), freeze }) : null;
      const report: SoakReport = {
        options: { durationSec: opts.durationSec, viewers: opts.viewers, warmupSec: opts.warmupSec, sampleSec: opts.sampleSec },
        streamId,
        interrupted,
        error: error === undefined ? null : error instanceof Error ? error.message : String(error),
        minutes: rows,
        samples,
        delayMs: summarize(allDelays),
        firstFrameMs: Object.fromEntries(viewers.map((v) => [v.label, v.firstFrameMs ?? null])),
        framesPerViewer: frames,
        viewerProblems: [...problems].slice(0, 20),
        loadAverage1m: { start: loadStart, mean: loads.length ? summarize(loads).mean : loadStart, max: loads.length ? Math.max(...loads) : loadStart },
        verdict,
        serverPid: server?.pid ?? null,
      };
      if (verdict) log(`\n${formatVerdict(verdict)}`);
      const jsonPath = await writeReport('soak', report);
      const htmlPath = verdict && streamId ? await writeSoakHtml(jsonPath, { durationSec: measuredSec, rows, samples, verdict, streamId }) : null;
      log(`\nreport: ${jsonPath}${htmlPath ? `\n        ${htmlPath}` : ''}`);
      return { report, jsonPath, htmlPath };
    })());

  try {
    await buildWebClient({ quiet: true });
    const dataDir = await mkdtemp(join(tmpdir(), 'soak-data-'));
    teardown.add('data dir', () => rm(dataDir, { recursive: true, force: true }));
    server = await PlatformProcess.start({ overrides: { DATA_DIR: dataDir }, lifetimeMs: (opts.warmupSec + opts.durationSec + SETUP_BOUND_SEC + 30) * 1000 });
    const platform = server;
    teardown.add('platform process', () => platform.stop());
    const probe = new MetricsProbe(server.url);

    const browser = await launchChromium();
    teardown.add('chromium', () => browser.close());
    const publisher: Page = await (await browser.newContext()).newPage();
    streamId = (await goLiveWithClock(publisher, server.url, 30_000)).streamId;
    const publisherHeap = await PageHeapProbe.attach(publisher);
    for (const label of viewerLabels) {
      viewers.push(await SoakViewer.open(browser, { baseUrl: server.url, streamId, label }));
    }
    teardown.add('viewers', () => Promise.all(viewers.map((v) => v.close())));
    // Registered last, so Ctrl-C writes what was measured before anything is stopped.
    teardown.add('partial report', () => (rows.length > 0 ? write(true) : undefined));
    log(
      `soak: server pid ${server.pid} at ${server.url}, stream ${streamId}, ${opts.viewers} viewers ` +
        `(first frame ${viewers.map((v) => `${v.firstFrameMs?.toFixed(0) ?? '?'} ms`).join(', ')}); ` +
        `warm-up ${opts.warmupSec} s, then ${formatDuration(opts.durationSec)} measured, sampled every ${opts.sampleSec} s; load average ${loadStart.toFixed(2)}`,
    );
    await sleep(opts.warmupSec * 1000);

    const takeSample = async (t: number): Promise<TickSample> => {
      const memory = await readServerMemory(probe);
      const drained = await Promise.all(
        viewers.map(async (v) => {
          try {
            return { label: v.label, ...(await v.drain()) };
          } catch (err) {
            problems.add(`${v.label} at ${t} s: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
            return { label: v.label, delays: [], frameTimes: [] };
          }
        }),
      );
      const pageHeaps: Record<string, number> = {};
      for (const [label, probeOf] of [['publisher', publisherHeap], ...viewers.map((v) => [v.label, v.heap] as const)] as const) {
        try {
          pageHeaps[label] = await probeOf.usedAfterGc();
        } catch (err) {
          problems.add(`${label} heap at ${t} s: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
        }
      }
      loads.push(loadavg()[0]!);
      samples.push({ t, rssBytes: memory.rssBytes, heapUsedBytes: memory.heapUsedBytes, pageHeaps });
      return { t, server: memory, pageHeaps, viewers: drained };
    };

    const aggregator = new MinuteAggregator(viewerLabels);
    const t0 = performance.now();
    aggregator.start(await takeSample(0));
    log(`\n${minuteHeader()}`);
    let minuteFrom = 0;
    for (const t of tickTimes(opts.durationSec, opts.sampleSec)) {
      await sleep(Math.max(0, t0 + t * 1000 - performance.now()));
      const sample = await takeSample(t);
      for (const v of sample.viewers) {
        allDelays.push(...v.delays);
        frames[v.label] = (frames[v.label] ?? 0) + v.frameTimes.length;
      }
      aggregator.add(sample);
      measuredSec = t;
      const boundary = Math.min((rows.length + 1) * 60, opts.durationSec);
      if (t < boundary) continue;
      const row = aggregator.closeMinute(rows.length + 1, minuteFrom, boundary);
      minuteFrom = boundary;
      const publisherStatus = await readPublisherStatus(publisher).catch(() => null);
      const viewerStates = Object.fromEntries(await Promise.all(viewers.map(async (v) => [v.label, (await v.state().catch(() => undefined))?.state ?? 'unreadable'] as const)));
      rows.push({ ...row, publisher: publisherStatus, viewerStates });
      log(formatMinute(row, viewerLabels, publisherStatus));
    }
    return await write(false);
  } catch (err) {
    error = err;
    if (rows.length > 0) await write(true).catch(() => undefined);
    throw err;
  } finally {
    await teardown.run();
  }
}

/** Sample times (s): every sampleSec, plus each minute boundary and the end, so every minute closes on a sample. */
export function tickTimes(durationSec: number, sampleSec: number): number[] {
  const times = new Set<number>();
  for (let t = sampleSec; t < durationSec; t += sampleSec) times.add(t);
  for (let m = 60; m < durationSec; m += 60) times.add(m);
  times.add(durationSec);
  return [...times].sort((a, b) => a - b);
}

function formatDuration(sec: number): string {
  return sec % 60 === 0 ? `${sec / 60} min` : `${sec} s`;
}
