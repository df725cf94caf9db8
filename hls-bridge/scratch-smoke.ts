import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { launchChromium } from '../loadtest/browser/launch-chromium.ts';
import { publishFakeCamera } from '../loadtest/browser/whip-publisher.ts';
import { startTestPlatform } from '../signaling/testing/start-test-platform.ts';

const dir = await mkdtemp(path.join(os.tmpdir(), 'hls-smoke-'));
const platform = await startTestPlatform({ HLS: '1', DATA_DIR: dir, LOG_LEVEL: 'warn', WEBRTC_MAX_VIEWERS: process.argv[2] ?? '500' });
const browser = await launchChromium();
try {
  const created = await (await fetch(`${platform.url}/api/streams`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: 'hls' }) })).json() as any;
  const page = await browser.newPage();
  const pub = await publishFakeCamera(page, { whipUrl: platform.url + created.whip, streamKey: created.streamKey, video: { width: 640, height: 480, frameRate: 30 } });
  const viewer = await (await browser.newContext()).newPage();
  viewer.on('console', (m) => console.log('page:', m.text()));
  const t0 = Date.now();
  await viewer.goto(`${platform.url}/watch/${created.id}${process.argv[3] ?? '?tier=hls'}`);
  for (let i = 0; i < 12; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    const s = await viewer.evaluate(() => { const w = (window as any).__watch; return { state: w.state, tier: w.tier, reason: w.tierReason, frames: w.framesPresented, first: w.firstFrameMs, levels: w.hlsLevels.map((l: any) => l.label), level: w.hlsLevel, hlsDelay: w.hlsDelayMs, ct: (document.getElementById('video') as HTMLVideoElement).currentTime, note: document.getElementById('tier-note')!.textContent, delayText: document.getElementById('watch-delay')!.textContent }; });
    console.log(Date.now() - t0, JSON.stringify(s));
  }
  await viewer.screenshot({ path: '/tmp/hlsw/watch.png' });
  await pub.stop();
} finally {
  await browser.close();
  await platform.close();
}
