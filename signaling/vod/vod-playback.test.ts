import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { makeTestArchive } from '../../hls-bridge/vod/testing/make-test-archive.ts';
import { VodStore } from '../../hls-bridge/vod/VodStore.ts';
import { launchChromium } from '../../loadtest/browser/launch-chromium.ts';
import { buildWebClient } from '../../web-client/build.ts';
import type { Platform } from '../platform.ts';
import type { VodStatus } from '../protocol/messages.ts';
import { startTestPlatform } from '../testing/start-test-platform.ts';

/**
 * The VOD page in Chromium over an archive with a hole: the server died while the stream was
 * live (no end, no VOD yet), and one video segment (8–10 s) is missing on disk. The stream
 * asked for captions; its audio says "hello world welcome to the stream" at 2 s.
 */
const START = Date.now() - 60_000;
let dataDir: string;
let platform: Platform;
let browser: Browser;

before(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'vod-playback-'));
  await makeTestArchive({ dir: path.join(dataDir, 'hls', 'crashed1'), durationSec: 16, startMs: START, video: { width: 320, height: 180 }, audio: { speech: [{ atSec: 2, text: 'hello world welcome to the stream' }] } });
  await rm(path.join(dataDir, 'hls', 'crashed1', '180p', 'seg-4.m4s'));
  await new VodStore(path.join(dataDir, 'vod')).writeMeta({ streamId: 'crashed1', title: 'Crashed while live', captions: true, createdAt: new Date(START).toISOString(), startedAt: new Date(START).toISOString(), endedAt: null });
  await buildWebClient({ quiet: true });
  platform = await startTestPlatform({ DATA_DIR: dataDir });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await platform?.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function status(id: string): Promise<VodStatus> {
  const res = await fetch(`${platform.url}/api/vod/${id}`);
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as VodStatus;
}

async function playAcross(page: Page, fromSec: number, toSec: number): Promise<number> {
  await page.waitForFunction(() => (window as unknown as { __vod: { source: string | null } }).__vod.source !== null, undefined, { timeout: 15_000 });
  await page.evaluate((t) => {
    const v = document.querySelector('video')!;
    v.currentTime = t;
    void v.play();
  }, fromSec);
  await page.waitForFunction((t) => document.querySelector('video')!.currentTime > t, toSec, { timeout: 20_000 });
  return page.evaluate(() => document.querySelector('video')!.currentTime);
}

describe('VOD playback', () => {
  test('a stream that was live when the server died gets its VOD on the next start, with the missing segment reported', async () => {
    let s = await status('crashed1');
    for (let i = 0; i < 100 && s.state !== 'ready'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      s = await status('crashed1');
    }
    assert.equal(s.state, 'ready', JSON.stringify(s.job));
    assert.equal(s.captions, 'ready', JSON.stringify(s.job?.stages));
    assert.deepEqual(s.missingSegments, [{ rendition: '180p', msn: 4 }]);
    assert.ok(Math.abs(s.durationSec! - 16) < 0.1, `duration ${s.durationSec}`);
  });

  for (const src of ['hls', 'mp4'] as const) {
    test(`the ${src === 'hls' ? 'HLS VOD playlist' : 'MP4'} plays on past the missing segment in Chromium`, async () => {
      const page = await browser.newPage();
      try {
        await page.goto(`${platform.url}/vod/crashed1${src === 'mp4' ? '?src=mp4' : ''}`);
        const t = await playAcross(page, 6, 11);
        assert.ok(t > 11, `stuck at ${t}`);
        assert.equal(await page.evaluate(() => (window as unknown as { __vod: { source: string } }).__vod.source), src);
      } finally {
        await page.close();
      }
    });
  }

  test('the captions toggle shows the recognized words while they are said', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${platform.url}/vod/crashed1`);
      await page.waitForSelector('#captions-toggle:not([hidden])', { timeout: 15_000 });
      await page.click('#captions-toggle');
      assert.equal(await page.evaluate(() => (window as unknown as { __vod: { captionsShowing: boolean } }).__vod.captionsShowing), true);
      await playAcross(page, 1, 3.5);
      const shown = await page.evaluate(() => {
        const track = [...document.querySelector('video')!.textTracks].find((t) => t.kind === 'captions')!;
        return { mode: track.mode, text: [...(track.activeCues ?? [])].map((c) => (c as VTTCue).text).join(' ') };
      });
      assert.equal(shown.mode, 'showing');
      assert.match(shown.text, /hello world/);
    } finally {
      await page.close();
    }
  });
});
