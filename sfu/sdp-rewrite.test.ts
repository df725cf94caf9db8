import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseOffer } from './sdp-offer.ts';
import { rewriteOffer } from './sdp-rewrite.ts';
import { CHROMIUM_SIMULCAST_PUBLISHER_OFFER } from './testing/chromium-offers.ts';

describe('rewriteOffer', () => {
  test('keeps only the chosen payload type, with its rtpmap, fmtp and feedback', () => {
    const sdp = rewriteOffer(CHROMIUM_SIMULCAST_PUBLISHER_OFFER, new Map([[1, { keepPayloadTypes: [102] }]]));
    const video = parseOffer(sdp).media[1]!;
    assert.deepEqual(video.codecs.map((c) => c.payloadType), [102]);
    assert.match(sdp, /^m=video \d+ UDP\/TLS\/RTP\/SAVPF 102$/m);
    assert.equal(video.codecs[0]!.params.get('profile-level-id'), '42001f');
    assert.ok(!/a=rtpmap:103 /.test(sdp), 'the RTX payload type of 102 is gone too');
    // The audio section is untouched.
    assert.equal(parseOffer(sdp).media[0]!.codecs.length, parseOffer(CHROMIUM_SIMULCAST_PUBLISHER_OFFER).media[0]!.codecs.length);
  });

  test('drops the listed rtcp-fb values and keeps the others', () => {
    const sdp = rewriteOffer(CHROMIUM_SIMULCAST_PUBLISHER_OFFER, new Map([[1, { keepPayloadTypes: [102], dropFeedback: ['transport-cc'] }]]));
    const feedback = parseOffer(sdp).media[1]!.codecs[0]!.feedback;
    assert.ok(!feedback.includes('transport-cc'));
    assert.deepEqual([...feedback].sort(), ['ccm fir', 'goog-remb', 'nack', 'nack pli']);
  });

  test('appends fmtp parameters to an existing fmtp line or adds one', () => {
    const withFmtp = rewriteOffer(CHROMIUM_SIMULCAST_PUBLISHER_OFFER, new Map([[1, { keepPayloadTypes: [102], appendFmtp: new Map([[102, 'x-google-start-bitrate=1000']]) }]]));
    assert.equal(parseOffer(withFmtp).media[1]!.codecs[0]!.params.get('x-google-start-bitrate'), '1000');
    const vp8 = rewriteOffer(CHROMIUM_SIMULCAST_PUBLISHER_OFFER, new Map([[1, { keepPayloadTypes: [96], appendFmtp: new Map([[96, 'x-google-start-bitrate=800']]) }]]));
    assert.match(vp8, /a=rtpmap:96 VP8\/90000\r\na=fmtp:96 x-google-start-bitrate=800\r\n/);
  });

  test('a rejected section gets port 0 and is otherwise unchanged', () => {
    const sdp = rewriteOffer(CHROMIUM_SIMULCAST_PUBLISHER_OFFER, new Map([[0, { keepPayloadTypes: [], reject: true }]]));
    const audio = parseOffer(sdp).media[0]!;
    assert.equal(audio.port, 0);
    assert.equal(audio.codecs.length, parseOffer(CHROMIUM_SIMULCAST_PUBLISHER_OFFER).media[0]!.codecs.length);
  });

  test('keeps the line endings of the input', () => {
    const sdp = rewriteOffer(CHROMIUM_SIMULCAST_PUBLISHER_OFFER, new Map([[1, { keepPayloadTypes: [102] }]]));
    assert.ok(!/[^\r]\n/.test(sdp));
  });
});
