/**
 * Picks the publisher's ladder rung from once-a-second uplink samples. Pure:
 * the caller keeps the returned state and passes it back with the next sample.
 *
 * Down fast: two bad samples in a row ('bandwidth' quality limitation, an
 * estimate below what the rung needs while the sender is using it, heavy loss
 * or RTT) step down, jumping straight to the rung that fits a low estimate.
 * Up slow: the way must be clear for `upHoldMs` first. Chromium caps its
 * estimate near 1.5x what is actually sent, so while the sender is
 * application-limited the estimate cannot show the next rung's need; the
 * stepper then probes by stepping up, and a probe that fails (a step down
 * soon after a step up) doubles the hold, so it never flaps.
 */
import { LAST_RUNG } from './quality-ladder.ts';

export type QualityLimitation = 'bandwidth' | 'cpu' | 'other' | 'none';

export interface UplinkSample {
  readonly nowMs: number;
  /** outbound-rtp qualityLimitationReason (worst over the layers), null when not reported. */
  readonly limitation: QualityLimitation | null;
  /** candidate-pair availableOutgoingBitrate, bits/s. */
  readonly availableBps: number | null;
  /** What the video actually sent over the last interval, bits/s. */
  readonly sentBps: number | null;
  readonly rttMs: number | null;
  /** remote-inbound-rtp fractionLost, 0..1. */
  readonly lossFraction: number | null;
}

/** Why the stepper is below the top rung. */
export type StepReason = 'uplink' | 'network';

export interface StepperState {
  /**
   * The rung the uplink allows (0 = best). The rung sent is max(index, top): under a power
   * cap the index stays where the uplink put it, so lifting the cap does not look like a probe.
   */
  readonly index: number;
  readonly startedMs: number | null;
  readonly badSamples: number;
  readonly lastDownMs: number | null;
  readonly lastUpMs: number | null;
  /** Since when the way up has been clear, null when it is not. */
  readonly clearSinceMs: number | null;
  /** Current hold before a step up; doubles on a failed probe. */
  readonly upHoldMs: number;
  readonly reason: StepReason | null;
}

export interface StepperTuning {
  /** Estimate below need x this (while the sender is using its budget) is bad. */
  readonly downMargin: number;
  /** A step up needs estimate >= next rung's need x this, unless the sender is application-limited. */
  readonly upMargin: number;
  /** sent < estimate x this: the sender is application-limited and the estimate is only a floor. */
  readonly appLimitedRatio: number;
  /** Consecutive bad samples before a step down. */
  readonly downSamples: number;
  /** Minimum time between two steps down, for the encoder and the estimate to follow. */
  readonly settleMs: number;
  /** No bandwidth-based step down this long after (re)start: the estimate is still ramping up. */
  readonly warmupMs: number;
  readonly upHoldMs: number;
  readonly maxUpHoldMs: number;
  /** A step down this soon after a step up means the probe failed. */
  readonly probeWindowMs: number;
  readonly lossDown: number;
  readonly lossUp: number;
  readonly rttDownMs: number;
  readonly rttUpMs: number;
}

export const DEFAULT_STEPPER_TUNING: StepperTuning = Object.freeze({
  downMargin: 0.9,
  upMargin: 1.15,
  appLimitedRatio: 0.7,
  downSamples: 2,
  settleMs: 3000,
  warmupMs: 5000,
  upHoldMs: 8000,
  maxUpHoldMs: 120_000,
  probeWindowMs: 15_000,
  lossDown: 0.1,
  lossUp: 0.02,
  rttDownMs: 700,
  rttUpMs: 350,
});

export function initialStepperState(index: number, tuning: StepperTuning = DEFAULT_STEPPER_TUNING): StepperState {
  return { index, startedMs: null, badSamples: 0, lastDownMs: null, lastUpMs: null, clearSinceMs: null, upHoldMs: tuning.upHoldMs, reason: null };
}

/** Starts the warm-up again (a new peer connection's estimate starts from scratch); keeps the rung and the hold. */
export function restartStepper(state: StepperState): StepperState {
  return { ...state, startedMs: null, badSamples: 0, clearSinceMs: null };
}

export interface StepperLadder {
  /** Best rung allowed now (camera and power caps). */
  readonly top: number;
  /** Bits/s each rung needs, by rung index. */
  readonly needs: readonly number[];
}

export function stepUplink(prev: StepperState, sample: UplinkSample, ladder: StepperLadder, tuning: StepperTuning = DEFAULT_STEPPER_TUNING): StepperState {
  const now = sample.nowMs;
  const top = Math.max(0, Math.min(LAST_RUNG, ladder.top));
  let s: StepperState = { ...prev, startedMs: prev.startedMs ?? now };
  if (s.index <= top) s = { ...s, reason: null, clearSinceMs: null };
  const sending = Math.max(s.index, top);
  const need = (i: number): number => ladder.needs[i] ?? 0;
  const warm = now - s.startedMs! >= tuning.warmupMs;

  const { availableBps: avail, sentBps: sent, limitation } = sample;
  const appLimited = avail !== null && sent !== null && sent < avail * tuning.appLimitedRatio;
  const bandwidthLimited = warm && limitation === 'bandwidth';
  const estimateLow = warm && avail !== null && sent !== null && !appLimited && avail < need(sending) * tuning.downMargin;
  const lossy = sample.lossFraction !== null && sample.lossFraction >= tuning.lossDown;
  const slow = sample.rttMs !== null && sample.rttMs >= tuning.rttDownMs;

  if (bandwidthLimited || estimateLow || lossy || slow) {
    const badSamples = s.badSamples + 1;
    s = { ...s, badSamples, clearSinceMs: null };
    const settled = s.lastDownMs === null || now - s.lastDownMs >= tuning.settleMs;
    if (badSamples < tuning.downSamples || !settled || sending >= LAST_RUNG) return s;
    let target = sending + 1;
    if (estimateLow) {
      // Straight to the best rung the estimate can carry (the last one if none can).
      target = LAST_RUNG;
      for (let i = sending + 1; i <= LAST_RUNG; i++) {
        if (need(i) <= avail! * tuning.downMargin) {
          target = i;
          break;
        }
      }
    }
    const failedProbe = s.lastUpMs !== null && now - s.lastUpMs < tuning.probeWindowMs;
    return {
      ...s,
      index: target,
      badSamples: 0,
      lastDownMs: now,
      upHoldMs: failedProbe ? Math.min(tuning.maxUpHoldMs, s.upHoldMs * 2) : s.upHoldMs,
      reason: bandwidthLimited || estimateLow ? 'uplink' : 'network',
    };
  }

  s = { ...s, badSamples: 0 };
  // A step up that held through the probe window proves the way: the hold goes back to its base.
  if (s.lastUpMs !== null && now - s.lastUpMs >= tuning.probeWindowMs && (s.lastDownMs === null || s.lastDownMs < s.lastUpMs)) {
    s = { ...s, upHoldMs: tuning.upHoldMs };
  }
  if (s.index <= top) return { ...s, clearSinceMs: null };

  const roomy = avail === null || sent === null || appLimited || avail >= need(s.index - 1) * tuning.upMargin;
  const clear =
    limitation !== 'bandwidth' &&
    roomy &&
    (sample.lossFraction === null || sample.lossFraction < tuning.lossUp) &&
    (sample.rttMs === null || sample.rttMs < tuning.rttUpMs);
  if (!clear) return { ...s, clearSinceMs: null };
  const clearSinceMs = s.clearSinceMs ?? now;
  const sinceDown = s.lastDownMs === null ? Infinity : now - s.lastDownMs;
  if (now - clearSinceMs < s.upHoldMs || sinceDown < s.upHoldMs) return { ...s, clearSinceMs };
  const index = s.index - 1;
  return { ...s, index, lastUpMs: now, clearSinceMs: null, reason: index === top ? null : s.reason };
}
