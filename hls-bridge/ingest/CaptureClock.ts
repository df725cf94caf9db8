/**
 * Maps one source track's RTP timestamps to the publisher's capture clock (Unix ms).
 * The RTCP sender report pairs an NTP wallclock with an RTP timestamp, which is exactly
 * the capture-time mapping EXT-X-PROGRAM-DATE-TIME needs. Until the first report
 * arrives, the mapping falls back to arrival time, taking the packet with the least
 * transit delay as the anchor (min of arrival - media time), so jitter cannot push it late.
 */
import type { SenderReport } from '../types.ts';

const NTP_UNIX_OFFSET_S = 2_208_988_800;

export function ntpToUnixMs(ntp: bigint): number {
  const seconds = Number(ntp >> 32n) - NTP_UNIX_OFFSET_S;
  const fraction = Number(ntp & 0xffffffffn) / 2 ** 32;
  return (seconds + fraction) * 1000;
}

export class CaptureClock {
  readonly clockRate: number;
  #lastTs32: number | null = null;
  #lastExt = 0;
  #report: { ext: number; unixMs: number } | null = null;
  #arrivalOffsetMs: number | null = null;

  constructor(clockRate: number) {
    this.clockRate = clockRate;
  }

  get hasSenderReport(): boolean {
    return this.#report !== null;
  }

  /** Records a packet's arrival; returns its extended (wrap-free) timestamp. */
  onPacket(ts32: number, arrivalMs: number): number {
    const ext = this.extend(ts32);
    this.#lastTs32 = ts32;
    this.#lastExt = ext;
    const offset = arrivalMs - (ext * 1000) / this.clockRate;
    if (this.#arrivalOffsetMs === null || offset < this.#arrivalOffsetMs) this.#arrivalOffsetMs = offset;
    return ext;
  }

  onSenderReport(report: SenderReport): void {
    this.#report = { ext: this.extend(report.rtpTimestamp >>> 0), unixMs: ntpToUnixMs(report.ntpTime) };
  }

  /** Extends a 32-bit timestamp next to the last one seen (RTP clocks wrap every 13 h at 90 kHz). */
  extend(ts32: number): number {
    if (this.#lastTs32 === null) return ts32;
    return this.#lastExt + ((ts32 - this.#lastTs32) | 0);
  }

  /** Capture time (Unix ms) of an extended RTP timestamp; null before any packet or report. */
  captureMs(ext: number): number | null {
    if (this.#report) return this.#report.unixMs + ((ext - this.#report.ext) * 1000) / this.clockRate;
    if (this.#arrivalOffsetMs === null) return null;
    return this.#arrivalOffsetMs + (ext * 1000) / this.clockRate;
  }
}
