import { startTestPlatform } from '../../signaling/testing/start-test-platform.ts';
import { launchChromium } from '../../loadtest/browser/launch-chromium.ts';
import { goLiveWithClock } from '../../loadtest/browser/clock-pages.ts';
import { rm } from 'node:fs/promises';
const dataDir = '/tmp/vodx/e2e';
await rm(dataDir, { recursive: true, force: true });
const secs = Number(process.argv[2] ?? 15);
const platform = await startTestPlatform({ HLS: '1', DATA_DIR: dataDir, LOG_LEVEL: 'info' }, { hls: { bridge: { ladder: [{ height: 180, bitrate: 300_000 }] } } });
const browser = await launchChromium();
const page = await browser.newPage();
const live = await goLiveWithClock(page, platform.url, 20000);
const key = await page.evaluate(() => (window as any).__live);
console.log('live', live.streamId, key);
const id = live.streamId;
await new Promise((r) => setTimeout(r, 4000));
// chapter needs the key: read it from registry (test shortcut)
const streamKey = platform.streams.get(id)!.streamKey;
let r = await fetch(`${platform.url}/api/streams/${id}/chapters`, { method: 'POST', headers: { authorization: `Bearer ${streamKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ title: 'First mark' }) });
console.log('mark', r.status, await r.text());
await new Promise((r) => setTimeout(r, 3000));
r = await fetch(`${platform.url}/api/streams/${id}`, { method: 'PATCH', headers: { authorization: `Bearer ${streamKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ title: 'Renamed' }) });
console.log('rename', r.status, await r.text());
await new Promise((r) => setTimeout(r, (secs - 7) * 1000));
await page.click('#start');
for (let i = 0; i < 20; i++) {
  await new Promise((r) => setTimeout(r, 500));
  const s = await (await fetch(`${platform.url}/api/streams/${id}`)).json();
  console.log(JSON.stringify(s.vod?.state), s.vod?.job?.percent, s.vod?.job?.state);
  if (s.vod?.state === 'ready') { console.log(JSON.stringify(s.vod, null, 1)); break; }
}
const vp = await browser.newPage();
vp.on('console', (m) => console.log('page:', m.text()));
await vp.goto(`${platform.url}/vod/${id}?clock=1`);
for (let i = 0; i < 10; i++) {
  await new Promise((r) => setTimeout(r, 1000));
  console.log(JSON.stringify(await vp.evaluate(() => { const v = (window as any).__vod; return { state: v.state, t: v.currentTime, clock: v.clock, err: v.error, src: v.source }; })));
}
await vp.evaluate(() => (document.querySelectorAll('.vod-chapter')[1] as HTMLElement).click());
await new Promise((r) => setTimeout(r, 1500));
console.log(JSON.stringify(await vp.evaluate(() => { const v = (window as any).__vod; return { t: v.currentTime, clock: v.clock, origin: v.status.originMs, chapters: v.status.chapters }; })));
await browser.close();
await platform.close();
