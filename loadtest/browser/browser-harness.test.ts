import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { launchChromium } from './launch-chromium.ts';
import { publishFakeCamera, type WhipPublication } from './whip-publisher.ts';
import { watchWhep } from './whep-viewer.ts';
import { createStream, type CreatedStream } from '../http/create-stream.ts';
import { startLocalPlatform, type LocalPlatform } from '../platform/start-local-platform.ts';

interface Ctx {
  platform: LocalPlatform;
  browser: Browser;
  stream: CreatedStream;
  publication: WhipPublication;
}

describe('browser harness: WHIP publisher and WHEP viewer pages', { timeout: 120_000 }, () => {
  const ctx = {} as Ctx;

  before(async () => {
    ctx.platform = await startLocalPlatform();
    ctx.stream = await createStream(ctx.platform.url, 'browser harness test');
    ctx.browser = await launchChromium();
  });

  after(async () => {
    await ctx.publication?.stop();
    await ctx.browser?.close();
    await ctx.platform?.close();
  });

  test('publishFakeCamera() goes live over WHIP and sends video', async () => {
    ctx.publication = await publishFakeCamera(await ctx.browser.newPage(), { whipUrl: ctx.stream.whipUrl, streamKey: ctx.stream.streamKey });
    assert.match(ctx.publication.sessionUrl, new RegExp(`/whip/${ctx.stream.id}/`));
    const stream = (await (await fetch(`${ctx.platform.url}/api/streams/${ctx.stream.id}`)).json()) as { state: string };
    assert.equal(stream.state, 'live');
    await new Promise((r) => setTimeout(r, 1_000));
    const s = await ctx.publication.stats();
    assert.equal(s.connectionState, 'connected');
    assert.ok(s.framesEncoded > 0 && s.packetsSent > 0, JSON.stringify(s));
  });

  test('watchWhep() shows the publisher\'s picture in a <video> and counts presented frames', async () => {
    const viewer = await watchWhep(await ctx.browser.newPage(), { whepUrl: ctx.stream.whepUrl });
    try {
      const s = await viewer.waitForFrames(15, 10_000);
      assert.ok(s.videoWidth > 0 && s.videoHeight > 0, `video ${s.videoWidth}x${s.videoHeight}`);
      assert.ok(s.firstFrameMs !== undefined);
      assert.equal(s.audioTracks, 1);
    } finally {
      await viewer.stop();
    }
  });

  test('launchChromium() grants the fake camera without a prompt', async () => {
    const page = await ctx.browser.newPage();
    try {
      await page.goto(`${ctx.platform.url}/api/streams`);
      const kinds = await page.evaluate(async () => {
        const s = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
        const k = s.getTracks().map((t) => t.kind).sort();
        s.getTracks().forEach((t) => t.stop());
        return k;
      });
      assert.deepEqual(kinds, ['audio', 'video']);
    } finally {
      await page.close();
    }
  });
});
