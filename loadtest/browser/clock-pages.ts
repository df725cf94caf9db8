/**
 * Reads the web client's test hooks: window.__live on /live (the publisher page) and
 * window.__watch on /watch/:id (the viewer page, which decodes the frame clock and keeps the
 * glass-to-glass delays). Waits are bounded and their errors say what the page showed.
 */
import type { Page } from 'playwright-core';
import { installNameShim } from './prepare-page.ts';

export interface LiveState {
  readonly state: string;
  readonly streamId: string | undefined;
  readonly sessionId: string | undefined;
  readonly viewers: number | undefined;
}

export interface WatchState {
  readonly state: string;
  readonly framesPresented: number;
  readonly firstFrameMs: number | undefined;
  /** Length of window.__watch.delays, the page's sliding window (see tapDelays for a full record). */
  readonly delayCount: number;
  readonly lastDelay: number | undefined;
  readonly videoWidth: number;
  readonly videoHeight: number;
  readonly activeLayer: string | undefined;
}

type HookWindow = Window & { __live?: Record<string, unknown>; __watch?: Record<string, unknown> };

export async function readLiveState(page: Page): Promise<LiveState> {
  return page.evaluate(() => {
    const l = (window as HookWindow).__live ?? {};
    return {
      state: String(l.state ?? 'absent'),
      streamId: typeof l.streamId === 'string' ? l.streamId : undefined,
      sessionId: typeof l.sessionId === 'string' ? l.sessionId : undefined,
      viewers: typeof l.viewers === 'number' ? l.viewers : undefined,
    };
  });
}

export async function readWatchState(page: Page): Promise<WatchState> {
  // No named helpers inside page callbacks: tsx would wrap them in __name(), unknown to the page.
  const raw = await page.evaluate(() => {
    const w = (window as HookWindow).__watch ?? {};
    return {
      state: String(w.state ?? 'absent'),
      framesPresented: w.framesPresented,
      firstFrameMs: w.firstFrameMs,
      delayCount: Array.isArray(w.delays) ? w.delays.length : 0,
      lastDelay: w.lastDelay,
      videoWidth: w.videoWidth,
      videoHeight: w.videoHeight,
      activeLayer: typeof w.activeLayer === 'string' ? w.activeLayer : undefined,
    };
  });
  return {
    ...raw,
    framesPresented: finite(raw.framesPresented) ?? 0,
    firstFrameMs: finite(raw.firstFrameMs),
    lastDelay: finite(raw.lastDelay),
    videoWidth: finite(raw.videoWidth) ?? 0,
    videoHeight: finite(raw.videoHeight) ?? 0,
  };
}

function finite(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/**
 * Starts recording every delay the watch page computes from now on. The page keeps only its last
 * 600 (a sliding window), so a long run cannot be read back from it: this wraps the window
 * array's push() to copy each sample into an unbounded list (read with readTappedDelays).
 */
export async function tapDelays(page: Page): Promise<void> {
  await installNameShim(page);
  await page.evaluate(() => {
    const w = window as HookWindow & { __loadtestDelays?: number[] };
    const arr = w.__watch?.delays;
    if (!Array.isArray(arr)) throw new Error('window.__watch.delays is missing: is this the /watch page?');
    if (w.__loadtestDelays) return;
    const sink: number[] = [];
    w.__loadtestDelays = sink;
    const push = arr.push.bind(arr);
    arr.push = (...items: unknown[]): number => {
      for (const x of items) if (typeof x === 'number' && Number.isFinite(x)) sink.push(x);
      return push(...items);
    };
  });
}

/** Delays recorded by tapDelays() from index `from` on, and how many there are in all. */
export async function readTappedDelays(page: Page, from: number): Promise<{ total: number; tail: number[] }> {
  return page.evaluate((start: number) => {
    const d = (window as Window & { __loadtestDelays?: number[] }).__loadtestDelays ?? [];
    return { total: d.length, tail: d.slice(start) };
  }, from);
}

/**
 * Opens /live?source=clock and presses "Go live" once the test pattern is ready, then waits for
 * state "live". The page needs a moment to build the pattern; pressing earlier only shows an error.
 */
export async function goLiveWithClock(page: Page, baseUrl: string, timeoutMs: number): Promise<LiveState & { streamId: string }> {
  const deadline = Date.now() + timeoutMs;
  await page.goto(`${new URL(baseUrl).origin}/live?source=clock`, { timeout: timeoutMs });
  await page.waitForFunction(() => (document.getElementById('preview') as HTMLVideoElement | null)?.srcObject != null, undefined, { timeout: timeoutMs });
  await page.fill('#title', 'loadtest frame clock');
  await page.click('#start', { timeout: Math.max(1, deadline - Date.now()) });
  return waitForLive(page, Math.max(1, deadline - Date.now()));
}

/** Waits until /live reports state "live" with a stream id. */
export async function waitForLive(page: Page, timeoutMs: number): Promise<LiveState & { streamId: string }> {
  const deadline = Date.now() + timeoutMs;
  let last: LiveState | undefined;
  while (Date.now() < deadline) {
    last = await readLiveState(page);
    if (last.state === 'live' && last.streamId) return { ...last, streamId: last.streamId };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`/live did not go live within ${timeoutMs} ms (window.__live: ${JSON.stringify(last)}); check the page and server logs`);
}

/** Waits until the watch page presented a frame and knows its time to first frame. */
export async function waitForFirstFrame(page: Page, timeoutMs: number): Promise<WatchState> {
  const deadline = Date.now() + timeoutMs;
  let last: WatchState | undefined;
  while (Date.now() < deadline) {
    last = await readWatchState(page);
    if (last.framesPresented > 0 && last.firstFrameMs !== undefined) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`/watch presented no frame within ${timeoutMs} ms (window.__watch: ${JSON.stringify(last)})`);
}
