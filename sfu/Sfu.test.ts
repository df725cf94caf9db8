/**
 * Sfu and Router lifecycle without a browser: werift answers captured Chromium
 * offers on loopback (no peer ever connects), which is enough for routers,
 * transports, ports and the close cascade.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { BadRequestError, InvalidStateError, ServiceUnavailableError } from '../signaling/errors.ts';
import { setLogLevel } from '../signaling/logger.ts';
import { Sfu } from './Sfu.ts';
import { CHROMIUM_SIMULCAST_PUBLISHER_OFFER, CHROMIUM_VIEWER_OFFER } from './testing/chromium-offers.ts';

describe('Sfu', () => {
  let sfu: Sfu;

  beforeEach(() => {
    setLogLevel('warn');
    sfu = new Sfu({ listenIp: '127.0.0.1', minPort: 46800, maxPort: 46805, keyframeThrottleMs: 200 });
  });

  afterEach(() => {
    sfu.close();
  });

  test('sfu.createRouter() makes one router per stream id and refuses a duplicate with InvalidStateError', () => {
    const router = sfu.createRouter('a');
    assert.equal(sfu.getRouter('a'), router);
    assert.throws(() => sfu.createRouter('a'), InvalidStateError);
    router.close('done');
    assert.equal(sfu.getRouter('a'), undefined);
    assert.notEqual(sfu.createRouter('a'), router, 'the id is free again once closed');
  });

  test('router.connectPublisher() answers a simulcast Chromium offer with H.264, rids and our candidate', async () => {
    const router = sfu.createRouter('s');
    const { transport, answerSdp } = await router.connectPublisher(CHROMIUM_SIMULCAST_PUBLISHER_OFFER);
    assert.equal(transport.role, 'publisher');
    assert.match(answerSdp, /^m=video \d+ UDP\/TLS\/RTP\/SAVPF 102$/m);
    assert.match(answerSdp, /a=fmtp:102 [^\r\n]*x-google-start-bitrate=1000/);
    assert.match(answerSdp, /a=simulcast:recv low;mid;high/);
    assert.match(answerSdp, /a=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 4680[0-5] typ host/);
    assert.doesNotMatch(answerSdp, /a=rtpmap:\d+ rtx/);
    assert.match(answerSdp, /a=extmap:\d+ http:\/\/www\.ietf\.org\/id\/draft-holmer-rmcat-transport-wide-cc-extensions-01/);
    assert.match(answerSdp, /a=rtcp-fb:102 transport-cc/);
    assert.deepEqual(
      router.producers.map((p) => [p.kind, p.codec.mimeType, p.rids]),
      [
        ['audio', 'audio/opus', []],
        ['video', 'video/H264', ['low', 'mid', 'high']],
      ],
    );
  });

  test('a viewer is answered with its own payload types and a shared msid for audio and video', async () => {
    const router = sfu.createRouter('s');
    await router.connectPublisher(CHROMIUM_SIMULCAST_PUBLISHER_OFFER);
    const counts: number[] = [];
    router.on('viewercount', (n) => counts.push(n));
    const { transport, answerSdp } = await router.connectViewer(CHROMIUM_VIEWER_OFFER, { layer: 'low' });
    assert.equal(transport.role, 'viewer');
    assert.match(answerSdp, /^m=audio \d+ UDP\/TLS\/RTP\/SAVPF 111$/m);
    assert.match(answerSdp, /^m=video \d+ UDP\/TLS\/RTP\/SAVPF 102$/m);
    const msids = [...answerSdp.matchAll(/^a=msid:(\S+) /gm)].map((m) => m[1]);
    assert.equal(msids.length, 2);
    assert.equal(msids[0], msids[1]);
    assert.equal(transport.consumers.length, 2);
    assert.equal(transport.layerPreference, 'low');
    transport.close('bye');
    assert.deepEqual(counts, [1, 0]);
  });

  test('the UDP range bounds concurrent transports: the next one gets ServiceUnavailableError until one closes', async () => {
    const a = sfu.createRouter('a');
    const b = sfu.createRouter('b');
    const c = sfu.createRouter('c');
    const d = sfu.createRouter('d');
    const first = await a.connectPublisher(CHROMIUM_SIMULCAST_PUBLISHER_OFFER);
    await b.connectPublisher(CHROMIUM_SIMULCAST_PUBLISHER_OFFER);
    await c.connectPublisher(CHROMIUM_SIMULCAST_PUBLISHER_OFFER);
    await assert.rejects(d.connectPublisher(CHROMIUM_SIMULCAST_PUBLISHER_OFFER), ServiceUnavailableError);
    first.transport.close('bye');
    await d.connectPublisher(CHROMIUM_SIMULCAST_PUBLISHER_OFFER);
  });

  test('a publisher with an unusable codec gets a one-line BadRequestError and frees the slot', async () => {
    const router = sfu.createRouter('s');
    const vp9Only = CHROMIUM_SIMULCAST_PUBLISHER_OFFER.replace(/a=rtpmap:(\d+) (H264|VP8)\/90000/g, 'a=rtpmap:$1 XX$2/90000');
    await assert.rejects(router.connectPublisher(vp9Only), (err: unknown) => {
      assert.ok(err instanceof BadRequestError);
      assert.ok(!err.message.includes('\n'));
      return true;
    });
    await router.connectPublisher(CHROMIUM_SIMULCAST_PUBLISHER_OFFER);
  });

  test('two publishers racing: the second gets InvalidStateError even before the first finished', async () => {
    const router = sfu.createRouter('s');
    const first = router.connectPublisher(CHROMIUM_SIMULCAST_PUBLISHER_OFFER);
    await assert.rejects(router.connectPublisher(CHROMIUM_SIMULCAST_PUBLISHER_OFFER), InvalidStateError);
    await first;
  });

  test('sfu.close() cascades: routers, transports, producers and consumers close once each', async () => {
    const router = sfu.createRouter('s');
    const publisher = await router.connectPublisher(CHROMIUM_SIMULCAST_PUBLISHER_OFFER);
    const viewer = await router.connectViewer(CHROMIUM_VIEWER_OFFER);
    const events: string[] = [];
    router.on('close', (reason) => events.push(`router:${reason}`));
    router.on('publisherclose', () => events.push('publisherclose'));
    publisher.transport.on('close', (reason) => events.push(`publisher:${reason}`));
    viewer.transport.on('close', (reason) => events.push(`viewer:${reason}`));
    for (const p of router.producers) p.on('close', () => events.push(`producer:${p.kind}`));
    for (const c of viewer.transport.consumers) c.on('close', () => events.push(`consumer:${c.kind}`));
    sfu.close();
    sfu.close();
    assert.deepEqual(events.sort(), [
      'consumer:audio',
      'consumer:video',
      'producer:audio',
      'producer:video',
      'publisher:sfu closed',
      'router:sfu closed',
      'viewer:sfu closed',
    ]);
    assert.throws(() => sfu.createRouter('t'), InvalidStateError);
  });

  test('transport.addIceCandidate() accepts trickled candidates and refuses garbage with BadRequestError', async () => {
    const router = sfu.createRouter('s');
    const { transport } = await router.connectPublisher(CHROMIUM_SIMULCAST_PUBLISHER_OFFER);
    await transport.addIceCandidate({ candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 9999 typ host', sdpMid: null, sdpMLineIndex: 0 });
    await transport.addIceCandidate({ candidate: '', sdpMid: null, sdpMLineIndex: 0 });
    await assert.rejects(transport.addIceCandidate({ candidate: 'garbage', sdpMid: null, sdpMLineIndex: 0 }), BadRequestError);
    transport.close('bye');
    await assert.rejects(transport.addIceCandidate({ candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host', sdpMid: '0' }), InvalidStateError);
  });

  test('announcedIp replaces the listen address in the ICE candidate', async () => {
    const natted = new Sfu({ listenIp: '127.0.0.1', announcedIp: '203.0.113.7', minPort: 46810, maxPort: 46811 });
    try {
      const { answerSdp } = await natted.createRouter('s').connectPublisher(CHROMIUM_SIMULCAST_PUBLISHER_OFFER);
      assert.match(answerSdp, /a=candidate:\S+ 1 udp \d+ 203\.0\.113\.7 4681[01] typ host/);
      assert.doesNotMatch(answerSdp, /a=candidate:[^\r\n]* 127\.0\.0\.1 /);
    } finally {
      natted.close();
    }
  });

  test('when the publisher leaves, viewers stay and the router reports publisherclose', async () => {
    const router = sfu.createRouter('s');
    const publisher = await router.connectPublisher(CHROMIUM_SIMULCAST_PUBLISHER_OFFER);
    const viewer = await router.connectViewer(CHROMIUM_VIEWER_OFFER);
    const reasons: string[] = [];
    router.on('publisherclose', (reason) => reasons.push(reason));
    publisher.transport.close('gone');
    assert.deepEqual(reasons, ['gone']);
    assert.equal(viewer.transport.closed, false);
    assert.equal(viewer.transport.consumers.length, 0, 'its consumers ended with the producers');
    await assert.rejects(router.connectViewer(CHROMIUM_VIEWER_OFFER), InvalidStateError);
    // A new publisher may connect; the waiting viewer gets consumers again.
    await router.connectPublisher(CHROMIUM_SIMULCAST_PUBLISHER_OFFER);
    assert.equal(viewer.transport.consumers.length, 2);
  });
});
