/**
 * Test helper: an independent reader of transport-cc feedback (draft-holmer-01, as libwebrtc's
 * TransportFeedback::Parse reads it), asserting the framing on the way.
 */
import assert from 'node:assert/strict';

/** Reads a feedback the way libwebrtc's TransportFeedback::Parse does: per sequence number, its arrival (ms) or undefined. */
export function decodeTransportCc(packet: Buffer): { base: number; feedbackCount: number; arrivals: Array<number | undefined> } {
  assert.equal(packet[0]! >> 6, 2, 'version 2');
  assert.equal(packet[0]! & 0x1f, 15, 'FMT 15');
  assert.equal(packet[1], 205, 'RTPFB');
  assert.equal((packet.readUInt16BE(2) + 1) * 4, packet.length, 'length field matches the packet');
  const padding = packet[0]! & 0x20 ? packet[packet.length - 1]! : 0;
  assert.equal(packet.length % 4, 0);
  const base = packet.readUInt16BE(12);
  const count = packet.readUInt16BE(14);
  const reference = packet.readUIntBE(16, 3);
  const feedbackCount = packet[19]!;
  const symbols: number[] = [];
  let o = 20;
  while (symbols.length < count) {
    const chunk = packet.readUInt16BE(o);
    o += 2;
    if ((chunk & 0x8000) === 0) {
      const symbol = (chunk >> 13) & 3;
      for (let i = 0; i < (chunk & 0x1fff); i++) symbols.push(symbol);
    } else if ((chunk & 0x4000) === 0) {
      for (let i = 0; i < 14; i++) symbols.push((chunk >> (13 - i)) & 1);
    } else {
      for (let i = 0; i < 7; i++) symbols.push((chunk >> (2 * (6 - i))) & 3);
    }
  }
  symbols.length = count;
  let ticks = reference * 256;
  const arrivals = symbols.map((symbol) => {
    if (symbol === 0) return undefined;
    if (symbol === 1) ticks += packet[o++]!;
    else {
      ticks += packet.readInt16BE(o);
      o += 2;
    }
    return ticks / 4;
  });
  assert.ok(o <= packet.length - padding, 'deltas fit before the padding');
  return { base, feedbackCount, arrivals };
}

