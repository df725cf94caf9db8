/**
 * Prints playlists (RFC 8216bis): the multivariant (master) playlist and the LL-HLS
 * media playlist with parts, preload hint, server control, delta updates and rendition
 * reports. Pure functions of the playlist state, so tests can check every rule.
 */
import { initUri, partUri, segmentUri } from '../origin/hls-paths.ts';
import type { MediaPlaylist, Segment } from './MediaPlaylist.ts';

export interface RenditionReport {
  /** Relative to the media playlist, e.g. '../480p/index.m3u8'. */
  readonly uri: string;
  readonly lastMsn: number;
  readonly lastPart: number;
}

export interface MediaRenderOptions {
  /** _HLS_skip=YES was asked: leave out segments older than CAN-SKIP-UNTIL. */
  readonly skip?: boolean;
  readonly renditionReports?: readonly RenditionReport[];
}

/** Server-control figures derived from the targets (the spec's minimums, as Apple recommends). */
export function serverControl(p: Pick<MediaPlaylist, 'partTargetSec' | 'targetDurationSec'>): { partHoldBack: number; holdBack: number; canSkipUntil: number } {
  return { partHoldBack: round3(3 * p.partTargetSec), holdBack: 3 * p.targetDurationSec, canSkipUntil: 6 * p.targetDurationSec };
}

export function renderMediaPlaylist(p: MediaPlaylist, options: MediaRenderOptions = {}): string {
  const segments = p.segments;
  const current = p.current && p.current.parts.length > 0 ? p.current : null;
  const control = serverControl(p);
  const skipped = options.skip ? skippableCount(segments, control.canSkipUntil) : 0;
  const maxExtinf = segments.reduce((m, s) => Math.max(m, Math.round(s.duration)), 0);
  const lines = [
    '#EXTM3U',
    `#EXT-X-VERSION:${skipped > 0 ? 9 : 6}`,
    `#EXT-X-TARGETDURATION:${Math.max(Math.ceil(p.targetDurationSec), maxExtinf)}`,
    `#EXT-X-PART-INF:PART-TARGET=${fixed(p.partTargetSec, 3)}`,
    `#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=${fixed(control.partHoldBack, 3)},HOLD-BACK=${fixed(control.holdBack, 3)},CAN-SKIP-UNTIL=${fixed(control.canSkipUntil, 3)}`,
    `#EXT-X-MEDIA-SEQUENCE:${p.mediaSequence}`,
    `#EXT-X-DISCONTINUITY-SEQUENCE:${p.discontinuitySequence}`,
  ];
  if (skipped > 0) lines.push(`#EXT-X-SKIP:SKIPPED-SEGMENTS=${skipped}`);
  const firstPartSegment = segments.length - p.partSegments;
  let mapGeneration: number | null = null;
  const listed: Segment[] = segments.slice(skipped);
  if (current) listed.push(current);
  for (const s of listed) {
    if (s.discontinuity) lines.push('#EXT-X-DISCONTINUITY');
    if (s.generation !== mapGeneration) {
      lines.push(`#EXT-X-MAP:URI="${initUri(s.generation)}"`);
      mapGeneration = s.generation;
    }
    lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(s.programDateTimeMs).toISOString()}`);
    const withParts = s === current || segments.indexOf(s) >= firstPartSegment;
    if (withParts) {
      for (const part of s.parts) {
        lines.push(`#EXT-X-PART:DURATION=${fixed(part.duration, 5)},URI="${partUri(part.msn, part.index)}"${part.independent ? ',INDEPENDENT=YES' : ''}`);
      }
    }
    if (s.complete) {
      lines.push(`#EXTINF:${fixed(s.duration, 5)},`);
      lines.push(segmentUri(s.msn));
    }
  }
  if (p.ended) {
    lines.push('#EXT-X-ENDLIST');
  } else {
    const next = p.nextPart();
    lines.push(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="${partUri(next.msn, next.index)}"`);
  }
  for (const r of options.renditionReports ?? []) {
    if (r.lastMsn < 0) continue;
    lines.push(`#EXT-X-RENDITION-REPORT:URI="${r.uri}",LAST-MSN=${r.lastMsn},LAST-PART=${r.lastPart}`);
  }
  return lines.join('\n') + '\n';
}

/** Leading segments that end more than CAN-SKIP-UNTIL before the end of the playlist. */
function skippableCount(segments: readonly Segment[], canSkipUntil: number): number {
  let after = 0;
  let i = segments.length;
  while (i > 0 && after < canSkipUntil - 1e-6) after += segments[--i]!.duration;
  // Segments [0, i) all start more than canSkipUntil before the end.
  return after >= canSkipUntil - 1e-6 ? i : 0;
}

export interface MasterVariant {
  readonly uri: string;
  readonly bandwidth: number;
  readonly averageBandwidth: number;
  readonly codecs: string;
  readonly width?: number;
  readonly height?: number;
  readonly frameRate?: number;
}

export interface MasterAudio {
  readonly uri: string;
  readonly name: string;
  readonly channels?: number;
}

/**
 * Video variants reference the audio group; the audio playlist is also listed as an
 * audio-only variant (its own CODECS, no RESOLUTION) for clients that want only sound.
 */
export function renderMasterPlaylist(variants: readonly MasterVariant[], audio: MasterAudio | null, audioOnly: MasterVariant | null): string {
  // No EXT-X-INDEPENDENT-SEGMENTS: a segment cut without a keyframe (late source keyframe) is not independent.
  const lines = ['#EXTM3U', '#EXT-X-VERSION:6'];
  const group = 'audio';
  if (audio) {
    const channels = audio.channels ? `,CHANNELS="${audio.channels}"` : '';
    lines.push(`#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="${group}",NAME="${audio.name}",DEFAULT=YES,AUTOSELECT=YES${channels},URI="${audio.uri}"`);
  }
  for (const v of [...variants].sort((a, b) => b.bandwidth - a.bandwidth)) {
    const attrs = [`BANDWIDTH=${Math.round(v.bandwidth)}`, `AVERAGE-BANDWIDTH=${Math.round(v.averageBandwidth)}`, `CODECS="${v.codecs}"`];
    if (v.width && v.height) attrs.push(`RESOLUTION=${v.width}x${v.height}`);
    if (v.frameRate) attrs.push(`FRAME-RATE=${fixed(v.frameRate, 3)}`);
    if (audio) attrs.push(`AUDIO="${group}"`);
    lines.push(`#EXT-X-STREAM-INF:${attrs.join(',')}`, v.uri);
  }
  if (audioOnly) {
    const attrs = [`BANDWIDTH=${Math.round(audioOnly.bandwidth)}`, `AVERAGE-BANDWIDTH=${Math.round(audioOnly.averageBandwidth)}`, `CODECS="${audioOnly.codecs}"`];
    if (audio) attrs.push(`AUDIO="${group}"`);
    lines.push(`#EXT-X-STREAM-INF:${attrs.join(',')}`, audioOnly.uri);
  }
  return lines.join('\n') + '\n';
}

function fixed(n: number, digits: number): string {
  return n.toFixed(digits);
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
