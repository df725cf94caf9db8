import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay } from './backoff.ts';

describe('backoffDelay', () => {
  test('doubles from the base delay and stops growing at the cap', () => {
    const mid = { random: () => 0.5 }; // no jitter
    assert.deepEqual([0, 1, 2, 3, 4, 5, 10].map((n) => backoffDelay(n, mid)), [500, 1000, 2000, 4000, 8000, 8000, 8000]);
  });

  test('jitters within 20% either way', () => {
    assert.equal(backoffDelay(1, { random: () => 0 }), 800);
    assert.equal(backoffDelay(1, { random: () => 1 }), 1200);
  });

  test('treats a negative attempt like the first', () => {
    assert.equal(backoffDelay(-3, { random: () => 0.5 }), 500);
  });
});
