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

  // The viewer is measured against what the publisher encodes (its rate drops under loss), not against a fixed rate:
  // a freeze is a gap between presented frames longer than 3 publisher frame intervals or 200 ms, whichever is larger.
  test('10% loss on the publisher path: a WHEP viewer keeps playing what the publisher sends (freezes < 5% of the time) thanks to NACK', { timeout: 90_000 }, async () => {
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
      await tapFrameTimes(viewerPage);
      await sleep(3000);
      const from = (await readFrameTimes(viewerPage, 0)).total;
      const pubBefore = await samplePublisherNetwork(publisherPage);
      const encodedBefore = (await publication.stats()).framesEncoded;
      await sleep(20_000);
      const pubAfter = await samplePublisherNetwork(publisherPage);
      const encoded = (await publication.stats()).framesEncoded - encodedBefore;
      const { tail } = await readFrameTimes(viewerPage, from);
      const encodedFps = (encoded * 1000) / (pubAfter.atMs - pubBefore.atMs);
      const freezeAboveMs = Math.max(3 * (1000 / Math.max(1, encodedFps)), 200);
      const gaps = tail.slice(1).map((t, i) => t - tail[i]!).filter((gap) => gap > freezeAboveMs);
      const spanMs = tail.length > 1 ? tail.at(-1)! - tail[0]! : 0;
      const freezeRatio = spanMs > 0 ? gaps.reduce((sum, gap) => sum + gap, 0) / spanMs : 1;
      const shown = tail.length;
      const shownRatio = encoded > 0 ? shown / encoded : 0;
      const webrtc = freezeStats(tail);
      console.log(`# publisher: ${encoded} frames encoded (${encodedFps.toFixed(1)} fps), video ${kbps(videoBitrate(pubBefore, pubAfter))}, estimate ${kbps(pubAfter.availableOutgoingBitrate)}`);
      console.log(
        `# 10% loss: viewer showed ${shown} frames (${((shown / encoded) * 100).toFixed(1)}% of encoded) in ${spanMs.toFixed(0)} ms, ` +
          `${gaps.length} gaps > ${freezeAboveMs.toFixed(0)} ms, ${(freezeRatio * 100).toFixed(2)}% frozen ` +
          `(WebRTC-stats definition: ${webrtc.freezes} freezes, ${((webrtc.freezeMs / Math.max(1, webrtc.spanMs)) * 100).toFixed(2)}%); ` +
          `relay up ${relay.counters.up.dropped}/${relay.counters.up.forwarded + relay.counters.up.dropped} dropped`,
      );
      const upTotal = relay.counters.up.forwarded + relay.counters.up.dropped;
      assert.ok(relay.counters.up.dropped > upTotal * 0.05, `the relay dropped ${relay.counters.up.dropped} of ${upTotal}: loss was not applied`);
      assert.ok(spanMs > 18_000, `frames covered only ${spanMs} ms of the 20 s window`);
      // Presented frames are counted in the window only; a frame or two at its edges is the slack.
      assert.ok(shownRatio > 0.9, `the viewer showed ${shown} of the ${encoded} frames the publisher encoded`);
      assert.ok(freezeRatio < 0.05, `frozen ${(freezeRatio * 100).toFixed(2)}% of the time (${gaps.length} gaps > ${freezeAboveMs.toFixed(0)} ms: ${gaps.map((g) => g.toFixed(0)).join(', ')})`);
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
