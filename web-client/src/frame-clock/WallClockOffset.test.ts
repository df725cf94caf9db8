import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WallClockOffset } from './WallClockOffset.ts';

/** A fake pair of clocks: a true wall time `mono + offset`, read through Date.now()'s truncation. */
function clocks(offset: number) {
  const state = { mono: 1000.25, offset };
  return {
    state,
    wall: () => Math.floor(state.mono + state.offset),
    mono: () => state.mono,
  };
}

describe('WallClockOffset', () => {
  test('converges on the true offset despite whole-millisecond wall readings', () => {
    const c = clocks(1_700_000_000_000.6);
    const offset = new WallClockOffset(c.wall, c.mono);
    for (let i = 0; i < 50; i++) {
      c.state.mono += 16.37;
      offset.update();
    }
    assert.ok(Math.abs(offset.update() - c.state.offset) < 0.2, `estimate ${offset.update()} vs ${c.state.offset}`);
    assert.ok(Math.abs(offset.toWall(5000) - (5000 + c.state.offset)) < 0.2);
  });

  test('follows the wall clock when it is set back', () => {
    const c = clocks(1_700_000_000_000);
    const offset = new WallClockOffset(c.wall, c.mono);
    offset.update();
    c.state.offset -= 5000;
    c.state.mono += 10;
    assert.ok(Math.abs(offset.update() - c.state.offset) <= 1);
  });

  test('follows the wall clock when it jumps forward', () => {
    const c = clocks(1_700_000_000_000);
    const offset = new WallClockOffset(c.wall, c.mono);
    offset.update();
    c.state.offset += 5000;
    assert.ok(Math.abs(offset.update() - c.state.offset) <= 1);
  });
});
