/**
 * The glass-to-glass floor: the same frame clock and tone as `/live?source=clock`, sent
 * browser-to-browser in one headless Chromium page (latency-floor-page.ts), no server. What the
 * SFU's delay figures should be read against: any growth the floor shows over a run (Chromium's
 * lip sync delaying video behind the tone's audio path) is not the server's.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { bundleForBrowser } from '../../web-client/src/testing/bundle-for-browser.ts';
import type { FloorAudio } from './latency-floor-page.ts';

export interface LatencyFloorOptions {
  readonly browser: Browser;
  readonly durationMs: number;
  readonly warmupMs: number;
  readonly audio?: FloorAudio;
}

type FloorWindow = Window & { latencyFloor: { start(audio: FloorAudio): Promise<void>; read(from: number): number[]; stop(): void } };

/** Runs the loopback for warm-up + duration and returns the delays (ms) measured after the warm-up. */
export async function runLatencyFloor(opts: LatencyFloorOptions): Promise<number[]> {
  const script = await bundleForBrowser(fileURLToPath(new URL('./latency-floor-page.ts', import.meta.url)));
  const context = await opts.browser.newContext();
  try {
    const page = await context.newPage();
    // tsx wraps named functions in __name(), unknown to the page.
    await page.addInitScript('globalThis.__name ??= (target) => target;');
    await page.setContent('<!doctype html><title>latency floor</title><body></body>');
    await page.addScriptTag({ content: script });
    await page.evaluate((audio) => (window as unknown as FloorWindow).latencyFloor.start(audio), opts.audio ?? 'same-stream');
    await sleep(opts.warmupMs);
    const from = (await page.evaluate(() => (window as unknown as FloorWindow).latencyFloor.read(0))).length;
    await sleep(opts.durationMs);
    const delays = await page.evaluate((start) => (window as unknown as FloorWindow).latencyFloor.read(start), from);
    await page.evaluate(() => (window as unknown as FloorWindow).latencyFloor.stop());
    return delays;
  } finally {
    await context.close();
  }
}
