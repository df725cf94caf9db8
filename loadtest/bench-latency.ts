/**
 * Glass-to-glass latency benchmark (`npm run bench:latency`).
 *
 * The platform runs in this process. One headless Chromium page goes live with the frame-clock
 * test pattern (/live?source=clock); a viewer page (/watch/:id) reads the clock code off each
 * presented frame and keeps the delays (window.__watch.delays). Collected over --duration seconds
 * (default 30); then --joins viewers (default 5) join one after another to sample time to first
 * frame. Prints p50/p95/max against the targets (p95 ≤ 250 ms, first frame ≤ 500 ms) and writes
 * JSON to loadtest/reports/.
 * Then the floor: the same pattern browser-to-browser without the server (floor/run-latency-floor.ts).
 * Chromium's lip sync delays the clock video behind the tone's audio path even there: p50 rises from
 * ~20 ms to 55–75 ms within ~25 s on a quiet machine, and past 140 ms on a loaded one. So read the
 * server's figures against the floor of the same run. The server's event-loop delay is printed too:
 * its stalls make audio bursty, and lip sync then delays video further.
 *
 * Flags: --duration 30  --warmup 3  --joins 5  --join-gap 1 (s between joins)
 *        --floor-seconds <default: --duration; 0 skips the floor>
 */
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'playwright-core';
import { launchChromium } from './browser/launch-chromium.ts';
import { goLiveWithClock, readLiveState, readTappedDelays, readWatchState, tapDelays, waitForFirstFrame } from './browser/clock-pages.ts';
import { buildWebClient } from '../web-client/build.ts';
import { runLatencyFloor } from './floor/run-latency-floor.ts';
import { startLocalPlatform } from './platform/start-local-platform.ts';
import { Teardown } from './process/Teardown.ts';
import { summarize, type Summary } from './stats/percentiles.ts';
import { fmt, formatTable } from './report/format-table.ts';
import { writeReport } from './report/write-report.ts';

const TARGET_P95_MS = 250;
const TARGET_FIRST_FRAME_MS = 500;

interface Flags {
  readonly duration: number;
  readonly warmup: number;
  readonly joins: number;
  readonly joinGap: number;
  readonly floorSeconds: number;
}

function parseFlags(): Flags {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '30' },
      warmup: { type: 'string', default: '3' },
      joins: { type: 'string', default: '5' },
      'join-gap': { type: 'string', default: '1' },
      'floor-seconds': { type: 'string' },
    },
  });
  const num = (name: string, v: string | undefined, min: number, max: number): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} must be a number within ${min}..${max}, got "${v}"`);
    return n;
  };
  return {
    duration: num('duration', values.duration, 1, 600),
    warmup: num('warmup', values.warmup, 0, 60),
    joins: num('joins', values.joins, 0, 20),
    joinGap: num('join-gap', values['join-gap'], 0, 30),
    floorSeconds: values['floor-seconds'] === undefined ? num('duration', values.duration, 1, 600) : num('floor-seconds', values['floor-seconds'], 0, 600),
  };
}

async function main(): Promise<void> {
  const flags = parseFlags();
  const teardown = new Teardown();
  const boundMs = 120_000 + (2 * flags.warmup + flags.duration + flags.floorSeconds + flags.joins * (flags.joinGap + 15)) * 1000;
  teardown.boundTotalTime(boundMs, 'bench:latency');
  try {
    await buildWebClient({ quiet: true });
    const platform = await startLocalPlatform();
    teardown.add('platform', () => platform.close());
    const browser = await launchChromium();
    teardown.add('chromium', () => browser.close());

    // Publisher and viewers in separate contexts, like separate people.
    const publisher = await (await browser.newContext()).newPage();
    const live = await goLiveWithClock(publisher, platform.url, 30_000);
    console.log(`bench:latency: live as stream ${live.streamId}; watching for ${flags.duration} s after a ${flags.warmup} s warm-up`);

    const viewerContext = await browser.newContext();
    const viewer = await viewerContext.newPage();
    await viewer.goto(`${platform.url}/watch/${encodeURIComponent(live.streamId)}`);
    const first = await waitForFirstFrame(viewer, 15_000);
    await sleep(flags.warmup * 1000);

    const eventLoop = monitorEventLoopDelay({ resolution: 10 });
    eventLoop.enable();
    const delays = await collectDelays(viewer, flags.duration * 1000);
    eventLoop.disable();
    const server = { eventLoopP99Ms: eventLoop.percentile(99) / 1e6, eventLoopMaxMs: eventLoop.max / 1e6, loadAverage1m: loadavg()[0]! };
    const end = await readWatchState(viewer);
    const delay = summarize(delays);
    const trend = sliceMedians(delays, Math.max(1, Math.round(flags.duration / 10)));
    console.log(`collected ${delay.count} delay samples (${end.videoWidth}x${end.videoHeight}, layer ${end.activeLayer ?? '–'})`);

    const firstFrames: number[] = [first.firstFrameMs ?? Number.NaN].filter(Number.isFinite);
    const joinPages: Page[] = [];
    for (let i = 0; i < flags.joins; i++) {
      const page = await viewerContext.newPage();
      joinPages.push(page);
      await page.goto(`${platform.url}/watch/${encodeURIComponent(live.streamId)}`);
      const s = await waitForFirstFrame(page, 15_000);
      if (s.firstFrameMs !== undefined) firstFrames.push(s.firstFrameMs);
      console.log(`  join ${i + 1}: first frame ${fmt(s.firstFrameMs, 0)} ms`);
      if (flags.joinGap > 0) await sleep(flags.joinGap * 1000);
    }
    const liveEnd = await readLiveState(publisher);
    for (const p of joinPages) await p.close();
    const firstFrame = summarize(firstFrames);

    let floorDelays: number[] = [];
    if (flags.floorSeconds > 0) {
      // Stop the stream first so the floor has the machine to itself.
      await publisher.close();
      await viewerContext.close();
      console.log(`\nfloor: the same pattern browser-to-browser, no server, ${flags.floorSeconds} s after a ${flags.warmup} s warm-up`);
      floorDelays = await runLatencyFloor({ browser, durationMs: flags.floorSeconds * 1000, warmupMs: flags.warmup * 1000 });
    }
    const floor = summarize(floorDelays);
    const floorTrend = sliceMedians(floorDelays, Math.max(1, Math.round(flags.floorSeconds / 10)));

    printResults(delay, firstFrame, liveEnd.viewers, trend, { floor, floorTrend, server });
    const path = await writeReport('latency', {
      flags,
      targets: { p95DelayMs: TARGET_P95_MS, firstFrameMs: TARGET_FIRST_FRAME_MS },
      stream: live.streamId,
      video: { width: end.videoWidth, height: end.videoHeight, activeLayer: end.activeLayer ?? null, framesPresented: end.framesPresented },
      delayMs: delay,
      delayP50Trend: trend,
      server,
      floor: { delayMs: floor, delayP50Trend: floorTrend },
      firstFrameMs: { ...firstFrame, samples: firstFrames },
      delaySamples: delays,
    });
    console.log(`\nreport: ${path}`);
  } finally {
    await teardown.run();
  }
}

/** Records every delay the watch page measures during the window (the page itself keeps only its last 600). */
async function collectDelays(page: Page, windowMs: number): Promise<number[]> {
  await tapDelays(page);
  const out: number[] = [];
  const until = Date.now() + windowMs;
  let lastPrint = Date.now();
  while (Date.now() < until) {
    await sleep(Math.min(1_000, Math.max(0, until - Date.now())));
    const { tail } = await readTappedDelays(page, out.length);
    out.push(...tail);
    if (Date.now() - lastPrint >= 5_000) {
      lastPrint = Date.now();
      const s = summarize(out.slice(-300));
      console.log(`  ${out.length} samples, last 300: p50 ${fmt(s.p50, 0)} ms, p95 ${fmt(s.p95, 0)} ms`);
    }
  }
  return out;
}

/** p50 of each of `parts` consecutive slices: a rising series means delay builds up during the run. */
function sliceMedians(samples: readonly number[], parts: number): number[] {
  const size = Math.ceil(samples.length / parts);
  if (size === 0) return [];
  return Array.from({ length: Math.ceil(samples.length / size) }, (_, i) => summarize(samples.slice(i * size, (i + 1) * size)).p50);
}

interface Context {
  readonly floor: Summary;
  readonly floorTrend: readonly number[];
  readonly server: { readonly eventLoopP99Ms: number; readonly eventLoopMaxMs: number; readonly loadAverage1m: number };
}

function printResults(delay: Summary, firstFrame: Summary, viewers: number | undefined, trend: readonly number[], context: Context): void {
  console.log(`\nGlass-to-glass (frame clock, headless Chromium publisher → platform → Chromium viewer; ${viewers ?? '?'} viewers at the end)\n`);
  console.log(
    formatTable(
      ['measure', 'samples', 'p50 ms', 'p95 ms', 'max ms', 'target'],
      [
        ['glass-to-glass delay', String(delay.count), fmt(delay.p50, 0), fmt(delay.p95, 0), fmt(delay.max, 0), `p95 ≤ ${TARGET_P95_MS} ms`],
        ['time to first frame', String(firstFrame.count), fmt(firstFrame.p50, 0), fmt(firstFrame.p95, 0), fmt(firstFrame.max, 0), `≤ ${TARGET_FIRST_FRAME_MS} ms`],
        ...(context.floor.count > 0
          ? [['floor: no server', String(context.floor.count), fmt(context.floor.p50, 0), fmt(context.floor.p95, 0), fmt(context.floor.max, 0), '–']]
          : []),
      ],
    ),
  );
  console.log(`\n  first frame: the watch page's own measure, from its first offer to the first presented frame (first viewer + joins).`);
  if (trend.length > 1) console.log(`  delay p50 over the run, in ${trend.length} slices: ${trend.map((v) => fmt(v, 0)).join(' → ')} ms`);
  if (context.floorTrend.length > 1) {
    console.log(`  floor p50 (same pattern, browser to browser, no server):   ${context.floorTrend.map((v) => fmt(v, 0)).join(' → ')} ms`);
  }
  const { eventLoopP99Ms, eventLoopMaxMs, loadAverage1m } = context.server;
  console.log(`  server event-loop delay in the window: p99 ${fmt(eventLoopP99Ms, 0)} ms, max ${fmt(eventLoopMaxMs, 0)} ms; load average ${fmt(loadAverage1m, 1)}`);
  console.log(`  (a rise over the run that the floor shows too is Chromium's lip sync, not the server: compare the last slices.)`);
}

main().catch((err: unknown) => {
  console.error(`bench:latency failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  process.exitCode = 1;
});
