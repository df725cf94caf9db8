import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildFfmpegArgs, rtpInputArgs } from './ladder-args.ts';
import { h264Level, planLadder, type VideoRendition } from './ladder.ts';

const names = (plan: ReturnType<typeof planLadder>): string[] => plan.map((r) => `${r.name}${r.kind === 'video' && r.copy ? '(copy)' : ''}`);

describe('planLadder', () => {
  test('an H.264 1080p source is passed through on top, with 720p/480p/360p and audio below', () => {
    assert.deepEqual(names(planLadder({ video: { codec: 'h264', width: 1920, height: 1080 }, audio: true })), ['1080p(copy)', '720p', '480p', '360p', 'audio']);
  });

  test('a VP8 source is capped at its size: no rung above it, no upscaling', () => {
    const plan = planLadder({ video: { codec: 'vp8', width: 854, height: 480 }, audio: true });
    assert.deepEqual(names(plan), ['480p', '360p', 'audio']);
    assert.deepEqual(plan.filter((r): r is VideoRendition => r.kind === 'video').map((r) => [r.width, r.height]), [[854, 480], [640, 360]]);
  });

  test('portrait phone video keeps its orientation and ladders by the short side', () => {
    const plan = planLadder({ video: { codec: 'h264', width: 720, height: 1280 }, audio: false });
    assert.deepEqual(plan.filter((r): r is VideoRendition => r.kind === 'video').map((r) => [r.name, r.width, r.height, r.copy]), [['720p', 720, 1280, true], ['480p', 480, 854, false], ['360p', 360, 640, false]]);
  });

  test('skips a rung within 5% of a copied source, and turns pass-through off on request', () => {
    assert.deepEqual(names(planLadder({ video: { codec: 'h264', width: 864, height: 486 }, audio: false })), ['486p(copy)', '360p']);
    assert.deepEqual(names(planLadder({ video: { codec: 'h264', width: 1280, height: 720 }, audio: false, passthrough: false })), ['720p', '480p', '360p']);
  });

  test('a source smaller than every rung is encoded once at its own size', () => {
    assert.deepEqual(names(planLadder({ video: { codec: 'vp8', width: 320, height: 240 }, audio: true })), ['240p', 'audio']);
  });

  test('picks the lowest H.264 level that fits', () => {
    assert.equal(h264Level(640, 360, 30), '3.0');
    assert.equal(h264Level(1280, 720, 30), '3.1');
    assert.equal(h264Level(1920, 1080, 30), '4.0');
  });
});

describe('buildFfmpegArgs', () => {
  const plan = planLadder({ video: { codec: 'h264', width: 1280, height: 720 }, audio: true });
  const base = { input: rtpInputArgs('/tmp/in.sdp'), renditions: plan, videoEncoder: 'libx264', preset: 'veryfast', threads: 1, maxFps: 30 } as const;

  test('maps each rendition to its own fragmented-MP4 pipe, copying the top rung', () => {
    const args = buildFfmpegArgs({ ...base, keyframes: { mode: 'source' } });
    assert.deepEqual(args.filter((a) => a.startsWith('pipe:')), ['pipe:3', 'pipe:4', 'pipe:5', 'pipe:6']);
    assert.equal(args[args.indexOf('-i') + 1], '/tmp/in.sdp');
    const copyAt = args.indexOf('copy');
    assert.equal(args[copyAt - 2], '0:v');
    assert.equal(args.filter((a) => a === 'libx264').length, 2);
    assert.equal(args.filter((a) => a === 'source').length, 2, 'encoded rungs key on the source keyframes');
    assert.equal(args.filter((a) => a === '+empty_moov+default_base_moof+frag_every_frame').length, 3);
    assert.match(args[args.indexOf('-filter_complex') + 1]!, /^\[0:v\]split=2\[s_480p\]\[s_360p\];\[s_480p\]scale=854:480/);
  });

  test('forces keyframes on the segment grid when nothing is copied, and passes the encoder name through', () => {
    const args = buildFfmpegArgs({ ...base, renditions: planLadder({ video: { codec: 'vp8', width: 640, height: 360 }, audio: false }), videoEncoder: 'h264_nvenc', keyframes: { mode: 'interval', seconds: 2 } });
    assert.ok(args.includes('expr:gte(t,n_forced*2)'));
    assert.ok(args.includes('h264_nvenc'));
    assert.ok(!args.includes('-tune'), 'x264 options only go to libx264');
  });
});
