/**
 * The ffmpeg command line for one generation: RTP in (SDP on loopback UDP), one
 * fragmented-MP4 output per rendition on its own pipe (fd 3 + i). Video fragments hold
 * one frame each and audio fragments about 64 ms, so the origin can cut parts anywhere
 * it likes. Keyframes are aligned across rungs: forced on a fixed grid, or copied from
 * the source's own keyframes when the top rung is passed through.
 */
import type { RenditionPlan, VideoRendition } from './ladder.ts';

export type KeyframePolicy = { readonly mode: 'interval'; readonly seconds: number } | { readonly mode: 'source' };

export interface FfmpegArgsOptions {
  /** Input options ending in -i …: rtpInputArgs(sdpPath) live, or a file for benchmarks. */
  readonly input: readonly string[];
  /** Output i goes to pipe:(3 + i). */
  readonly renditions: readonly RenditionPlan[];
  readonly videoEncoder: string;
  /** libx264 -preset. */
  readonly preset: string;
  /** Threads per encoder/filter graph; 0 lets ffmpeg decide. */
  readonly threads: number;
  readonly maxFps: number;
  readonly keyframes: KeyframePolicy;
  /** Longest audio fragment, µs. */
  readonly audioFragmentUs?: number;
}

const FRAGMENTED = ['-f', 'mp4', '-flush_packets', '1', '-max_muxing_queue_size', '1024'];

/** RTP described by an SDP file on loopback UDP. */
export function rtpInputArgs(sdpPath: string): string[] {
  return [
    '-protocol_whitelist', 'file,udp,rtp',
    // Short probing: the first packet is a keyframe and codecs come from the SDP. Probing
    // more than ~6 frames also makes ffmpeg misdate the first H.264 frames.
    '-fpsprobesize', '0', '-analyzeduration', '100000',
    '-buffer_size', String(4 * 1024 * 1024),
    '-i', sdpPath,
  ];
}

export function buildFfmpegArgs(o: FfmpegArgsOptions): string[] {
  const args = [
    '-hide_banner', '-nostdin', '-loglevel', 'level+warning', '-stats',
    ...o.input,
    // Snap encoded frames to the output frame-rate grid, dropping (never duplicating) extras.
    '-vsync', 'vfr',
  ];
  if (o.threads > 0) args.push('-filter_threads', String(o.threads), '-filter_complex_threads', String(o.threads));
  const encoded = o.renditions.filter((r): r is VideoRendition => r.kind === 'video' && !r.copy);
  if (encoded.length > 0) args.push('-filter_complex', scaleGraph(encoded));
  o.renditions.forEach((r, i) => {
    const pipe = `pipe:${3 + i}`;
    if (r.kind === 'audio') {
      args.push(
        '-map', '0:a', '-c:a', 'aac', '-b:a', String(r.bitrate), '-ac', String(r.channels), '-ar', String(r.sampleRate),
        // Fill gaps (Opus DTX, loss) with silence so the AAC timeline stays continuous.
        '-af', 'aresample=async=1',
        ...FRAGMENTED, '-movflags', '+empty_moov+default_base_moof', '-frag_duration', String(o.audioFragmentUs ?? 60000), pipe,
      );
      return;
    }
    if (r.copy) {
      args.push('-map', '0:v', '-c:v', 'copy', ...FRAGMENTED, '-movflags', '+empty_moov+default_base_moof+frag_every_frame', pipe);
      return;
    }
    args.push('-map', `[${labelOf(r)}]`, ...videoEncoderArgs(o, r), ...FRAGMENTED, '-movflags', '+empty_moov+default_base_moof+frag_every_frame', pipe);
  });
  return args;
}

function videoEncoderArgs(o: FfmpegArgsOptions, r: VideoRendition): string[] {
  const keyframes = o.keyframes.mode === 'source' ? 'source' : `expr:gte(t,n_forced*${o.keyframes.seconds})`;
  const args = ['-c:v', o.videoEncoder];
  if (o.videoEncoder === 'libx264') {
    // No scene-cut keyframes: every rung must have keyframes at the same instants.
    args.push('-preset', o.preset, '-tune', 'zerolatency', '-profile:v', 'high', '-level:v', r.level, '-sc_threshold', '0');
  }
  args.push(
    '-b:v', String(r.bitrate), '-maxrate', String(Math.round(r.bitrate * 1.1)), '-bufsize', String(r.bitrate),
    '-g', '100000', '-force_key_frames', keyframes,
    '-r', String(o.maxFps), '-pix_fmt', 'yuv420p',
  );
  if (o.threads > 0) args.push('-threads', String(o.threads));
  return args;
}

/** One decode, split once, each branch letterboxed into its rung's exact size. */
function scaleGraph(rungs: readonly VideoRendition[]): string {
  const branches = rungs.map((r) => `s_${r.name}`);
  const head = rungs.length === 1 ? `[0:v]null[${branches[0]}]` : `[0:v]split=${rungs.length}${branches.map((b) => `[${b}]`).join('')}`;
  // Fixed output sizes keep the encoders valid if the source changes resolution mid-stream.
  const chains = rungs.map(
    (r, i) => `[${branches[i]}]scale=${r.width}:${r.height}:force_original_aspect_ratio=decrease,pad=${r.width}:${r.height}:(ow-iw)/2:(oh-ih)/2,setsar=1[${labelOf(r)}]`,
  );
  return [head, ...chains].join(';');
}

function labelOf(r: VideoRendition): string {
  return `v_${r.name}`;
}
