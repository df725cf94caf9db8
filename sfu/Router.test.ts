/**
 * The SFU against real headless Chromium: a fake-camera publisher and viewers
 * exchange SDP with the Router directly (no HTTP), and the viewers must decode
 * what the Router forwards.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../loadtest/browser/launch-chromium.ts';
import { BadRequestError, InvalidStateError } from '../signaling/errors.ts';
import { setLogLevel } from '../signaling/logger.ts';
import type { LayerPreference } from './layer-choice.ts';
import type { Router } from './Router.ts';
import { Sfu } from './Sfu.ts';
import {
  applyAnswer,
  availableOutgoingBitrate,
  createPublisherOffer,
  createViewerOffer,
  inboundStats,
  openPage,
  publisherEncodings,
  streamIdsByKind,
  viewerVideo,
  waitForConnectionState,
  waitForPicture,
  type PublishOptions,
} from './testing/browser-peers.ts';
import type { WebRtcTransport } from './WebRtcTransport.ts';

/** Chromium caps simulcast at 2 layers for 640x480 unless this trial is off; 3 layers at 640x480 keep the test light. */
const CHROMIUM_EXTRA_ARGS = ['--force-fieldtrials=WebRTC-LegacySimulcastLayerLimit/Disabled/'];
const FIRST_FRAME_LIMIT_MS = 1000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Ctx {
  browser: Browser;
  /** One context per page: a background tab of a shared context presents video only about once a second. */
  contexts: BrowserContext[];
  sfu: Sfu;
  router: Router;
}

describe('Router with real Chromium peers', { timeout: 240_000 }, () => {
  const ctx = {} as Ctx;

  before(async () => {
    setLogLevel('warn');
    ctx.browser = await launchChromium({ extraArgs: CHROMIUM_EXTRA_ARGS });
  });

  after(async () => {
    await ctx.browser?.close();
  });

  beforeEach(async () => {
    ctx.contexts = [];
    ctx.sfu = new Sfu({ listenIp: '127.0.0.1', minPort: 46000, maxPort: 46999, keyframeThrottleMs: 200 });
    ctx.router = ctx.sfu.createRouter('test-stream');
  });

  afterEach(async () => {
    ctx.sfu.close();
    await Promise.all(ctx.contexts.map((c) => c.close()));
  });

  async function newPage(): Promise<Page> {
    const context = await ctx.browser.newContext();
    ctx.contexts.push(context);
    return openPage(context);
  }

  async function publish(options: PublishOptions = {}): Promise<{ page: Page; transport: WebRtcTransport; answerSdp: string }> {
    const page = await newPage();
    const offer = await createPublisherOffer(page, options);
    const { transport, answerSdp } = await ctx.router.connectPublisher(offer);
    await applyAnswer(page, answerSdp);
    assert.equal(await waitForConnectionState(page, ['connected', 'failed'], 5000), 'connected');
    return { page, transport, answerSdp };
  }

  async function watch(layer: LayerPreference = 'auto', options: { h264Only?: string } = {}): Promise<{ page: Page; transport: WebRtcTransport; answerSdp: string }> {
    const page = await newPage();
    const offer = await createViewerOffer(page, options);
    const { transport, answerSdp } = await ctx.router.connectViewer(offer, { layer });
    await applyAnswer(page, answerSdp);
    return { page, transport, answerSdp };
  }

  async function framesOver(page: Page, ms: number): Promise<number> {
    const before = (await viewerVideo(page)).frames;
    await sleep(ms);
    return (await viewerVideo(page)).frames - before;
  }

  test('forwards H.264 and Opus to two viewers, each showing a picture within 1 s, in sync', async () => {
    const { answerSdp, page: publisherPage } = await publish();
    assert.match(answerSdp, /^m=video \d+ UDP\/TLS\/RTP\/SAVPF \d+$/m, 'one video payload type in the answer');
    assert.match(answerSdp, /a=rtpmap:\d+ H264\/90000/, 'H.264 preferred over VP8');
    assert.match(answerSdp, /a=rtcp-fb:\d+ transport-cc/, 'transport-cc on the publisher leg (our own feedback, TransportCcFeedback)');
    assert.match(answerSdp, /a=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 4[6]\d{3} typ host/, 'candidate on the listen address, inside the port range');

    const counts: number[] = [];
    ctx.router.on('viewercount', (n) => counts.push(n));
    // Viewers join one after the other, each while the stream is already flowing to the others.
    const viewers = [];
    for (let i = 0; i < 2; i++) {
      const viewer = await watch();
      const v = await waitForPicture(viewer.page, 3000);
      assert.ok(v.width > 0 && v.frames > 0, 'the viewer decodes video');
      // From the moment the viewer's offer is ready to send (the browser's own ICE gathering is not the SFU's time).
      const firstFrameMs = v.firstFrameAt - v.offerReadyAt;
      assert.ok(firstFrameMs < FIRST_FRAME_LIMIT_MS, `first frame after ${Math.round(firstFrameMs)} ms`);
      viewers.push(viewer);
    }
    assert.deepEqual(counts, [1, 2]);

    const frames = await Promise.all(viewers.map(({ page }) => framesOver(page, 3000)));
    for (const n of frames) assert.ok(n > 15, `presented ${n} frames in 3 s`);

    for (const { page } of viewers) {
      const { inbound, senderReports } = await inboundStats(page);
      const audio = inbound.find((s) => s.kind === 'audio');
      const video = inbound.find((s) => s.kind === 'video');
      assert.ok(audio && audio.packetsReceived > 50, 'Opus arrives');
      assert.equal(video?.codec, 'video/H264');
      assert.ok((senderReports.video ?? 0) > 0, "the publisher's sender reports reach the viewer (lip sync, pitfall 8)");
      const ids = await streamIdsByKind(page);
      assert.ok(ids.audio?.[0] && ids.audio[0] === ids.video?.[0], 'audio and video share one MediaStream, so the browser syncs them');
    }
    const uplink = await availableOutgoingBitrate(publisherPage);
    assert.ok(uplink > 1_000_000, `the publisher may send more than 1 Mbps (estimate ${uplink} bps, pitfall 7)`);
  });

  test('refuses a second publisher with InvalidStateError (409)', async () => {
    await publish();
    const page = await newPage();
    const offer = await createPublisherOffer(page);
    await assert.rejects(ctx.router.connectPublisher(offer), (err: unknown) => {
      assert.ok(err instanceof InvalidStateError);
      assert.equal(err.status, 409);
      return true;
    });
  });

  test('refuses malformed offers and offers without a usable codec with a one-line BadRequestError (400)', async () => {
    const isOneLineBadRequest = (pattern: RegExp) => (err: unknown) => {
      assert.ok(err instanceof BadRequestError, `expected BadRequestError, got ${String(err)}`);
      assert.equal(err.status, 400);
      assert.ok(!err.message.includes('\n'));
      assert.match(err.message, pattern);
      return true;
    };
    await assert.rejects(ctx.router.connectPublisher('this is not SDP'), isOneLineBadRequest(/malformed SDP/));
    const page = await newPage();
    const vp9Only = await createPublisherOffer(page, { videoCodec: 'video/VP9' });
    await assert.rejects(ctx.router.connectPublisher(vp9Only), isOneLineBadRequest(/H\.264.*VP8/));
    // A failed attempt leaves the slot free for a good publisher.
    await publish();
    await assert.rejects(ctx.router.connectViewer('v=0\r\n'), isOneLineBadRequest(/malformed SDP/));
  });

  test('refuses viewers with InvalidStateError (409) until a publisher is connected', async () => {
    const page = await newPage();
    const offer = await createViewerOffer(page);
    await assert.rejects(ctx.router.connectViewer(offer), (err: unknown) => {
      assert.ok(err instanceof InvalidStateError);
      assert.equal(err.status, 409);
      return true;
    });
  });

  test('a viewer offering only constrained baseline H.264 decodes the baseline stream (pitfall 12)', async () => {
    const { answerSdp } = await publish();
    assert.match(answerSdp, /profile-level-id=42001f/);
    const { page, answerSdp: viewerAnswer } = await watch('auto', { h264Only: '42e01f' });
    assert.match(viewerAnswer, /profile-level-id=42e01f/, "the viewer's own codec entry is answered");
    const v = await waitForPicture(page, 3000);
    assert.ok(v.width > 0 && v.frames > 0, 'video decodes');
  });

  test('forwards VP8 when the publisher offers no H.264', async () => {
    const { answerSdp } = await publish({ videoCodec: 'video/VP8' });
    assert.match(answerSdp, /a=rtpmap:\d+ VP8\/90000/);
    const { page } = await watch();
    const v = await waitForPicture(page, 3000);
    assert.ok(v.width > 0 && v.frames > 0);
    const { inbound } = await inboundStats(page);
    assert.equal(inbound.find((s) => s.kind === 'video')?.codec, 'video/VP8');
  });

  test('router.close() closes every transport once and the viewers lose their connection', async () => {
    const publisher = await publish();
    const viewers = await Promise.all([watch(), watch()]);
    await Promise.all(viewers.map(({ page }) => waitForPicture(page, 3000)));
    const closes: string[] = [];
    for (const t of [publisher.transport, ...viewers.map((v) => v.transport)]) t.on('close', (reason) => closes.push(reason));
    let routerCloses = 0;
    ctx.router.on('close', () => routerCloses++);

    ctx.router.close('stream ended');
    ctx.router.close('again');
    assert.deepEqual(closes, ['stream ended', 'stream ended', 'stream ended']);
    assert.equal(routerCloses, 1);
    assert.ok(viewers.every((v) => v.transport.closed && v.transport.consumers.length === 0));
    assert.equal(ctx.sfu.getRouter('test-stream'), undefined, 'the Sfu forgets a closed router');
    for (const { page } of viewers) {
      const state = await waitForConnectionState(page, ['disconnected', 'failed', 'closed'], 15_000);
      assert.ok(['disconnected', 'failed', 'closed'].includes(state), `viewer connection is ${state}`);
    }
  });

  test('simulcast: a viewer pinned to low gets smaller frames than one pinned to high, and can switch', async () => {
    const publisher = await publish({ simulcast: ['low', 'mid', 'high'] });
    await sleep(1500); // let the layers start
    const encodings = await publisherEncodings(publisher.page);
    assert.equal(encodings.filter((e) => (e.width ?? 0) > 0).length, 3, `publisher sends 3 layers: ${JSON.stringify(encodings)}`);

    const low = await watch('low');
    const high = await watch('high');
    const layers: Record<string, Array<string | null>> = { low: [], high: [] };
    low.transport.on('layerchange', (rid) => layers.low!.push(rid));
    high.transport.on('layerchange', (rid) => layers.high!.push(rid));
    const lowVideo = await waitForPicture(low.page, 3000);
    const highVideo = await waitForPicture(high.page, 3000);
    assert.ok(lowVideo.width > 0 && highVideo.width > 0, 'both decode');
    await sleep(1000);
    const [lowNow, highNow] = [await viewerVideo(low.page), await viewerVideo(high.page)];
    assert.ok(lowNow.width < highNow.width, `low ${lowNow.width}px < high ${highNow.width}px`);
    assert.equal(low.transport.currentLayer, 'low');
    assert.equal(high.transport.currentLayer, 'high');

    // Switching happens at a keyframe of the new layer, without breaking playback.
    low.transport.setLayerPreference('high');
    const deadline = Date.now() + 5000;
    while ((await viewerVideo(low.page)).width !== highNow.width && Date.now() < deadline) await sleep(100);
    assert.equal((await viewerVideo(low.page)).width, highNow.width, 'the switched viewer now gets the high layer');
    assert.equal(layers.low!.at(-1), 'high');
    assert.ok((await framesOver(low.page, 1500)) > 5, 'playback continues after the switch');
  });

  test('peers that leave are noticed: a closed RTCPeerConnection at once, a vanished tab within seconds', async () => {
    const publisher = await publish();
    const viewer = await watch();
    await waitForPicture(viewer.page, 3000);
    const counts: number[] = [];
    ctx.router.on('viewercount', (n) => counts.push(n));
    const closed = new Promise<string>((resolve) => viewer.transport.once('close', resolve));
    await viewer.page.evaluate(() => (window as unknown as { pc: RTCPeerConnection }).pc.close());
    assert.equal(await closed, 'peer closed the connection');
    assert.deepEqual(counts, [0]);

    const states: string[] = [];
    publisher.transport.on('connectionstatechange', (state) => states.push(state));
    const started = Date.now();
    await publisher.page.close(); // no DTLS alert, no more packets: like a phone losing its network
    while (!states.includes('disconnected') && Date.now() - started < 10_000) await sleep(100);
    assert.deepEqual(states, ['disconnected']);
    assert.ok(Date.now() - started < 8000, `noticed after ${Date.now() - started} ms`);
  });

  test('a viewer that stays connected resumes when a publisher reconnects to the router', async () => {
    const first = await publish();
    const viewer = await watch();
    assert.ok((await waitForPicture(viewer.page, 3000)).frames > 0);
    const reasons: string[] = [];
    ctx.router.on('publisherclose', (reason) => reasons.push(reason));
    first.transport.close('publisher network lost');
    await first.page.close();
    assert.deepEqual(reasons, ['publisher network lost']);
    await sleep(500);
    assert.ok((await framesOver(viewer.page, 1000)) <= 2, 'no video while nobody publishes');

    await publish();
    const deadline = Date.now() + 3000;
    let frames = 0;
    while (frames < 5 && Date.now() < deadline) frames += await framesOver(viewer.page, 250);
    assert.ok(frames >= 5, 'the same viewer connection shows the new publisher');
    assert.equal(viewer.transport.closed, false);
  });

  test('a lossy viewer is repaired from its own cache and does not stall the other viewer', async () => {
    await publish();
    const clean = await watch();
    const lossy = await watch();
    await Promise.all([waitForPicture(clean.page, 3000), waitForPicture(lossy.page, 3000)]);
    // Drop every 10th video RTP datagram on its way to the lossy viewer, at its UDP socket (internal to sfu/ and werift).
    const sender = lossy.transport.transceivers.find((t) => t.kind === 'video')!.sender;
    const pair = sender.dtlsTransport.iceTransport.connection.nominated!;
    const socket = (pair.protocol as unknown as { transport: { socket: { send: (msg: Buffer, ...rest: unknown[]) => void } } }).transport.socket;
    const send = socket.send.bind(socket);
    let n = 0;
    socket.send = (msg: Buffer, ...rest: unknown[]): void => {
      const rtcp = msg[1]! >= 192 && msg[1]! <= 223; // RFC 5761 demultiplexing
      if (!rtcp && msg.length > 12 && msg.readUInt32BE(8) === sender.ssrc && ++n % 10 === 0) return;
      send(msg, ...rest);
    };

    const [cleanFrames, lossyFrames] = await Promise.all([framesOver(clean.page, 3000), framesOver(lossy.page, 3000)]);
    const lossyConsumer = lossy.transport.consumers.find((c) => c.kind === 'video')!;
    const cleanConsumer = clean.transport.consumers.find((c) => c.kind === 'video')!;
    assert.ok(lossyConsumer.stats.retransmits > 0, 'NACKed packets were resent');
    assert.equal(cleanConsumer.stats.retransmits, 0, 'the clean viewer got no resends');
    assert.ok(cleanFrames > 15, `clean viewer presented ${cleanFrames} frames in 3 s`);
    assert.ok(lossyFrames > 10, `lossy viewer still presented ${lossyFrames} frames in 3 s`);
  });
});
