/**
 * A viewer's available bitrate from what its browser reports. Pure, so the
 * rules can be tested without a network.
 *
 * The base is loss-based, from receiver reports (Google congestion control's
 * loss rule: grow 8 % while loss < 2 %, cut by half the loss above 10 %).
 * REMB is used only as a congestion signal: a browser's receive-side estimate
 * tracks what it is sent (about 1.5× the incoming rate at most), so a viewer on
 * a low layer would never report enough to move up without probing. REMB below
 * the current send rate means queues are building, and then it caps the estimate.
 */

export interface ViewerEstimate {
  /** Latest REMB value (bits/s) and when it arrived (ms). */
  readonly remb: { readonly bps: number; readonly atMs: number } | undefined;
  /** When the first REMB arrived: browsers' first estimates are unsettled for a few seconds. */
  readonly firstRembAtMs: number | undefined;
  /** Loss-based estimate (bits/s), undefined until the first receiver report. */
  readonly lossBasedBps: number | undefined;
}

export const INITIAL_VIEWER_ESTIMATE: ViewerEstimate = Object.freeze({ remb: undefined, firstRembAtMs: undefined, lossBasedBps: undefined });

/** REMB older than this is ignored (browsers send it about once a second). */
export const REMB_STALE_MS = 5000;
/** REMB is ignored this long after the first one. */
export const REMB_WARMUP_MS = 5000;
/** REMB below this share of the send rate signals congestion. */
export const REMB_CONGESTION_RATIO = 0.85;
const MIN_BPS = 50_000;
const MAX_BPS = 50_000_000;
/** Where the loss-based estimate starts at the first receiver report. */
const LOSS_START_BPS = 1_500_000;
/** Without loss the estimate may grow to this, or to twice what is sent if that is more. */
const LOSS_CEILING_BPS = 4_000_000;

export function withRemb(prev: ViewerEstimate, bps: number, nowMs: number): ViewerEstimate {
  return { ...prev, remb: { bps, atMs: nowMs }, firstRembAtMs: prev.firstRembAtMs ?? nowMs };
}

/** Applies one receiver report; fractionLost in 0..1, currentSendBps what this viewer is sent now. */
export function withReceiverReport(prev: ViewerEstimate, fractionLost: number, currentSendBps: number): ViewerEstimate {
  const base = prev.lossBasedBps ?? Math.max(LOSS_START_BPS, currentSendBps);
  let next = base;
  if (fractionLost < 0.02) next = base * 1.08;
  else if (fractionLost > 0.1) next = base * (1 - 0.5 * fractionLost);
  // Growth is bounded by what is actually sent, so an idle viewer's estimate does not run away.
  const ceiling = Math.max(LOSS_CEILING_BPS, currentSendBps * 2);
  return { ...prev, lossBasedBps: clamp(Math.min(next, Math.max(base, ceiling))) };
}

/** The usable estimate now; undefined while nothing was reported. */
export function currentEstimate(state: ViewerEstimate, nowMs: number, currentSendBps: number): number | undefined {
  const remb = state.remb;
  const usable =
    remb !== undefined &&
    nowMs - remb.atMs <= REMB_STALE_MS &&
    state.firstRembAtMs !== undefined &&
    nowMs - state.firstRembAtMs >= REMB_WARMUP_MS;
  if (usable && currentSendBps > 0 && remb.bps < currentSendBps * REMB_CONGESTION_RATIO) {
    return state.lossBasedBps === undefined ? remb.bps : Math.min(remb.bps, state.lossBasedBps);
  }
  return state.lossBasedBps;
}

function clamp(bps: number): number {
  return Math.min(MAX_BPS, Math.max(MIN_BPS, bps));
}
