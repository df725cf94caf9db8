import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../../loadtest/browser/launch-chromium.ts';
import type { Platform } from '../platform.ts';
import type { ServerMessage, ServerMessageOf } from '../protocol/messages.ts';
import { BrowserPeer } from '../testing/BrowserPeer.ts';
import { startTestPlatform } from '../testing/start-test-platform.ts';
import { TestWsClient } from '../testing/TestWsClient.ts';

interface Ctx {
  platform: Platform;
  browser: Browser;
  peer: BrowserPeer;
  streamId: string;
  streamKey: string;
  publisher: TestWsClient;
  viewer: TestWsClient;
  follower: TestWsClient;
}
const ctx = {} as Ctx;

const wsUrl = (): string => `${ctx.platform.url.replace('http', 'ws')}/ws`;
const streamWith = (predicate: (s: ServerMessageOf<'stream'>['stream']) => boolean) => (m: ServerMessage) =>
  m.type === 'stream' && predicate(m.stream);

async function answerFor(client: TestWsClient, reqId: number): Promise<ServerMessageOf<'answer'>> {
  const reply = await client.nextWhere((m) => 'reqId' in m && m.reqId === reqId, 15_000);
  assert.equal(reply.type, 'answer', JSON.stringify(reply));
  return reply as ServerMessageOf<'answer'>;
}

describe('/ws publish and watch with real Chromium peers', { timeout: 120_000 }, () => {
  before(async () => {
    ctx.platform = await startTestPlatform();
    ctx.browser = await launchChromium();
    ctx.peer = await BrowserPeer.open(ctx.browser, ctx.platform.url);
    const stream = ctx.platform.streams.create('ws media');
    ctx.streamId = stream.id;
    ctx.streamKey = stream.streamKey;
    [ctx.publisher, ctx.viewer, ctx.follower] = await Promise.all([TestWsClient.connect(wsUrl()), TestWsClient.connect(wsUrl()), TestWsClient.connect(wsUrl())]);
    ctx.follower.send({ type: 'follow', reqId: 1, streamId: stream.id });
    await ctx.follower.nextWhere((m) => m.type === 'stream');
  });

  after(async () => {
    await Promise.all([ctx.publisher, ctx.viewer, ctx.follower].map((c) => c?.close()));
    await ctx.peer?.close();
    await ctx.browser?.close();
    await ctx.platform?.close();
  });

  test('publish answers with a session and SDP; the publisher is told its stream is live', async () => {
    const sdp = await ctx.peer.createOffer('pub', 'publisher');
    ctx.publisher.send({ type: 'publish', reqId: 10, streamId: ctx.streamId, streamKey: ctx.streamKey, sdp });
    const answer = await answerFor(ctx.publisher, 10);
    await ctx.peer.applyAnswer('pub', answer.sdp);
    await ctx.peer.waitForState('pub', ['connected']);
    await ctx.publisher.nextWhere(streamWith((s) => s.state === 'live'));
    await ctx.follower.nextWhere(streamWith((s) => s.state === 'live'));
  });

  test('watch answers, connects, and the viewer count reaches the publisher', async () => {
    const sdp = await ctx.peer.createOffer('view1', 'viewer');
    ctx.viewer.send({ type: 'watch', reqId: 20, streamId: ctx.streamId, sdp, layer: 'auto' });
    const answer = await answerFor(ctx.viewer, 20);
    await ctx.peer.applyAnswer('view1', answer.sdp);
    await ctx.peer.waitForState('view1', ['connected']);
    await ctx.publisher.nextWhere(streamWith((s) => s.viewers === 1));

    ctx.viewer.send({ type: 'setLayer', reqId: 21, sessionId: answer.sessionId, layer: 'low' });
    assert.deepEqual(await ctx.viewer.nextWhere((m) => 'reqId' in m && m.reqId === 21), { type: 'ok', reqId: 21 });

    ctx.viewer.send({ type: 'stop', reqId: 22, sessionId: answer.sessionId });
    assert.deepEqual(await ctx.viewer.nextWhere((m) => 'reqId' in m && m.reqId === 22), { type: 'ok', reqId: 22 });
    await ctx.publisher.nextWhere(streamWith((s) => s.viewers === 0));
  });

  test('another socket cannot stop a session it does not own', async () => {
    const sdp = await ctx.peer.createOffer('view2', 'viewer');
    ctx.viewer.send({ type: 'watch', reqId: 30, streamId: ctx.streamId, sdp, layer: 'auto' });
    const answer = await answerFor(ctx.viewer, 30);
    ctx.follower.send({ type: 'stop', reqId: 31, sessionId: answer.sessionId });
    const refused = await ctx.follower.nextWhere((m) => 'reqId' in m && m.reqId === 31);
    assert.equal(refused.type, 'error');
    assert.equal((refused as ServerMessageOf<'error'>).status, 404);
    assert.equal(ctx.platform.streams.info(ctx.streamId).viewers, 1);
  });

  test('a viewer socket that drops closes its sessions and is no longer counted', async () => {
    ctx.viewer.destroy();
    await ctx.publisher.nextWhere(streamWith((s) => s.viewers === 0));
  });

  test('a publisher socket that drops leaves the stream reconnecting; the same key on a new socket resumes it for the same viewer', async () => {
    const viewer = await TestWsClient.connect(wsUrl());
    const sdp = await ctx.peer.createOffer('view3', 'viewer');
    viewer.send({ type: 'watch', reqId: 40, streamId: ctx.streamId, sdp, layer: 'auto' });
    const watching = await answerFor(viewer, 40);
    await ctx.peer.applyAnswer('view3', watching.sdp);
    await ctx.peer.waitForState('view3', ['connected']);
    await waitForFrames('view3', 1);

    ctx.publisher.destroy();
    await ctx.peer.dropPeer('pub');
    await ctx.follower.nextWhere(streamWith((s) => s.state === 'reconnecting'));
    assert.equal(ctx.platform.sessions.require(watching.sessionId).closed, false, 'the viewer stays attached while the publisher is away');

    const publisher = await TestWsClient.connect(wsUrl());
    try {
      const offer = await ctx.peer.createOffer('pub2', 'publisher');
      publisher.send({ type: 'publish', reqId: 41, streamId: ctx.streamId, streamKey: ctx.streamKey, sdp: offer });
      const answer = await answerFor(publisher, 41);
      await ctx.peer.applyAnswer('pub2', answer.sdp);
      await ctx.peer.waitForState('pub2', ['connected']);
      await ctx.follower.nextWhere(streamWith((s) => s.state === 'live'));
      const before = await ctx.peer.framesDecoded('view3');
      await waitForFrames('view3', before + 10);
      assert.equal(await ctx.peer.connectionState('view3'), 'connected', 'the viewer never renegotiated');

      // Stopping on purpose ends the stream at once, with no reconnect grace.
      publisher.send({ type: 'stop', reqId: 42, sessionId: answer.sessionId });
      await ctx.follower.nextWhere(streamWith((s) => s.state === 'ended'));
      assert.equal(ctx.platform.streams.info(ctx.streamId).state, 'ended');
    } finally {
      await Promise.all([publisher.close(), viewer.close()]);
    }
  });
});

async function waitForFrames(peer: string, atLeast: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let frames = 0;
  while (Date.now() < deadline) {
    frames = await ctx.peer.framesDecoded(peer);
    if (frames >= atLeast) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`viewer ${peer} decoded ${frames} frames, expected at least ${atLeast} within ${timeoutMs} ms`);
}
