import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BadRequestError } from '../signaling/errors.ts';
import { parseOffer } from './sdp-offer.ts';
import { CHROMIUM_SIMULCAST_PUBLISHER_OFFER, CHROMIUM_VIEWER_OFFER } from './testing/chromium-offers.ts';

function assertBadRequest(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof BadRequestError, `expected BadRequestError, got ${String(err)}`);
    assert.equal(err.status, 400);
    assert.ok(!err.message.includes('\n'), 'the reason fits on one line');
    assert.match(err.message, pattern);
    return true;
  });
}

describe('parseOffer', () => {
  test('reads kinds, directions, codecs with fmtp and feedback from a Chromium publisher offer', () => {
    const offer = parseOffer(CHROMIUM_SIMULCAST_PUBLISHER_OFFER);
    assert.deepEqual(
      offer.media.map((m) => [m.kind, m.mid, m.direction]),
      [
        ['audio', '0', 'sendonly'],
        ['video', '1', 'sendonly'],
      ],
    );
    const opus = offer.media[0]!.codecs.find((c) => c.name === 'opus');
    assert.equal(opus?.clockRate, 48000);
    assert.equal(opus?.channels, 2);
    const h264 = offer.media[1]!.codecs.find((c) => c.payloadType === 102);
    assert.equal(h264?.mimeType, 'video/H264');
    assert.equal(h264?.params.get('profile-level-id'), '42001f');
    assert.ok(h264?.feedback.includes('nack pli'));
    assert.ok(h264?.feedback.includes('transport-cc'));
  });

  test('reads simulcast rids in a=simulcast order', () => {
    assert.deepEqual(parseOffer(CHROMIUM_SIMULCAST_PUBLISHER_OFFER).media[1]!.sendRids, ['low', 'mid', 'high']);
  });

  test('reads header extension ids by uri', () => {
    const video = parseOffer(CHROMIUM_VIEWER_OFFER).media[1]!;
    assert.equal(video.direction, 'recvonly');
    assert.ok(video.extensions.some((e) => e.uri === 'urn:ietf:params:rtp-hdrext:sdes:mid' && e.id > 0));
  });

  test('rejects an empty or non-SDP body with a one-line BadRequestError', () => {
    assertBadRequest(() => parseOffer(''), /empty/);
    assertBadRequest(() => parseOffer('hello world'), /v=0/);
    assertBadRequest(() => parseOffer(42), /empty/);
  });

  test('rejects an offer without m= sections', () => {
    assertBadRequest(() => parseOffer('v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n'), /no m= section/);
  });

  test('rejects an offer without DTLS fingerprint or ICE credentials', () => {
    const noFingerprint = CHROMIUM_VIEWER_OFFER.split('\r\n').filter((l) => !l.startsWith('a=fingerprint')).join('\r\n');
    assertBadRequest(() => parseOffer(noFingerprint), /fingerprint/);
    const noUfrag = CHROMIUM_VIEWER_OFFER.split('\r\n').filter((l) => !l.startsWith('a=ice-ufrag')).join('\r\n');
    assertBadRequest(() => parseOffer(noUfrag), /ice-ufrag/);
  });

  test('rejects a broken m= line or rtpmap', () => {
    assertBadRequest(() => parseOffer(CHROMIUM_VIEWER_OFFER.replace(/m=video \d+ /, 'm=video x ')), /bad m= line/);
    assertBadRequest(() => parseOffer(CHROMIUM_VIEWER_OFFER.replace('a=rtpmap:96 VP8/90000', 'a=rtpmap:96 VP8')), /a=rtpmap/);
  });
});
