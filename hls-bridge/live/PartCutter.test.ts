import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PartCutter, type CutterEvent } from './PartCutter.ts';

const TS = 90000;
const FRAME = 3000; // 1/30 s

function frames(cutter: PartCutter, count: number, keyEvery: number, start = 0): CutterEvent[] {
  const out: CutterEvent[] = [];
  for (let i = 0; i < count; i++) {
    out.push(...cutter.push({ data: Buffer.from([i & 0xff]), startTicks: start + i * FRAME, durationTicks: FRAME, sync: i % keyEvery === 0 }));
  }
  return out;
}

const video = (): PartCutter => new PartCutter({ timescale: TS, partTargetSec: 0.334, segmentMinSec: 1.5, segmentMaxSec: 2.49 });

describe('PartCutter', () => {
  test('cuts 30 fps video into 10-frame parts and 2 s segments at keyframes', () => {
    const events = frames(video(), 150, 30); // keyframe every second
    const parts = events.filter((e) => e.type === 'part');
    const ends = events.filter((e) => e.type === 'segmentEnd');
    assert.ok(parts.every((p) => p.type === 'part' && p.durationTicks <= 0.334 * TS));
    assert.ok(parts.slice(0, 12).every((p) => p.type === 'part' && p.durationTicks === 10 * FRAME));
    // 150 frames = 5 s: segments end at 2 s and 4 s; the last one stays open.
    assert.deepEqual(ends.map((e) => e.type === 'segmentEnd' && e.durationTicks / TS), [2, 2]);
    const starts = events.filter((e) => e.type === 'segmentStart');
    assert.deepEqual(starts.map((e) => e.type === 'segmentStart' && e.startTicks / TS), [0, 2, 4]);
  });

  test('publishes a part as soon as it is full, without waiting for the next frame', () => {
    const cutter = video();
    const events = frames(cutter, 10, 30);
    assert.equal(events.filter((e) => e.type === 'part').length, 1);
  });

  test('with jittery frame times (copied WebRTC video) a part under 85% of PART-TARGET is not closed early', () => {
    const cutter = new PartCutter({ timescale: 1000, partTargetSec: 0.334, segmentMinSec: 1.5, segmentMaxSec: 2.49 });
    // 70 + 70 + 100 = 240 ms: another 100 ms frame would overrun 334, but the next one is 50 ms.
    const durations = [70, 70, 100, 50, 40];
    let t = 0;
    const parts: number[] = [];
    for (const [i, d] of durations.entries()) {
      for (const e of cutter.push({ data: Buffer.from([i]), startTicks: t, durationTicks: d, sync: i === 0 })) if (e.type === 'part') parts.push(e.durationTicks);
      t += d;
    }
    // 290 ms ≥ 85% of 334 and nothing longer than 334.
    assert.deepEqual(parts, [290]);
  });

  test('a part starting on a keyframe is independent; the others are not', () => {
    // Keyframes every 20 frames (0.67 s) are too close to cut segments, so they only make independent parts.
    const parts = frames(video(), 60, 20).filter((e) => e.type === 'part');
    assert.deepEqual(parts.map((p) => p.type === 'part' && p.independent), [true, false, true, false, true, false]);
  });

  test('keyframes before the segment minimum do not start a segment', () => {
    const events = frames(video(), 90, 10); // keyframe every 1/3 s
    const ends = events.filter((e) => e.type === 'segmentEnd');
    assert.deepEqual(ends.map((e) => e.type === 'segmentEnd' && Math.round((e.durationTicks / TS) * 1000)), [1667]);
  });

  test('without keyframes a segment is cut before it would round above the target duration', () => {
    const events = frames(video(), 200, 1000);
    const ends = events.filter((e) => e.type === 'segmentEnd');
    assert.ok(ends.length >= 2);
    assert.ok(ends.every((e) => e.type === 'segmentEnd' && Math.round(e.durationTicks / TS) <= 2));
    const starts = events.filter((e) => e.type === 'segmentStart');
    assert.equal(starts[1]!.type === 'segmentStart' && starts[1]!.independent, false);
  });

  test('flush closes the open part and segment', () => {
    const cutter = video();
    frames(cutter, 15, 30);
    const events = cutter.flush();
    assert.deepEqual(events.map((e) => e.type), ['part', 'segmentEnd']);
    assert.equal(events[0]!.type === 'part' && events[0]!.durationTicks, 5 * FRAME);
    assert.deepEqual(cutter.flush(), []);
  });

  test('audio fragments of 64 ms become parts of 320 ms; only the last part of a segment is shorter', () => {
    const cutter = new PartCutter({ timescale: 48000, partTargetSec: 0.334, segmentMinSec: 1.95, segmentMaxSec: 2.49 });
    const events: CutterEvent[] = [];
    for (let i = 0; i < 40; i++) events.push(...cutter.push({ data: Buffer.alloc(1), startTicks: i * 3072, durationTicks: 3072, sync: true }));
    const parts = events.filter((e, i) => e.type === 'part' && events[i + 1]?.type !== 'segmentEnd');
    assert.ok(parts.length >= 6);
    assert.ok(parts.every((p) => p.type === 'part' && p.durationTicks === 5 * 3072));
    const ends = events.filter((e) => e.type === 'segmentEnd');
    assert.equal(ends[0]!.type === 'segmentEnd' && ends[0]!.durationTicks / 48000, 1.984);
  });

  test('rejects a part target larger than the segment allows', () => {
    assert.throws(() => new PartCutter({ timescale: TS, partTargetSec: 0, segmentMinSec: 1, segmentMaxSec: 2 }), RangeError);
  });
});
