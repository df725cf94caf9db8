/**
 * A streamer's connection drops and comes back, in real Chromium against the real
 * platform: the watch page says "Streamer reconnecting…" while the server holds the
 * stream, keeps its own session, and plays again once the go-live page has
 * republished with the same stream key and the same camera tracks.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../../../loadtest/browser/launch-chromium.ts';
import { startTestPlatform } from '../../../signaling/testing/start-test-platform.ts';
import type { Platform } from '../../../signaling/platform.ts';
import { buildWebClient } from '../../build.ts';
import { TcpRelay } from '../testing/TcpRelay.ts';

const ctx: { platform?: Platform; browser?: Browser; context?: BrowserContext; relay?: TcpRelay } = {};

type Hook = Record<string, unknown>;
const hookOf = (page: Page, name: '__live' | '__watch'): Promise<Hook> =>
  page.evaluate((n) => {
    const h = (window as unknown as Record<string, Hook>)[n] ?? {};
    return { ...h, delays: undefined, encodings: undefined, sending: undefined };
  }, name);

async function until(what: string, page: Page, name: '__live' | '__watch', ok: (h: Hook) => boolean, timeoutMs: number): Promise<Hook> {
  const deadline = Date.now() + timeoutMs;
  let last = await hookOf(page, name);
  while (!ok(last)) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms on ${page.url()}; last seen: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
    last = await hookOf(page, name);
  }
  return last;
}

/** Goes live from `origin` (the platform, or a relay in front of it) and opens a watch page straight on the platform. */
async function liveAndWatching(origin: string): Promise<{ live: Page; watch: Page; streamId: string; playing: Hook }> {
  const live = await ctx.context!.newPage();
  await live.goto(`${origin}/live?source=clock&audio=none`);
  await live.fill('#title', 'reconnects');
  await live.click('#start');
  const started = await until('going live', live, '__live', (h) => h['state'] === 'live', 15_000);
  const streamId = String(started['streamId']);
  const watch = await ctx.context!.newPage();
  await watch.goto(`${ctx.platform!.url}/watch/${streamId}`);
  const playing = await until('playing', watch, '__watch', (h) => h['state'] === 'live' && Number(h['clockFrames']) >= 10, 15_000);
  return { live, watch, streamId, playing };
}

async function streamState(streamId: string): Promise<string> {
  const res = await fetch(`${ctx.platform!.url}/api/streams/${streamId}`);
  return ((await res.json()) as { state: string }).state;
}

describe('streamer reconnects', () => {
  before(async () => {
    await buildWebClient({ quiet: true });
    ctx.platform = await startTestPlatform();
    ctx.relay = await TcpRelay.start(ctx.platform.port);
    ctx.browser = await launchChromium();
    ctx.context = await ctx.browser.newContext({ viewport: { width: 390, height: 844 } });
  });

  after(async () => {
    await ctx.browser?.close();
    await ctx.relay?.close();
    await ctx.platform?.close();
  });

  test("the streamer's socket dropping shows viewers \"Streamer reconnecting…\", and both resume on the same stream", async () => {
    const { live, watch, streamId, playing } = await liveAndWatching(`http://127.0.0.1:${ctx.relay!.port}`);
    const before = await hookOf(live, '__live');

    ctx.relay!.cut(); // the phone's socket dies (network change); media flows directly and is dropped by the server
    await until('the viewer told the streamer is reconnecting', watch, '__watch', (h) => h['state'] === 'streamer-reconnecting', 10_000);
    assert.equal(await watch.textContent('#watch-message'), 'Streamer reconnecting…');
    assert.equal(await watch.isVisible('#watch-message'), true);

    const back = await until('the streamer republished', live, '__live', (h) => h['state'] === 'live' && Number(h['reconnects']) >= 1 && h['sessionId'] !== before['sessionId'], 20_000);
    assert.equal(back['streamId'], streamId);
    const resumed = await until('the viewer playing again', watch, '__watch', (h) => h['state'] === 'live' && Number(h['clockFrames']) >= Number(playing['clockFrames']) + 60, 20_000);
    // The server kept the viewer's transport and swapped the new publisher in behind it.
    assert.equal(resumed['sessionId'], playing['sessionId']);
    assert.equal(await watch.isVisible('#watch-message'), false);
    assert.equal(await streamState(streamId), 'live');
    await live.click('#start'); // End stream
    await until('the end', watch, '__watch', (h) => h['state'] === 'ended', 10_000);
    await Promise.all([live.close(), watch.close()]);
  });

  test('the server losing the streamer\'s media session makes the page publish again with the same tracks', async () => {
    const { live, watch, streamId, playing } = await liveAndWatching(ctx.platform!.url);
    const before = await hookOf(live, '__live');
    const trackId = (): Promise<string> => live.evaluate(() => ((document.getElementById('preview') as HTMLVideoElement).srcObject as MediaStream).getVideoTracks()[0]!.id);
    const trackBefore = await trackId();

    // Not a deliberate stop: the session goes the way a dead connection does, and the stream is held.
    ctx.platform!.sessions.require(String(before['sessionId'])).close('test drops the publisher media');
    await until('the viewer told the streamer is reconnecting', watch, '__watch', (h) => h['state'] === 'streamer-reconnecting', 10_000);

    await until('the streamer republished', live, '__live', (h) => h['state'] === 'live' && h['sessionId'] !== before['sessionId'], 20_000);
    await until('the viewer playing again', watch, '__watch', (h) => h['state'] === 'live' && Number(h['clockFrames']) >= Number(playing['clockFrames']) + 60, 20_000);
    assert.equal(await trackId(), trackBefore);
    assert.equal(await streamState(streamId), 'live');
    await Promise.all([live.close(), watch.close()]);
  });

  test('reloading the go-live page while live offers "Resume stream", which continues the same stream', async () => {
    const { live, watch, streamId, playing } = await liveAndWatching(ctx.platform!.url);
    await live.reload(); // pull-to-refresh by accident: the server holds the stream
    await until('the viewer told the streamer is reconnecting', watch, '__watch', (h) => h['state'] === 'streamer-reconnecting', 10_000);
    await live.waitForFunction(() => document.getElementById('start')?.textContent === 'Resume stream', undefined, { timeout: 10_000 });
    assert.match((await live.textContent('#live-notice')) ?? '', /still on air/);
    await live.click('#start');
    const back = await until('live again', live, '__live', (h) => h['state'] === 'live', 15_000);
    assert.equal(back['streamId'], streamId);
    await until('the viewer playing again', watch, '__watch', (h) => h['state'] === 'live' && Number(h['clockFrames']) >= Number(playing['clockFrames']) + 60, 20_000);
    await live.click('#start');
    await until('the end', watch, '__watch', (h) => h['state'] === 'ended', 10_000);
    await Promise.all([live.close(), watch.close()]);
  });
});
