/**
 * Turns a client's /hls/… request on an edge into the request the edge may send
 * to the stream's origin. It reuses the origin's own parsers (hls-paths for the
 * URL layout, blocking-reload for _HLS_msn/_HLS_part/_HLS_skip) and rebuilds
 * the path and query from what they parsed, so nothing the client typed reaches
 * the origin verbatim: a bad path is answered here (400/404) and never proxied.
 */
import { parseDirectives } from '../../hls-bridge/live/blocking-reload.ts';
import { initUri, MASTER_PLAYLIST, mediaPlaylistUri, parseHlsPath, partUri, segmentUri } from '../../hls-bridge/origin/hls-paths.ts';

/** How the edge treats the resource: playlists change (short TTL), media never does once served. */
export type EdgeResourceKind = 'master' | 'playlist' | 'media';

export interface EdgeRequest {
  readonly streamId: string;
  readonly kind: EdgeResourceKind;
  /** True for a blocking playlist reload (_HLS_msn present): the origin holds it until the part exists. */
  readonly blocking: boolean;
  /** Canonical path and query below /hls/, e.g. `abc/480p/index.m3u8?_HLS_msn=12&_HLS_part=3`. */
  readonly upstream: string;
}

export type EdgeRequestParse = { readonly ok: true; readonly request: EdgeRequest } | { readonly ok: false; readonly status: 400 | 404; readonly reason: string };

/** Same guard as HlsOrigin: dots-dots, backslashes, encodings and NULs are refused before parsing. */
const MALFORMED = /\.\.|\\|%|\0/;

export function parseEdgeRequest(path: string, query: string): EdgeRequestParse {
  if (MALFORMED.test(path)) return { ok: false, status: 400, reason: 'malformed HLS path' };
  const resource = parseHlsPath(path);
  if (!resource) return { ok: false, status: 404, reason: 'no such HLS resource' };
  const id = resource.streamId;
  switch (resource.type) {
    case 'master':
      return { ok: true, request: { streamId: id, kind: 'master', blocking: false, upstream: `${id}/${MASTER_PLAYLIST}` } };
    case 'playlist': {
      const parsed = parseDirectives(new URLSearchParams(query));
      if (!parsed.ok) return { ok: false, status: 400, reason: parsed.reason };
      const d = parsed.directives;
      const params = [
        ...(d.msn !== undefined ? [`_HLS_msn=${d.msn}`] : []),
        ...(d.part !== undefined ? [`_HLS_part=${d.part}`] : []),
        // YES and v2 answer differently (v2 also skips date ranges): keep the client's choice.
        ...(d.skip ? [`_HLS_skip=${new URLSearchParams(query).get('_HLS_skip')}`] : []),
      ];
      const upstream = `${id}/${mediaPlaylistUri(resource.rendition)}${params.length ? `?${params.join('&')}` : ''}`;
      return { ok: true, request: { streamId: id, kind: 'playlist', blocking: d.msn !== undefined, upstream } };
    }
    case 'init':
      return media(id, resource.rendition, initUri(resource.generation));
    case 'segment':
      return media(id, resource.rendition, segmentUri(resource.msn));
    case 'part':
      return media(id, resource.rendition, partUri(resource.msn, resource.index));
  }
}

function media(streamId: string, rendition: string, file: string): EdgeRequestParse {
  return { ok: true, request: { streamId, kind: 'media', blocking: false, upstream: `${streamId}/${rendition}/${file}` } };
}
