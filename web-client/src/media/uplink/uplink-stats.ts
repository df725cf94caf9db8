/**
 * The uplink signals the quality stepper reads, out of a publisher's getStats()
 * rows: the encoder's quality limitation, the browser's bandwidth estimate and
 * round trip on the selected candidate pair, loss the SFU reports back, and the
 * video bytes sent (the caller turns two readings into a rate).
 */
import type { QualityLimitation } from './uplink-stepper.ts';

export interface UplinkStats {
  /** The worst limitation over the video layers being sent. */
  readonly limitation: QualityLimitation | null;
  readonly availableBps: number | null;
  readonly rttMs: number | null;
  /** Worst fractionLost over the video layers (0..1), null when the receiver sends no reports. */
  readonly lossFraction: number | null;
  /** Video bytes sent so far, all layers. */
  readonly videoBytesSent: number;
}

const WORST_FIRST: readonly QualityLimitation[] = ['bandwidth', 'cpu', 'other', 'none'];

type StatsRow = Record<string, unknown>;

const num = (row: StatsRow, key: string): number | null => (typeof row[key] === 'number' && Number.isFinite(row[key]) ? (row[key] as number) : null);

export function parseUplinkStats(rows: Iterable<StatsRow>): UplinkStats {
  let limitation: QualityLimitation | null = null;
  let availableBps: number | null = null;
  let pairRtt: number | null = null;
  let remoteRtt: number | null = null;
  let lossFraction: number | null = null;
  let videoBytesSent = 0;
  for (const row of rows) {
    const type = row['type'];
    if (type === 'candidate-pair' && (row['nominated'] === true || row['selected'] === true) && row['state'] !== 'failed') {
      availableBps = num(row, 'availableOutgoingBitrate') ?? availableBps;
      const rtt = num(row, 'currentRoundTripTime');
      if (rtt !== null) pairRtt = rtt * 1000;
    } else if (type === 'outbound-rtp' && row['kind'] === 'video') {
      videoBytesSent += num(row, 'bytesSent') ?? 0;
      const reason = row['qualityLimitationReason'];
      // An inactive (switched off) layer reports nothing useful.
      if (row['active'] !== false && typeof reason === 'string' && (WORST_FIRST as readonly string[]).includes(reason)) {
        const r = reason as QualityLimitation;
        if (limitation === null || WORST_FIRST.indexOf(r) < WORST_FIRST.indexOf(limitation)) limitation = r;
      }
    } else if (type === 'remote-inbound-rtp' && row['kind'] === 'video') {
      const lost = num(row, 'fractionLost');
      if (lost !== null) lossFraction = Math.max(lossFraction ?? 0, lost);
      const rtt = num(row, 'roundTripTime');
      if (rtt !== null) remoteRtt = Math.max(remoteRtt ?? 0, rtt * 1000);
    }
  }
  // The candidate pair's STUN round trip is measured every second; RTCP's only when the SFU sends reports.
  return { limitation, availableBps, rttMs: pairRtt ?? remoteRtt, lossFraction, videoBytesSent };
}
