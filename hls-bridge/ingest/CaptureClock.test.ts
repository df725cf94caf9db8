import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CaptureClock, ntpToUnixMs } from './CaptureClock.ts';

const NTP_UNIX = 2_208_988_800n;
const ntpOf = (unixMs: number): bigint => ((BigInt(Math.floor(unixMs / 1000)) + NTP_UNIX) << 32n) + BigInt(Math.round(((unixMs % 1000) / 1000) * 2 ** 32));

describe('CaptureClock', () => {
  test('converts NTP to Unix milliseconds', () => {
    assert.ok(Math.abs(ntpToUnixMs(ntpOf(1_700_000_000_250)) - 1_700_000_000_250) < 0.001);
  });

  test('maps RTP timestamps through the latest sender report', () => {
    const clock = new CaptureClock(90000);
    const ext = clock.onPacket(1000, 5_000);
    clock.onSenderReport({ ntpTime: ntpOf(1_700_000_000_000), rtpTimestamp: 1000 + 90000 });
    assert.ok(clock.hasSenderReport);
    // One second of RTP before the report's timestamp.
    assert.ok(Math.abs(clock.captureMs(ext)! - 1_699_999_999_000) < 0.01);
  });

  test('without a report, anchors on the packet with the least transit delay', () => {
    const clock = new CaptureClock(90000);
    const a = clock.onPacket(0, 10_050); // 50 ms late
    clock.onPacket(9000, 10_100); // 100 ms of media, on time → offset 10 000
    assert.equal(clock.captureMs(a), 10_000);
  });

  test('extends timestamps across the 32-bit wrap', () => {
    const clock = new CaptureClock(90000);
    const before = clock.onPacket(0xffff_f000, 0);
    const after = clock.onPacket(0x0000_1000, 1);
    assert.equal(after - before, 0x2000);
  });
});
