/**
 * A decoding Chromium viewer on /watch/:id for long runs. Like browser/ClockWatcher, it records
 * every glass-to-glass delay and presented-frame time, but drain() empties the page's records as
 * it reads them, so an hour of video does not grow the page's heap that the soak measures.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { readWatchState, tapDelays, waitForFirstFrame, type WatchState } from '../browser/clock-pages.ts';
import { tapFrameTimes } from '../browser/frame-timing.ts';
import { PageHeapProbe } from './PageHeapProbe.ts';

export interface SoakViewerOptions {
  readonly baseUrl: string;
  readonly streamId: string;
  readonly label: string;
  readonly firstFrameTimeoutMs?: number;
}

export interface ViewerDrain {
  /** Delays measured since the previous drain, ms. */
  readonly delays: number[];
  /** Presentation times since the previous drain, on the page's performance.now() clock, ms. */
  readonly frameTimes: number[];
}

type TapWindow = Window & { __loadtestDelays?: number[]; __loadtestFrames?: number[] };

export class SoakViewer {
  readonly label: string;
  readonly firstFrameMs: number | undefined;
  readonly heap: PageHeapProbe;
  readonly #context: BrowserContext;
  readonly #page: Page;

  private constructor(context: BrowserContext, page: Page, label: string, firstFrameMs: number | undefined, heap: PageHeapProbe) {
    this.#context = context;
    this.#page = page;
    this.label = label;
    this.firstFrameMs = firstFrameMs;
    this.heap = heap;
  }

  /** Opens the watch page in its own context (a background tab of a shared one presents ~1 frame/s) and waits for the first frame. */
  static async open(browser: Browser, options: SoakViewerOptions): Promise<SoakViewer> {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${new URL(options.baseUrl).origin}/watch/${encodeURIComponent(options.streamId)}`);
      const first = await waitForFirstFrame(page, options.firstFrameTimeoutMs ?? 20_000);
      await tapDelays(page);
      await tapFrameTimes(page);
      return new SoakViewer(context, page, options.label, first.firstFrameMs, await PageHeapProbe.attach(page));
    } catch (err) {
      await context.close().catch(() => undefined);
      throw err;
    }
  }

  async drain(): Promise<ViewerDrain> {
    return this.#page.evaluate(() => {
      const w = window as TapWindow;
      // splice(0) empties the arrays the taps keep pushing into (they hold them by reference).
      return { delays: w.__loadtestDelays?.splice(0) ?? [], frameTimes: w.__loadtestFrames?.splice(0) ?? [] };
    });
  }

  async state(): Promise<WatchState> {
    return readWatchState(this.#page);
  }

  async close(): Promise<void> {
    await this.heap.detach();
    await this.#context.close().catch(() => undefined);
  }
}
