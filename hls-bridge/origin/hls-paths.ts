/**
 * The URL layout under /hls/:id/ — one place that prints names into playlists and
 * parses them back from requests. Parsing accepts only these shapes, so a request can
 * never name a file outside the stream's folder (no dots, slashes or encodings slip in).
 *
 *   master.m3u8
 *   <rendition>/index.m3u8
 *   <rendition>/init-<generation>.mp4
 *   <rendition>/seg-<msn>.m4s
 *   <rendition>/part-<msn>.<index>.m4s
 */

export const MASTER_PLAYLIST = 'master.m3u8';
export const MEDIA_PLAYLIST = 'index.m3u8';

export const initUri = (generation: number): string => `init-${generation}.mp4`;
export const segmentUri = (msn: number): string => `seg-${msn}.m4s`;
export const partUri = (msn: number, index: number): string => `part-${msn}.${index}.m4s`;
export const mediaPlaylistUri = (rendition: string): string => `${rendition}/${MEDIA_PLAYLIST}`;

export type HlsResource =
  | { readonly type: 'master'; readonly streamId: string }
  | { readonly type: 'playlist'; readonly streamId: string; readonly rendition: string }
  | { readonly type: 'init'; readonly streamId: string; readonly rendition: string; readonly generation: number }
  | { readonly type: 'segment'; readonly streamId: string; readonly rendition: string; readonly msn: number }
  | { readonly type: 'part'; readonly streamId: string; readonly rendition: string; readonly msn: number; readonly index: number };

const STREAM_ID = /^[A-Za-z0-9_-]{1,64}$/;
const RENDITION = /^[a-z0-9]{1,16}$/;
const INIT = /^init-(\d{1,9})\.mp4$/;
const SEGMENT = /^seg-(\d{1,12})\.m4s$/;
const PART = /^part-(\d{1,12})\.(\d{1,4})\.m4s$/;

/** Parses "<id>/…" (leading slashes ignored); null for anything that is not one of the shapes above. */
export function parseHlsPath(path: string): HlsResource | null {
  const parts = path.replace(/^\/+/, '').split('/');
  const streamId = parts[0] ?? '';
  if (!STREAM_ID.test(streamId)) return null;
  if (parts.length === 2 && parts[1] === MASTER_PLAYLIST) return { type: 'master', streamId };
  if (parts.length !== 3) return null;
  const rendition = parts[1]!;
  const file = parts[2]!;
  if (!RENDITION.test(rendition)) return null;
  if (file === MEDIA_PLAYLIST) return { type: 'playlist', streamId, rendition };
  let m = INIT.exec(file);
  if (m) return { type: 'init', streamId, rendition, generation: Number(m[1]) };
  m = SEGMENT.exec(file);
  if (m) return { type: 'segment', streamId, rendition, msn: Number(m[1]) };
  m = PART.exec(file);
  if (m) return { type: 'part', streamId, rendition, msn: Number(m[1]), index: Number(m[2]) };
  return null;
}

export function isValidStreamId(id: string): boolean {
  return STREAM_ID.test(id);
}

export function isValidRenditionName(name: string): boolean {
  return RENDITION.test(name);
}
