/**
 * Chat in the real pages (headless Chromium, real platform with the SFU): two viewers at
 * different delays see a message each in step with their own picture; markup shows as text;
 * a streamer's delete reaches every viewer; a viewer that loses its socket resumes without
 * gap or duplicate; a donation from the dialog becomes an alert on the streamer's page;
 * reactions float over the video.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { goLiveWithClock } from '../../../loadtest/browser/clock-pages.ts';
import { launchChromium } from '../../../loadtest/browser/launch-chromium.ts';
import { tempDataDir } from '../../../signaling/chat/testing/chat-clients.ts';
import type { Platform } from '../../../signaling/platform.ts';
import { startTestPlatform } from '../../../signaling/testing/start-test-platform.ts';
import { buildWebClient } from '../../build.ts';
import { TcpRelay } from '../testing/TcpRelay.ts';
import type { ChatHook } from './chat-hook.ts';

const ctx = {} as { platform: Platform; browser: Browser; removeDir: () => void };

/** Each page in its own browser context: separate localStorage, so separate chat identities (tabs of one browser share one). */
async function newPage(): Promise<Page> {
  const context: BrowserContext = await ctx.browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.addInitScript('globalThis.__name ??= (target) => target;');
  const page = await context.newPage();
  page.once('close', () => void context.close().catch(() => undefined));
  return page;
}

/** Makes a watch page's video (and audio) play out 1.5 s late: a real receive-side impairment in Chromium's jitter buffer. */
const DELAY_1500_MS = `(() => {
  const Original = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Original {
    constructor(...args) {
      super(...args);
      this.addEventListener('track', (e) => { e.receiver.jitterBufferTarget = 1500; });
    }
  };
})();`;

async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await read();
  while (!ok(last)) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms; last seen: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 50));
    last = await read();
  }
  return last;
}

const chat = (page: Page): Promise<ChatHook> => page.evaluate(() => JSON.parse(JSON.stringify((window as unknown as { __chat: unknown }).__chat ?? null)) as ChatHook);
const frameDelays = (page: Page): Promise<number[]> => page.evaluate(() => [...((window as unknown as { __watch: { delays: number[] } }).__watch.delays)]);
const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? NaN;

async function say(page: Page, text: string): Promise<void> {
  await page.fill('.chat-input', text);
  await page.click('.chat-send');
}

async function renderedLine(page: Page, text: string, timeoutMs = 10_000): Promise<ChatHook['rendered'][number]> {
  const hook = await until(`"${text.slice(0, 30)}" rendered on ${page.url()}`, () => chat(page), (h) => h !== null && h.rendered.some((r) => r.text === text), timeoutMs);
  return hook.rendered.find((r) => r.text === text)!;
}

async function openViewer(streamId: string, options: { init?: string; origin?: string } = {}): Promise<Page> {
  const page = await newPage();
  if (options.init) await page.addInitScript(options.init);
  await page.goto(`${options.origin ?? ctx.platform.url}/watch/${streamId}`);
  await until('the viewer joining chat', () => chat(page), (h) => h?.joined === true, 10_000);
  return page;
}

describe('chat in the pages', () => {
  before(async () => {
    const data = tempDataDir();
    ctx.removeDir = data.remove;
    await buildWebClient({ quiet: true });
    ctx.platform = await startTestPlatform({ DATA_DIR: data.dir });
    ctx.browser = await launchChromium();
  });

  after(async () => {
    await ctx.browser?.close();
    await ctx.platform?.close();
    ctx.removeDir?.();
  });

  test('two viewers at different delays each show the streamer’s message when their own picture reaches it', async (t) => {
    const live = await newPage();
    const { streamId } = await goLiveWithClock(live, ctx.platform.url, 20_000);
    await until('the streamer joining chat', () => chat(live), (h) => h?.you?.role === 'streamer', 10_000);
    const near = await openViewer(streamId);
    const far = await openViewer(streamId, { init: DELAY_1500_MS });
    // Both pictures decode (frame clock delays) and both playheads come from RTCP sender reports.
    for (const page of [near, far]) {
      await until('frame clock delays', () => frameDelays(page), (d) => d.length >= 30, 20_000);
      await until('an RTCP playhead', () => chat(page), (h) => h.playheadSource === 'rtcp-sr' && h.delayMs !== null, 10_000);
    }
    await until('the far viewer settling behind', () => frameDelays(far), (d) => median(d.slice(-30)) > 1200, 15_000);

    const text = `look at this ${Date.now()}`;
    await say(live, text);
    const sent = await renderedLine(live, text);
    const [atNear, atFar] = await Promise.all([renderedLine(near, text), renderedLine(far, text)]);

    const nearDelay = median((await frameDelays(near)).slice(-60));
    const farDelay = median((await frameDelays(far)).slice(-60));
    const nearPicture = atNear.renderedAt - nearDelay; // capture time of the frame on screen when the line appeared
    const farPicture = atFar.renderedAt - farDelay;
    const report = JSON.stringify({ nearDelay, farDelay, nearPicture: nearPicture - sent.streamTime, farPicture: farPicture - sent.streamTime, gap: atFar.renderedAt - atNear.renderedAt });
    t.diagnostic(`ms: ${report}`);
    assert.ok(Math.abs(nearPicture - sent.streamTime) < 300, `near viewer out of step with its picture: ${report}`);
    assert.ok(Math.abs(farPicture - sent.streamTime) < 300, `far viewer out of step with its picture: ${report}`);
    assert.ok(atFar.renderedAt - atNear.renderedAt > 1000, `the delayed viewer should see it over a second later: ${report}`);

    // The RTCP-derived delay each page uses agrees with the delay read off the picture.
    const [nearHook, farHook] = await Promise.all([chat(near), chat(far)]);
    assert.ok(Math.abs(nearHook.delayMs! - nearDelay) < 200, `near: rtcp ${nearHook.delayMs} vs frame clock ${nearDelay}`);
    assert.ok(Math.abs(farHook.delayMs! - farDelay) < 200, `far: rtcp ${farHook.delayMs} vs frame clock ${farDelay}`);

    // The far viewer's own message carries its (earlier) stream time: the others show it at once.
    const reply = `reply from behind ${Date.now()}`;
    await say(far, reply);
    const fromFar = await renderedLine(far, reply);
    assert.ok(sent.streamTime - fromFar.streamTime < 0 || Date.now() - fromFar.streamTime > 1000, 'stamped with the far viewer’s playhead');
    const onNear = await renderedLine(near, reply);
    assert.ok(onNear.playhead !== null && onNear.playhead >= fromFar.streamTime);
    await Promise.all([near.close(), far.close(), live.close()]);
  });

  test('markup in chat is shown as text, a streamer’s delete removes the line for every viewer, and reactions float', async () => {
    const live = await newPage();
    const { streamId } = await goLiveWithClock(live, ctx.platform.url, 20_000);
    const [a, b] = [await openViewer(streamId), await openViewer(streamId)];
    const html = '<img src=x onerror="window.__pwned=1"><b>bold</b> & <script>window.__pwned=2</script>';
    await say(a, html);
    for (const page of [b, live]) {
      await renderedLine(page, html);
      const line = page.locator('.chat-line', { hasText: 'bold' }).last();
      assert.equal(await line.locator('.chat-text').textContent(), html);
      assert.equal(await page.locator('.chat-lines img, .chat-lines b, .chat-lines script').count(), 0);
      assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
    }

    const spam = `spam ${Date.now()}`;
    await say(b, spam);
    const seq = (await renderedLine(live, spam)).seq;
    await live.locator(`.chat-line[data-seq="${seq}"] button[data-op="delete"]`).click();
    await live.locator(`.chat-line-deleted[data-seq="${seq}"]`).waitFor({ timeout: 5000 });
    assert.equal(await live.locator(`.chat-line[data-seq="${seq}"] .chat-text`).textContent(), 'message deleted');
    for (const page of [a, b, live]) {
      // A line still held back for the playhead is dropped before it is ever shown; a shown one is blanked.
      await until('the delete', () => chat(page), (h) => h.deleted.includes(seq), 5000);
      assert.equal(await page.locator('.chat-lines', { hasText: spam }).count(), 0);
    }

    for (let n = 0; n < 5; n++) await a.click('.reaction-btn[data-emoji="🔥"]');
    await until('reactions shown on the other viewer', () => chat(b), (h) => h.reactionsShown >= 5, 5000);
    assert.ok((await b.locator('.floating-emoji').count()) > 0, 'floating emojis over the video');
    await Promise.all([a.close(), b.close(), live.close()]);
  });

  test('a viewer whose socket drops resumes the chat where it was: every message once, in order', async () => {
    const live = await newPage();
    const { streamId } = await goLiveWithClock(live, ctx.platform.url, 20_000);
    const relay = await TcpRelay.start(ctx.platform.port);
    try {
      const viewer = await openViewer(streamId, { origin: `http://127.0.0.1:${relay.port}` });
      await say(live, 'before the drop');
      await renderedLine(viewer, 'before the drop');
      relay.cut();
      for (let n = 1; n <= 3; n++) {
        await say(live, `while away ${n}`);
        await renderedLine(live, `while away ${n}`);
      }
      await renderedLine(viewer, 'while away 3', 15_000);
      await say(live, 'after the return');
      await renderedLine(viewer, 'after the return');
      const seqs = (await chat(viewer)).rendered.map((r) => r.seq);
      assert.deepEqual(seqs, [...new Set(seqs)].sort((x, y) => x - y), 'no duplicate, in order');
      const texts = (await chat(viewer)).rendered.map((r) => r.text);
      assert.deepEqual(texts.slice(-5), ['before the drop', 'while away 1', 'while away 2', 'while away 3', 'after the return']);
      await viewer.close();
    } finally {
      await relay.close();
      await live.close();
    }
  });

  test('a donation from the viewer’s dialog is highlighted in chat and alerts the streamer', async () => {
    const live = await newPage();
    const { streamId } = await goLiveWithClock(live, ctx.platform.url, 20_000);
    await until('the streamer joining chat', () => chat(live), (h) => h?.you?.role === 'streamer', 10_000);
    const viewer = await openViewer(streamId);
    await viewer.click('.support-open');
    await viewer.fill('.support-dialog input[name="amount"]', '7.5');
    await viewer.selectOption('.support-dialog select[name="currency"]', 'EUR');
    await viewer.fill('.support-dialog input[name="message"]', 'for the <cat>');
    await viewer.click('.support-dialog button[type="submit"]');
    await viewer.locator('.support-result', { hasText: 'Thank you! 7.50 EUR recorded.' }).waitFor({ timeout: 10_000 });

    const you = (await chat(viewer)).you!;
    const alerts = await until('the alert', () => chat(live), (h) => h.alerts.length > 0, 5000);
    assert.deepEqual(alerts.alerts, [{ kind: 'donation', name: you.name, amount: '7.50', currency: 'EUR' }]);
    assert.match((await live.locator('.alert-card').textContent()) ?? '', /donated 7\.50 EUR.*for the <cat>/);
    await viewer.locator('.chat-line-donation', { hasText: 'for the <cat>' }).waitFor({ timeout: 5000 });
    const ledger = (await fetch(`${ctx.platform.url}/api/streams/${streamId}/donations`).then((r) => r.json())) as unknown[];
    assert.equal(ledger.length, 1);
    await Promise.all([viewer.close(), live.close()]);
  });
});
