import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isFrameStart, isKeyframeStart, keyframeCodecOf } from './keyframe-detect.ts';

const bytes = (...b: number[]): Buffer => Buffer.from(b);

describe('isKeyframeStart (H.264, RFC 6184)', () => {
  test('an SPS or IDR NAL unit on its own opens a keyframe', () => {
    assert.equal(isKeyframeStart('h264', bytes(0x67, 0x42, 0x00)), true); // SPS
    assert.equal(isKeyframeStart('h264', bytes(0x65, 0x88, 0x84)), true); // IDR slice
    assert.equal(isKeyframeStart('h264', bytes(0x41, 0x9a, 0x00)), false); // non-IDR slice
  });

  test('a STAP-A holding SPS and PPS opens a keyframe', () => {
    const stapA = bytes(0x78, 0x00, 0x03, 0x67, 0x42, 0x00, 0x00, 0x02, 0x68, 0xce);
    assert.equal(isKeyframeStart('h264', stapA), true);
    const stapAPpsOnly = bytes(0x78, 0x00, 0x02, 0x68, 0xce);
    assert.equal(isKeyframeStart('h264', stapAPpsOnly), false);
  });

  test('only the first FU-A fragment of an IDR opens a keyframe', () => {
    assert.equal(isKeyframeStart('h264', bytes(0x7c, 0x85, 0x88)), true); // FU-A start, IDR
    assert.equal(isKeyframeStart('h264', bytes(0x7c, 0x05, 0x88)), false); // middle fragment
    assert.equal(isKeyframeStart('h264', bytes(0x7c, 0x81, 0x9a)), false); // start of a non-IDR slice
  });

  test('empty payloads are not keyframes', () => {
    assert.equal(isKeyframeStart('h264', bytes()), false);
    assert.equal(isKeyframeStart('vp8', bytes()), false);
  });
});

describe('isKeyframeStart (VP8, RFC 7741)', () => {
  test('start of partition 0 with P=0 is a keyframe', () => {
    assert.equal(isKeyframeStart('vp8', bytes(0x10, 0x50)), true); // S=1, PID=0, no extension; P bit clear
    assert.equal(isKeyframeStart('vp8', bytes(0x10, 0x51)), false); // P=1: interframe
    assert.equal(isKeyframeStart('vp8', bytes(0x00, 0x50)), false); // not a partition start
  });

  test('skips the extended descriptor: 15-bit picture id, TL0PICIDX and TID', () => {
    // X=1,S=1 | I,L,T set | M=1 picture id (2 bytes) | TL0PICIDX | TID/Y/KEYIDX | payload header P=0
    assert.equal(isKeyframeStart('vp8', bytes(0x90, 0xe0, 0x80, 0x01, 0x05, 0x20, 0x9c)), true);
    assert.equal(isKeyframeStart('vp8', bytes(0x90, 0xe0, 0x80, 0x01, 0x05, 0x20, 0x9d)), false);
    // 7-bit picture id only
    assert.equal(isKeyframeStart('vp8', bytes(0x90, 0x80, 0x11, 0x9c)), true);
  });
});

describe('keyframeCodecOf', () => {
  test('maps MIME types case-insensitively', () => {
    assert.equal(keyframeCodecOf('video/H264'), 'h264');
    assert.equal(keyframeCodecOf('video/vp8'), 'vp8');
    assert.equal(keyframeCodecOf('video/VP9'), 'other');
  });
});

describe('isFrameStart', () => {
  test('H.264: a STAP-A, an SPS, a non-IDR slice, or the first fragment of one opens a frame', () => {
    assert.equal(isFrameStart('h264', bytes(0x78, 0x00, 0x02, 0x67, 0x42)), true);
    assert.equal(isFrameStart('h264', bytes(0x67, 0x42)), true);
    assert.equal(isFrameStart('h264', bytes(0x41, 0x9a)), true);
    assert.equal(isFrameStart('h264', bytes(0x7c, 0x81, 0x00)), true);
  });

  test('H.264: a middle or last fragment, an IDR slice after its SPS/PPS, or padding does not', () => {
    assert.equal(isFrameStart('h264', bytes(0x7c, 0x01, 0x00)), false);
    assert.equal(isFrameStart('h264', bytes(0x7c, 0x41, 0x00)), false);
    assert.equal(isFrameStart('h264', bytes(0x7c, 0x85, 0x00)), false);
    assert.equal(isFrameStart('h264', bytes(0x65, 0x88)), false);
    assert.equal(isFrameStart('h264', bytes()), false);
  });

  test('VP8: the S bit with partition 0', () => {
    assert.equal(isFrameStart('vp8', bytes(0x90, 0x80, 0x12)), true);
    assert.equal(isFrameStart('vp8', bytes(0x80, 0x80, 0x12)), false);
    assert.equal(isFrameStart('vp8', bytes(0x91, 0x80, 0x12)), false);
  });
});
