/**
 * The LL-HLS origin as a framework-agnostic request handler: signaling mounts it at
 * GET /hls/:id/* and passes the rest of the path. It serves the master playlist, media
 * playlists with blocking reload (_HLS_msn/_HLS_part, held until ready, bounded, 400 when
 * too far ahead) and delta updates (_HLS_skip), init segments, segments and parts (a
 * preload-hinted part is held until it exists), with CDN-friendly caching and open CORS.
 */
import { directivesSatisfied, parseDirectives, tooFarAhead, type DeliveryDirectives } from '../live/blocking-reload.ts';
import type { MediaPlaylist } from '../live/MediaPlaylist.ts';
import { initUri, parseHlsPath, segmentUri, type HlsResource } from './hls-paths.ts';

/** What the origin needs from a live stream (HlsBridge implements it). */
export interface OriginStream {
  /** Resolves true once the master playlist can be served; false on timeout or abort. */
  whenReady(signal: AbortSignal | undefined, timeoutMs: number): Promise<boolean>;
  masterPlaylist(): string;
  playlist(rendition: string): MediaPlaylist | undefined;
  renderMediaPlaylist(rendition: string, options: { skip: boolean }): string;
  /** A file that left the live window, from the archive; null if absent. */
  readArchived(rendition: string, file: string): Promise<Buffer | null>;
}

export interface HlsRequest {
  /** Path below the mount point: '<streamId>/master.m3u8', '<streamId>/720p/index.m3u8', … */
  readonly path: string;
  /** Raw query string (with or without '?') or parsed parameters. */
  readonly query?: string | URLSearchParams;
  readonly method?: string;
  /** Aborted when the client goes away: held requests are released. */
  readonly signal?: AbortSignal;
}

export interface HlsResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer | string;
}

export interface HlsOriginOptions {
  /** How long a master request waits for a starting stream. */
  readonly masterWaitMs?: number;
  /** Cap on holding a blocking playlist or part request; the spec's bound is 3 × target duration. */
  readonly maxHoldMs?: number;
}

const PLAYLIST_TYPE = 'application/vnd.apple.mpegurl';
const IMMUTABLE = 'public, max-age=31536000, immutable';
const CORS: Record<string, string> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS',
  // hls.js reads Age to place its first blocking request (RFC 8216bis appendix C).
  'Access-Control-Expose-Headers': 'Age, Date, Content-Length',
  'Timing-Allow-Origin': '*',
};

export class HlsOrigin {
  readonly #streams = new Map<string, OriginStream>();
  readonly #masterWaitMs: number;
  readonly #maxHoldMs: number;

  constructor(options: HlsOriginOptions = {}) {
    this.#masterWaitMs = options.masterWaitMs ?? 8000;
    this.#maxHoldMs = options.maxHoldMs ?? 6000;
  }

  attach(streamId: string, stream: OriginStream): void {
    this.#streams.set(streamId, stream);
  }

  detach(streamId: string): void {
    this.#streams.delete(streamId);
  }

  has(streamId: string): boolean {
    return this.#streams.has(streamId);
  }

  async handle(req: HlsRequest): Promise<HlsResponse> {
    const method = (req.method ?? 'GET').toUpperCase();
    if (method === 'OPTIONS') return { status: 204, headers: { ...CORS, 'Access-Control-Max-Age': '86400' }, body: '' };
    if (method !== 'GET' && method !== 'HEAD') return error(405, 'only GET and HEAD are served under /hls', { Allow: 'GET, HEAD, OPTIONS' });
    const res = await this.#route(req);
    return method === 'HEAD' ? { ...res, body: '' } : res;
  }

  async #route(req: HlsRequest): Promise<HlsResponse> {
    if (/\.\.|\\|%|\0/.test(req.path)) return error(400, 'malformed HLS path');
    const resource = parseHlsPath(req.path);
    if (!resource) return error(404, 'no such HLS resource');
    const stream = this.#streams.get(resource.streamId);
    if (!stream) return error(404, `unknown stream ${resource.streamId}`);
    if (resource.type === 'master') return this.#master(stream, req.signal);
    const playlist = stream.playlist(resource.rendition);
    if (!playlist) return error(404, `stream ${resource.streamId} has no rendition ${resource.rendition}`);
    const query = typeof req.query === 'string' || req.query === undefined ? new URLSearchParams(req.query ?? '') : req.query;
    switch (resource.type) {
      case 'playlist':
        return this.#mediaPlaylist(stream, playlist, resource.rendition, query, req.signal);
      case 'init':
        return this.#init(stream, playlist, resource);
      case 'segment':
        return this.#segment(stream, playlist, resource, req.signal);
      case 'part':
        return this.#part(playlist, resource, req.signal);
    }
  }

  async #master(stream: OriginStream, signal: AbortSignal | undefined): Promise<HlsResponse> {
    if (!(await stream.whenReady(signal, this.#masterWaitMs))) {
      return error(503, 'stream is starting; retry shortly', { 'Retry-After': '1' });
    }
    return ok(stream.masterPlaylist(), PLAYLIST_TYPE, 'public, max-age=2');
  }

  async #mediaPlaylist(stream: OriginStream, p: MediaPlaylist, rendition: string, query: URLSearchParams, signal: AbortSignal | undefined): Promise<HlsResponse> {
    const parsed = parseDirectives(query);
    if (!parsed.ok) return error(400, parsed.reason);
    const d = parsed.directives;
    if (tooFarAhead(p, d)) return error(400, `_HLS_msn/_HLS_part are too far ahead of the playlist (last segment ${p.lastMsn})`);
    const hold = Math.min(this.#maxHoldMs, 3 * p.targetDurationSec * 1000);
    // A plain request on a rendition that has nothing yet waits for its first part.
    const ready = (): boolean => (d.msn !== undefined ? directivesSatisfied(p, d) : p.ended || p.lastPart() !== null);
    if (!(await waitFor(p, ready, hold, signal))) {
      return error(503, 'the requested segment or part did not appear in time; reload the playlist', { 'Retry-After': '1' });
    }
    const body = stream.renderMediaPlaylist(rendition, { skip: d.skip });
    // Blocking responses name a future state, so a CDN may keep them a little longer.
    return ok(body, PLAYLIST_TYPE, isBlocking(d) ? 'public, max-age=4' : 'public, max-age=1');
  }

  async #init(stream: OriginStream, p: MediaPlaylist, r: Extract<HlsResource, { type: 'init' }>): Promise<HlsResponse> {
    const data = p.init(r.generation)?.data ?? (await stream.readArchived(r.rendition, initUri(r.generation)));
    return data ? ok(data, mediaType(p), IMMUTABLE) : error(404, 'no such init segment');
  }

  async #segment(stream: OriginStream, p: MediaPlaylist, r: Extract<HlsResource, { type: 'segment' }>, signal: AbortSignal | undefined): Promise<HlsResponse> {
    // The segment being cut is held until complete (bounded), like a preload hint.
    if (p.current?.msn === r.msn) await waitFor(p, () => p.segment(r.msn)?.complete === true || p.ended, 3 * p.targetDurationSec * 1000, signal);
    const s = p.segment(r.msn);
    if (s?.complete && s.data) return ok(s.data, mediaType(p), IMMUTABLE);
    if (s) return error(404, 'segment is not complete yet');
    const archived = await stream.readArchived(r.rendition, segmentUri(r.msn));
    return archived ? ok(archived, mediaType(p), IMMUTABLE) : error(404, 'no such segment');
  }

  async #part(p: MediaPlaylist, r: Extract<HlsResource, { type: 'part' }>, signal: AbortSignal | undefined): Promise<HlsResponse> {
    const next = p.nextPart();
    if (!p.part(r.msn, r.index) && r.msn === next.msn && r.index === next.index && !p.ended) {
      // The preload-hinted part: hold until it exists, or until it cannot (its segment closed first).
      const hinted = (): boolean => p.part(r.msn, r.index) !== undefined || p.ended || p.nextPart().msn !== r.msn;
      await waitFor(p, hinted, Math.min(this.#maxHoldMs, 3 * p.targetDurationSec * 1000), signal);
    }
    const part = p.part(r.msn, r.index);
    return part ? ok(part.data, mediaType(p), IMMUTABLE) : error(404, 'no such part');
  }
}

function isBlocking(d: DeliveryDirectives): boolean {
  return d.msn !== undefined;
}

/** Resolves true once `ready()` holds (checked on each playlist change), false on timeout or abort. */
function waitFor(p: MediaPlaylist, ready: () => boolean, timeoutMs: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (ready()) return Promise.resolve(true);
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const finish = (value: boolean): void => {
      clearTimeout(timer);
      unsubscribe();
      signal?.removeEventListener('abort', onAbort);
      resolve(value);
    };
    const onAbort = (): void => finish(false);
    const unsubscribe = p.onChange(() => {
      if (ready()) finish(true);
    });
    const timer = setTimeout(() => finish(ready()), timeoutMs);
    signal?.addEventListener('abort', onAbort);
  });
}

function mediaType(p: MediaPlaylist): string {
  return p.kind === 'audio' ? 'audio/mp4' : 'video/mp4';
}

function ok(body: Buffer | string, contentType: string, cacheControl: string): HlsResponse {
  return { status: 200, headers: { ...CORS, 'Content-Type': contentType, 'Cache-Control': cacheControl }, body };
}

function error(status: number, message: string, extra: Record<string, string> = {}): HlsResponse {
  return { status, headers: { ...CORS, 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...extra }, body: message + '\n' };
}
