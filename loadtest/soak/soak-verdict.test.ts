import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FreezeCounter } from './FreezeCounter.ts';
import { delayDrift, memoryTrend, memoryWindows } from './soak-verdict.ts';

const every10s = (minutes: number, value: (t: number) => number) => Array.from({ length: minutes * 6 + 1 }, (_, i) => ({ t: i * 10, value: value(i * 10) }));
const frames = (n: number, start: number, gap = 33.3): number[] => Array.from({ length: n }, (_, i) => start + i * gap);

describe('memoryWindows', () => {
  test('a 30-minute run compares minutes 5–15 with the last 10', () => {
    assert.deepEqual(memoryWindows(1800), { baseline: [300, 900], last: [1200, 1800], scaled: false });
  });

  test('a shorter run keeps the proportions and says it scaled them', () => {
    assert.deepEqual(memoryWindows(120), { baseline: [20, 60], last: [80, 120], scaled: true });
  });
});

describe('memoryTrend', () => {
  test('flat memory with noise passes', () => {
    const trend = memoryTrend(every10s(30, (t) => 100 + ((t / 10) % 3)), memoryWindows(1800));
    assert.ok(trend.ok);
    assert.ok(Math.abs(trend.growthPct) < 2);
  });

  test('memory growing 1 MB a minute from 100 MB fails (≈ 17 % between the windows)', () => {
    const trend = memoryTrend(every10s(30, (t) => 100 + t / 60), memoryWindows(1800));
    assert.equal(trend.ok, false);
    assert.ok(trend.growthPct > 10 && trend.growthPct < 20, String(trend.growthPct));
  });

  test('shrinking memory is not a leak', () => {
    assert.ok(memoryTrend(every10s(30, (t) => 200 - t / 60), memoryWindows(1800)).ok);
  });

  test('a window without samples gives no verdict rather than a pass', () => {
    const trend = memoryTrend([{ t: 1000, value: 1 }], memoryWindows(1800));
    assert.ok(Number.isNaN(trend.growthPct));
    assert.equal(trend.ok, false);
  });
});

describe('delayDrift', () => {
  test('a p95 climbing 2 ms a minute over 30 minutes drifts (58 ms)', () => {
    const drift = delayDrift(Array.from({ length: 30 }, (_, i) => 120 + 2 * i));
    assert.ok(Math.abs(drift.riseMs - 58) < 1e-9);
    assert.equal(drift.ok, false);
  });

  test('a noisy but level p95 does not drift; minutes without samples are skipped', () => {
    const drift = delayDrift([130, 150, null, 125, 145, 135, 140]);
    assert.equal(drift.minutes, 6);
    assert.ok(drift.ok, JSON.stringify(drift));
  });

  test('one minute is not enough to fit a slope', () => {
    assert.equal(delayDrift([100]).ok, false);
  });
});

describe('FreezeCounter', () => {
  test('a 500 ms hole across a slice boundary is one freeze, counted in the slice it ends in', () => {
    const c = new FreezeCounter();
    const first = c.add(frames(60, 0), 2000);
    const second = c.add(frames(60, 59 * 33.3 + 500), 2000);
    assert.equal(first.freezes, 0);
    assert.equal(second.freezes, 1);
    assert.ok(Math.abs(second.freezeMs - 500) < 1e-6);
  });

  test('a slice without frames is frozen throughout, and the gap that ends it is not counted twice', () => {
    const c = new FreezeCounter();
    c.add(frames(60, 0), 2000);
    const stalled = c.add([], 60_000);
    assert.deepEqual(stalled, { frames: 0, freezes: 0, freezeMs: 60_000, watchedMs: 60_000 });
    const back = c.add(frames(60, 59 * 33.3 + 61_000), 61_000);
    assert.equal(back.freezes, 1);
    assert.ok(Math.abs(back.freezeMs - 1000) < 1e-6, String(back.freezeMs));
    assert.ok(Math.abs(back.watchedMs - (1000 + 59 * 33.3)) < 1e-6, String(back.watchedMs));
  });

  test('nothing is frozen before the first frame', () => {
    assert.deepEqual(new FreezeCounter().add([], 60_000), { frames: 0, freezes: 0, freezeMs: 0, watchedMs: 0 });
  });
});
