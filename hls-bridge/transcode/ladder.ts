/**
 * Plans the ABR ladder for a source: the rungs at or below the source's size (by its
 * short side, so portrait phone video gets the same ladder), the source itself as the
 * top rung passed through untouched when it is H.264, and one AAC audio rendition.
 */
import type { VideoCodecName } from '../ingest/video-payload.ts';

export interface LadderRung {
  /** Short side in pixels (720 for 1280x720 and for 720x1280). */
  readonly height: number;
  /** Target video bit rate, bits/s. */
  readonly bitrate: number;
}

export const DEFAULT_LADDER: readonly LadderRung[] = [
  { height: 1080, bitrate: 4_500_000 },
  { height: 720, bitrate: 2_500_000 },
  { height: 480, bitrate: 1_000_000 },
  { height: 360, bitrate: 600_000 },
];

export interface SourceVideo {
  readonly codec: VideoCodecName;
  readonly width: number;
  readonly height: number;
}

export interface VideoRendition {
  readonly kind: 'video';
  /** Also the URL folder: '720p'. */
  readonly name: string;
  readonly width: number;
  readonly height: number;
  /** Passed through from the source without re-encoding. */
  readonly copy: boolean;
  /** Target (encoded) or estimate (copied) in bits/s, until segments are measured. */
  readonly bitrate: number;
  /** H.264 level for the encoder, e.g. '3.1'. */
  readonly level: string;
}

export interface AudioRendition {
  readonly kind: 'audio';
  readonly name: 'audio';
  readonly bitrate: number;
  readonly channels: number;
  readonly sampleRate: number;
}

export type RenditionPlan = VideoRendition | AudioRendition;

export interface LadderInput {
  readonly video?: SourceVideo;
  readonly audio: boolean;
  readonly ladder?: readonly LadderRung[];
  /** Copy an H.264 source as the top rung (default true). */
  readonly passthrough?: boolean;
  readonly audioBitrate?: number;
  readonly maxFps?: number;
}

export function planLadder(input: LadderInput): RenditionPlan[] {
  const out: RenditionPlan[] = [];
  const fps = input.maxFps ?? 30;
  const ladder = [...(input.ladder ?? DEFAULT_LADDER)].sort((a, b) => b.height - a.height);
  const src = input.video;
  if (src) {
    const short = Math.min(src.width, src.height);
    const copy = src.codec === 'h264' && (input.passthrough ?? true);
    if (copy) {
      out.push({ kind: 'video', name: `${short}p`, width: src.width, height: src.height, copy: true, bitrate: estimateBitrate(ladder, short), level: h264Level(src.width, src.height, fps) });
    }
    // A rung within 5% of a copied source would duplicate it; without copy, encode rungs up to the source.
    const fits = ladder.filter((r) => (copy ? r.height < short * 0.95 : r.height <= short));
    for (const rung of fits) out.push(encodedRung(src, rung.height, rung.bitrate, fps));
    if (!copy && fits.length === 0) out.push(encodedRung(src, evenFloor(short), estimateBitrate(ladder, short), fps));
  }
  if (input.audio) out.push({ kind: 'audio', name: 'audio', bitrate: input.audioBitrate ?? 96_000, channels: 2, sampleRate: 48000 });
  return out;
}

function encodedRung(src: SourceVideo, short: number, bitrate: number, fps: number): VideoRendition {
  const landscape = src.width >= src.height;
  const long = evenRound((short * Math.max(src.width, src.height)) / Math.min(src.width, src.height));
  const width = landscape ? long : short;
  const height = landscape ? short : long;
  return { kind: 'video', name: `${short}p`, width, height, copy: false, bitrate, level: h264Level(width, height, fps) };
}

function estimateBitrate(ladder: readonly LadderRung[], short: number): number {
  let best = ladder[0] ?? { height: 720, bitrate: 2_500_000 };
  for (const r of ladder) if (Math.abs(r.height - short) < Math.abs(best.height - short)) best = r;
  return Math.round(best.bitrate * (short / best.height) ** 2);
}

/** Lowest H.264 level (Table A-1) whose frame size and macroblock rate fit. */
export function h264Level(width: number, height: number, fps: number): string {
  const mbs = Math.ceil(width / 16) * Math.ceil(height / 16);
  const levels: [string, number, number][] = [
    ['3.0', 1620, 40500],
    ['3.1', 3600, 108000],
    ['3.2', 5120, 216000],
    ['4.0', 8192, 245760],
    ['4.2', 8704, 522240],
    ['5.1', 36864, 983040],
    ['5.2', 36864, 2073600],
  ];
  for (const [name, maxFs, maxMbps] of levels) if (mbs <= maxFs && mbs * fps <= maxMbps) return name;
  return '6.2';
}

function evenRound(n: number): number {
  return Math.max(2, Math.round(n / 2) * 2);
}

function evenFloor(n: number): number {
  return Math.max(2, Math.floor(n / 2) * 2);
}
