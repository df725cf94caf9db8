import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { percentile, summarize } from './percentiles.ts';
import { linearFit } from './linear-fit.ts';

describe('percentile', () => {
  test('interpolates between closest ranks', () => {
    assert.equal(percentile([4, 1, 3, 2], 50), 2.5);
    assert.equal(percentile([10, 20, 30, 40, 50], 25), 20);
    assert.equal(percentile([10, 20], 95), 19.5);
  });

  test('p0 and p100 are the minimum and maximum', () => {
    const values = [7, -3, 12, 5];
    assert.equal(percentile(values, 0), -3);
    assert.equal(percentile(values, 100), 12);
  });

  test('a single sample is every percentile', () => {
    assert.equal(percentile([42], 0), 42);
    assert.equal(percentile([42], 95), 42);
  });

  test('an empty sample gives NaN rather than a made-up figure', () => {
    assert.ok(Number.isNaN(percentile([], 50)));
  });

  test('does not reorder the caller\'s array', () => {
    const values = [3, 1, 2];
    percentile(values, 50);
    assert.deepEqual(values, [3, 1, 2]);
  });

  test('rejects out-of-range percentiles and non-finite samples', () => {
    assert.throws(() => percentile([1], 101), RangeError);
    assert.throws(() => percentile([1], -1), RangeError);
    assert.throws(() => percentile([1, Number.NaN], 50), RangeError);
  });
});

describe('summarize', () => {
  test('reports count, extremes, mean and percentiles of 1..100', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    const s = summarize(values);
    assert.equal(s.count, 100);
    assert.equal(s.min, 1);
    assert.equal(s.max, 100);
    assert.equal(s.mean, 50.5);
    assert.equal(s.p50, 50.5);
    assert.ok(Math.abs(s.p95 - 95.05) < 1e-9);
    assert.ok(Math.abs(s.p99 - 99.01) < 1e-9);
  });

  test('an empty sample has count 0 and NaN figures', () => {
    const s = summarize([]);
    assert.equal(s.count, 0);
    assert.ok(Number.isNaN(s.p95) && Number.isNaN(s.max) && Number.isNaN(s.mean));
  });
});

describe('linearFit', () => {
  test('recovers slope and intercept of an exact line with r2 = 1', () => {
    const fit = linearFit([10, 50, 100, 200], [35, 115, 215, 415]);
    assert.ok(Math.abs(fit.slope - 2) < 1e-9);
    assert.ok(Math.abs(fit.intercept - 15) < 1e-9);
    assert.ok(Math.abs(fit.r2 - 1) < 1e-9);
  });

  test('noisy points give r2 below 1', () => {
    const fit = linearFit([1, 2, 3, 4], [1, 3, 2, 4]);
    assert.ok(fit.r2 < 1 && fit.r2 > 0);
  });

  test('rejects mismatched, too few or degenerate inputs', () => {
    assert.throws(() => linearFit([1, 2], [1]), RangeError);
    assert.throws(() => linearFit([1], [1]), RangeError);
    assert.throws(() => linearFit([3, 3], [1, 2]), RangeError);
  });
});
