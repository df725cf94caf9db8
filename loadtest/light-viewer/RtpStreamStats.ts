/**
 * Receive-side statistics for one RTP media stream, as RFC 3550 (A.1, A.3, A.8) defines them:
 * packets and bytes received, packets expected from the extended highest sequence number,
 * loss from sequence gaps, and interarrival jitter. A stream may change SSRC (e.g. a simulcast
 * layer switch that does not rewrite it); each SSRC is tracked on its own and the totals summed.
 * Light viewers keep one per track and never decode, so this is all they learn about the media.
 */

export interface RtpStreamCounters {
  readonly packets: number;
  readonly bytes: number;
  /** Packets the sender numbered between the first and highest sequence number seen. */
  readonly expected: number;
  /** expected − received, never below 0 (duplicates can make received exceed expected). */
  readonly lost: number;
  /** Packets whose sequence number was already passed (reordered or duplicated). */
  readonly late: number;
  /** RFC 3550 interarrival jitter in milliseconds (of the SSRC that received the most packets). */
  readonly jitterMs: number;
  readonly ssrcCount: number;
}

interface SsrcState {
  packets: number;
  bytes: number;
  late: number;
  baseSeq: number;
  maxSeq: number;
  /** Multiples of 65536 added each time the sequence number wraps. */
  cycles: number;
  lastTransit: number | undefined;
  /** Jitter in RTP timestamp units, kept ×16 as in RFC 3550 A.8 to avoid rounding drift. */
  jitter: number;
}

export class RtpStreamStats {
  readonly #clockRate: number;
  readonly #ssrcs = new Map<number, SsrcState>();

  constructor(clockRate: number) {
    if (!(clockRate > 0)) throw new RangeError(`clock rate must be positive, got ${clockRate}`);
    this.#clockRate = clockRate;
  }

  /**
   * Records one received packet.
   * @param arrivalMs arrival time on any monotonic millisecond clock (performance.now()).
   */
  onPacket(ssrc: number, sequenceNumber: number, rtpTimestamp: number, arrivalMs: number, bytes: number): void {
    let s = this.#ssrcs.get(ssrc);
    if (!s) {
      s = { packets: 0, bytes: 0, late: 0, baseSeq: sequenceNumber, maxSeq: sequenceNumber, cycles: 0, lastTransit: undefined, jitter: 0 };
      this.#ssrcs.set(ssrc, s);
    } else {
      const delta = (sequenceNumber - s.maxSeq) & 0xffff;
      if (delta === 0 || delta >= 0x8000) {
        s.late++;
      } else {
        if (sequenceNumber < s.maxSeq) s.cycles += 0x10000;
        s.maxSeq = sequenceNumber;
      }
    }
    s.packets++;
    s.bytes += bytes;

    // Transit time in RTP units; its constant offset cancels in the difference.
    const transit = (arrivalMs * this.#clockRate) / 1000 - rtpTimestamp;
    if (s.lastTransit !== undefined) {
      let d = Math.abs(transit - s.lastTransit);
      // A timestamp wrap (2^32) shows up as a huge jump; fold it back.
      if (d > 0x80000000) d = Math.abs(d - 0x100000000);
      s.jitter += d - s.jitter / 16;
    }
    s.lastTransit = transit;
  }

  counters(): RtpStreamCounters {
    let packets = 0;
    let bytes = 0;
    let expected = 0;
    let lost = 0;
    let late = 0;
    let busiest: SsrcState | undefined;
    for (const s of this.#ssrcs.values()) {
      const exp = s.cycles + s.maxSeq - s.baseSeq + 1;
      packets += s.packets;
      bytes += s.bytes;
      expected += exp;
      lost += Math.max(0, exp - s.packets);
      late += s.late;
      if (!busiest || s.packets > busiest.packets) busiest = s;
    }
    const jitterMs = busiest ? (busiest.jitter / 16 / this.#clockRate) * 1000 : 0;
    return { packets, bytes, expected, lost, late, jitterMs, ssrcCount: this.#ssrcs.size };
  }
}
