/**
 * The go-live page's uplink quality ladder in real Chromium against the real
 * platform: the rung it picks is written into the video sender (read back with
 * getParameters()) and shown to the streamer; the power saver, a low battery and
 * a slow uplink (simulated with ?uplinkKbps: the loopback cannot be shaped here,
 * loadtest/impair does that) each move it down and say why.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../../../loadtest/browser/launch-chromium.ts';
import { startTestPlatform } from '../../../signaling/testing/start-test-platform.ts';
import type { Platform } from '../../../signaling/platform.ts';
import { buildWebClient } from '../../build.ts';

const ctx: { platform?: Platform; browser?: Browser; context?: BrowserContext } = {};

type Encoding = { rid: string | null; active: boolean; scaleResolutionDownBy: number | null; maxBitrate: number | null; maxFramerate: number | null };
type LiveHook = {
  state: string;
  rung: string | null;
  rungReason: string | null;
  qualityText: string | null;
  warning: string | null;
  encodings: Encoding[];
  sending: { rid: string | null; width: number; height: number; fps: number }[];
};

const liveHook = (page: Page): Promise<LiveHook> => page.evaluate(() => JSON.parse(JSON.stringify((window as unknown as { __live: unknown }).__live)) as LiveHook);

async function until(what: string, page: Page, ok: (h: LiveHook) => boolean, timeoutMs: number): Promise<LiveHook> {
  const deadline = Date.now() + timeoutMs;
  let last = await liveHook(page);
  while (!ok(last)) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms; last seen: ${JSON.stringify({ ...last, sending: last.sending.map((l) => `${l.rid}:${l.width}x${l.height}`) })}`);
    await new Promise((r) => setTimeout(r, 200));
    last = await liveHook(page);
  }
  return last;
}

async function goLive(context: BrowserContext, query: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${ctx.platform!.url}/live?source=clock&audio=none${query}`);
  await page.fill('#title', 'uplink ladder');
  await page.click('#start');
  await until('going live', page, (h) => h.state === 'live', 15_000);
  return page;
}

const byRid = (h: LiveHook, rid: string): Encoding => h.encodings.find((e) => e.rid === rid)!;

/**
 * A context whose pages see `script` first (fake phone sensors). Scripts go in as text:
 * tsx's compiled functions call helpers (__name) that do not exist in the page.
 */
async function newContext(script?: string): Promise<BrowserContext> {
  const context = await ctx.browser!.newContext({ viewport: { width: 390, height: 844 } });
  if (script) await context.addInitScript({ content: script });
  return context;
}

describe('go-live page uplink ladder', () => {
  before(async () => {
    await buildWebClient({ quiet: true });
    ctx.platform = await startTestPlatform();
    ctx.browser = await launchChromium();
    ctx.context = await newContext();
  });

  after(async () => {
    await ctx.browser?.close();
    await ctx.platform?.close();
  });

  test('a 720p source sends 720p30 on all three layers; the power saver caps the sender at 480p and says so', async () => {
    const page = await goLive(ctx.context!, '&size=1280x720');
    const top = await until('the top rung applied', page, (h) => h.rung === '720p30' && h.encodings.length === 3, 10_000);
    assert.equal(top.qualityText, '720p30');
    assert.equal(top.rungReason, null);
    assert.deepEqual(top.encodings.map((e) => [e.rid, e.active, e.scaleResolutionDownBy]), [['low', true, 4], ['mid', true, 2], ['high', true, 1]]);
    assert.equal(await page.textContent('#live-quality'), '720p30');

    await page.check('#power-saver');
    const saver = await until('the power-saver cap', page, (h) => h.rung === '480p30', 5000);
    assert.equal(saver.rungReason, 'power-saver');
    assert.equal(saver.qualityText, '480p30 — power saver');
    assert.equal(await page.textContent('#live-quality'), '480p30 — power saver');
    // Read back from the sender: the top layer is scaled to 480 lines and capped at the 480p rung's bitrate.
    const high = byRid(saver, 'high');
    assert.equal(high.active, true);
    assert.equal(high.scaleResolutionDownBy, 1.5);
    assert.equal(high.maxBitrate, 800_000);
    assert.equal(high.maxFramerate, 30);
    // And the encoder follows: the top layer goes out at 480 lines.
    await until('the top layer sent at 480 lines', page, (h) => h.sending.some((l) => l.rid === 'high' && l.height === 480), 10_000);

    await page.uncheck('#power-saver');
    const back = await until('the cap lifted', page, (h) => h.rung === '720p30', 5000);
    assert.equal(byRid(back, 'high').scaleResolutionDownBy, 1);
    assert.equal(back.rungReason, null);
    await page.close();
  });

  test('a slow uplink steps the rung down, switching the top layer off, and says the uplink limits it', async () => {
    const page = await goLive(ctx.context!, '&size=1280x720&uplinkKbps=300');
    const low = await until('the step down', page, (h) => h.rung === '360p15', 20_000);
    assert.equal(low.rungReason, 'uplink');
    assert.equal(low.qualityText, '360p15 — uplink limited');
    assert.deepEqual(low.encodings.map((e) => [e.rid, e.active]), [['low', true], ['mid', true], ['high', false]]);
    assert.equal(byRid(low, 'mid').maxFramerate, 15);
    assert.equal(byRid(low, 'mid').maxBitrate, 250_000);
    // The uplink recovers: the stepper climbs back one rung after its hold.
    await page.evaluate(() => (window as unknown as { __liveControl: { setUplinkKbps(k: number | null): void } }).__liveControl.setUplinkKbps(null));
    const up = await until('a step up', page, (h) => h.rung !== '360p15', 20_000);
    assert.equal(up.rung, '360p24');
    await page.close();
  });

  test('a phone at 8% battery, not charging, streams 360p15 and tells the streamer to plug in', async () => {
    // A fake battery (the Battery Status API of a phone); the rest of the page is real.
    const context = await newContext(`{
      const battery = Object.assign(new EventTarget(), { level: 0.08, charging: false, chargingTime: Infinity, dischargingTime: 1800 });
      Object.defineProperty(Navigator.prototype, 'getBattery', { configurable: true, value: () => Promise.resolve(battery) });
    }`);
    const page = await goLive(context, '&size=1280x720');
    const h = await until('the battery cap', page, (x) => x.rung === '360p15', 10_000);
    assert.equal(h.rungReason, 'battery-critical');
    assert.equal(h.qualityText, '360p15 — low battery');
    assert.match(h.warning ?? '', /Battery at 8%: plug in/);
    assert.equal(await page.isVisible('#live-notice'), true);
    assert.equal(byRid(h, 'high').active, false);
    await context.close();
  });

  test("a hot phone ('critical' CPU pressure) streams 360p15 and says the phone is hot", async () => {
    // The Compute Pressure API of a hot phone: 'serious' first, then 'critical'. The test pattern counts it with ?cpu=on.
    const context = await newContext(`{
      window.PressureObserver = class {
        constructor(callback) { this.callback = callback; }
        async observe() {
          setTimeout(() => this.callback([{ source: 'cpu', state: 'serious', time: performance.now() }]), 50);
          setTimeout(() => this.callback([{ source: 'cpu', state: 'critical', time: performance.now() }]), 4000);
        }
        disconnect() {}
      };
    }`);
    const page = await goLive(context, '&size=1280x720&cpu=on');
    const warm = await until('one rung down while warm', page, (h) => h.rung === '480p30', 10_000);
    assert.equal(warm.qualityText, '480p30 — phone is warm');
    assert.match(warm.warning ?? '', /warming up/);
    const hot = await until('360p15 while hot', page, (h) => h.rung === '360p15', 10_000);
    assert.equal(hot.qualityText, '360p15 — your phone is hot');
    assert.match(hot.warning ?? '', /hot/);
    assert.match((await page.textContent('#live-notice')) ?? '', /Your phone is hot/);
    await context.close();
  });
});
