/**
 * The publisher's uplink quality ladder and how one rung maps onto the video
 * sender's encodings. Pure: the UplinkController picks the rung, this module
 * says what that means for a given camera and what it costs in bits.
 *
 * Heights are the picture's short side, so a phone held upright (720x1280)
 * is "720p" like a landscape one. A rung never asks for more than the camera
 * gives: its output is clamped to the source and to any power cap.
 */

export interface Rung {
  /** Short side, px. */
  readonly height: number;
  readonly fps: number;
  /** What this rung's top layer may use, bits/s. */
  readonly bitrate: number;
}

/** Best first. Index 0 is the top rung. */
export const LADDER: readonly Rung[] = Object.freeze([
  { height: 1080, fps: 30, bitrate: 2_500_000 },
  { height: 720, fps: 30, bitrate: 1_500_000 },
  { height: 480, fps: 30, bitrate: 800_000 },
  { height: 360, fps: 24, bitrate: 450_000 },
  { height: 360, fps: 15, bitrate: 250_000 },
]);

export const LAST_RUNG = LADDER.length - 1;

/** A ceiling on what is sent: the camera's own size and rate, or a power policy's cap. */
export interface VideoCap {
  readonly height: number;
  readonly fps: number;
}

export interface VideoSource {
  readonly width: number;
  readonly height: number;
  readonly fps: number;
}

/** One rung as it will actually be sent from this source under this cap. */
export interface RungOutput {
  readonly index: number;
  readonly height: number;
  readonly fps: number;
  readonly bitrate: number;
  /** "720p30". */
  readonly label: string;
}

export function shortSide(source: { width: number; height: number }): number {
  return Math.min(source.width, source.height);
}

export function rungLabel(height: number, fps: number): string {
  return `${Math.round(height)}p${Math.round(fps)}`;
}

/** The rung at `index`, no larger than the source nor the cap. A clamped rung's bitrate shrinks with its picture. */
export function rungOutput(index: number, source: VideoSource, cap: VideoCap | null = null): RungOutput {
  const rung = LADDER[Math.max(0, Math.min(LAST_RUNG, index))]!;
  const height = Math.min(rung.height, shortSide(source), cap?.height ?? Infinity);
  const fps = Math.min(rung.fps, source.fps > 0 ? source.fps : rung.fps, cap?.fps ?? Infinity);
  // Encoded bits grow slower than pixels (exponent 1.5 on the side, i.e. 0.75 on the area) and about linearly with rate.
  const bitrate = Math.round(rung.bitrate * Math.min(1, (height / rung.height) ** 1.5) * Math.min(1, fps / rung.fps));
  return { index, height, fps, bitrate, label: rungLabel(height, fps) };
}

/**
 * The best rung this source can use under this cap: the *lowest* rung whose output is
 * still the best output (a 720p camera's top rung is 720p30, not a clamped 1080p30;
 * a 640x360 test pattern's is 480p30 sent as 360p30).
 */
export function topRung(source: VideoSource, cap: VideoCap | null = null): number {
  const best = rungOutput(0, source, cap);
  let top = 0;
  for (let i = 1; i <= LAST_RUNG; i++) {
    const out = rungOutput(i, source, cap);
    if (out.height === best.height && out.fps === best.fps) top = i;
    else break;
  }
  return top;
}

/** The first ladder rung strictly below `current` (lower picture, or same picture and lower rate); the last rung at the bottom. */
export function capOneBelow(current: VideoCap): VideoCap {
  const below = LADDER.find((r) => r.height < current.height || (r.height === current.height && r.fps < current.fps)) ?? LADDER[LAST_RUNG]!;
  return { height: below.height, fps: below.fps };
}

/** The stricter of two caps, field by field. */
export function tighterCap(a: VideoCap | null, b: VideoCap | null): VideoCap | null {
  if (!a) return b;
  if (!b) return a;
  return { height: Math.min(a.height, b.height), fps: Math.min(a.fps, b.fps) };
}

/** One send encoding as created (simulcast layer or the single stream). */
export interface BaseEncoding {
  readonly rid?: string;
  readonly scaleResolutionDownBy: number;
  readonly maxBitrate: number;
  readonly maxFramerate: number;
}

/** What to write into each encoding for a rung, same order and length as the base encodings. */
export interface EncodingPlan {
  readonly rid?: string;
  readonly active: boolean;
  readonly scaleResolutionDownBy: number;
  readonly maxBitrate: number;
  readonly maxFramerate: number;
}

export interface RungPlan {
  readonly encodings: EncodingPlan[];
  /** Sum of the active encodings' bitrate caps: what the uplink must carry for this rung. */
  readonly needBps: number;
}

/**
 * Maps a rung onto the sender's encodings. One encoding: scale and cap it to the rung.
 * Simulcast (layers at fixed fractions of the source): layers larger than the rung are
 * switched off top-first; the top remaining layer is scaled down to the rung when no
 * lower layer reaches its height, so a 720p source on the 480p rung sends 480/360/180
 * rather than dropping straight to 360. Lower layers keep their size, capped to the rung's rate.
 */
export function planRung(base: readonly BaseEncoding[], source: VideoSource, out: RungOutput): RungPlan {
  const side = shortSide(source);
  const fpsScale = (layerFps: number): number => Math.min(1, out.fps / Math.max(1, layerFps));
  if (base.length <= 1) {
    const b = base[0];
    const maxBitrate = Math.min(out.bitrate, b?.maxBitrate ?? Infinity);
    const plan: EncodingPlan = { ...(b?.rid ? { rid: b.rid } : {}), active: true, scaleResolutionDownBy: Math.max(1, side / out.height), maxBitrate, maxFramerate: out.fps };
    return { encodings: [plan], needBps: maxBitrate };
  }
  // Work top-down by layer size (largest first), then restore the sender's order.
  const order = base.map((b, i) => ({ b, i, layerSide: side / Math.max(1, b.scaleResolutionDownBy) })).sort((x, y) => y.layerSide - x.layerSide);
  const plans: EncodingPlan[] = new Array(base.length);
  let topChosen = false;
  for (let k = 0; k < order.length; k++) {
    const { b, i, layerSide } = order[k]!;
    const rid = b.rid ? { rid: b.rid } : {};
    const nextSide = order[k + 1]?.layerSide ?? 0;
    if (!topChosen && layerSide > out.height + 0.5) {
      if (nextSide >= out.height - 0.5) {
        plans[i] = { ...rid, active: false, scaleResolutionDownBy: b.scaleResolutionDownBy, maxBitrate: b.maxBitrate, maxFramerate: b.maxFramerate };
        continue;
      }
      // No smaller layer reaches the rung's height: this one is scaled down to it.
      plans[i] = { ...rid, active: true, scaleResolutionDownBy: side / out.height, maxBitrate: Math.min(out.bitrate, b.maxBitrate), maxFramerate: out.fps };
      topChosen = true;
      continue;
    }
    const maxBitrate = topChosen ? Math.round(b.maxBitrate * fpsScale(b.maxFramerate)) : Math.min(out.bitrate, b.maxBitrate);
    plans[i] = { ...rid, active: true, scaleResolutionDownBy: b.scaleResolutionDownBy, maxBitrate, maxFramerate: Math.min(b.maxFramerate, out.fps) };
    topChosen = true;
  }
  const needBps = plans.reduce((sum, p) => sum + (p.active ? p.maxBitrate : 0), 0);
  return { encodings: plans, needBps };
}
