import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sendEncodings } from '../simulcast-encodings.ts';
import { capOneBelow, LADDER, planRung, rungOutput, topRung } from './quality-ladder.ts';

const cam = (width: number, height: number, fps = 30) => ({ width, height, fps });

describe('quality ladder', () => {
  test('the ladder runs 1080p30, 720p30, 480p30, 360p24, 360p15 with falling bitrates', () => {
    assert.deepEqual(LADDER.map((r) => `${r.height}p${r.fps}`), ['1080p30', '720p30', '480p30', '360p24', '360p15']);
    for (let i = 1; i < LADDER.length; i++) assert.ok(LADDER[i]!.bitrate < LADDER[i - 1]!.bitrate);
  });

  test('the top rung is capped at what the camera gives', () => {
    assert.equal(topRung(cam(1920, 1080)), 0);
    assert.equal(rungOutput(topRung(cam(1280, 720)), cam(1280, 720)).label, '720p30');
    assert.equal(topRung(cam(1280, 720)), 1);
    // Portrait phone: the short side counts.
    assert.equal(rungOutput(topRung(cam(720, 1280)), cam(720, 1280)).label, '720p30');
    assert.equal(rungOutput(topRung(cam(640, 480)), cam(640, 480)).label, '480p30');
    // A 360p source keeps 30 fps on its top rung (the 480p rung, clamped), not 24.
    const top = topRung(cam(640, 360));
    assert.equal(top, 2);
    assert.equal(rungOutput(top, cam(640, 360)).label, '360p30');
    // A 15 fps camera: every rung is clamped to 15 fps.
    assert.equal(rungOutput(topRung(cam(1280, 720, 15)), cam(1280, 720, 15)).label, '720p15');
  });

  test('a cap clamps the output and moves the top rung down', () => {
    const src = cam(1920, 1080);
    assert.equal(rungOutput(topRung(src, { height: 480, fps: 24 }), src, { height: 480, fps: 24 }).label, '480p24');
    assert.equal(topRung(src, { height: 480, fps: 30 }), 2);
    assert.equal(rungOutput(topRung(src, { height: 360, fps: 15 }), src, { height: 360, fps: 15 }).label, '360p15');
    assert.equal(topRung(src, { height: 360, fps: 15 }), 4);
  });

  test('a clamped rung costs less than the rung it came from, and no more than a rung above it', () => {
    const out = rungOutput(2, cam(640, 360));
    assert.ok(out.bitrate < LADDER[2]!.bitrate && out.bitrate > LADDER[3]!.bitrate, `360p30 at ${out.bitrate}`);
  });

  test('one rung below steps height first, then frame rate, and stops at the bottom', () => {
    assert.deepEqual(capOneBelow({ height: 1080, fps: 30 }), { height: 720, fps: 30 });
    assert.deepEqual(capOneBelow({ height: 480, fps: 24 }), { height: 360, fps: 24 });
    assert.deepEqual(capOneBelow({ height: 360, fps: 24 }), { height: 360, fps: 15 });
    assert.deepEqual(capOneBelow({ height: 360, fps: 15 }), { height: 360, fps: 15 });
    assert.deepEqual(capOneBelow({ height: 540, fps: 30 }), { height: 480, fps: 30 });
  });
});

describe('planRung', () => {
  const src720 = cam(1280, 720);
  const simulcast720 = sendEncodings(1280, 720); // low 180, mid 360, high 720

  test('a single encoding is scaled and capped to the rung', () => {
    const src = cam(640, 480);
    const plan = planRung(sendEncodings(320, 240), src, rungOutput(3, src));
    assert.equal(plan.encodings.length, 1);
    assert.deepEqual(plan.encodings[0], { active: true, scaleResolutionDownBy: 480 / 360, maxBitrate: Math.min(450_000, 250_000), maxFramerate: 24 });
  });

  test('the top rung of a simulcast source sends every layer at its own size', () => {
    const plan = planRung(simulcast720, src720, rungOutput(1, src720));
    assert.deepEqual(plan.encodings.map((e) => [e.rid, e.active, e.scaleResolutionDownBy, e.maxFramerate]), [['low', true, 4, 30], ['mid', true, 2, 30], ['high', true, 1, 30]]);
    assert.equal(plan.needBps, simulcast720.reduce((n, e) => n + e.maxBitrate, 0));
  });

  test('a rung between two layers scales the top layer down to it', () => {
    const plan = planRung(simulcast720, src720, rungOutput(2, src720));
    const high = plan.encodings[2]!;
    assert.equal(high.active, true);
    assert.equal(high.scaleResolutionDownBy, 1.5);
    assert.equal(high.maxBitrate, 800_000);
    assert.ok(plan.encodings.every((e) => e.active));
  });

  test('rungs at or below a lower layer switch the top layers off, top first', () => {
    const p24 = planRung(simulcast720, src720, rungOutput(3, src720));
    assert.deepEqual(p24.encodings.map((e) => [e.rid, e.active]), [['low', true], ['mid', true], ['high', false]]);
    assert.equal(p24.encodings[1]!.maxFramerate, 24);
    assert.equal(p24.encodings[0]!.maxFramerate, 24);
    const p15 = planRung(simulcast720, src720, rungOutput(4, src720));
    assert.equal(p15.encodings[1]!.maxBitrate, 250_000);
    assert.ok(p15.needBps < p24.needBps);
    assert.equal(p15.encodings[0]!.maxBitrate, Math.round(simulcast720[0]!.maxBitrate * 0.5));
  });

  test('needs fall rung by rung for the sources phones give', () => {
    for (const src of [cam(1920, 1080), cam(1280, 720), cam(640, 480), cam(640, 360)]) {
      const base = sendEncodings(src.width, src.height);
      const needs = LADDER.map((_, i) => planRung(base, src, rungOutput(i, src)).needBps);
      for (let i = topRung(src) + 1; i < needs.length; i++) assert.ok(needs[i]! < needs[i - 1]!, `${src.width}x${src.height}: ${needs.join(' ')}`);
    }
  });
});
