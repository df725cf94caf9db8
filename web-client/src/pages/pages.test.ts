/**
 * The three pages against the real platform (signaling + SFU) in headless
 * Chromium: go live with the frame-clock test pattern, watch with measured
 * delay, switch layers, see the stream on the home page, end it, and the
 * waiting → live and reconnect paths of the watch page.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../../../loadtest/browser/launch-chromium.ts';
import { publishFakeCamera } from '../../../loadtest/browser/whip-publisher.ts';
import { startTestPlatform } from '../../../signaling/testing/start-test-platform.ts';
import type { Platform } from '../../../signaling/platform.ts';
import { buildWebClient } from '../../build.ts';

const ctx: { platform?: Platform; browser?: Browser; context?: BrowserContext } = {};

async function until<T>(what: string, page: Page, read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await read();
  while (!ok(last)) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms on ${page.url()}; last seen: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
    last = await read();
  }
  return last;
}

type Hook = Record<string, unknown>;
const liveHook = (page: Page): Promise<Hook> => page.evaluate(() => ({ ...((window as unknown as { __live: Hook }).__live ?? {}) }));
const watchHook = (page: Page): Promise<Hook & { delayCount: number }> =>
  page.evaluate(() => {
    const w = (window as unknown as { __watch?: Hook & { delays: number[] } }).__watch;
    return { ...(w ?? {}), delays: undefined, delayCount: w?.delays.length ?? 0 };
  });
const delays = (page: Page): Promise<number[]> => page.evaluate(() => [...(window as unknown as { __watch: { delays: number[] } }).__watch.delays]);

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

async function goLive(title: string, query = ''): Promise<{ page: Page; streamId: string; watchUrl: string }> {
  const page = await ctx.context!.newPage();
  await page.goto(`${ctx.platform!.url}/live?source=clock${query}`);
  await page.fill('#title', title);
  await page.click('#start');
  const live = await until('going live', page, () => liveHook(page), (h) => h['state'] === 'live', 15_000);
  const watchUrl = await page.getAttribute('#share-link', 'href');
  return { page, streamId: String(live['streamId']), watchUrl: watchUrl ?? '' };
}

describe('pages against the platform', () => {
  before(async () => {
    await buildWebClient({ quiet: true });
    ctx.platform = await startTestPlatform();
    ctx.browser = await launchChromium();
    ctx.context = await ctx.browser.newContext({ viewport: { width: 390, height: 844 } });
  });

  after(async () => {
    await ctx.browser?.close();
    await ctx.platform?.close();
  });

  test('going live with the test pattern lets a viewer watch it with sub-second measured delay, then ends for both', async () => {
    const title = '<b>Clock</b> & test';
    const { page: live, streamId, watchUrl } = await goLive(title);
    assert.equal(watchUrl, `${ctx.platform!.url}/watch/${streamId}`);

    const watch = await ctx.context!.newPage();
    await watch.goto(`${watchUrl}?debug=1`);
    const playing = await until('60 clock delays', watch, () => watchHook(watch), (h) => h.delayCount >= 60, 15_000);
    assert.equal(playing['state'], 'live');
    assert.ok(Number(playing['firstFrameMs']) > 0 && Number(playing['firstFrameMs']) < 5000, `first frame after ${playing['firstFrameMs']} ms`);
    assert.ok(Number(playing['videoWidth']) >= 160);
    const d = await delays(watch);
    assert.ok(median(d) >= 0 && median(d) < 1000, `median delay ${median(d)} ms is not sub-second`);
    assert.equal(await watch.textContent('#watch-title'), title);
    assert.equal(await watch.isVisible('#live-badge'), true);

    await until('the publisher seeing one viewer', live, () => liveHook(live), (h) => h['viewers'] === 1, 5000);

    // The home page lists it; the title is text, never markup.
    const home = await ctx.context!.newPage();
    await home.goto(ctx.platform!.url);
    const card = home.locator(`[data-stream-id="${streamId}"]`);
    await card.waitFor({ timeout: 10_000 });
    assert.equal(await card.locator('.stream-card-title').textContent(), title);
    assert.equal(await card.locator('b').count(), 0);
    await home.close();

    await live.click('#start'); // "End stream"
    await until('the publisher ending', live, () => liveHook(live), (h) => h['state'] === 'ended', 5000);
    await until('the viewer seeing the end', watch, () => watchHook(watch), (h) => h['state'] === 'ended', 5000);
    assert.equal(await watch.textContent('#watch-message'), 'Stream ended');
    await Promise.all([live.close(), watch.close()]);
  });

  test('the layer picker switches between the three simulcast layers of a 960x540 source', async () => {
    const { page: live, watchUrl } = await goLive('layers', '&size=960x540');
    const sending = await until('three layers sent', live, () => liveHook(live), (h) => Array.isArray(h['sending']) && (h['sending'] as { width: number }[]).filter((l) => l.width > 0).length === 3, 10_000);
    assert.deepEqual((sending['sending'] as { rid: string; width: number }[]).map((l) => [l.rid, l.width]), [['low', 240], ['mid', 480], ['high', 960]]);
    const watch = await ctx.context!.newPage();
    await watch.goto(watchUrl);
    await until('playing', watch, () => watchHook(watch), (h) => h.delayCount >= 10, 15_000);
    for (const [layer, width] of [['low', 240], ['high', 960], ['mid', 480]] as const) {
      await watch.selectOption('#layer', layer);
      const got = await until(`the ${layer} layer`, watch, () => watchHook(watch), (h) => h['activeLayer'] === layer && h['videoWidth'] === width, 10_000);
      assert.equal(got['layerPreference'], layer);
      // The clock still decodes at this size.
      await until(`delays at ${width} px`, watch, () => watchHook(watch), (h) => Number(h['clockFrames']) >= Number(got['clockFrames']) + 15, 5000);
    }
    await Promise.all([live.close(), watch.close()]);
  });


  test('going live from the camera, switching camera and muting keep the same session and the video flowing', async () => {
    const live = await ctx.context!.newPage();
    await live.goto(`${ctx.platform!.url}/live`);
    await live.waitForFunction(() => (document.getElementById('preview') as HTMLVideoElement).srcObject !== null, undefined, { timeout: 10_000 });
    await live.click('#start');
    const started = await until('going live', live, () => liveHook(live), (h) => h['state'] === 'live' && typeof h['sessionId'] === 'string', 15_000);
    const watch = await ctx.context!.newPage();
    await watch.goto(String(await live.getAttribute('#share-link', 'href')));
    const playing = await until('frames', watch, () => watchHook(watch), (h) => Number(h['framesPresented']) > 10, 15_000);
    assert.equal(playing.delayCount, 0); // a camera carries no frame clock

    const trackId = (): Promise<string> => live.evaluate(() => ((document.getElementById('preview') as HTMLVideoElement).srcObject as MediaStream).getVideoTracks()[0]!.id);
    const before = await trackId();
    await live.click('#switch-camera');
    await until('a new camera track', live, trackId, (id) => id !== before, 5000);
    await live.click('#mute');
    assert.equal(await live.getAttribute('#mute', 'aria-pressed'), 'true');

    const after = await until('frames after the switch', watch, () => watchHook(watch), (h) => Number(h['framesPresented']) > Number(playing['framesPresented']) + 30, 10_000);
    assert.equal(after['sessionId'], playing['sessionId']);
    assert.equal((await liveHook(live))['sessionId'], started['sessionId']);
    await Promise.all([live.close(), watch.close()]);
  });

  test('a viewer of an idle stream waits for the streamer, then plays when it goes live', async () => {
    const res = await fetch(`${ctx.platform!.url}/api/streams`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: 'later' }) });
    const created = (await res.json()) as { id: string; streamKey: string; whip: string };
    const watch = await ctx.context!.newPage();
    await watch.goto(`${ctx.platform!.url}/watch/${created.id}`);
    await until('waiting', watch, () => watchHook(watch), (h) => h['state'] === 'waiting', 5000);
    assert.equal(await watch.textContent('#watch-message'), 'Waiting for the streamer…');

    const publisherPage = await ctx.context!.newPage();
    const publication = await publishFakeCamera(publisherPage, { whipUrl: new URL(created.whip, ctx.platform!.url).href, streamKey: created.streamKey });
    await until('frames after going live', watch, () => watchHook(watch), (h) => h['state'] === 'live' && Number(h['framesPresented']) > 10, 15_000);
    await publication.stop();
    await until('the end', watch, () => watchHook(watch), (h) => h['state'] === 'ended', 5000);
    await Promise.all([publisherPage.close(), watch.close()]);
  });

  test('the watch page reconnects when the server drops its session while the stream is live', async () => {
    const { page: live, streamId, watchUrl } = await goLive('reconnect');
    const watch = await ctx.context!.newPage();
    await watch.goto(watchUrl);
    const first = await until('playing', watch, () => watchHook(watch), (h) => h.delayCount >= 10 && typeof h['sessionId'] === 'string', 15_000);
    ctx.platform!.sessions.stop(String(first['sessionId']), 'test drops the viewer');
    const back = await until('a new session with fresh delays', watch, () => watchHook(watch),
      (h) => h['state'] === 'live' && h['sessionId'] !== first['sessionId'] && typeof h['sessionId'] === 'string' && Number(h['clockFrames']) >= Number(first['clockFrames']) + 30, 20_000);
    assert.ok(Number(back['reconnects']) >= 1);
    assert.equal((await liveHook(live))['streamId'], streamId);
    await Promise.all([live.close(), watch.close()]);
  });
});
