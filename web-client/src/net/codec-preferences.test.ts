import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { orderCodecs } from './codec-preferences.ts';

const vp8 = { mimeType: 'video/VP8' };
const rtx = { mimeType: 'video/rtx', sdpFmtpLine: 'apt=96' };
const h264high = { mimeType: 'video/H264', sdpFmtpLine: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=640c1f' };
const h264cb0 = { mimeType: 'video/H264', sdpFmtpLine: 'level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f' };
const h264cb1 = { mimeType: 'video/H264', sdpFmtpLine: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f' };
const h264b1 = { mimeType: 'video/H264', sdpFmtpLine: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f' };

describe('orderCodecs', () => {
  test('puts H.264 first, constrained baseline with packetization-mode=1 leading', () => {
    assert.deepEqual(orderCodecs([vp8, rtx, h264high, h264cb0, h264b1, h264cb1]), [h264cb1, h264b1, h264high, h264cb0, vp8, rtx]);
  });

  test('keeps the other codecs in their original order', () => {
    const av1 = { mimeType: 'video/AV1' };
    assert.deepEqual(orderCodecs([av1, vp8, rtx, h264cb1]).slice(1), [av1, vp8, rtx]);
  });

  test('leaves the list alone when the preferred codec is missing', () => {
    assert.deepEqual(orderCodecs([vp8, rtx]), [vp8, rtx]);
  });

  test('can prefer another codec, matching the MIME type case-insensitively', () => {
    assert.deepEqual(orderCodecs([h264cb1, { mimeType: 'video/vp8' }], 'video/VP8'), [{ mimeType: 'video/vp8' }, h264cb1]);
  });
});
