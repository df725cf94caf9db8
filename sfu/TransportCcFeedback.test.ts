import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TransportCcFeedback } from './TransportCcFeedback.ts';
import { decodeTransportCc } from './testing/decode-transport-cc.ts';

function collect(): { feedback: TransportCcFeedback; reported: () => Map<number, number | undefined> } {
  const packets: Buffer[] = [];
  const feedback = new TransportCcFeedback({ senderSsrc: 1, send: (p) => packets.push(p), intervalMs: 60_000 });
  return {
    feedback,
    reported: () => {
      const out = new Map<number, number | undefined>();
      for (const p of packets.splice(0)) {
        const { base, arrivals } = decodeTransportCc(p);
        arrivals.forEach((a, i) => out.set((base + i) & 0xffff, a));
      }
      return out;
    },
  };
}

describe('TransportCcFeedback', () => {
  test('reports each packet once, across sequence wrap-around, with the gaps as lost', () => {
    const { feedback, reported } = collect();
    for (const [seq, at] of [[65533, 100], [65534, 101], [1, 104], [2, 105]] as const) feedback.onPacket(seq, at, 42);
    feedback.flush();
    const first = reported();
    assert.deepEqual([...first.keys()], [65533, 65534, 65535, 0, 1, 2]);
    assert.equal(first.get(65535), undefined);
    assert.equal(first.get(0), undefined);
    assert.equal(first.get(1), 104);
    feedback.onPacket(3, 110, 42);
    feedback.flush();
    assert.deepEqual([...reported().entries()], [[3, 110]], 'the next feedback starts where the last ended');
    feedback.flush();
    assert.equal(reported().size, 0, 'nothing new: no feedback');
    feedback.close();
  });

  test('ignores a packet that arrives after it was reported lost', () => {
    const { feedback, reported } = collect();
    feedback.onPacket(10, 1, 7);
    feedback.onPacket(12, 3, 7);
    feedback.flush();
    assert.equal(reported().get(11), undefined);
    feedback.onPacket(11, 4, 7);
    feedback.onPacket(13, 5, 7);
    feedback.flush();
    assert.deepEqual([...reported().keys()], [13]);
    feedback.close();
  });

  test('splits a long run into several RTCP packets covering every sequence number', () => {
    const { feedback, reported } = collect();
    for (let i = 0; i < 1000; i++) feedback.onPacket(i, i * 0.5, 7);
    feedback.flush();
    const all = reported();
    assert.equal(all.size, 1000);
    assert.equal(all.get(999), 499.5);
    assert.ok(feedback.feedbackSent >= 3);
    feedback.close();
  });

  test('sends on its timer once packets arrive, and stops when closed', async () => {
    const packets: Buffer[] = [];
    const feedback = new TransportCcFeedback({ senderSsrc: 1, send: (p) => packets.push(p), intervalMs: 10 });
    feedback.onPacket(1, performance.now(), 7);
    await new Promise((r) => setTimeout(r, 40));
    assert.equal(packets.length, 1);
    feedback.close();
    feedback.onPacket(2, performance.now(), 7);
    await new Promise((r) => setTimeout(r, 40));
    assert.equal(packets.length, 1);
  });
});
