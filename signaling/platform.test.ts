/**
 * The one-box platform end to end, as the first issue states it: a stream created over the API,
 * the fake camera published through WHIP, three WHEP viewers and one viewer on the web page's
 * socket path, a viewer joining mid-stream, a wrong key refused while the stream plays on, and
 * DELETE ending the stream for every viewer. Real Chromium, real sockets, the real server.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { readWatchState } from '../loadtest/browser/clock-pages.ts';
import { launchChromium } from '../loadtest/browser/launch-chromium.ts';
import { watchWhep, type WhepPageViewer } from '../loadtest/browser/whep-viewer.ts';
import { publishFakeCamera, type WhipPublication } from '../loadtest/browser/whip-publisher.ts';
import { startLocalPlatform, type LocalPlatform } from '../loadtest/platform/start-local-platform.ts';
import { CreatedStream, StreamInfo } from './protocol/messages.ts';

interface Ctx {
  platform: LocalPlatform;
  browser: Browser;
  stream: CreatedStream;
  publisher: WhipPublication;
  whepViewers: WhepPageViewer[];
  webViewer: Page;
}
const ctx = { whepViewers: [] } as unknown as Ctx;

async function streamInfo(): Promise<StreamInfo> {
  const res = await fetch(`${ctx.platform.url}/api/streams/${ctx.stream.id}`);
  assert.equal(res.status, 200);
  return StreamInfo.parse(await res.json());
}

async function waitFor<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await read();
  while (!ok(last)) {
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
    last = await read();
  }
  return last;
}

/** Frames presented over `ms` by every viewer: each must decode pictures and keep presenting. */
async function framesAdvance(ms: number): Promise<void> {
  const before = await Promise.all(ctx.whepViewers.map((v) => v.stats()));
  const webBefore = await readWatchState(ctx.webViewer);
  await new Promise((r) => setTimeout(r, ms));
  const afterStats = await Promise.all(ctx.whepViewers.map((v) => v.stats()));
  const webAfter = await readWatchState(ctx.webViewer);
  afterStats.forEach((s, i) => {
    assert.ok(s.videoWidth > 0, `WHEP viewer ${i} has no picture (videoWidth 0)`);
    assert.ok(s.framesPresented > before[i]!.framesPresented + 10, `WHEP viewer ${i} presented only ${s.framesPresented - before[i]!.framesPresented} frames in ${ms} ms`);
  });
  assert.ok(webAfter.videoWidth > 0, 'the web watch page has no picture');
  assert.ok(webAfter.framesPresented > webBefore.framesPresented + 10, `the web watch page presented only ${webAfter.framesPresented - webBefore.framesPresented} frames in ${ms} ms`);
}

describe('one-box platform: go live over WHIP, watch over WHEP and the web page', { timeout: 180_000 }, () => {
  before(async () => {
    ctx.platform = await startLocalPlatform();
    ctx.browser = await launchChromium();
  });

  after(async () => {
    await ctx.browser?.close();
    await ctx.platform?.close();
  });

  test('POST /api/streams creates a stream with its WHIP, WHEP and watch URLs', async () => {
    const res = await fetch(`${ctx.platform.url}/api/streams`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ title: 'one-box acceptance' }),
    });
    assert.equal(res.status, 201);
    ctx.stream = CreatedStream.parse(await res.json());
    assert.equal((await streamInfo()).state, 'idle');
  });

  test('the fake camera publishes through WHIP and the stream goes live', async () => {
    const page = await ctx.browser.newPage();
    ctx.publisher = await publishFakeCamera(page, {
      whipUrl: new URL(ctx.stream.whip, ctx.platform.url).href,
      streamKey: ctx.stream.streamKey,
    });
    const info = await streamInfo();
    assert.equal(info.state, 'live');
    assert.ok(info.startedAt, 'a live stream reports startedAt');
  });

  test('three WHEP viewers and one web-page viewer all decode frames that keep advancing', async () => {
    const whepUrl = new URL(ctx.stream.whep, ctx.platform.url).href;
    for (let i = 0; i < 3; i++) {
      const viewer = await watchWhep(await ctx.browser.newPage(), { whepUrl });
      await viewer.waitForFrames(1, 5_000);
      ctx.whepViewers.push(viewer);
    }
    ctx.webViewer = await ctx.browser.newPage();
    await ctx.webViewer.goto(new URL(ctx.stream.watch, ctx.platform.url).href);
    await waitFor('web viewer playing', () => readWatchState(ctx.webViewer), (s) => s.framesPresented > 0 && s.videoWidth > 0, 10_000);
    await framesAdvance(3_000);
    const info = await waitFor('viewer count 4', streamInfo, (s) => s.viewers === 4, 5_000);
    assert.equal(info.viewers, 4);
  });

  test('a viewer joining mid-stream sees its first frame within 1 s', async () => {
    const late = await watchWhep(await ctx.browser.newPage(), { whepUrl: new URL(ctx.stream.whep, ctx.platform.url).href });
    const stats = await late.waitForFrames(1, 5_000);
    assert.ok(stats.firstFrameMs !== undefined && stats.firstFrameMs < 1_000, `first frame after ${stats.firstFrameMs} ms`);
    await late.stop();
  });

  test('a wrong stream key gets 401 and the live stream is untouched', async () => {
    const offer = await ctx.publisher.page.evaluate(async () => {
      const pc = new RTCPeerConnection();
      pc.addTransceiver('video', { direction: 'sendonly' });
      const o = await pc.createOffer();
      pc.close();
      return o.sdp ?? '';
    });
    for (const auth of [`Bearer not-the-key`, '']) {
      const res = await fetch(new URL(ctx.stream.whip, ctx.platform.url), {
        method: 'POST',
        headers: { 'Content-Type': 'application/sdp', ...(auth ? { Authorization: auth } : {}) },
        body: offer,
      });
      assert.equal(res.status, 401, `with Authorization "${auth}"`);
    }
    assert.equal((await streamInfo()).state, 'live');
    await framesAdvance(1_500);
  });

  test('DELETE on the WHIP session ends the stream and every viewer sees it ended', async () => {
    await ctx.publisher.stop();
    const info = await streamInfo();
    assert.equal(info.state, 'ended');
    await waitFor('web page shows ended', () => readWatchState(ctx.webViewer), (s) => s.state === 'ended', 5_000);
    const ended = await ctx.webViewer.textContent('body');
    assert.match(ended ?? '', /ended/i, 'the watch page tells the viewer the stream ended');
    // WHEP viewers: their sessions are gone (the server closed the peer connections).
    for (const [i, v] of ctx.whepViewers.entries()) {
      await waitFor(`WHEP viewer ${i} disconnected`, () => v.stats(), (s) => s.connectionState !== 'connected', 15_000);
    }
  });
});
