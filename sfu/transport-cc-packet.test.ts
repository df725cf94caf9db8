import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TransportWideCC, RtcpHeader } from 'werift';
import { writeTransportCcFeedback } from './transport-cc-packet.ts';
import { decodeTransportCc } from './testing/decode-transport-cc.ts';

describe('writeTransportCcFeedback', () => {
  test('reports received and lost packets with arrival times to 250 µs, small, large and negative deltas', () => {
    const arrivalsMs = [1000.1, -1, 1010.3, 1010.3, 1200, 1150.5, -1, 1151];
    const result = writeTransportCcFeedback({ senderSsrc: 1, mediaSsrc: 2, baseSequence: 65530, arrivalsMs, count: arrivalsMs.length, feedbackCount: 7 });
    assert.ok(result);
    assert.equal(result.covered, arrivalsMs.length);
    const decoded = decodeTransportCc(result.packet);
    assert.equal(decoded.base, 65530);
    assert.equal(decoded.feedbackCount, 7);
    assert.equal(decoded.arrivals.length, arrivalsMs.length);
    decoded.arrivals.forEach((got, i) => {
      const want = arrivalsMs[i]!;
      if (want < 0) assert.equal(got, undefined, `packet ${i} lost`);
      else assert.ok(got !== undefined && Math.abs(got - want) <= 0.125, `packet ${i}: ${got} vs ${want}`);
    });
  });

  test('werift parses its header fields (sender, media, base, count, feedback count)', () => {
    const arrivalsMs = Array.from({ length: 40 }, (_, i) => (i % 9 === 4 ? -1 : 500 + i * 2));
    const result = writeTransportCcFeedback({ senderSsrc: 0x11223344, mediaSsrc: 0x55667788, baseSequence: 9, arrivalsMs, count: 40, feedbackCount: 255 });
    assert.ok(result);
    const header = RtcpHeader.deSerialize(result.packet.subarray(0, 4));
    const parsed = TransportWideCC.deSerialize(result.packet.subarray(4, result.packet.length - (header.padding ? result.packet[result.packet.length - 1]! : 0)), header);
    assert.equal(parsed.senderSsrc, 0x11223344);
    assert.equal(parsed.mediaSourceSsrc, 0x55667788);
    assert.equal(parsed.baseSequenceNumber, 9);
    assert.equal(parsed.packetStatusCount, 40);
    assert.equal(parsed.fbPktCount, 255);
  });

  test('uses run-length chunks for long runs, so 1,000 packets fit in a small packet', () => {
    const arrivalsMs = Array.from({ length: 400 }, (_, i) => (i >= 100 && i < 300 ? -1 : 2000 + i * 0.25));
    const result = writeTransportCcFeedback({ senderSsrc: 1, mediaSsrc: 2, baseSequence: 0, arrivalsMs, count: 400, feedbackCount: 0 });
    assert.ok(result);
    assert.ok(result.packet.length < 20 + 2 * 10 + 200 + 4, `packet is ${result.packet.length} bytes`);
    const decoded = decodeTransportCc(result.packet);
    assert.equal(decoded.arrivals.filter((a) => a === undefined).length, 200);
  });

  test('ends at the last received packet and before a gap a 16-bit delta cannot hold', () => {
    const trailing = writeTransportCcFeedback({ senderSsrc: 1, mediaSsrc: 2, baseSequence: 5, arrivalsMs: [10, 11, -1, -1], count: 4, feedbackCount: 0 });
    assert.equal(trailing?.covered, 2);
    assert.equal(decodeTransportCc(trailing!.packet).arrivals.length, 2);
    const gap = writeTransportCcFeedback({ senderSsrc: 1, mediaSsrc: 2, baseSequence: 5, arrivalsMs: [10, -1, 20_000, 20_001], count: 4, feedbackCount: 0 });
    assert.equal(gap?.covered, 1);
  });

  test('has nothing to say when no packet of the range arrived', () => {
    assert.equal(writeTransportCcFeedback({ senderSsrc: 1, mediaSsrc: 2, baseSequence: 5, arrivalsMs: [-1, -1], count: 2, feedbackCount: 0 }), undefined);
  });
});
