/**
 * HLS VOD playlists over the archive (RFC 8216bis): every segment with its
 * program-date-time, EXT-X-PLAYLIST-TYPE:VOD and EXT-X-ENDLIST. A segment the disk lost
 * stays in the playlist as EXT-X-GAP (so the timeline keeps its length and chapters,
 * captions and chat stay in place) and the next present segment opens with
 * EXT-X-DISCONTINUITY; so does the first segment of a new ffmpeg generation.
 */
import { initUri, segmentUri } from '../origin/hls-paths.ts';
import type { RenditionIndex } from './archive-index.ts';

export const VOD_MEDIA_PLAYLIST = 'vod.m3u8';
export const SUBTITLES_PLAYLIST = 'captions.m3u8';

export function renderVodMediaPlaylist(r: RenditionIndex): string {
  const target = Math.max(1, ...r.segments.map((s) => Math.round(s.duration)));
  const lines = ['#EXTM3U', '#EXT-X-VERSION:8', `#EXT-X-TARGETDURATION:${target}`, '#EXT-X-PLAYLIST-TYPE:VOD', `#EXT-X-MEDIA-SEQUENCE:${r.segments[0]?.msn ?? 0}`];
  if (r.kind === 'video') lines.push('#EXT-X-INDEPENDENT-SEGMENTS');
  let generation: number | null = null;
  let afterGap = false;
  let first = true;
  for (const s of r.segments) {
    if (!s.present) {
      // The gap keeps its slot on the timeline; players skip it without loading it.
      if (s.generation !== generation && r.inits.has(s.generation)) {
        lines.push(`#EXT-X-MAP:URI="${initUri(s.generation)}"`);
        generation = s.generation;
      }
      if (generation === null) continue;
      lines.push('#EXT-X-GAP', `#EXTINF:${s.duration.toFixed(5)},`, segmentUri(s.msn));
      afterGap = true;
      continue;
    }
    const restart = !first && (afterGap || s.discontinuity || s.generation !== generation);
    if (restart) lines.push('#EXT-X-DISCONTINUITY');
    if (restart || s.generation !== generation) lines.push(`#EXT-X-MAP:URI="${initUri(s.generation)}"`);
    generation = s.generation;
    afterGap = false;
    first = false;
    lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(s.programDateTimeMs).toISOString()}`, `#EXTINF:${s.duration.toFixed(5)},`, segmentUri(s.msn));
  }
  lines.push('#EXT-X-ENDLIST');
  return lines.join('\n') + '\n';
}

export interface VodVariant {
  readonly rendition: RenditionIndex;
  /** RFC 6381 codec string of the rendition's init. */
  readonly codec: string;
  readonly width?: number;
  readonly height?: number;
}

export interface VodMasterOptions {
  readonly variants: readonly VodVariant[];
  readonly audio?: { readonly rendition: RenditionIndex; readonly codec: string; readonly channels?: number };
  /** The caption track's playlist exists. */
  readonly subtitles?: { readonly language: string; readonly name: string };
}

export function renderVodMasterPlaylist(o: VodMasterOptions): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-INDEPENDENT-SEGMENTS'];
  const audioRates = o.audio ? bitrates(o.audio.rendition) : null;
  if (o.audio) {
    const channels = o.audio.channels ? `,CHANNELS="${o.audio.channels}"` : '';
    lines.push(`#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="Audio",DEFAULT=YES,AUTOSELECT=YES${channels},URI="${o.audio.rendition.name}/${VOD_MEDIA_PLAYLIST}"`);
  }
  if (o.subtitles) {
    lines.push(`#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="${quote(o.subtitles.name)}",LANGUAGE="${quote(o.subtitles.language)}",DEFAULT=NO,AUTOSELECT=YES,URI="${SUBTITLES_PLAYLIST}"`);
  }
  for (const v of o.variants) {
    const rates = bitrates(v.rendition);
    const attrs = [
      `BANDWIDTH=${Math.round(rates.peak + (audioRates?.peak ?? 0))}`,
      `AVERAGE-BANDWIDTH=${Math.round(rates.average + (audioRates?.average ?? 0))}`,
      `CODECS="${[v.codec, o.audio?.codec].filter(Boolean).join(',')}"`,
    ];
    if (v.width && v.height) attrs.push(`RESOLUTION=${v.width}x${v.height}`);
    if (o.audio) attrs.push('AUDIO="audio"');
    if (o.subtitles) attrs.push('SUBTITLES="subs"');
    lines.push(`#EXT-X-STREAM-INF:${attrs.join(',')}`, `${v.rendition.name}/${VOD_MEDIA_PLAYLIST}`);
  }
  if (o.variants.length === 0 && o.audio && audioRates) {
    lines.push(`#EXT-X-STREAM-INF:BANDWIDTH=${Math.round(audioRates.peak)},CODECS="${o.audio.codec}"`, `${o.audio.rendition.name}/${VOD_MEDIA_PLAYLIST}`);
  }
  return lines.join('\n') + '\n';
}

/** One WebVTT segment spanning the whole VOD. */
export function renderSubtitlesPlaylist(durationSec: number, vttUri: string): string {
  return [
    '#EXTM3U', '#EXT-X-VERSION:3', `#EXT-X-TARGETDURATION:${Math.max(1, Math.ceil(durationSec))}`, '#EXT-X-PLAYLIST-TYPE:VOD', '#EXT-X-MEDIA-SEQUENCE:0',
    `#EXTINF:${durationSec.toFixed(3)},`, vttUri, '#EXT-X-ENDLIST',
  ].join('\n') + '\n';
}

function bitrates(r: RenditionIndex): { peak: number; average: number } {
  let peak = 0;
  let bytes = 0;
  let seconds = 0;
  for (const s of r.segments) {
    if (!s.present || s.duration <= 0) continue;
    peak = Math.max(peak, (s.bytes * 8) / s.duration);
    bytes += s.bytes;
    seconds += s.duration;
  }
  return { peak: peak || 1, average: seconds > 0 ? (bytes * 8) / seconds : 1 };
}

function quote(s: string): string {
  return s.replace(/["\n\r]/g, ' ');
}
