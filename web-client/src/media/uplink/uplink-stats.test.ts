import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseUplinkStats } from './uplink-stats.ts';

test('parseUplinkStats reads the selected pair, the worst active layer limitation and the worst loss', () => {
  const stats = parseUplinkStats([
    { type: 'candidate-pair', nominated: false, availableOutgoingBitrate: 9e6, currentRoundTripTime: 0.9 },
    { type: 'candidate-pair', nominated: true, state: 'succeeded', availableOutgoingBitrate: 1_200_000, currentRoundTripTime: 0.08 },
    { type: 'outbound-rtp', kind: 'video', rid: 'low', bytesSent: 100, qualityLimitationReason: 'none' },
    { type: 'outbound-rtp', kind: 'video', rid: 'mid', bytesSent: 200, qualityLimitationReason: 'cpu' },
    { type: 'outbound-rtp', kind: 'video', rid: 'high', active: false, bytesSent: 300, qualityLimitationReason: 'bandwidth' },
    { type: 'outbound-rtp', kind: 'audio', bytesSent: 5000 },
    { type: 'remote-inbound-rtp', kind: 'video', fractionLost: 0.02, roundTripTime: 0.1 },
    { type: 'remote-inbound-rtp', kind: 'video', fractionLost: 0.12 },
  ]);
  assert.deepEqual(stats, { limitation: 'cpu', availableBps: 1_200_000, rttMs: 80, lossFraction: 0.12, videoBytesSent: 600 });
});

test('parseUplinkStats gives nulls where the browser reports nothing', () => {
  assert.deepEqual(parseUplinkStats([{ type: 'outbound-rtp', kind: 'video', bytesSent: 10 }, { type: 'remote-inbound-rtp', kind: 'video', roundTripTime: 0.25 }]), {
    limitation: null,
    availableBps: null,
    rttMs: 250,
    lossFraction: null,
    videoBytesSent: 10,
  });
});
