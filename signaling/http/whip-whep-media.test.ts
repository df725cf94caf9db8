import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../../loadtest/browser/launch-chromium.ts';
import type { Platform } from '../platform.ts';
import { StreamInfo, type CreatedStream, type ServerMessageOf } from '../protocol/messages.ts';
import { BrowserPeer } from '../testing/BrowserPeer.ts';
import { startTestPlatform } from '../testing/start-test-platform.ts';
import { TestWsClient } from '../testing/TestWsClient.ts';

interface Ctx {
  platform: Platform;
  browser: Browser;
  peer: BrowserPeer;
  stream: CreatedStream;
  follower: TestWsClient;
  publisherOffer: string;
  publisherLocation: string;
  publisherEtag: string;
  viewerLocation: string;
}
const ctx = {} as Ctx;

async function streamInfo(): Promise<StreamInfo> {
  return StreamInfo.parse(await (await fetch(`${ctx.platform.url}/api/streams/${ctx.stream.id}`)).json());
}

function whipPost(sdp: string, key = ctx.stream.streamKey): Promise<Response> {
  return fetch(`${ctx.platform.url}${ctx.stream.whip}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/sdp', Authorization: `Bearer ${key}` },
    body: sdp,
  });
}

describe('WHIP publish and WHEP playback with real Chromium peers', { timeout: 120_000 }, () => {
  before(async () => {
    ctx.platform = await startTestPlatform();
    ctx.browser = await launchChromium();
    ctx.peer = await BrowserPeer.open(ctx.browser, ctx.platform.url);
    const res = await fetch(`${ctx.platform.url}/api/streams`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ title: 'real publish' }),
    });
    ctx.stream = (await res.json()) as CreatedStream;
    ctx.follower = await TestWsClient.connect(`${ctx.platform.url.replace('http', 'ws')}/ws`);
    ctx.follower.send({ type: 'follow', reqId: 1, streamId: ctx.stream.id });
    await ctx.follower.nextWhere((m) => m.type === 'stream');
  });

  after(async () => {
    await ctx.follower?.close();
    await ctx.peer?.close();
    await ctx.browser?.close();
    await ctx.platform?.close();
  });

  test('POST /whip answers 201 with Location, ETag and an SDP answer that Chromium connects with', async () => {
    ctx.publisherOffer = await ctx.peer.createOffer('pub', 'publisher');
    const res = await whipPost(ctx.publisherOffer);
    const answer = await res.text();
    assert.equal(res.status, 201, answer);
    assert.equal(res.headers.get('content-type'), 'application/sdp');
    ctx.publisherLocation = res.headers.get('location') ?? '';
    assert.match(ctx.publisherLocation, new RegExp(`^/whip/${ctx.stream.id}/[A-Za-z0-9_-]+$`));
    ctx.publisherEtag = res.headers.get('etag') ?? '';
    assert.ok(ctx.publisherEtag.length > 2);
    assert.match(answer, /^v=0\r?\n/);
    assert.match(answer, /a=fingerprint:/);

    await ctx.peer.applyAnswer('pub', answer);
    await ctx.peer.waitForState('pub', ['connected']);
    assert.equal((await streamInfo()).state, 'live');
    const live = (await ctx.follower.nextWhere((m) => m.type === 'stream' && m.stream.state === 'live')) as ServerMessageOf<'stream'>;
    assert.ok(live.stream.startedAt);
  });

  test('a second publisher while live answers 409', async () => {
    const res = await whipPost(ctx.publisherOffer);
    assert.equal(res.status, 409, await res.text());
    assert.equal((await streamInfo()).state, 'live');
  });

  test('a wrong key while live answers 401 and the stream stays live', async () => {
    const res = await whipPost(ctx.publisherOffer, 'sk_wrong');
    assert.equal(res.status, 401, await res.text());
    assert.equal((await streamInfo()).state, 'live');
    assert.equal(await ctx.peer.connectionState('pub'), 'connected');
  });

  test('PATCH trickles candidates (204), refuses a stale If-Match (412) and an ICE restart (422)', async () => {
    const url = `${ctx.platform.url}${ctx.publisherLocation}`;
    const headers = { 'Content-Type': 'application/trickle-ice-sdpfrag' };
    const fragment = 'a=mid:0\r\na=candidate:1 1 udp 2122260223 127.0.0.1 9 typ host\r\n';
    const ok = await fetch(url, { method: 'PATCH', headers: { ...headers, 'If-Match': ctx.publisherEtag }, body: fragment });
    assert.equal(ok.status, 204, await ok.text());
    const stale = await fetch(url, { method: 'PATCH', headers: { ...headers, 'If-Match': '"stale"' }, body: fragment });
    assert.equal(stale.status, 412, await stale.text());
    const restart = await fetch(url, { method: 'PATCH', headers, body: 'a=ice-ufrag:newU\r\na=ice-pwd:newpasswordnewpassword\r\n' });
    assert.equal(restart.status, 422, await restart.text());
    assert.equal(await ctx.peer.connectionState('pub'), 'connected');
  });

  test('POST /whep answers 201 with an answer; the viewer connects and is counted', async () => {
    const offer = await ctx.peer.createOffer('view', 'viewer');
    const res = await fetch(`${ctx.platform.url}${ctx.stream.whep}`, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: offer });
    const answer = await res.text();
    assert.equal(res.status, 201, answer);
    ctx.viewerLocation = res.headers.get('location') ?? '';
    assert.match(ctx.viewerLocation, new RegExp(`^/whep/${ctx.stream.id}/[A-Za-z0-9_-]+$`));
    await ctx.peer.applyAnswer('view', answer);
    await ctx.peer.waitForState('view', ['connected']);
    assert.equal((await streamInfo()).viewers, 1);
    await ctx.follower.nextWhere((m) => m.type === 'stream' && m.stream.viewers === 1);
  });

  test('DELETE on the WHIP session ends the stream for everyone', async () => {
    const res = await fetch(`${ctx.platform.url}${ctx.publisherLocation}`, { method: 'DELETE' });
    assert.equal(res.status, 200, await res.text());

    const info = await streamInfo();
    assert.equal(info.state, 'ended');
    assert.ok(info.endedAt);
    assert.equal(info.viewers, 0);
    await ctx.follower.nextWhere((m) => m.type === 'stream' && m.stream.state === 'ended');

    // The viewer's session is gone with the stream; new viewers and publishers are refused.
    const viewerDelete = await fetch(`${ctx.platform.url}${ctx.viewerLocation}`, { method: 'DELETE' });
    assert.equal(viewerDelete.status, 404, await viewerDelete.text());
    const lateViewer = await fetch(`${ctx.platform.url}${ctx.stream.whep}`, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: ctx.publisherOffer });
    assert.equal(lateViewer.status, 409);
    assert.match(await lateViewer.text(), /ended/);
    const republish = await whipPost(ctx.publisherOffer);
    assert.equal(republish.status, 409);
    assert.match(await republish.text(), /ended/);
  });
});

describe('a publisher that vanishes without DELETE', { timeout: 120_000 }, () => {
  const local = {} as { platform: Platform; browser: Browser; follower: TestWsClient };

  before(async () => {
    // Short graces keep the test quick; the defaults are 5 s (connection) and 30 s (publisher reconnect).
    local.platform = await startTestPlatform({}, { sessionGraceMs: 500, publisherGraceMs: 1500 });
    local.browser = await launchChromium();
  });
  after(async () => {
    await local.follower?.close();
    await local.browser?.close();
    await local.platform?.close();
  });

  test('holds the stream reconnecting, then ends it once the publisher grace period runs out', async () => {
    const stream = local.platform.streams.create('vanishing');
    local.follower = await TestWsClient.connect(`${local.platform.url.replace('http', 'ws')}/ws`);
    local.follower.send({ type: 'follow', reqId: 1, streamId: stream.id });
    await local.follower.nextWhere((m) => m.type === 'stream');

    const peer = await BrowserPeer.open(local.browser, local.platform.url);
    const res = await fetch(`${local.platform.url}/whip/${stream.id}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/sdp', Authorization: `Bearer ${stream.streamKey}` },
      body: await peer.createOffer('pub', 'publisher'),
    });
    assert.equal(res.status, 201);
    await peer.applyAnswer('pub', await res.text());
    await peer.waitForState('pub', ['connected']);

    // Closing the page drops the peer connection without any signaling, like a phone losing signal.
    await peer.page.close();
    await local.follower.nextWhere((m) => m.type === 'stream' && m.stream.state === 'reconnecting', 60_000);
    const ended = await local.follower.nextWhere((m) => m.type === 'stream' && m.stream.state === 'ended', 10_000);
    assert.equal(ended.type, 'stream');
    assert.equal(local.platform.streams.info(stream.id).state, 'ended');
    assert.equal(local.platform.sessions.size, 0);
  });
});
