/**
 * Prints a WHIP publisher's bandwidth estimate and video bitrate once a second on an unlimited
 * loopback (or under a tbf limit with --rate-kbps, publisher in a network namespace):
 * `tsx loadtest/impair/measure-publisher-estimate.ts --seconds 20 [--rate-kbps 4000,600 --switch-at 12] [--width 640] [--camera noisy|flat]`.
 * The SFU's congestion feedback is what moves the estimate; this is how to see it.
 */
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../browser/launch-chromium.ts';
import { publishFakeCamera } from '../browser/whip-publisher.ts';
import { createStream } from '../http/create-stream.ts';
import { startLocalPlatform } from '../platform/start-local-platform.ts';
import { Teardown } from '../process/Teardown.ts';
import { launchChromiumInNamespace } from './launch-in-namespace.ts';
import { NetNamespace } from './NetNamespace.ts';
import { fakeCameraFileArg, noisyCameraFile } from './noisy-camera.ts';
import { samplePublisherNetwork, videoBitrate } from './publisher-estimate.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    'rate-kbps': { type: 'string', default: '' },
    'switch-at': { type: 'string', default: '12' },
    width: { type: 'string', default: '640' },
    codec: { type: 'string', default: 'VP8' },
    /** Chromium's flat fake camera ('flat') or a noisy clip the encoder cannot compress ('noisy'). */
    camera: { type: 'string', default: 'noisy' },
  },
});
const seconds = Number(values.seconds);
const rates = (values['rate-kbps'] ?? '').split(',').filter(Boolean).map(Number);
const switchAt = Number(values['switch-at']);
const width = Number(values.width);

const teardown = new Teardown();
teardown.boundTotalTime((seconds + 60) * 1000, 'measure-publisher-estimate');
try {
  let ns: NetNamespace | undefined;
  if (rates.length > 0) {
    ns = await NetNamespace.create();
    teardown.add('namespace', () => ns?.close());
    await ns.setRate({ kbps: rates[0]! });
  }
  const platform = await startLocalPlatform(ns ? { HOST: ns.hostAddress } : {});
  teardown.add('platform', () => platform.close());
  const baseUrl = `http://${ns ? ns.hostAddress : '127.0.0.1'}:${platform.port}`;
  const extraArgs = values.camera === 'noisy' ? [fakeCameraFileArg(await noisyCameraFile({ width, height: Math.round((width * 9) / 16) }))] : [];
  const browser: Browser = ns ? await launchChromiumInNamespace(ns, { secureOrigins: [baseUrl], extraArgs }) : await launchChromium({ extraArgs });
  teardown.add('browser', () => browser.close());
  const stream = await createStream(baseUrl);
  const page = await browser.newPage();
  await publishFakeCamera(page, {
    whipUrl: stream.whipUrl,
    streamKey: stream.streamKey,
    video: { width, height: Math.round((width * 9) / 16), frameRate: 30 },
    videoCodec: values.codec === 'H264' ? 'H264' : 'VP8',
  });
  let prev = await samplePublisherNetwork(page);
  for (let s = 1; s <= seconds; s++) {
    await sleep(1000);
    if (ns && rates.length > 1 && s === switchAt) {
      await ns.setRate({ kbps: rates[1]! });
      console.log(`-- tbf now ${rates[1]} kbps`);
    }
    const cur = await samplePublisherNetwork(page);
    console.log(
      `${String(s).padStart(3)} s  estimate ${(cur.availableOutgoingBitrate / 1000).toFixed(0).padStart(6)} kbps  ` +
        `video ${(videoBitrate(prev, cur) / 1000).toFixed(0).padStart(6)} kbps  target ${(cur.videoTargetBitrate / 1000).toFixed(0).padStart(6)} kbps  ${cur.frameWidth}px`,
    );
    prev = cur;
  }
} finally {
  await teardown.run();
}
