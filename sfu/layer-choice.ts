/**
 * Picks the simulcast layer one viewer should receive. Pure: the Consumer feeds
 * it the publisher's layers (lowest quality first), the viewer's preference and
 * bandwidth estimate, and keeps the returned state for the next call.
 * Hysteresis: a downgrade happens as soon as the current layer no longer fits
 * the estimate; an upgrade needs headroom that lasts upgradeHoldMs, so a viewer
 * near a threshold does not flap between layers (each switch costs a keyframe).
 */

export type LayerPreference = 'auto' | 'high' | 'mid' | 'low';

export interface LayerInfo {
  readonly rid: string;
  /** Bitrate measured over the last second, bits/s; 0 while unknown. */
  readonly bitrateBps: number;
  /** The publisher sent packets on this layer recently. */
  readonly active: boolean;
}

export interface LayerChoiceState {
  /** The layer the viewer should receive, null before any layer is known. */
  readonly rid: string | null;
  /** A higher layer that currently fits, and since when (ms) it has fitted. */
  readonly upgrade: { readonly rid: string; readonly sinceMs: number } | undefined;
}

export interface LayerChoiceInput {
  /** Ordered from lowest to highest quality. */
  readonly layers: readonly LayerInfo[];
  readonly preference: LayerPreference;
  /** The viewer's estimated available bitrate (bits/s); undefined while unknown. */
  readonly estimateBps: number | undefined;
  readonly nowMs: number;
}

export interface LayerChoiceTuning {
  /** An upgrade needs estimate >= layer bitrate × this. */
  readonly upgradeHeadroom: number;
  /** How long the headroom must last before upgrading (ms). */
  readonly upgradeHoldMs: number;
  /** Estimate assumed before the viewer reported anything (bits/s). */
  readonly unknownEstimateBps: number;
  /** Bitrates assumed for layers not measured yet, for 1, 2 or 3 layers, lowest first (bits/s). */
  readonly nominalBitratesBps: readonly number[];
}

export const DEFAULT_LAYER_TUNING: LayerChoiceTuning = Object.freeze({
  upgradeHeadroom: 1.25,
  upgradeHoldMs: 2000,
  unknownEstimateBps: 1_500_000,
  nominalBitratesBps: Object.freeze([150_000, 500_000, 1_500_000]),
});

export const INITIAL_LAYER_STATE: LayerChoiceState = Object.freeze({ rid: null, upgrade: undefined });

/** Index of a pinned preference among `count` layers (lowest first). */
export function pinnedIndex(preference: Exclude<LayerPreference, 'auto'>, count: number): number {
  if (count <= 1) return 0;
  if (preference === 'high') return count - 1;
  if (preference === 'low') return 0;
  return Math.floor((count - 1) / 2);
}

export function chooseLayer(prev: LayerChoiceState, input: LayerChoiceInput, tuning: LayerChoiceTuning = DEFAULT_LAYER_TUNING): LayerChoiceState {
  const { layers } = input;
  if (layers.length === 0) return INITIAL_LAYER_STATE;
  const activeIdx = layers.map((l, i) => (l.active ? i : -1)).filter((i) => i >= 0);
  if (activeIdx.length === 0) {
    // Nothing flows: keep what we had (it may resume), else start from the lowest layer.
    return { rid: prev.rid ?? layers[0]!.rid, upgrade: undefined };
  }

  if (input.preference !== 'auto') {
    return { rid: layers[nearestActive(activeIdx, pinnedIndex(input.preference, layers.length))]!.rid, upgrade: undefined };
  }

  const estimate = input.estimateBps ?? tuning.unknownEstimateBps;
  const bitrate = (i: number): number => layers[i]!.bitrateBps || nominalBitrate(i, layers.length, tuning);
  const fits = (i: number, headroom: number): boolean => bitrate(i) * headroom <= estimate;
  const lowest = activeIdx[0]!;
  const highestFitting = (headroom: number): number => {
    let best = -1;
    for (const i of activeIdx) if (fits(i, headroom)) best = i;
    return best;
  };

  const current = prev.rid === null ? -1 : layers.findIndex((l) => l.rid === prev.rid);
  if (current === -1 || !layers[current]!.active) {
    // First choice, or the current layer stopped: go straight to what fits (with headroom).
    const pick = highestFitting(tuning.upgradeHeadroom);
    return { rid: layers[pick === -1 ? lowest : pick]!.rid, upgrade: undefined };
  }

  if (!fits(current, 1)) {
    const pick = highestFitting(1);
    return { rid: layers[pick === -1 ? lowest : pick]!.rid, upgrade: undefined };
  }

  const candidate = highestFitting(tuning.upgradeHeadroom);
  if (candidate <= current) return { rid: prev.rid, upgrade: undefined };
  const candidateRid = layers[candidate]!.rid;
  const sinceMs = prev.upgrade?.rid === candidateRid ? prev.upgrade.sinceMs : input.nowMs;
  if (input.nowMs - sinceMs >= tuning.upgradeHoldMs) return { rid: candidateRid, upgrade: undefined };
  return { rid: prev.rid, upgrade: { rid: candidateRid, sinceMs } };
}

/** The active layer at `target`, else the closest below it, else the closest above. */
function nearestActive(activeIdx: readonly number[], target: number): number {
  let below = -1;
  for (const i of activeIdx) if (i <= target) below = i;
  if (below !== -1) return below;
  return activeIdx[0]!;
}

function nominalBitrate(index: number, count: number, tuning: LayerChoiceTuning): number {
  const table = tuning.nominalBitratesBps;
  const offset = Math.max(0, table.length - count);
  return table[Math.min(table.length - 1, index + offset)] ?? table[table.length - 1] ?? 0;
}

/** Rid ladders in common use, lowest quality first. */
const KNOWN_LADDERS: ReadonlyArray<readonly string[]> = [
  ['q', 'h', 'f'],
  ['l', 'm', 'h'],
  ['low', 'mid', 'high'],
  ['low', 'medium', 'high'],
  ['lo', 'mid', 'hi'],
  ['r0', 'r1', 'r2'],
  ['0', '1', '2'],
];

/**
 * Orders the publisher's rids lowest quality first. Known names (q/h/f,
 * low/mid/high, r0/r1/r2, ...) decide; otherwise the offer's a=simulcast order
 * is kept, which by convention (and in Chromium's examples) lists low to high.
 */
export function orderRids(rids: readonly string[]): string[] {
  const lower = rids.map((r) => r.toLowerCase());
  for (const ladder of KNOWN_LADDERS) {
    if (lower.every((r) => ladder.includes(r))) {
      return [...rids].sort((a, b) => ladder.indexOf(a.toLowerCase()) - ladder.indexOf(b.toLowerCase()));
    }
  }
  return [...rids];
}
