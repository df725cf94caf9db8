import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../../loadtest/browser/launch-chromium.ts';
import { publishFakeCamera } from '../../loadtest/browser/whip-publisher.ts';
import { buildWebClient } from '../../web-client/build.ts';
import type { Platform } from '../platform.ts';
import type { CreatedStream, StreamDetails } from '../protocol/messages.ts';
import { startTestPlatform } from '../testing/start-test-platform.ts';

let dataDir: string;
let platform: Platform;
let browser: Browser;

before(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'vod-routes-'));
  await buildWebClient({ quiet: true });
  platform = await startTestPlatform({ HLS: '1', DATA_DIR: dataDir }, { hls: { bridge: { ladder: [{ height: 180, bitrate: 200_000 }], threads: 1 } }, vod: { recognizer: null } });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await platform?.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function create(body: object): Promise<Response> {
  return fetch(`${platform.url}/api/streams`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
}

async function created(title: string, captions?: boolean): Promise<CreatedStream> {
  const res = await create({ title, ...(captions === undefined ? {} : { captions }) });
  assert.equal(res.status, 201);
  return (await res.json()) as CreatedStream;
}

function mark(id: string, key: string | null, body: object = {}): Promise<Response> {
  return fetch(`${platform.url}/api/streams/${id}/chapters`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(key ? { Authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify(body),
  });
}

function rename(id: string, key: string | null, body: unknown, type = 'application/json'): Promise<Response> {
  return fetch(`${platform.url}/api/streams/${id}`, {
    method: 'PATCH',
    headers: { 'Content-Type': type, ...(key ? { Authorization: `Bearer ${key}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('VOD routes', () => {
  test('a stream that never went live has no VOD: page, files and API answer 404', async () => {
    const idle = await created('Never live');
    for (const url of [`/vod/${idle.id}`, `/vod/${idle.id}/master.m3u8`, `/vod/${idle.id}/vod.mp4`, `/api/vod/${idle.id}`, '/vod/unknown1', '/api/vod/unknown1']) {
      const res = await fetch(`${platform.url}${url}`);
      assert.equal(res.status, 404, `${url} answered ${res.status}`);
      assert.match(await res.text(), /never went live|no VOD|does not exist|has no recording/);
    }
    const details = (await (await fetch(`${platform.url}/api/streams/${idle.id}`)).json()) as StreamDetails;
    assert.equal(details.vod, undefined, 'no vod field without a recording');
  });

  test('chapter marks need the stream key and a live stream; title changes need the key', async () => {
    const s = await created('Keys');
    assert.equal((await mark(s.id, null)).status, 401);
    assert.equal((await mark(s.id, 'sk_wrong')).status, 401);
    assert.equal((await mark('unknown1', s.streamKey)).status, 404);
    const idle = await mark(s.id, s.streamKey, { title: 'too early' });
    assert.equal(idle.status, 409);
    assert.match(await idle.text(), /only while it is live/);
    assert.equal((await rename(s.id, null, { title: 'x' })).status, 401);
    assert.equal((await rename(s.id, s.streamKey, { title: '' })).status, 400);
    assert.equal((await rename(s.id, s.streamKey, 'title=x', 'text/plain')).status, 415);
    const renamed = await rename(s.id, s.streamKey, { title: 'Keys, renamed' });
    assert.equal(renamed.status, 200);
    assert.equal(((await renamed.json()) as { title: string }).title, 'Keys, renamed');
    assert.equal(((await (await fetch(`${platform.url}/api/streams/${s.id}`)).json()) as StreamDetails).title, 'Keys, renamed');
  });

  test('POST /api/streams takes captions: true and rejects a captions value that is not a boolean', async () => {
    await created('With captions', true);
    assert.equal((await create({ title: 'Bad', captions: 'yes' })).status, 400);
  });

  test('a WHIP stream ended twice has one VOD that plays at once, with the chapter marked live', async () => {
    const s = await created('Short WHIP stream');
    const page = await browser.newPage();
    const publication = await publishFakeCamera(page, { whipUrl: new URL(s.whip, platform.url).href, streamKey: s.streamKey, videoCodec: 'H264', video: { width: 320, height: 180, frameRate: 30 } });
    try {
      await new Promise((r) => setTimeout(r, 3000));
      const marked = await mark(s.id, s.streamKey, { title: 'Halfway' });
      assert.equal(marked.status, 201, await marked.clone().text());
      const { streamTime } = (await marked.json()) as { streamTime: number };
      const during = (await (await fetch(`${platform.url}/api/streams/${s.id}`)).json()) as StreamDetails;
      assert.equal(during.vod?.state, 'recording');
      await new Promise((r) => setTimeout(r, 3000));
      const first = await fetch(publication.sessionUrl, { method: 'DELETE' });
      assert.equal(first.status, 200);
      const second = await fetch(publication.sessionUrl, { method: 'DELETE' });
      assert.equal(second.status, 404);
      let details = during;
      for (let i = 0; i < 150 && details.vod?.state !== 'ready'; i++) {
        await new Promise((r) => setTimeout(r, 100));
        details = (await (await fetch(`${platform.url}/api/streams/${s.id}`)).json()) as StreamDetails;
      }
      const vod = details.vod!;
      assert.equal(vod.state, 'ready', JSON.stringify(vod));
      assert.equal(vod.job?.attempts, 1);
      assert.ok(vod.liveDurationSec! > 5 && Math.abs(vod.durationSec! - vod.liveDurationSec!) < 1, `VOD ${vod.durationSec} s, live ${vod.liveDurationSec} s`);
      const halfway = vod.chapters.find((c) => c.title === 'Halfway');
      assert.ok(halfway, JSON.stringify(vod.chapters));
      assert.ok(Math.abs(halfway.startSec - (streamTime - vod.originMs!) / 1000) < 0.01);
      assert.equal((await fetch(`${platform.url}/vod/${s.id}`)).headers.get('content-type'), 'text/html; charset=utf-8');
      const master = await fetch(`${platform.url}${vod.playlist}`);
      assert.equal(master.status, 200);
      assert.match(await master.text(), /#EXT-X-STREAM-INF/);
      const head = await fetch(`${platform.url}${vod.mp4}`, { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(Number(head.headers.get('content-length')), vod.mp4Bytes);
      // The whole file streams for a download; a range for seeking.
      const whole = Buffer.from(await (await fetch(`${platform.url}${vod.mp4}?download=1`)).arrayBuffer());
      assert.equal(whole.length, vod.mp4Bytes);
      assert.equal(whole.subarray(4, 8).toString('latin1'), 'ftyp');
      const part = await fetch(`${platform.url}${vod.mp4}`, { headers: { Range: 'bytes=1000-1999' } });
      assert.equal(part.status, 206);
      assert.equal(part.headers.get('content-range'), `bytes 1000-1999/${vod.mp4Bytes}`);
      assert.deepEqual(Buffer.from(await part.arrayBuffer()), whole.subarray(1000, 2000));
    } finally {
      await publication.stop();
      await page.close();
    }
  });
});
