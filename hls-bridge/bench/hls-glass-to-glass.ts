/**
 * Glass-to-glass through the whole platform for the HLS tier: the platform runs in this
 * process with HLS on; headless Chromium goes live from /live with the frame-clock test
 * pattern (simulcast over /ws, the path a phone takes); viewer pages open
 * /watch/:id?tier=hls (LL-HLS through hls.js) and ?tier=hls&ll=0 (the same playlists as
 * plain HLS) and read the clock code off every presented frame (window.__watch.delays).
 * Reports p50/p95 of those delays, the PDT-based delay hls.js reports (hls.playingDate),
 * and time to first frame (page start → first frame, hls.js chunk and playlists included).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../../loadtest/browser/launch-chromium.ts';
import { readTappedDelays, tapDelays, waitForFirstFrame, waitForLive } from '../../loadtest/browser/clock-pages.ts';
import { startLocalPlatform } from '../../loadtest/platform/start-local-platform.ts';
import { summarize, type Summary } from '../../loadtest/stats/percentiles.ts';
import { buildWebClient } from '../../web-client/build.ts';

export interface GlassOptions {
  /** Seconds of delay samples per mode. */
  readonly seconds: number;
  /** Seconds to let hls.js settle (catch up to its target latency) before sampling. */
  readonly warmup: number;
  /** Size of the clock pattern; ≥ 854x480 gives the ladder two video rungs. */
  readonly size: string;
  /** Viewer joins per mode for the first-frame figure. */
  readonly joins: number;
}

export interface GlassResult {
  readonly label: string;
  /** Frame clock: capture on the publisher page → presented on the viewer page, ms. */
  readonly delay: Summary;
  /** Date.now() − hls.playingDate (EXT-X-PROGRAM-DATE-TIME), sampled twice a second, ms. */
  readonly pdtDelay: Summary;
  readonly firstFrame: Summary;
  readonly level: string;
}

interface HookSample {
  firstFrameMs: number | null;
  hlsDelayMs: number | null;
  tier: string;
  level: string;
}

const readHook = (page: Page): Promise<HookSample> =>
  page.evaluate(() => {
    const w = (window as unknown as { __watch: { firstFrameMs: number | null; hlsDelayMs: number | null; tier: string; hlsLevel: number; hlsLevels: { index: number; label: string }[] } }).__watch;
    return { firstFrameMs: w.firstFrameMs, hlsDelayMs: w.hlsDelayMs, tier: w.tier, level: w.hlsLevels.find((l) => l.index === w.hlsLevel)?.label ?? '?' };
  });

async function goLiveWithClockSize(page: Page, baseUrl: string, size: string): Promise<string> {
  await page.goto(`${baseUrl}/live?source=clock&size=${size}`);
  await page.waitForFunction(() => (document.getElementById('preview') as HTMLVideoElement | null)?.srcObject != null, undefined, { timeout: 30_000 });
  await page.fill('#title', 'bench:hls frame clock');
  await page.click('#start');
  return (await waitForLive(page, 30_000)).streamId;
}

async function measureMode(browser: Browser, url: string, label: string, opts: GlassOptions): Promise<GlassResult> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(url);
    const first = await waitForFirstFrame(page, 30_000);
    await sleep(opts.warmup * 1000);
    await tapDelays(page);
    const pdt: number[] = [];
    const until = Date.now() + opts.seconds * 1000;
    let level = '?';
    while (Date.now() < until) {
      await sleep(500);
      const h = await readHook(page);
      if (h.tier !== 'hls') throw new Error(`${label}: the watch page left the HLS tier (${h.tier})`);
      if (h.hlsDelayMs !== null) pdt.push(h.hlsDelayMs);
      level = h.level;
    }
    const { tail } = await readTappedDelays(page, 0);
    await page.close();
    const firstFrames = [first.firstFrameMs ?? NaN];
    for (let i = 1; i < opts.joins; i++) {
      const join = await context.newPage();
      await join.goto(url);
      firstFrames.push((await waitForFirstFrame(join, 30_000)).firstFrameMs ?? NaN);
      await join.close();
    }
    return { label, delay: summarize(tail), pdtDelay: summarize(pdt), firstFrame: summarize(firstFrames.filter(Number.isFinite)), level };
  } finally {
    await context.close();
  }
}

export async function runHlsGlassToGlass(opts: GlassOptions): Promise<GlassResult[]> {
  await buildWebClient({ quiet: true });
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'bench-hls-glass-'));
  const platform = await startLocalPlatform({ HLS: '1', DATA_DIR: dataDir });
  let browser: Browser | undefined;
  try {
    browser = await launchChromium();
    const publisher = await (await browser.newContext()).newPage();
    const streamId = await goLiveWithClockSize(publisher, platform.url, opts.size);
    const watch = `${platform.url}/watch/${encodeURIComponent(streamId)}?tier=hls`;
    // The ladder needs a moment (first keyframe, ffmpeg start); the first join then measures a warm origin.
    await sleep(3000);
    const results = [await measureMode(browser, watch, 'LL-HLS (hls.js lowLatencyMode)', opts), await measureMode(browser, `${watch}&ll=0`, 'plain HLS (same playlists, no parts)', opts)];
    const status = platform.hls?.status(streamId);
    console.log(`  ladder: ${status?.renditions.map((r) => `${r.name}${r.copy ? ' (copy)' : ''}`).join(', ')}; ffmpeg speed ${status?.ffmpeg.speed ?? '?'}×, restarts ${status?.ffmpeg.restarts}`);
    return results;
  } finally {
    await browser?.close();
    await platform.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}
