import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { freezeStats } from './freezes.ts';

const at30fps = (n: number, start = 0): number[] => Array.from({ length: n }, (_, i) => start + i * 33.3);

describe('freezeStats', () => {
  test('a steady 30 fps run has no freeze', () => {
    assert.deepEqual(freezeStats(at30fps(90)), { frames: 90, freezes: 0, freezeMs: 0, spanMs: 89 * 33.3 });
  });

  test('a 400 ms hole in 30 fps video is one freeze of 400 ms; a 60 ms hiccup is none', () => {
    const times = [...at30fps(30), ...at30fps(30, 29 * 33.3 + 400)];
    const withHiccup = [...at30fps(30), ...at30fps(30, 29 * 33.3 + 60)];
    const s = freezeStats(times);
    assert.equal(s.freezes, 1);
    assert.ok(Math.abs(s.freezeMs - 400) < 1e-6);
    assert.equal(freezeStats(withHiccup).freezes, 0);
  });

  test('too few frames to know the rate: nothing counted', () => {
    assert.equal(freezeStats([0, 1000, 2000]).freezes, 0);
    assert.equal(freezeStats([]).spanMs, 0);
  });
});
