/**
 * A viewer's available bitrate from what its browser reports: REMB when it sends
 * one, otherwise a loss-based estimate from receiver reports (the loss rule of
 * Google congestion control: grow 8 % while loss < 2 %, cut by half the loss
 * above 10 %). Pure so the rules can be tested without a network.
 */

export interface ViewerEstimate {
  /** Latest REMB value (bits/s) and when it arrived (ms). */
  readonly remb: { readonly bps: number; readonly atMs: number } | undefined;
  /** Loss-based estimate (bits/s), undefined until the first receiver report. */
  readonly lossBasedBps: number | undefined;
}

export const INITIAL_VIEWER_ESTIMATE: ViewerEstimate = Object.freeze({ remb: undefined, lossBasedBps: undefined });

/** REMB older than this is ignored (browsers send it about once a second). */
export const REMB_STALE_MS = 5000;
const MIN_BPS = 50_000;
const MAX_BPS = 50_000_000;
/** Where the loss-based estimate starts at the first receiver report. */
const LOSS_START_BPS = 1_500_000;
/** Without loss the estimate may grow to this, or to twice what is sent if that is more. */
const LOSS_CEILING_BPS = 4_000_000;

export function withRemb(prev: ViewerEstimate, bps: number, nowMs: number): ViewerEstimate {
  return { ...prev, remb: { bps, atMs: nowMs } };
}

/** Applies one receiver report; fractionLost in 0..1. */
export function withReceiverReport(prev: ViewerEstimate, fractionLost: number, currentSendBps: number): ViewerEstimate {
  const base = prev.lossBasedBps ?? Math.max(LOSS_START_BPS, currentSendBps);
  let next = base;
  if (fractionLost < 0.02) next = base * 1.08;
  else if (fractionLost > 0.1) next = base * (1 - 0.5 * fractionLost);
  // Growth is bounded by what is actually sent, so an idle viewer's estimate does not run away.
  const ceiling = Math.max(LOSS_CEILING_BPS, currentSendBps * 2);
  return { ...prev, lossBasedBps: clamp(Math.min(next, Math.max(base, ceiling))) };
}

/** The usable estimate now: the lower of fresh REMB and the loss-based value; undefined while unknown. */
export function currentEstimate(state: ViewerEstimate, nowMs: number): number | undefined {
  const remb = state.remb && nowMs - state.remb.atMs <= REMB_STALE_MS ? state.remb.bps : undefined;
  if (remb === undefined) return state.lossBasedBps;
  if (state.lossBasedBps === undefined) return remb;
  return Math.min(remb, state.lossBasedBps);
}

function clamp(bps: number): number {
  return Math.min(MAX_BPS, Math.max(MIN_BPS, bps));
}
