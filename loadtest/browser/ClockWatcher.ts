/**
 * One headless Chromium viewer on the watch page that really decodes the
 * stream: it records every glass-to-glass delay the page reads off the frame
 * clock and every presented frame's time, and hands both out incrementally
 * (poll()), on the caller's clock, so runs can be cut into time slices.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { readTappedDelays, readWatchState, tapDelays, waitForFirstFrame } from './clock-pages.ts';
import { readFrameTimes, tapFrameTimes } from './frame-timing.ts';

export interface ClockWatcherOptions {
  readonly baseUrl: string;
  readonly streamId: string;
  /** Cluster node to ask to be served by (?node=). */
  readonly node?: string;
  readonly firstFrameTimeoutMs?: number;
}

export interface WatchSample {
  /** Delays measured since the previous poll, ms. */
  readonly delays: number[];
  /** Frame presentation times since the previous poll, on the caller's performance.now() clock. */
  readonly frameTimes: number[];
}

export class ClockWatcher {
  readonly label: string;
  readonly #context: BrowserContext;
  readonly #page: Page;
  #delayIndex = 0;
  #frameIndex = 0;
  firstFrameMs: number | undefined;

  private constructor(context: BrowserContext, page: Page, label: string) {
    this.#context = context;
    this.#page = page;
    this.label = label;
  }

  get page(): Page {
    return this.#page;
  }

  /** Opens the watch page in its own context (a background tab of a shared one presents ~1 frame/s) and waits for the first frame. */
  static async open(browser: Browser, options: ClockWatcherOptions): Promise<ClockWatcher> {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const query = options.node ? `?node=${encodeURIComponent(options.node)}` : '';
      await page.goto(`${new URL(options.baseUrl).origin}/watch/${encodeURIComponent(options.streamId)}${query}`);
      const watcher = new ClockWatcher(context, page, options.node ?? 'placed');
      const first = await waitForFirstFrame(page, options.firstFrameTimeoutMs ?? 20_000);
      watcher.firstFrameMs = first.firstFrameMs;
      await tapDelays(page);
      await tapFrameTimes(page);
      return watcher;
    } catch (err) {
      await context.close().catch(() => undefined);
      throw err;
    }
  }

  async poll(): Promise<WatchSample> {
    const before = performance.now();
    const { tail: delays } = await readTappedDelays(this.#page, this.#delayIndex);
    this.#delayIndex += delays.length;
    const frames = await readFrameTimes(this.#page, this.#frameIndex);
    this.#frameIndex += frames.tail.length;
    // Map the page clock onto ours through the moment of the read (±the evaluate round trip).
    const offset = (before + performance.now()) / 2 - frames.now;
    return { delays, frameTimes: frames.tail.map((t) => t + offset) };
  }

  async state(): Promise<Awaited<ReturnType<typeof readWatchState>>> {
    return readWatchState(this.#page);
  }

  async close(): Promise<void> {
    await this.#context.close().catch(() => undefined);
  }
}
