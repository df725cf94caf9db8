import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TokenBucket } from './TokenBucket.ts';

describe('TokenBucket', () => {
  test('allows a full burst, then refuses until time refills it', () => {
    let now = 0;
    const bucket = new TokenBucket({ ratePerSecond: 50, burst: 100, now: () => now });
    let taken = 0;
    while (bucket.take()) taken++;
    assert.equal(taken, 100);
    assert.equal(bucket.take(), false);
    now += 100; // 100 ms at 50/s = 5 tokens
    let refilled = 0;
    while (bucket.take()) refilled++;
    assert.equal(refilled, 5);
  });

  test('never holds more than the burst however long it idles', () => {
    let now = 0;
    const bucket = new TokenBucket({ ratePerSecond: 10, burst: 3, now: () => now });
    now += 60_000;
    assert.equal(bucket.available, 3);
  });

  test('take(n) takes nothing when fewer than n tokens are left', () => {
    const bucket = new TokenBucket({ ratePerSecond: 1, burst: 2, now: () => 0 });
    assert.equal(bucket.take(3), false);
    assert.equal(bucket.available, 2);
  });

  test('rejects nonsensical settings', () => {
    assert.throws(() => new TokenBucket({ ratePerSecond: 0, burst: 10 }), RangeError);
    assert.throws(() => new TokenBucket({ ratePerSecond: 10, burst: 0 }), RangeError);
  });
});
