import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import { NackGenerator } from './NackGenerator.ts';

describe('NackGenerator', () => {
  let nacks: number[][];
  let gen: NackGenerator;

  beforeEach(() => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 5_000_000 });
    nacks = [];
    gen = new NackGenerator({ send: (lost) => nacks.push(lost), reorderDelayMs: 10, retryIntervalMs: 100, maxRetries: 3, maxAgeMs: 1000 });
  });

  afterEach(() => {
    gen.close();
    mock.timers.reset();
  });

  const feed = (...seqs: number[]): void => seqs.forEach((s) => gen.onPacket(s));

  test('a gap is NACKed after the reorder delay', () => {
    feed(100, 101, 104);
    assert.deepEqual(nacks, []);
    mock.timers.tick(10);
    assert.deepEqual(nacks, [[102, 103]]);
  });

  test('a packet that arrives late (reordered) is not NACKed', () => {
    feed(100, 102, 101);
    mock.timers.tick(50);
    assert.deepEqual(nacks, []);
  });

  test('a recovered packet stops being NACKed; the rest is retried, then given up', () => {
    feed(1, 4);
    mock.timers.tick(10);
    feed(2);
    for (let i = 0; i < 10; i++) mock.timers.tick(50);
    assert.deepEqual(nacks[0], [2, 3]);
    assert.ok(nacks.slice(1).every((l) => l.length === 1 && l[0] === 3));
    assert.equal(nacks.length, 3, 'maxRetries NACKs for the packet that never came');
    assert.deepEqual(gen.missing, []);
  });

  test('handles sequence wrap-around', () => {
    feed(65534, 1);
    mock.timers.tick(10);
    assert.deepEqual(nacks, [[65535, 0]]);
    feed(2, 3);
    mock.timers.tick(1000);
    assert.ok(nacks.every((l) => l.every((s) => s === 65535 || s === 0)));
  });

  test('a huge jump is a restart, not thousands of losses', () => {
    feed(10, 30000);
    mock.timers.tick(100);
    assert.deepEqual(nacks, []);
    feed(30002);
    mock.timers.tick(10);
    assert.deepEqual(nacks, [[30001]]);
  });

  test('a new gap is NACKed after the reorder delay even while retries of an older one wait', () => {
    feed(1, 3);
    mock.timers.tick(10);
    assert.deepEqual(nacks, [[2]]);
    mock.timers.tick(10);
    feed(4, 6);
    mock.timers.tick(10);
    assert.deepEqual(nacks[1], [5]);
  });

  test('first requests come before retries in one NACK', () => {
    feed(1, 3);
    mock.timers.tick(10);
    feed(4, 6);
    mock.timers.tick(100);
    assert.deepEqual(nacks.at(-1), [5, 2]);
  });

  test('a forgotten number (padding) is not NACKed', () => {
    feed(1, 4);
    gen.forget(2);
    mock.timers.tick(10);
    assert.deepEqual(nacks, [[3]]);
  });

  test('retries follow the measured resend time, within bounds', () => {
    assert.equal(gen.retryIntervalMs, 100);
    for (let base = 100; base < 160; base += 3) {
      feed(base, base + 2);
      mock.timers.tick(10);
      mock.timers.tick(8);
      feed(base + 1); // resent 8 ms after the NACK
    }
    assert.ok(gen.retryIntervalMs >= 20 && gen.retryIntervalMs < 40, `retry ${gen.retryIntervalMs} ms`);
    assert.equal(gen.repairWindowMs, 10 + 3 * gen.retryIntervalMs);
  });
});
