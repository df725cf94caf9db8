import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readClockCode } from './clock-image.ts';
import { bitPosition, blockRect } from './clock-layout.ts';
import { addNoise, blankImage, downscale, paintClock } from './testing/paint-code.ts';

const NOW = 1_764_000_000_123;
const LOW = NOW % 2 ** 32;

describe('readClockCode', () => {
  test('reads the time from a full-size 640x360 picture', () => {
    assert.deepEqual(readClockCode(paintClock(NOW), 360), { ok: true, time32: LOW });
  });

  test('reads the time after downscaling to 320x180 and to the 160x90 simulcast low layer', () => {
    const full = paintClock(NOW);
    assert.deepEqual(readClockCode(downscale(full, 2), 180), { ok: true, time32: LOW });
    assert.deepEqual(readClockCode(downscale(full, 4), 90), { ok: true, time32: LOW });
  });

  test('reads the time through heavy noise at 160x90', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const noisy = addNoise(downscale(paintClock(NOW + seed * 33), 4), 60, seed);
      assert.deepEqual(readClockCode(noisy, 90), { ok: true, time32: (NOW + seed * 33) % 2 ** 32 });
    }
  });

  test('reads only the code band when the image holds just the top rows of the frame', () => {
    const full = paintClock(NOW);
    const band = { data: full.data.subarray(0, 640 * 180 * 4), width: 640, height: 180 };
    assert.deepEqual(readClockCode(band, 360), { ok: true, time32: LOW });
  });

  test('reports no-contrast for a flat picture and too-small for a tiny one', () => {
    assert.deepEqual(readClockCode(blankImage(640, 360, 128), 360), { ok: false, reason: 'no-contrast' });
    assert.deepEqual(readClockCode(blankImage(40, 20), 20), { ok: false, reason: 'too-small' });
  });

  test('never accepts random noise pictures as a code', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const result = readClockCode(addNoise(blankImage(160, 90, 128), 127, seed), 90);
      assert.equal(result.ok, false);
    }
  });

  test('reports a bad check when one data block is inverted', () => {
    const img = paintClock(NOW);
    const r = blockRect(bitPosition(10).row, bitPosition(10).col);
    for (let y = Math.round(r.y * 360); y < Math.round((r.y + r.h) * 360); y++) {
      for (let x = Math.round(r.x * 640); x < Math.round((r.x + r.w) * 640); x++) {
        for (let c = 0; c < 3; c++) img.data[(y * 640 + x) * 4 + c] = 255 - (img.data[(y * 640 + x) * 4 + c] ?? 0);
      }
    }
    assert.deepEqual(readClockCode(img, 360), { ok: false, reason: 'bad-check' });
  });
});
