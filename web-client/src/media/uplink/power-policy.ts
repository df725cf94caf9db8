/**
 * Battery and heat policy for the publisher: turns the phone's signals into a
 * cap on the quality ladder and a message for the streamer. Pure: the caller
 * keeps the returned state and passes it back with the next signals, once a second.
 *
 * - Battery (Battery Status API): <= 20 % and not charging caps at 480p24; <= 10 % at 360p15.
 * - Compute Pressure ('cpu'): 'serious' caps one rung below what was being sent when it
 *   began, with a warning; 'critical' caps at 360p15 ("your phone is hot").
 * - qualityLimitationReason 'cpu' (the encoder cannot keep up) for a few seconds: one rung
 *   down, again if it persists; lifted after a quiet minute.
 * - The streamer's power-saver switch caps at 480p30.
 * Every signal is optional (null = the browser does not offer it).
 */
import { capOneBelow, tighterCap, type VideoCap } from './quality-ladder.ts';
import type { QualityLimitation } from './uplink-stepper.ts';

export type PressureState = 'nominal' | 'fair' | 'serious' | 'critical';

export interface BatteryReading {
  /** 0..1 */
  readonly level: number;
  readonly charging: boolean;
}

export interface PowerSignals {
  readonly nowMs: number;
  readonly battery: BatteryReading | null;
  readonly pressure: PressureState | null;
  readonly limitation: QualityLimitation | null;
  readonly powerSaver: boolean;
}

export type PowerReason = 'hot' | 'battery-critical' | 'warm' | 'cpu' | 'battery-low' | 'power-saver';

export interface PowerState {
  /** Latched when pressure turned 'serious': one rung below what was sent then. */
  readonly warmCap: VideoCap | null;
  readonly cpuCap: VideoCap | null;
  readonly cpuSamples: number;
  readonly lastCpuStepMs: number | null;
  readonly lastCpuSeenMs: number | null;
}

export interface PowerDecision {
  /** The ladder may not go above this (null: no power limit). */
  readonly cap: VideoCap | null;
  /** The signal whose cap is the strictest, null when none caps. */
  readonly reason: PowerReason | null;
  /** Something the streamer should read now (null when all is well). */
  readonly warning: string | null;
}

export interface PowerTuning {
  readonly lowBattery: number;
  readonly criticalBattery: number;
  /** Consecutive 'cpu'-limited samples before a step down. */
  readonly cpuSamples: number;
  /** Minimum time between two cpu steps. */
  readonly cpuSettleMs: number;
  /** The cpu cap is lifted after this long without a 'cpu' limitation. */
  readonly cpuReleaseMs: number;
}

export const DEFAULT_POWER_TUNING: PowerTuning = Object.freeze({
  lowBattery: 0.2,
  criticalBattery: 0.1,
  cpuSamples: 3,
  cpuSettleMs: 5000,
  cpuReleaseMs: 60_000,
});

export const INITIAL_POWER_STATE: PowerState = Object.freeze({ warmCap: null, cpuCap: null, cpuSamples: 0, lastCpuStepMs: null, lastCpuSeenMs: null });

const CAPS = {
  'battery-low': { height: 480, fps: 24 },
  'battery-critical': { height: 360, fps: 15 },
  hot: { height: 360, fps: 15 },
  'power-saver': { height: 480, fps: 30 },
} as const satisfies Partial<Record<PowerReason, VideoCap>>;

/** Ties between equally strict caps go to the more urgent reason. */
const URGENCY: readonly PowerReason[] = ['hot', 'battery-critical', 'warm', 'cpu', 'battery-low', 'power-saver'];

/** Short text for the status line ("360p15 — low battery"). */
export const POWER_REASON_TEXT: Readonly<Record<PowerReason, string>> = Object.freeze({
  hot: 'your phone is hot',
  'battery-critical': 'low battery',
  warm: 'phone is warm',
  cpu: 'phone is busy',
  'battery-low': 'low battery',
  'power-saver': 'power saver',
});

/**
 * Folds one second of signals into the state and decides the cap.
 * `current` is what is being sent now (for "one rung down" caps).
 */
export function updatePower(prev: PowerState, signals: PowerSignals, current: VideoCap, tuning: PowerTuning = DEFAULT_POWER_TUNING): { state: PowerState; decision: PowerDecision } {
  const now = signals.nowMs;
  let state: PowerState = prev;

  // Heat: latch one rung below the current output when pressure becomes serious; release when it eases.
  const pressure = signals.pressure;
  if (pressure === 'serious') state = { ...state, warmCap: state.warmCap ?? capOneBelow(current) };
  else if (pressure !== 'critical') state = { ...state, warmCap: null };

  // Encoder overload.
  if (signals.limitation === 'cpu') {
    const cpuSamples = state.cpuSamples + 1;
    state = { ...state, cpuSamples, lastCpuSeenMs: now };
    const settled = state.lastCpuStepMs === null || now - state.lastCpuStepMs >= tuning.cpuSettleMs;
    if (cpuSamples >= tuning.cpuSamples && settled) {
      state = { ...state, cpuCap: capOneBelow(tighterCap(current, state.cpuCap)!), cpuSamples: 0, lastCpuStepMs: now };
    }
  } else {
    state = { ...state, cpuSamples: 0 };
    if (state.cpuCap && state.lastCpuSeenMs !== null && now - state.lastCpuSeenMs >= tuning.cpuReleaseMs) state = { ...state, cpuCap: null };
  }

  const active: Array<{ reason: PowerReason; cap: VideoCap }> = [];
  if (pressure === 'critical') active.push({ reason: 'hot', cap: CAPS.hot });
  if (state.warmCap && pressure === 'serious') active.push({ reason: 'warm', cap: state.warmCap });
  const battery = signals.battery;
  if (battery && !battery.charging) {
    if (battery.level <= tuning.criticalBattery) active.push({ reason: 'battery-critical', cap: CAPS['battery-critical'] });
    else if (battery.level <= tuning.lowBattery) active.push({ reason: 'battery-low', cap: CAPS['battery-low'] });
  }
  if (state.cpuCap) active.push({ reason: 'cpu', cap: state.cpuCap });
  if (signals.powerSaver) active.push({ reason: 'power-saver', cap: CAPS['power-saver'] });

  let cap: VideoCap | null = null;
  for (const a of active) cap = tighterCap(cap, a.cap);
  const binding = active
    .filter((a) => a.cap.height === cap!.height || a.cap.fps === cap!.fps)
    .sort((a, b) => a.cap.height - b.cap.height || a.cap.fps - b.cap.fps || URGENCY.indexOf(a.reason) - URGENCY.indexOf(b.reason))[0];
  return { state, decision: { cap, reason: binding?.reason ?? null, warning: warningFor(pressure, battery, state, tuning) } };
}

function warningFor(pressure: PressureState | null, battery: BatteryReading | null, state: PowerState, tuning: PowerTuning): string | null {
  if (pressure === 'critical') return 'Your phone is hot: quality lowered to 360p to cool it down. Take it out of the sun or off the charger.';
  const percent = battery ? Math.round(battery.level * 100) : 0;
  if (battery && !battery.charging && battery.level <= tuning.criticalBattery) return `Battery at ${percent}%: plug in to keep streaming.`;
  if (pressure === 'serious') return 'Your phone is warming up: quality lowered a step.';
  if (state.cpuCap) return 'Your phone cannot keep up with encoding: quality lowered a step.';
  if (battery && !battery.charging && battery.level <= tuning.lowBattery) return `Battery at ${percent}%: quality lowered to save power.`;
  return null;
}
