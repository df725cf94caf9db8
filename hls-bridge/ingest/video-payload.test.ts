import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseH264Sps } from './h264-sps.ts';
import { inspectVideoPayload } from './video-payload.ts';

// SPS NAL units written by libx264 (ffmpeg -f h264), header byte included.
const SPS_854x480_HIGH = Buffer.from('6764001facd940d83de6f0110000030001000003003c0f183196', 'hex');
const SPS_1920x1080_MAIN = Buffer.from('674d4028eca03c0113f2e022000003000200000300781e30632c', 'hex');
const SPS_720x1280_BASELINE = Buffer.from('6742c01fd900b40a1b0110000003001000000303c0f1832480', 'hex');
const PPS = Buffer.from('68ebe3cb22c0', 'hex');

function stapA(...nals: Buffer[]): Buffer {
  const parts: Buffer[] = [Buffer.from([0x18])];
  for (const n of nals) parts.push(Buffer.from([n.length >> 8, n.length & 0xff]), n);
  return Buffer.concat(parts);
}

describe('parseH264Sps', () => {
  test('reads the cropped size, profile and level of a High profile SPS', () => {
    assert.deepEqual(parseH264Sps(SPS_854x480_HIGH), { profileIdc: 100, constraintFlags: 0, levelIdc: 31, width: 854, height: 480 });
  });

  test('applies frame cropping (1088 coded lines → 1080)', () => {
    const sps = parseH264Sps(SPS_1920x1080_MAIN)!;
    assert.equal(sps.width, 1920);
    assert.equal(sps.height, 1080);
    assert.equal(sps.profileIdc, 77);
  });

  test('reads a portrait baseline SPS', () => {
    const sps = parseH264Sps(SPS_720x1280_BASELINE)!;
    assert.deepEqual([sps.width, sps.height, sps.profileIdc], [720, 1280, 66]);
  });

  test('returns null for a non-SPS or truncated NAL', () => {
    assert.equal(parseH264Sps(PPS), null);
    assert.equal(parseH264Sps(SPS_854x480_HIGH.subarray(0, 6)), null);
  });
});

describe('inspectVideoPayload', () => {
  test('an H.264 STAP-A with SPS+PPS opens a keyframe and carries its size', () => {
    assert.deepEqual(inspectVideoPayload('h264', stapA(SPS_854x480_HIGH, PPS)), { keyframeStart: true, width: 854, height: 480 });
  });

  test('an H.264 FU-A start of an IDR opens a keyframe; its continuation and P slices do not', () => {
    assert.equal(inspectVideoPayload('h264', Buffer.from([0x7c, 0x85, 0x88])).keyframeStart, true);
    assert.equal(inspectVideoPayload('h264', Buffer.from([0x7c, 0x05, 0x88])).keyframeStart, false);
    assert.equal(inspectVideoPayload('h264', Buffer.from([0x41, 0x9a, 0x00])).keyframeStart, false);
  });

  test('a VP8 keyframe start gives its size; an interframe does not open a keyframe', () => {
    // Descriptor: X=1 S=1 PID=0, I=1 with a 15-bit picture id; then frame tag + start code + 320x240.
    const key = Buffer.concat([Buffer.from([0x90, 0x80, 0x81, 0x23]), Buffer.from('1070009d012a4001f000', 'hex')]);
    assert.deepEqual(inspectVideoPayload('vp8', key), { keyframeStart: true, width: 320, height: 240 });
    const inter = Buffer.concat([Buffer.from([0x90, 0x80, 0x81, 0x24]), Buffer.from('3170009d012a4001f000', 'hex')]);
    assert.equal(inspectVideoPayload('vp8', inter).keyframeStart, false);
  });

  test('a VP9 keyframe with a scalability structure gives the top layer size', () => {
    // I=0 P=0 L=0 F=0 B=1 E=0 V=1; SS: N_S=0, Y=1; 640x360.
    const key = Buffer.from([0x0a, 0x10, 0x02, 0x80, 0x01, 0x68]);
    assert.deepEqual(inspectVideoPayload('vp9', key), { keyframeStart: true, width: 640, height: 360 });
    assert.equal(inspectVideoPayload('vp9', Buffer.from([0x48, 0x00])).keyframeStart, false);
  });
});
