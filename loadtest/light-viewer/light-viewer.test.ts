import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../browser/launch-chromium.ts';
import { publishFakeCamera, type WhipPublication } from '../browser/whip-publisher.ts';
import { createStream, type CreatedStream } from '../http/create-stream.ts';
import { startLocalPlatform, type LocalPlatform } from '../platform/start-local-platform.ts';
import { LightViewer } from './LightViewer.ts';
import { ViewerFleet } from './ViewerFleet.ts';

interface Ctx {
  platform: LocalPlatform;
  browser: Browser;
  stream: CreatedStream;
  publication: WhipPublication;
}

async function until<T>(read: () => Promise<T> | T, done: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function viewerCount(ctx: Ctx): Promise<number> {
  const res = await fetch(`${ctx.platform.url}/api/streams/${ctx.stream.id}`);
  return ((await res.json()) as { viewers: number }).viewers;
}

describe('LightViewer against the platform and a Chromium WHIP publisher', { timeout: 120_000 }, () => {
  const ctx = {} as Ctx;

  before(async () => {
    ctx.platform = await startLocalPlatform();
    ctx.stream = await createStream(ctx.platform.url, 'light-viewer test');
    ctx.browser = await launchChromium();
    ctx.publication = await publishFakeCamera(await ctx.browser.newPage(), { whipUrl: ctx.stream.whipUrl, streamKey: ctx.stream.streamKey });
  });

  after(async () => {
    await ctx.publication?.stop();
    await ctx.browser?.close();
    await ctx.platform?.close();
  });

  test('receives the publisher\'s audio and video RTP through WHEP, without loss on loopback', async () => {
    const viewer = new LightViewer({ whepUrl: ctx.stream.whepUrl });
    try {
      await viewer.connect();
      assert.equal(viewer.state, 'connected');
      const c = await until(() => viewer.counters(), (c) => c.video.packets >= 100 && c.audio.packets >= 25, 15_000);
      assert.ok(c.video.packets >= 100, `video packets: ${c.video.packets}`);
      assert.ok(c.audio.packets >= 25, `audio packets: ${c.audio.packets}`);
      assert.ok(c.video.bytes > c.video.packets * 100, 'video packets carry payload');
      assert.ok(c.video.lost <= c.video.expected * 0.02, `video lost ${c.video.lost} of ${c.video.expected}`);
      const r = viewer.report();
      assert.ok(r.connectMs !== undefined && r.firstPacketMs !== undefined);
    } finally {
      await viewer.close();
    }
  });

  test('close() ends the viewer\'s WHEP session on the server', async () => {
    const viewer = new LightViewer({ whepUrl: ctx.stream.whepUrl });
    await viewer.connect();
    assert.equal(await until(() => viewerCount(ctx), (n) => n === 1, 5_000), 1);
    await viewer.close();
    assert.equal(viewer.state, 'closed');
    assert.equal(await until(() => viewerCount(ctx), (n) => n === 0, 5_000), 0);
  });

  test('connect() rejects with the server\'s answer for an unknown stream', async () => {
    const viewer = new LightViewer({ whepUrl: new URL('/whep/no-such-stream', ctx.platform.url).href });
    await assert.rejects(viewer.connect(), /answered 404/);
    assert.equal(viewer.state, 'failed');
  });

  test('a fleet in child processes connects every viewer and sums their packets', async () => {
    const { fleet, ready } = await ViewerFleet.start({ whepUrl: ctx.stream.whepUrl, viewers: 3, processes: 2 });
    try {
      assert.deepEqual({ connected: ready.connected, failed: ready.failed }, { connected: 3, failed: 0 });
      const t = await until(() => fleet.snapshot(), (t) => t.videoPackets >= 300 && t.audioPackets >= 60, 15_000);
      assert.equal(t.viewers, 3);
      assert.equal(t.connected, 3);
      assert.ok(t.videoPackets >= 300 && t.audioPackets >= 60, `video ${t.videoPackets}, audio ${t.audioPackets}`);
    } finally {
      const reports = await fleet.stop();
      assert.equal(reports.length, 3);
      for (const r of reports) assert.ok(r.video.packets > 0, 'each viewer got video');
    }
    assert.equal(await until(() => viewerCount(ctx), (n) => n === 0, 5_000), 0);
  });
});
