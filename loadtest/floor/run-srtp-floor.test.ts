import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSrtpFloor } from './run-srtp-floor.ts';

test('the floor sends one protected packet per sink per incoming packet, and the sinks receive them', async () => {
  const r = await runSrtpFloor({ sinks: 3, incomingPacketsPerSecond: 100, durationMs: 500 });
  assert.equal(r.packetsSent, 3 * 50);
  assert.equal(r.warmupPackets, 3 * 50);
  assert.equal(r.packetsReceived, r.packetsSent + r.warmupPackets);
  assert.ok(r.cpuUs > 0 && Number.isFinite(r.usPerPacket));
});
