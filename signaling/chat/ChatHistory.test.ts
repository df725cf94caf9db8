import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ChatEvent } from '../protocol/messages.ts';
import { ChatHistory } from './ChatHistory.ts';

function message(seq: number): Extract<ChatEvent, { kind: 'message' }> {
  return { kind: 'message', seq, at: seq, streamTime: seq, user: { id: 'u1', name: 'A', role: 'viewer' }, text: `m${seq}` };
}

const seqs = (events: ChatEvent[]): number[] => events.map((e) => e.seq);

describe('ChatHistory', () => {
  test('after(seq) returns every later event in order, with nothing missed while within capacity', () => {
    const h = new ChatHistory(10);
    for (let s = 1; s <= 6; s++) h.push(message(s));
    assert.deepEqual(seqs(h.after(3).events), [4, 5, 6]);
    assert.equal(h.after(3).missed, null);
    assert.deepEqual(seqs(h.after(0).events), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(h.after(6).events, []);
    assert.equal(h.lastSeq, 6);
  });

  test('past capacity the oldest events go and a resume from before them is told the exact missing range', () => {
    const h = new ChatHistory(5);
    for (let s = 1; s <= 12; s++) h.push(message(s));
    assert.equal(h.size, 5);
    assert.equal(h.floorSeq, 7);
    const slice = h.after(2);
    assert.deepEqual(slice.missed, { fromSeq: 3, toSeq: 7 });
    assert.deepEqual(seqs(slice.events), [8, 9, 10, 11, 12]);
    assert.equal(h.after(7).missed, null);
    assert.deepEqual(seqs(h.latest(2)), [11, 12]);
  });

  test('a history restored from the log starts complete above its floor, and seqs may have gaps', () => {
    const h = new ChatHistory(5, 40);
    for (const s of [41, 42, 45]) h.push(message(s));
    assert.deepEqual(h.after(39).missed, { fromSeq: 40, toSeq: 40 });
    assert.deepEqual(seqs(h.after(42).events), [45]);
    assert.equal(h.find(45)?.seq, 45);
    assert.equal(h.find(43), undefined);
  });

  test('replace swaps a held event in place and push refuses a seq that is not newer', () => {
    const h = new ChatHistory(3);
    for (let s = 1; s <= 4; s++) h.push(message(s));
    assert.equal(h.replace({ ...message(3), text: '', deleted: true }), true);
    assert.equal(h.replace(message(1)), false); // evicted
    const third = h.find(3);
    assert.equal(third?.kind === 'message' && third.deleted, true);
    assert.throws(() => h.push(message(4)), /not above 4/);
  });

  test('restartAt() forgets what is held, so a resume from before the hole is told what it missed', () => {
    const h = new ChatHistory(10);
    for (let s = 1; s <= 3; s++) h.push(message(s));
    h.restartAt(9);
    h.push(message(10));
    assert.deepEqual(seqs(h.after(2).events), [10]);
    assert.deepEqual(h.after(2).missed, { fromSeq: 3, toSeq: 9 });
    assert.throws(() => h.restartAt(5), RangeError);
  });
});
