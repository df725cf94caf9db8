import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RtpStreamStats } from './RtpStreamStats.ts';

const VIDEO = 90_000;

describe('RtpStreamStats', () => {
  test('counts packets and bytes with no loss for a contiguous stream', () => {
    const stats = new RtpStreamStats(VIDEO);
    for (let i = 0; i < 100; i++) stats.onPacket(1, 1000 + i, i * 3000, i * (1000 / 30), 1100);
    const c = stats.counters();
    assert.equal(c.packets, 100);
    assert.equal(c.bytes, 110_000);
    assert.equal(c.expected, 100);
    assert.equal(c.lost, 0);
    assert.equal(c.late, 0);
  });

  test('counts sequence gaps as lost packets', () => {
    const stats = new RtpStreamStats(VIDEO);
    for (const seq of [10, 11, 14, 15, 20]) stats.onPacket(1, seq, 0, 0, 100);
    const c = stats.counters();
    assert.equal(c.expected, 11);
    assert.equal(c.packets, 5);
    assert.equal(c.lost, 6);
  });

  test('follows the sequence number across the 16-bit wrap', () => {
    const stats = new RtpStreamStats(VIDEO);
    for (let i = 0; i < 20; i++) stats.onPacket(7, (65_530 + i) & 0xffff, 0, 0, 10);
    const c = stats.counters();
    assert.equal(c.expected, 20);
    assert.equal(c.lost, 0);
  });

  test('a late (reordered) packet fills its gap instead of counting as loss', () => {
    const stats = new RtpStreamStats(VIDEO);
    for (const seq of [1, 2, 4, 3, 5]) stats.onPacket(1, seq, 0, 0, 10);
    const c = stats.counters();
    assert.equal(c.lost, 0);
    assert.equal(c.late, 1);
    assert.equal(c.expected, 5);
  });

  test('jitter is zero when packets arrive exactly on their media clock', () => {
    const stats = new RtpStreamStats(VIDEO);
    for (let i = 0; i < 50; i++) stats.onPacket(1, i, i * 3000, 5 + i * (1000 / 30), 10);
    assert.ok(stats.counters().jitterMs < 1e-6);
  });

  test('jitter converges to the mean deviation of arrival times', () => {
    // Arrivals alternate 10 ms early / late around a 20 ms audio cadence: |D| = 20 ms each time.
    const stats = new RtpStreamStats(48_000);
    for (let i = 0; i < 2000; i++) {
      const arrival = i * 20 + (i % 2 === 0 ? -10 : 10);
      stats.onPacket(1, i, i * 960, arrival, 10);
    }
    const j = stats.counters().jitterMs;
    assert.ok(Math.abs(j - 20) < 0.5, `jitter ${j} ms should be ~20 ms`);
  });

  test('keeps each SSRC apart and sums their counters', () => {
    const stats = new RtpStreamStats(VIDEO);
    for (let i = 0; i < 10; i++) stats.onPacket(1, 100 + i, 0, 0, 1);
    for (let i = 0; i < 10; i++) if (i !== 5) stats.onPacket(2, 40_000 + i, 0, 0, 1);
    const c = stats.counters();
    assert.equal(c.ssrcCount, 2);
    assert.equal(c.packets, 19);
    assert.equal(c.expected, 20);
    assert.equal(c.lost, 1);
  });

  test('an unused stream reports zeros', () => {
    const c = new RtpStreamStats(VIDEO).counters();
    assert.deepEqual(c, { packets: 0, bytes: 0, expected: 0, lost: 0, late: 0, jitterMs: 0, ssrcCount: 0 });
  });
});
