import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ReactionWindow } from './ReactionWindow.ts';

describe('ReactionWindow', () => {
  test('counts per emoji with the mean stream time, then starts over', () => {
    const w = new ReactionWindow();
    assert.equal(w.take(), undefined);
    w.add('🔥', 1000);
    w.add('🔥', 2000);
    w.add('❤️', 3000);
    assert.deepEqual(w.take(), { counts: { '🔥': 2, '❤️': 1 }, total: 3, streamTime: 2000 });
    assert.equal(w.total, 0);
    assert.equal(w.take(), undefined);
  });
});
