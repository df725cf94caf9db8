/**
 * The bridge's options with their defaults in one place (hls.js config.ts style):
 * each default names its consumer. Values come from the caller (signaling reads the
 * environment); contradictory ones throw here, at construction.
 */
import { isValidStreamId } from './origin/hls-paths.ts';
import { DEFAULT_LADDER, type LadderRung } from './transcode/ladder.ts';
import type { BridgeSources } from './types.ts';

export interface HlsBridgeOptions {
  readonly streamId: string;
  readonly sources: BridgeSources;
  /** Root of HLS archives; this stream's files go under <archiveDir>/<streamId>/. */
  readonly archiveDir: string;
  /** FFMPEG_PATH; default @ffmpeg-installer/ffmpeg. */
  readonly ffmpegPath?: string;
  readonly videoEncoder?: string;
  readonly x264Preset?: string;
  readonly threads?: number;
  readonly passthrough?: boolean;
  readonly ladder?: readonly LadderRung[];
  readonly audioBitrate?: number;
  readonly maxFps?: number;
  readonly segmentTargetSec?: number;
  readonly partTargetSec?: number;
  readonly windowSegments?: number;
  readonly restartDelayMinMs?: number;
  readonly restartDelayMaxMs?: number;
  readonly stallTimeoutMs?: number;
  readonly startTimeoutMs?: number;
  readonly keyframeLeadSec?: number;
  /** The publisher's capture size if known (track settings): the ladder is planned for it even if the stream starts smaller. */
  readonly expectedVideoSize?: { readonly width: number; readonly height: number };
}

export type HlsBridgeConfig = Required<Omit<HlsBridgeOptions, 'ffmpegPath' | 'expectedVideoSize'>> & {
  readonly ffmpegPath: string | undefined;
  readonly expectedVideoSize: { readonly width: number; readonly height: number } | undefined;
};

export const bridgeDefaults = {
  videoEncoder: 'libx264', // used by ladder-args: any ffmpeg H.264 encoder name (h264_nvenc, h264_vaapi, …)
  x264Preset: 'veryfast', // used by ladder-args (libx264 only)
  threads: 0, // used by ladder-args: per encoder / filter graph, 0 = ffmpeg decides
  passthrough: true, // used by ladder: copy an H.264 source as the top rung
  ladder: DEFAULT_LADDER, // used by ladder
  audioBitrate: 96_000, // used by ladder
  maxFps: 30, // used by ladder-args: encoded rungs snap to this frame-rate grid
  segmentTargetSec: 2, // used by PartCutter / playlists: EXT-X-TARGETDURATION
  partTargetSec: 0.334, // used by PartCutter / playlists: PART-TARGET (10 frames at 30 fps)
  windowSegments: 15, // used by MediaPlaylist: 30 s live window (≥ CAN-SKIP-UNTIL, so delta updates skip)
  restartDelayMinMs: 250, // used by HlsBridge: first restart back-off, doubled per quick failure
  restartDelayMaxMs: 5000, // used by HlsBridge
  stallTimeoutMs: 6000, // used by HlsBridge: no output while input flows → restart ffmpeg
  startTimeoutMs: 10000, // used by HlsBridge: no output this long after spawn → restart ffmpeg
  keyframeLeadSec: 0.4, // used by HlsBridge: ask the publisher for a keyframe this long before a segment is due (pass-through)
} as const;

export function resolveBridgeConfig(options: HlsBridgeOptions): HlsBridgeConfig {
  const c: HlsBridgeConfig = { ...bridgeDefaults, ...stripUndefined(options), streamId: options.streamId, sources: options.sources, archiveDir: options.archiveDir, ffmpegPath: options.ffmpegPath, expectedVideoSize: options.expectedVideoSize };
  if (!isValidStreamId(c.streamId)) throw new TypeError(`HLS bridge streamId "${c.streamId}" must be 1-64 of [A-Za-z0-9_-] (it names a folder and a URL segment)`);
  if (!c.archiveDir) throw new TypeError('HLS bridge needs an archiveDir (e.g. <DATA_DIR>/hls)');
  if (!Number.isInteger(c.segmentTargetSec) || c.segmentTargetSec < 1) throw new TypeError('segmentTargetSec must be a whole number of seconds ≥ 1 (it is EXT-X-TARGETDURATION)');
  if (!(c.partTargetSec > 0) || c.partTargetSec * 2 > c.segmentTargetSec) throw new TypeError('partTargetSec must be > 0 and at most half of segmentTargetSec');
  if (c.windowSegments < 3) throw new TypeError('windowSegments must be at least 3');
  if (c.restartDelayMinMs > c.restartDelayMaxMs) throw new TypeError('restartDelayMinMs must not exceed restartDelayMaxMs');
  if (!/^[A-Za-z0-9_-]+$/.test(c.videoEncoder)) throw new TypeError(`videoEncoder "${c.videoEncoder}" is not an ffmpeg encoder name`);
  return c;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
