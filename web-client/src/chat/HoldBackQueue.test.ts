import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HoldBackQueue } from './HoldBackQueue.ts';

const item = (id: string, streamTime: number): { id: string; streamTime: number } => ({ id, streamTime });
const ids = (items: { id: string }[]): string[] => items.map((i) => i.id);

describe('HoldBackQueue', () => {
  test('holds each item until the playhead reaches its stream time, releasing in stream-time order', () => {
    const q = new HoldBackQueue<{ id: string; streamTime: number }>();
    q.push(item('late', 3000), 0);
    q.push(item('early', 1000), 0);
    q.push(item('mid', 2000), 0);
    assert.deepEqual(q.release(999, 10), []);
    assert.deepEqual(ids(q.release(2000, 20)), ['early', 'mid']);
    assert.equal(q.size, 1);
    assert.deepEqual(ids(q.release(5000, 30)), ['late']);
  });

  test('a viewer further behind releases the same item later: the release moment follows its own playhead', () => {
    const message = item('m', 10_000);
    const near = new HoldBackQueue<typeof message>();
    const far = new HoldBackQueue<typeof message>();
    near.push(message, 0);
    far.push(message, 0);
    let nearAt = -1;
    let farAt = -1;
    for (let now = 10_000; now <= 13_000 && farAt < 0; now += 50) {
      if (nearAt < 0 && near.release(now - 100, now).length) nearAt = now; // 100 ms behind the publisher
      if (farAt < 0 && far.release(now - 2000, now).length) farAt = now; // 2 s behind
    }
    assert.equal(nearAt, 10_100);
    assert.equal(farAt, 12_000);
  });

  test('ties keep arrival order; without a playhead everything goes at once; nothing waits past maxHoldMs', () => {
    const q = new HoldBackQueue<{ id: string; streamTime: number }>(5000);
    q.push(item('a', 100), 0);
    q.push(item('b', 100), 0);
    q.push(item('future', 1e12), 0);
    assert.deepEqual(ids(q.release(100, 1)), ['a', 'b']);
    assert.deepEqual(q.release(200, 4999), []);
    assert.deepEqual(ids(q.release(200, 5000)), ['future']);
    q.push(item('x', 1e12), 6000);
    assert.deepEqual(ids(q.release(null, 6001)), ['x']);
  });

  test('remove drops held items (a message deleted before it was shown)', () => {
    const q = new HoldBackQueue<{ id: string; streamTime: number }>();
    q.push(item('keep', 10), 0);
    q.push(item('drop', 20), 0);
    assert.equal(q.remove((i) => i.id === 'drop'), 1);
    assert.deepEqual(ids(q.release(100, 1)), ['keep']);
  });
});
