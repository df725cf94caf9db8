import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DelayWindow } from './DelayWindow.ts';

describe('DelayWindow', () => {
  test('keeps only the newest samples up to its capacity', () => {
    const w = new DelayWindow(3);
    [1, 2, 3, 4, 5].forEach((v) => w.push(v));
    assert.deepEqual(w.values, [3, 4, 5]);
    assert.equal(w.last, 5);
  });

  test('gives nearest-rank percentiles', () => {
    const w = new DelayWindow();
    for (let v = 1; v <= 100; v++) w.push(101 - v);
    assert.equal(w.percentile(50), 50);
    assert.equal(w.percentile(95), 95);
    assert.equal(w.percentile(100), 100);
    assert.equal(w.percentile(0), 1);
  });

  test('reports null when empty', () => {
    const w = new DelayWindow();
    assert.equal(w.last, null);
    assert.equal(w.percentile(50), null);
  });
});
