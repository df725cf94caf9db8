import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DROP, SeqCompactor } from './SeqCompactor.ts';

const PADDING = new Uint8Array(0);
/** H.264 FU-A: first fragment of a non-IDR slice (opens a frame) and a middle fragment. */
const FRAME_START = new Uint8Array([0x7c, 0x81, 0x00]);
const FRAME_MIDDLE = new Uint8Array([0x7c, 0x01, 0x00]);
const FRAME_TICKS = 4500;

function compactor(): { c: SeqCompactor; filled: number[]; forgotten: number[]; feed: (seq: number, payload: Uint8Array, ts: number, marker?: boolean, nowMs?: number) => number } {
  const filled: number[] = [];
  const forgotten: number[] = [];
  const c = new SeqCompactor('h264', (out) => filled.push(out));
  const feed = (seq: number, payload: Uint8Array, ts: number, marker = false, nowMs = 0): number =>
    c.onPacket(seq, payload, ts, marker, nowMs, (lost) => forgotten.push(lost));
  return { c, filled, forgotten, feed };
}

/** Two whole frames, so the frame interval is known. */
function warmUp(feed: ReturnType<typeof compactor>['feed']): void {
  feed(100, FRAME_START, 0, true);
  feed(101, FRAME_START, FRAME_TICKS, true);
  feed(102, FRAME_START, 2 * FRAME_TICKS, true);
}

describe('SeqCompactor', () => {
  test('media keeps its own numbers while no padding came', () => {
    const { feed } = compactor();
    assert.deepEqual([feed(500, FRAME_START, 0), feed(501, FRAME_MIDDLE, 0, true), feed(502, FRAME_START, 3000, true)], [500, 501, 502]);
  });

  test('padding is dropped and taken out of the numbering', () => {
    const { feed } = compactor();
    feed(10, FRAME_START, 0, true);
    assert.equal(feed(11, PADDING, 0), DROP);
    assert.equal(feed(12, PADDING, 0), DROP);
    assert.equal(feed(13, FRAME_START, 3000, true), 11);
  });

  test('a lost number between padding with the same timestamp is padding: no slot, no NACK, no filler', () => {
    const { feed, forgotten, filled, c } = compactor();
    feed(10, FRAME_START, 0, true);
    feed(11, PADDING, 0);
    feed(13, PADDING, 0); // 12 lost
    assert.equal(feed(14, FRAME_START, 3000, true), 11);
    assert.deepEqual(forgotten, [12]);
    assert.equal(c.pending, 0);
    assert.deepEqual(filled, []);
  });

  test('a lost number before the very next frame, after a finished one, is padding', () => {
    const { feed, forgotten } = compactor();
    warmUp(feed);
    assert.equal(feed(104, FRAME_START, 3 * FRAME_TICKS, true), 103);
    assert.deepEqual(forgotten, [103]);
  });

  test('a lost number that may be media keeps its slot: the resend goes out there, a duplicate does not', () => {
    const { feed, forgotten, c } = compactor();
    warmUp(feed);
    // Two frame intervals later: a whole frame may have been lost.
    assert.equal(feed(104, FRAME_START, 4 * FRAME_TICKS, true), 104);
    // Inside a frame: the lost packet is the frame's start.
    assert.equal(feed(106, FRAME_MIDDLE, 5 * FRAME_TICKS, true), 106);
    assert.deepEqual(forgotten, []);
    assert.equal(c.pending, 2);
    assert.equal(feed(103, FRAME_START, 3 * FRAME_TICKS, true), 103);
    assert.equal(feed(103, FRAME_START, 3 * FRAME_TICKS, true), DROP);
    assert.equal(feed(105, FRAME_START, 5 * FRAME_TICKS), 105);
  });

  test('a slot nothing came for is filled with an empty packet once overdue, and a late resend still goes out in it', () => {
    const { feed, filled, c } = compactor();
    feed(10, FRAME_START, 0, false, 0);
    feed(12, FRAME_MIDDLE, 0, true, 0); // 11 lost inside a frame
    assert.equal(c.fillPending(-1), 1, 'not overdue yet');
    assert.deepEqual(filled, []);
    assert.equal(c.oldestPendingMs, 0);
    assert.equal(c.fillPending(0), 0);
    assert.deepEqual(filled, [11]);
    assert.equal(feed(11, FRAME_MIDDLE, 0), 11);
  });

  test('numbering continues across a wrap and a restart-size jump', () => {
    const { feed, c } = compactor();
    feed(65534, FRAME_START, 0, true);
    assert.equal(feed(65535, PADDING, 0), DROP);
    assert.equal(feed(0, FRAME_START, 3000, true), 65535);
    assert.equal(feed(30000, FRAME_START, 6000, true), 0, 'a jump is a restart: no slots');
    assert.equal(c.pending, 0);
  });

  test("a late empty packet (an upstream SFU's filler) fills its slot at once", () => {
    const { feed, c } = compactor();
    feed(10, FRAME_START, 0);
    feed(12, FRAME_MIDDLE, 0, true); // 11 lost inside a frame
    assert.equal(feed(11, PADDING, 0), 11);
    assert.equal(c.fillPending(Number.MAX_SAFE_INTEGER), 0, 'nothing left to fill');
    assert.equal(feed(11, PADDING, 0), DROP);
  });
});
