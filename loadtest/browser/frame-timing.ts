/**
 * Records when each video frame is presented on a page (requestVideoFrameCallback
 * on its first <video>), so freezes can be counted from the outside without
 * depending on the page's own hooks. Read incrementally with readFrameTimes.
 */
import type { Page } from 'playwright-core';
import { installNameShim } from './prepare-page.ts';

type FrameWindow = Window & { __loadtestFrames?: number[] };

export async function tapFrameTimes(page: Page): Promise<void> {
  await installNameShim(page);
  await page.evaluate(() => {
    const w = window as FrameWindow;
    if (w.__loadtestFrames) return;
    const video = document.querySelector('video');
    if (!video) throw new Error('no <video> on this page to time frames of');
    const times: number[] = [];
    w.__loadtestFrames = times;
    const onFrame = (now: number): void => {
      times.push(now);
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  });
}

/** Presentation times (page clock, ms) recorded from index `from` on, and the page's current clock. */
export async function readFrameTimes(page: Page, from: number): Promise<{ total: number; tail: number[]; now: number }> {
  return page.evaluate((start: number) => {
    const t = (window as FrameWindow).__loadtestFrames ?? [];
    return { total: t.length, tail: t.slice(start), now: performance.now() };
  }, from);
}
