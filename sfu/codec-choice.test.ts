import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  choosePublisherAudioCodec,
  choosePublisherVideoCodec,
  describeCodec,
  h264Family,
  isCodecCompatible,
  matchViewerCodec,
  type CodecDescriptor,
} from './codec-choice.ts';
import { parseFmtp, parseOffer, type OfferCodec } from './sdp-offer.ts';
import { CHROMIUM_SIMULCAST_PUBLISHER_OFFER, CHROMIUM_VIEWER_OFFER } from './testing/chromium-offers.ts';

function codec(payloadType: number, mimeType: string, fmtp = '', clockRate = 90000, channels?: number): OfferCodec {
  return { payloadType, name: mimeType.split('/')[1]!, mimeType, clockRate, channels, fmtp, params: parseFmtp(fmtp), feedback: [] };
}

function descriptor(mimeType: string, fmtp = '', clockRate = 90000, channels?: number): CodecDescriptor {
  return { mimeType, clockRate, channels, params: parseFmtp(fmtp) };
}

const H264_BASELINE = 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f';
const H264_CONSTRAINED_BASELINE = 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f';

describe('h264Family', () => {
  test('constrained baseline and baseline are one family', () => {
    assert.equal(h264Family('42e01f'), 'baseline');
    assert.equal(h264Family('42001f'), 'baseline');
    assert.equal(h264Family('4de01f'), 'baseline', 'main with constraint_set1 is constrained baseline');
  });

  test('main and high are their own families; missing means baseline (RFC 6184 default)', () => {
    assert.equal(h264Family('4d001f'), 'main');
    assert.equal(h264Family('640c1f'), 'high');
    assert.equal(h264Family(undefined), 'baseline');
    assert.equal(h264Family('zz'), 'unknown');
  });
});

describe('choosePublisherVideoCodec', () => {
  test('prefers H.264 with packetization-mode 1 in a Chromium offer', () => {
    const chosen = choosePublisherVideoCodec(parseOffer(CHROMIUM_SIMULCAST_PUBLISHER_OFFER).media[1]!.codecs);
    assert.equal(chosen?.payloadType, 102);
    assert.equal(describeCodec(chosen!), 'H.264 (profile-level-id 42001f, packetization-mode 1)');
  });

  test('prefers a baseline-family H.264 over high even when high is listed first', () => {
    const chosen = choosePublisherVideoCodec([codec(100, 'video/H264', 'packetization-mode=1;profile-level-id=640c1f'), codec(96, 'video/VP8'), codec(102, 'video/H264', H264_CONSTRAINED_BASELINE)]);
    assert.equal(chosen?.payloadType, 102);
  });

  test('falls back to VP8 when H.264 is missing or only in single-NAL mode', () => {
    assert.equal(choosePublisherVideoCodec([codec(98, 'video/VP9'), codec(96, 'video/VP8')])?.payloadType, 96);
    assert.equal(choosePublisherVideoCodec([codec(104, 'video/H264', 'packetization-mode=0;profile-level-id=42001f'), codec(96, 'video/VP8')])?.payloadType, 96);
  });

  test('finds nothing when the offer has neither H.264 nor VP8', () => {
    assert.equal(choosePublisherVideoCodec([codec(98, 'video/VP9'), codec(45, 'video/AV1')]), undefined);
  });
});

describe('choosePublisherAudioCodec', () => {
  test('takes Opus at 48 kHz and ignores G.711', () => {
    assert.equal(choosePublisherAudioCodec(parseOffer(CHROMIUM_SIMULCAST_PUBLISHER_OFFER).media[0]!.codecs)?.payloadType, 111);
    assert.equal(choosePublisherAudioCodec([codec(0, 'audio/PCMU', '', 8000, 1)]), undefined);
  });
});

describe('matchViewerCodec', () => {
  test("matches a viewer offering only constrained baseline to a baseline stream (pitfall 12)", () => {
    const stream = descriptor('video/H264', H264_BASELINE);
    const viewer = [codec(96, 'video/VP8'), codec(108, 'video/H264', H264_CONSTRAINED_BASELINE)];
    assert.equal(matchViewerCodec(viewer, stream)?.payloadType, 108);
  });

  test("uses the viewer's own payload type for the stream's codec", () => {
    const stream = descriptor('video/H264', H264_BASELINE);
    const chromiumViewer = parseOffer(CHROMIUM_VIEWER_OFFER).media[1]!.codecs;
    assert.equal(matchViewerCodec(chromiumViewer, stream)?.payloadType, 102);
    const renumbered = [codec(125, 'video/H264', H264_BASELINE)];
    assert.equal(matchViewerCodec(renumbered, stream)?.payloadType, 125);
  });

  test('refuses H.264 of another profile family or packetization mode', () => {
    const stream = descriptor('video/H264', H264_BASELINE);
    assert.equal(matchViewerCodec([codec(116, 'video/H264', 'packetization-mode=1;profile-level-id=4d001f')], stream), undefined);
    assert.equal(matchViewerCodec([codec(104, 'video/H264', 'packetization-mode=0;profile-level-id=42001f')], stream), undefined);
  });

  test('matches VP8 and Opus by name and clock rate', () => {
    assert.ok(isCodecCompatible(descriptor('video/VP8'), descriptor('video/vp8')));
    assert.ok(isCodecCompatible(descriptor('audio/opus', '', 48000, 2), descriptor('audio/opus', 'minptime=10', 48000, 2)));
    assert.ok(!isCodecCompatible(descriptor('audio/opus', '', 48000, 2), descriptor('audio/opus', '', 48000, 1)));
    assert.ok(!isCodecCompatible(descriptor('video/VP8'), descriptor('video/H264', H264_BASELINE)));
  });
});
