/**
 * The streamer on a phone, with the real go-live page in a network namespace
 * (its uplink shaped by tc tbf, or cut by taking its link down) and a real
 * Chromium viewer on the host: the page steps its quality ladder down when the
 * uplink narrows, and a dropped uplink leaves the stream 'reconnecting' for the
 * publisher grace period, then resumes — or ends cleanly once the grace is over.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../browser/launch-chromium.ts';
import { installNameShim } from '../browser/prepare-page.ts';
import { readFrameTimes, tapFrameTimes } from '../browser/frame-timing.ts';
import { watchWhep } from '../browser/whep-viewer.ts';
import { startLocalPlatform, type LocalPlatform } from '../platform/start-local-platform.ts';
import { freezeGaps, freezeStats } from '../stats/freezes.ts';
import { launchChromiumInNamespace } from './launch-in-namespace.ts';
import { NetNamespace } from './NetNamespace.ts';
import { fakeCameraFileArg, noisyCameraFile } from './noisy-camera.ts';
import { pollUntil } from '../../signaling/testing/poll-until.ts';

const probe = await NetNamespace.probe();
if (!probe.ok) console.log(`# skipping the phone uplink tests: ${probe.reason}`);

interface LiveHook {
  state: string;
  streamId: string | null;
  rung: string | null;
  rungIndex: number | null;
  rungReason: string | null;
  reconnects: number;
}

interface WatchHook {
  state: string;
  framesPresented: number;
  streamerReconnects: number;
}

/**
 * Opens /live with the (noisy, file-backed) fake camera, presses "Go live" and waits for 'live'.
 * ?cpu=off: this shared 2-core test machine reads as a hot phone (Compute Pressure), which would
 * cap the ladder for reasons other than the uplink these tests shape.
 */
async function goLive(page: Page, baseUrl: string): Promise<string> {
  await page.goto(`${baseUrl}/live?cpu=off`);
  await page.waitForFunction(() => (document.getElementById('preview') as HTMLVideoElement | null)?.srcObject != null, undefined, { timeout: 20_000 });
  await page.fill('#title', 'phone uplink');
  await page.click('#start');
  const live = await until(() => readLive(page), (l) => l.state === 'live' && l.streamId !== null, 20_000, 'the go-live page to be live');
  return live.streamId!;
}

function readLive(page: Page): Promise<LiveHook> {
  return page.evaluate(() => {
    const l = (window as unknown as { __live: LiveHook }).__live;
    return { state: l.state, streamId: l.streamId, rung: l.rung, rungIndex: l.rungIndex, rungReason: l.rungReason, reconnects: l.reconnects };
  });
}

function readWatch(page: Page): Promise<WatchHook & { noReload: boolean }> {
  return page.evaluate(() => {
    const w = (window as unknown as { __watch: WatchHook; __noReload?: boolean });
    return { state: w.__watch.state, framesPresented: w.__watch.framesPresented, streamerReconnects: w.__watch.streamerReconnects, noReload: w.__noReload === true };
  });
}

async function streamState(baseUrl: string, id: string): Promise<string> {
  return ((await (await fetch(`${baseUrl}/api/streams/${encodeURIComponent(id)}`)).json()) as { state: string }).state;
}

const until = pollUntil;

describe('streamer on a phone: a real go-live page behind a shaped uplink', { skip: probe.ok ? false : probe.reason, timeout: 300_000 }, () => {
  let ns: NetNamespace;
  let platform: LocalPlatform;
  let phone: Browser;
  let viewers: Browser;
  let baseUrl: string;

  before(async () => {
    ns = await NetNamespace.create();
    platform = await startLocalPlatform({ HOST: ns.hostAddress });
    baseUrl = `http://${ns.hostAddress}:${platform.port}`;
    // 640x480 so the top rung is 480p30 (800 kbps): a 600 kbps uplink must push the page a rung down.
    const camera = await noisyCameraFile({ width: 640, height: 480, frameRate: 30 });
    phone = await launchChromiumInNamespace(ns, { secureOrigins: [baseUrl], extraArgs: [fakeCameraFileArg(camera)] });
    viewers = await launchChromium();
  });
  after(async () => {
    await phone?.close().catch(() => undefined);
    await viewers?.close().catch(() => undefined);
    await platform?.close();
    await ns?.close();
  });

  test('the uplink drops from 4 Mbps to 600 kbps: within 10 s the page steps down, and a viewer keeps playing (frozen < 2% of the time)', async (t) => {
    await ns.setRate({ kbps: 4000 });
    const page = await phone.newPage();
    const viewerPage = await viewers.newPage();
    try {
      const streamId = await goLive(page, baseUrl);
      const viewer = await watchWhep(viewerPage, { whepUrl: `${baseUrl}/whep/${encodeURIComponent(streamId)}` });
      await viewer.waitForFrames(10, 10_000);
      // Settle at 4 Mbps: the page sends its top rung, not limited by the uplink.
      const wide = await until(() => readLive(page), (l) => l.rungIndex !== null, 15_000, 'the first ladder step');
      await sleep(6000);
      const settled = await readLive(page);
      assert.notEqual(settled.rungReason, 'uplink', `at 4 Mbps the page should not be uplink limited: ${JSON.stringify(settled)}`);

      await tapFrameTimes(viewerPage);
      const from = (await readFrameTimes(viewerPage, 0)).total;
      // A 400 ms queue, like a cellular uplink's buffer (a 150 ms tbf queue also drops whole keyframes at 600 kbps).
      await ns.setRate({ kbps: 600, queueMs: 400 });
      const cutAt = Date.now();
      const stepped = await until(
        () => readLive(page),
        (l) => l.rungIndex !== null && l.rungIndex > (settled.rungIndex ?? wide.rungIndex ?? 0),
        10_000,
        'the page to step down a rung within 10 s of the cut',
      );
      const steppedMs = Date.now() - cutAt;
      await sleep(Math.max(0, 20_000 - (Date.now() - cutAt)));
      const { tail, now } = await readFrameTimes(viewerPage, from);
      const stats = freezeStats(tail);
      const cutOnPageClock = now - (Date.now() - cutAt);
      t.diagnostic(`freezes (s after the cut: ms): ${freezeGaps(tail).map((g) => `${((g.endAt - g.gapMs - cutOnPageClock) / 1000).toFixed(1)}: ${Math.round(g.gapMs)}`).join(', ') || 'none'}`);
      const frozen = stats.spanMs > 0 ? stats.freezeMs / stats.spanMs : 1;
      t.diagnostic(`4 Mbps: ${settled.rung}; 600 kbps: ${stepped.rung} (${stepped.rungReason}) after ${steppedMs} ms; viewer ${stats.frames} frames in ${Math.round(stats.spanMs)} ms, ${stats.freezes} freezes, ${(frozen * 100).toFixed(2)}% frozen`);
      assert.ok(stats.spanMs > 18_000, `the viewer's frames covered only ${Math.round(stats.spanMs)} ms of the 20 s after the cut`);
      assert.ok(frozen < 0.02, `the viewer was frozen ${(frozen * 100).toFixed(2)}% of the time (${stats.freezes} freezes)`);
      await viewer.stop();
      await page.click('#start').catch(() => undefined); // "End stream"
    } finally {
      await ns.clearRate();
      await page.close();
      await viewerPage.close();
    }
  });

  test("a 5 s uplink outage: the viewer's page says the streamer is reconnecting, then plays again without a reload", async (t) => {
    const page = await phone.newPage();
    const watchPage = await viewers.newPage();
    try {
      const streamId = await goLive(page, baseUrl);
      await watchPage.goto(`${baseUrl}/watch/${encodeURIComponent(streamId)}`);
      await installNameShim(watchPage);
      await until(() => readWatch(watchPage), (w) => w.framesPresented > 10, 15_000, 'the watch page to play');
      await watchPage.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));

      await ns.exec(['ip', 'link', 'set', 'dev', ns.nsInterface, 'down']);
      const downAt = Date.now();
      const waiting = await until(() => readWatch(watchPage), (w) => w.state === 'streamer-reconnecting', 5000, "the watch page to say 'Streamer reconnecting…'");
      await sleep(Math.max(0, 5000 - (Date.now() - downAt)));
      await ns.exec(['ip', 'link', 'set', 'dev', ns.nsInterface, 'up']);
      const upAt = Date.now();
      const resumed = await until(
        () => readWatch(watchPage),
        (w) => w.state === 'live' && w.framesPresented > waiting.framesPresented + 30,
        20_000,
        'the watch page to play the streamer again',
      );
      t.diagnostic(`'reconnecting' shown ${Math.round((Date.now() - downAt) / 1000)} s run; playing again ${Date.now() - upAt} ms after the link came back; publisher republished ${(await readLive(page)).reconnects} times`);
      assert.equal(resumed.noReload, true, 'the watch page was not reloaded');
      assert.ok(resumed.streamerReconnects >= 1);
      assert.equal(await streamState(baseUrl, streamId), 'live');
      await page.click('#start').catch(() => undefined); // "End stream"
    } finally {
      await ns.exec(['ip', 'link', 'set', 'dev', ns.nsInterface, 'up']).catch(() => undefined);
      await page.close();
      await watchPage.close();
    }
  });

  test('a 60 s uplink outage: the stream ends cleanly once the 30 s publisher grace is over', async (t) => {
    const page = await phone.newPage();
    const watchPage = await viewers.newPage();
    try {
      const streamId = await goLive(page, baseUrl);
      await watchPage.goto(`${baseUrl}/watch/${encodeURIComponent(streamId)}`);
      await until(() => readWatch(watchPage), (w) => w.framesPresented > 10, 15_000, 'the watch page to play');

      await ns.exec(['ip', 'link', 'set', 'dev', ns.nsInterface, 'down']);
      const downAt = Date.now();
      await until(() => streamState(baseUrl, streamId), (s) => s === 'reconnecting', 10_000, "the stream to be 'reconnecting'");
      const ended = await until(() => streamState(baseUrl, streamId), (s) => s === 'ended', 50_000, 'the stream to end after the grace period');
      const endedAfterMs = Date.now() - downAt;
      assert.equal(ended, 'ended');
      assert.ok(endedAfterMs >= 30_000, `ended ${endedAfterMs} ms after the drop, before the 30 s grace was over`);
      await until(() => readWatch(watchPage), (w) => w.state === 'ended', 5000, 'the watch page to say the stream ended');
      await sleep(Math.max(0, 60_000 - (Date.now() - downAt)));
      await ns.exec(['ip', 'link', 'set', 'dev', ns.nsInterface, 'up']);
      // The phone comes back after the grace: the stream stays ended (it is not revived), and the page says so.
      await until(() => readLive(page), (l) => l.state === 'ended' || l.state === 'failed' || l.state === 'idle', 20_000, 'the go-live page to give up');
      assert.equal(await streamState(baseUrl, streamId), 'ended');
      t.diagnostic(`ended ${Math.round(endedAfterMs / 1000)} s after the uplink went down; go-live page: ${(await readLive(page)).state}`);
    } finally {
      await ns.exec(['ip', 'link', 'set', 'dev', ns.nsInterface, 'up']).catch(() => undefined);
      await page.close();
      await watchPage.close();
    }
  });
});
