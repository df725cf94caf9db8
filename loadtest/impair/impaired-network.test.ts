/**
 * Real Chromium publishing to the real platform over an impaired network: a tbf bandwidth limit
 * (publisher in a network namespace) and a lossy UDP relay in the media path.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../browser/launch-chromium.ts';
import { tapFrameTimes, readFrameTimes } from '../browser/frame-timing.ts';
import { watchWhep } from '../browser/whep-viewer.ts';
import { publishFakeCamera } from '../browser/whip-publisher.ts';
import { createStream } from '../http/create-stream.ts';
import { startLocalPlatform, type LocalPlatform } from '../platform/start-local-platform.ts';
import { freezeStats } from '../stats/freezes.ts';
import { launchChromiumInNamespace } from './launch-in-namespace.ts';
import { NetNamespace } from './NetNamespace.ts';
import { fakeCameraFileArg, noisyCameraFile } from './noisy-camera.ts';
import { relayAnswers } from './relay-answers.ts';
import { samplePublisherNetwork, videoBitrate, type PublisherNetworkSample } from './publisher-estimate.ts';

const probe = await NetNamespace.probe();
if (!probe.ok) console.log(`# skipping the tbf test: ${probe.reason}`);

describe('publisher behind a tbf bandwidth limit (network namespace)', { skip: probe.ok ? false : probe.reason }, () => {
  let ns: NetNamespace;
  let platform: LocalPlatform;
  let browser: Browser;
  before(async () => {
    ns = await NetNamespace.create();
    platform = await startLocalPlatform({ HOST: ns.hostAddress });
    const camera = await noisyCameraFile();
    browser = await launchChromiumInNamespace(ns, { secureOrigins: [`http://${ns.hostAddress}:${platform.port}`], extraArgs: [fakeCameraFileArg(camera)] });
  });
  after(async () => {
    await browser?.close().catch(() => undefined);
    await platform?.close();
    await ns?.close();
  });

  test('availableOutgoingBitrate tracks a tbf limit: 4 Mbps, then 600 kbps', { timeout: 90_000 }, async () => {
    await ns.setRate({ kbps: 4000 });
    const stream = await createStream(`http://${ns.hostAddress}:${platform.port}`);
    const page = await browser.newPage();
    const publication = await publishFakeCamera(page, { whipUrl: stream.whipUrl, streamKey: stream.streamKey, videoCodec: 'VP8', video: { width: 640, height: 360, frameRate: 30 } });
    try {
      // At 4 Mbps the noisy camera runs at its encoder's ceiling (~1.7 Mbps) and the estimate above it.
      await sleep(8000);
      let prev = await samplePublisherNetwork(page);
      await sleep(3000);
      const wide = await samplePublisherNetwork(page);
      const wideVideo = videoBitrate(prev, wide);
      assert.ok(wide.availableOutgoingBitrate > 1_500_000, `estimate at 4 Mbps: ${kbps(wide.availableOutgoingBitrate)}`);
      assert.ok(wideVideo > 900_000, `video at 4 Mbps: ${kbps(wideVideo)}`);

      await ns.setRate({ kbps: 600 });
      const switchedAt = Date.now();
      let narrow: PublisherNetworkSample = wide;
      while (Date.now() - switchedAt < 10_000) {
        await sleep(500);
        narrow = await samplePublisherNetwork(page);
        if (narrow.availableOutgoingBitrate > 0 && narrow.availableOutgoingBitrate < 700_000) break;
      }
      const reactedMs = Date.now() - switchedAt;
      assert.ok(narrow.availableOutgoingBitrate < 700_000, `estimate 10 s after the cut to 600 kbps: ${kbps(narrow.availableOutgoingBitrate)}`);
      // The encoder follows: what it sends over the next seconds fits the link.
      prev = await samplePublisherNetwork(page);
      await sleep(4000);
      const after4s = await samplePublisherNetwork(page);
      const narrowVideo = videoBitrate(prev, after4s);
      assert.ok(narrowVideo < 700_000, `video after the cut: ${kbps(narrowVideo)}`);
      assert.ok(narrowVideo > 50_000, `video still flows after the cut: ${kbps(narrowVideo)}`);
      console.log(`# 4 Mbps: estimate ${kbps(wide.availableOutgoingBitrate)}, video ${kbps(wideVideo)}; 600 kbps: estimate ${kbps(narrow.availableOutgoingBitrate)} after ${reactedMs} ms, video ${kbps(narrowVideo)}`);
    } finally {
      await publication.stop();
      await page.close();
    }
  });
});

describe('lossy media path (UDP relay)', () => {
  let platform: LocalPlatform;
  let browser: Browser;
  before(async () => {
    platform = await startLocalPlatform();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close().catch(() => undefined);
    await platform?.close();
  });

  // Measured 2026-11-25: ~20% frozen both with and without transport-cc feedback (REMB only), so the
  // NACK/retransmission path loses frames; todo until sfu/ repairs it (the test runs and reports, it does not gate).
  test('10% loss on the publisher path: a WHEP viewer keeps playing (freezes < 5% of the time) thanks to NACK', { timeout: 90_000, todo: 'viewers freeze ~20% of the time at 10% publisher loss: NACK repair path' }, async () => {
    const stream = await createStream(platform.url);
    const publisherPage = await browser.newPage();
    const relayed = await relayAnswers(publisherPage, { url: '**/whip/**' });
    const publication = await publishFakeCamera(publisherPage, { whipUrl: stream.whipUrl, streamKey: stream.streamKey, videoCodec: 'VP8' });
    const viewerPage = await browser.newPage();
    const viewer = await watchWhep(viewerPage, { whepUrl: stream.whepUrl });
    try {
      const relay = await relayed.relay(1);
      await viewer.waitForFrames(10, 10_000);
      // Loss on the publisher's media (and its retransmissions) once connected.
      relay.set(LOSS_DIRECTION, { lossPercent: 10 });
      const pubBefore = await samplePublisherNetwork(publisherPage);
      const encodedBefore = (await publication.stats()).framesEncoded;
      await tapFrameTimes(viewerPage);
      await sleep(3000);
      const from = (await readFrameTimes(viewerPage, 0)).total;
      await sleep(20_000);
      const { tail } = await readFrameTimes(viewerPage, from);
      const stats = freezeStats(tail);
      const pubAfter = await samplePublisherNetwork(publisherPage);
      const encodedFps = (((await publication.stats()).framesEncoded - encodedBefore) * 1000) / (pubAfter.atMs - pubBefore.atMs);
      console.log(`# publisher: ${encodedFps.toFixed(1)} fps encoded, video ${kbps(videoBitrate(pubBefore, pubAfter))}, estimate ${kbps(pubAfter.availableOutgoingBitrate)}`);
      const freezeRatio = stats.spanMs > 0 ? stats.freezeMs / stats.spanMs : 1;
      const fps = (stats.frames * 1000) / Math.max(1, stats.spanMs);
      console.log(`# 10% loss: ${stats.frames} frames in ${stats.spanMs.toFixed(0)} ms (${fps.toFixed(1)} fps), ${stats.freezes} freezes, ${(freezeRatio * 100).toFixed(2)}% frozen; relay up ${relay.counters.up.dropped}/${relay.counters.up.forwarded + relay.counters.up.dropped} dropped`);
      const upTotal = relay.counters.up.forwarded + relay.counters.up.dropped;
      assert.ok(relay.counters.up.dropped > upTotal * 0.05, `the relay dropped ${relay.counters.up.dropped} of ${upTotal}: loss was not applied`);
      assert.ok(stats.spanMs > 18_000, `frames covered only ${stats.spanMs} ms of the 20 s window`);
      assert.ok(fps > 10, `viewer showed ${fps.toFixed(1)} fps`);
      assert.ok(freezeRatio < 0.05, `frozen ${(freezeRatio * 100).toFixed(2)}% of the time (${stats.freezes} freezes)`);
    } finally {
      await viewer.stop();
      await publication.stop();
      await relayed.close();
      await publisherPage.close();
      await viewerPage.close();
    }
  });
});

const LOSS_DIRECTION = (process.env.LOSS_DIRECTION ?? 'up') as 'up' | 'both';

function kbps(bps: number): string {
  return `${Math.round(bps / 1000)} kbps`;
}
