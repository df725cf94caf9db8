/**
 * Serves finished streams under /vod/:id/ as a framework-agnostic handler (like HlsOrigin):
 *   master.m3u8                 VOD multivariant playlist (audio group, captions when ready)
 *   <rendition>/vod.m3u8        VOD media playlist (gaps marked, program-date-times)
 *   <rendition>/init-<g>.mp4, <rendition>/seg-<msn>.m4s   straight from the archive
 *   vod.mp4                     the stitched file, with byte ranges (seeking, resumable download)
 *   chapters.vtt, captions.vtt  WebVTT on the VOD timeline (for <track>)
 *   captions.m3u8, captions-hls.vtt   the caption track as an HLS subtitles rendition
 */
import { open, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseInitSegment } from '../fmp4/fmp4-boxes.ts';
import { isValidRenditionName, isValidStreamId } from '../origin/hls-paths.ts';
import type { RenditionIndex } from './archive-index.ts';
import { renderSubtitlesPlaylist, renderVodMasterPlaylist, renderVodMediaPlaylist, VOD_MEDIA_PLAYLIST, type VodVariant } from './vod-playlist.ts';
import type { VodLibrary, VodView } from './VodLibrary.ts';
import { CAPTIONS_VTT, CHAPTERS_VTT, MP4_FILE } from './VodStore.ts';

export interface VodRequest {
  /** Path below the mount point: '<streamId>/master.m3u8', '<streamId>/vod.mp4', … */
  readonly path: string;
  readonly method?: string;
  /** The Range header, if any. */
  readonly range?: string;
  /** Query parameters; `download=1` on vod.mp4 asks for an attachment. */
  readonly query?: URLSearchParams;
}

/** Bytes start…end (inclusive) of a file on disk: large bodies are streamed, not loaded. */
export interface FileSlice {
  readonly file: string;
  readonly start: number;
  readonly end: number;
}

export interface VodResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer | string | FileSlice;
}

export function isFileSlice(body: VodResponse['body']): body is FileSlice {
  return typeof body === 'object' && !Buffer.isBuffer(body);
}

/** Reads a response body into memory (tests, small files). */
export async function readBody(body: VodResponse['body']): Promise<Buffer> {
  if (!isFileSlice(body)) return Buffer.from(body);
  const out = Buffer.alloc(body.end - body.start + 1);
  const handle = await open(body.file, 'r');
  try {
    await handle.read(out, 0, out.length, body.start);
  } finally {
    await handle.close();
  }
  return out;
}

const PLAYLIST = 'application/vnd.apple.mpegurl';
const VTT = 'text/vtt; charset=utf-8';
const IMMUTABLE = 'public, max-age=31536000, immutable';
const CORS: Record<string, string> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS',
  'Access-Control-Allow-Headers': 'Range',
  'Access-Control-Expose-Headers': 'Content-Length, Content-Range, Accept-Ranges',
};

export class VodOrigin {
  readonly #library: VodLibrary;
  readonly #codecs = new WeakMap<RenditionIndex, Promise<{ codec: string; width?: number; height?: number; channels?: number }>>();

  constructor(library: VodLibrary) {
    this.#library = library;
  }

  async handle(req: VodRequest): Promise<VodResponse> {
    const method = (req.method ?? 'GET').toUpperCase();
    if (method === 'OPTIONS') return { status: 204, headers: { ...CORS, 'Access-Control-Max-Age': '86400' }, body: '' };
    if (method !== 'GET' && method !== 'HEAD') return error(405, 'only GET and HEAD are served under /vod', { Allow: 'GET, HEAD, OPTIONS' });
    const res = await this.#route(req);
    return method === 'HEAD' ? { ...res, body: '' } : res;
  }

  async #route(req: VodRequest): Promise<VodResponse> {
    if (/\.\.|\\|%|\0/.test(req.path)) return error(400, 'malformed VOD path');
    const parts = req.path.replace(/^\/+/, '').split('/');
    const id = parts[0] ?? '';
    if (!isValidStreamId(id)) return error(404, 'no such VOD');
    const view = await this.#library.view(id);
    if (!view) return error(404, `stream ${id} has no VOD (yet): it never went live, or it is still live`);
    if (parts.length === 2) return this.#topLevel(id, view, parts[1]!, req);
    if (parts.length === 3) return this.#renditionFile(view, parts[1]!, parts[2]!);
    return error(404, 'no such VOD resource');
  }

  async #topLevel(id: string, view: VodView, name: string, req: VodRequest): Promise<VodResponse> {
    const store = this.#library.store;
    switch (name) {
      case 'master.m3u8':
        return ok(await this.#master(id, view), PLAYLIST, 'public, max-age=10');
      case MP4_FILE: {
        const download: Record<string, string> = req.query?.get('download') === '1' ? { 'Content-Disposition': `attachment; filename="${fileName(view.manifest.title)}.mp4"` } : {};
        return fileResponse(store.file(id, MP4_FILE), 'video/mp4', req.range, download);
      }
      case CHAPTERS_VTT:
      case CAPTIONS_VTT: {
        const text = await readFile(store.file(id, name), 'utf8').catch(() => null);
        return text === null ? error(404, `${name} is not ready`) : ok(text, VTT, 'public, max-age=10');
      }
      case 'captions.m3u8':
        if (!(await exists(store.file(id, CAPTIONS_VTT)))) return error(404, 'captions are not ready');
        return ok(renderSubtitlesPlaylist(view.timeline.durationSec, 'captions-hls.vtt'), PLAYLIST, 'public, max-age=10');
      case 'captions-hls.vtt': {
        const text = await readFile(store.file(id, CAPTIONS_VTT), 'utf8').catch(() => null);
        if (text === null) return error(404, 'captions are not ready');
        // Cue times are VOD times; the segments' own clock reads shiftMs at VOD time 0.
        const map = `X-TIMESTAMP-MAP=MPEGTS:${Math.round(view.timeline.shiftMs * 90)},LOCAL:00:00:00.000`;
        return ok(text.replace(/^WEBVTT[^\n]*\n/, (head) => `${head}${map}\n`), VTT, 'public, max-age=10');
      }
      default:
        return error(404, 'no such VOD resource');
    }
  }

  async #renditionFile(view: VodView, rendition: string, file: string): Promise<VodResponse> {
    if (!isValidRenditionName(rendition)) return error(404, 'no such rendition');
    const r = view.index.renditions.find((x) => x.name === rendition);
    if (!r) return error(404, `no rendition ${rendition} in this VOD`);
    if (file === VOD_MEDIA_PLAYLIST) return ok(renderVodMediaPlaylist(r), PLAYLIST, 'public, max-age=10');
    if (!/^(init-\d{1,9}\.mp4|seg-\d{1,12}\.m4s)$/.test(file)) return error(404, 'no such VOD resource');
    const data = await readFile(path.join(view.index.dir, rendition, file)).catch(() => null);
    return data ? ok(data, r.kind === 'audio' ? 'audio/mp4' : 'video/mp4', IMMUTABLE) : error(404, `${rendition}/${file} is missing from the archive`);
  }

  async #master(id: string, view: VodView): Promise<string> {
    const top = view.index.renditions.find((r) => r.name === view.manifest.topRendition);
    const videos = view.index.renditions.filter((r) => r.kind === 'video' && top && r.presentDurationSec >= top.presentDurationSec * 0.9);
    const variants: VodVariant[] = [];
    for (const r of videos) {
      const info = await this.#codecOf(view, r);
      variants.push({ rendition: r, codec: info.codec, ...(info.width ? { width: info.width } : {}), ...(info.height ? { height: info.height } : {}) });
    }
    const audioIndex = view.index.renditions.find((r) => r.name === view.manifest.audioRendition);
    const audioInfo = audioIndex ? await this.#codecOf(view, audioIndex) : null;
    const captions = await exists(this.#library.store.file(id, CAPTIONS_VTT));
    return renderVodMasterPlaylist({
      variants,
      ...(audioIndex && audioInfo ? { audio: { rendition: audioIndex, codec: audioInfo.codec, ...(audioInfo.channels ? { channels: audioInfo.channels } : {}) } } : {}),
      ...(captions ? { subtitles: { language: 'en', name: 'English (automatic)' } } : {}),
    });
  }

  #codecOf(view: VodView, r: RenditionIndex): Promise<{ codec: string; width?: number; height?: number; channels?: number }> {
    let info = this.#codecs.get(r);
    if (!info) {
      const first = r.segments.find((s) => s.present);
      const file = first ? r.inits.get(first.generation) : [...r.inits.values()][0];
      info = (async () => {
        if (!file) return { codec: '' };
        const t = parseInitSegment(await readFile(path.join(view.index.dir, file)))[0];
        return t ? { codec: t.codec, ...(t.width ? { width: t.width } : {}), ...(t.height ? { height: t.height } : {}), ...(t.channels ? { channels: t.channels } : {}) } : { codec: '' };
      })();
      this.#codecs.set(r, info);
    }
    return info;
  }
}

/** A file with byte ranges (RFC 9110 §14): one range per request; the body is a slice to stream. */
async function fileResponse(file: string, type: string, range: string | undefined, extra: Record<string, string>): Promise<VodResponse> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch {
    return error(404, 'the MP4 is not ready yet; GET /api/vod/:id shows the job progress');
  }
  const base = { ...CORS, ...extra, 'Content-Type': type, 'Accept-Ranges': 'bytes', 'Cache-Control': 'public, max-age=3600' };
  if (size === 0) return { status: 200, headers: base, body: '' };
  if (!range) return { status: 200, headers: base, body: { file, start: 0, end: size - 1 } };
  const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
  if (!m || (m[1] === '' && m[2] === '')) return error(416, 'only single byte ranges are served', { 'Content-Range': `bytes */${size}` });
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(size - 1, Number(m[2]));
  }
  if (start >= size || end < start) return error(416, `range outside the file (${size} bytes)`, { 'Content-Range': `bytes */${size}` });
  return { status: 206, headers: { ...base, 'Content-Range': `bytes ${start}-${end}/${size}` }, body: { file, start, end } };
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

function fileName(title: string): string {
  return title.replace(/[^\w .-]+/g, '').trim().slice(0, 80) || 'stream';
}

function ok(body: Buffer | string, contentType: string, cacheControl: string): VodResponse {
  return { status: 200, headers: { ...CORS, 'Content-Type': contentType, 'Cache-Control': cacheControl }, body };
}

function error(status: number, message: string, extra: Record<string, string> = {}): VodResponse {
  return { status, headers: { ...CORS, 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...extra }, body: message + '\n' };
}
