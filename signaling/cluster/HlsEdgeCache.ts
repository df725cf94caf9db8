/**
 * LL-HLS on a node that does not transcode the stream: a CDN-shield-like cache
 * in front of the stream's origin node (where HlsService runs the bridge).
 *
 * - Every request is validated and rebuilt first (hls-edge-request.ts); the
 *   origin only ever sees canonical paths and directives.
 * - One upstream request per distinct resource at a time: viewers asking for the
 *   same playlist+msn+part (a blocking reload the origin holds until the part
 *   exists), part, segment or init wait on the same fetch (coalescing).
 * - 200 answers are kept in one LRU bounded by bytes: media (immutable) for up
 *   to mediaTtlMs, playlists for at most playlistTtlMs (and never past the
 *   origin's own max-age). Content-Type, Cache-Control and Retry-After pass through.
 * - Byte ranges are served from the cached body (206/416).
 * - The origin failing is answered 502 (unreachable, bad status, oversized) or 504
 *   (no answer in time) with the reason; the origin's own 4xx and 503 pass through.
 */
import type { Registry } from 'prom-client';
import type { HlsResponse } from '../../hls-bridge/index.ts';
import { createLogger } from '../logger.ts';
import { ByteLruCache } from './ByteLruCache.ts';
import { resolveRange } from './byte-range.ts';
import { parseEdgeRequest, type EdgeRequest } from './hls-edge-request.ts';
import { HlsEdgeMetrics, type EdgeResult, type UpstreamErrorReason } from './HlsEdgeMetrics.ts';
import type { HlsOriginNode } from './HlsOriginLocator.ts';

const logger = createLogger('signaling:cluster:HlsEdgeCache');

export interface HlsEdgeRequest {
  /** Path below /hls/: '<streamId>/master.m3u8', '<streamId>/480p/part-12.3.m4s', … */
  readonly path: string;
  /** Raw query string, without '?'. */
  readonly query: string;
  readonly method: string;
  /** The client's Range header, if any. */
  readonly range?: string | undefined;
}

export interface HlsEdgeCacheOptions {
  /** The node transcoding a stream (HlsOriginLocator.find), or undefined when none does. */
  readonly locate: (streamId: string) => HlsOriginNode | undefined;
  /** The node's metrics registry (`GET /metrics`). */
  readonly registry?: Registry;
  /** Bound on cached bytes (LRU beyond it). */
  readonly maxBytes?: number;
  /** Longest a playlist answer is reused. */
  readonly playlistTtlMs?: number;
  /** Longest a part, segment or init segment is kept. */
  readonly mediaTtlMs?: number;
  /** Whole upstream exchange, body included; above the origin's longest hold of a blocking request (6 s). */
  readonly upstreamTimeoutMs?: number;
  /** Largest upstream body accepted. */
  readonly maxObjectBytes?: number;
  /** Distinct upstream requests at once; more get 503 (a flood of distinct names cannot fan out to the origin). */
  readonly maxInFlight?: number;
}

/** An answer as kept in the cache and shared by coalesced requests. */
interface Stored {
  readonly status: number;
  /** Content-Type, Cache-Control, Retry-After as the origin sent them (or the edge's own, for its errors). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  readonly fetchedAt: number;
  /** Made by this edge (the origin failed, or this node is closing), not the origin's answer. */
  readonly edgeError?: UpstreamErrorReason | 'closing';
}

const CORS: Readonly<Record<string, string>> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS',
  'Access-Control-Allow-Headers': 'Range',
  // hls.js reads Age to place its first blocking request (RFC 8216bis appendix C).
  'Access-Control-Expose-Headers': 'Age, Date, Content-Length, Content-Range',
  'Timing-Allow-Origin': '*',
};
const PASSED_HEADERS = [
  ['content-type', 'Content-Type'],
  ['cache-control', 'Cache-Control'],
  ['retry-after', 'Retry-After'],
] as const;
const SWEEP_MS = 5000;
const WARN_EVERY_MS = 10_000;

export class HlsEdgeCache {
  readonly #locate: (streamId: string) => HlsOriginNode | undefined;
  readonly #cache: ByteLruCache<Stored>;
  readonly #inFlight = new Map<string, Promise<Stored>>();
  readonly #metrics: HlsEdgeMetrics;
  readonly #playlistTtlMs: number;
  readonly #mediaTtlMs: number;
  readonly #timeoutMs: number;
  readonly #maxObjectBytes: number;
  readonly #maxInFlight: number;
  readonly #closing = new AbortController();
  readonly #sweep: NodeJS.Timeout;
  #lastWarnAt = 0;

  constructor(options: HlsEdgeCacheOptions) {
    this.#locate = options.locate;
    this.#cache = new ByteLruCache(options.maxBytes ?? 64 * 1024 * 1024);
    this.#playlistTtlMs = options.playlistTtlMs ?? 1000;
    this.#mediaTtlMs = options.mediaTtlMs ?? 120_000;
    this.#timeoutMs = options.upstreamTimeoutMs ?? 10_000;
    this.#maxObjectBytes = options.maxObjectBytes ?? 16 * 1024 * 1024;
    this.#maxInFlight = options.maxInFlight ?? 256;
    this.#metrics = new HlsEdgeMetrics(options.registry, () => ({ bytes: this.#cache.bytes, entries: this.#cache.size }));
    this.#sweep = setInterval(() => this.#cache.sweep(), SWEEP_MS);
    this.#sweep.unref();
  }

  /** Upstream requests sent since start (tests; `hls_edge_upstream_requests_total` on /metrics). */
  get upstreamRequests(): number {
    return this.#metrics.upstreamRequests;
  }

  async handle(req: HlsEdgeRequest): Promise<HlsResponse> {
    const method = req.method.toUpperCase();
    if (method === 'OPTIONS') return { status: 204, headers: { ...CORS, 'Access-Control-Max-Age': '86400' }, body: '' };
    if (method !== 'GET' && method !== 'HEAD') return text(405, 'only GET and HEAD are served under /hls', { Allow: 'GET, HEAD, OPTIONS' });
    const parsed = parseEdgeRequest(req.path, req.query);
    if (!parsed.ok) {
      this.#metrics.request('rejected');
      return text(parsed.status, parsed.reason);
    }
    const r = parsed.request;
    const origin = this.#locate(r.streamId);
    if (!origin) {
      this.#metrics.request('rejected');
      return text(404, `unknown stream ${r.streamId}: no node of the cluster publishes it`);
    }
    // Keyed by the origin's incarnation: a restarted origin numbers its parts and segments afresh.
    const key = `${origin.id}@${origin.startedAt}/${r.upstream}`;
    let result: EdgeResult;
    let stored = this.#cache.get(key);
    if (stored) {
      result = 'hit';
    } else {
      let pending = this.#inFlight.get(key);
      if (pending) {
        result = 'coalesced';
      } else {
        if (this.#closing.signal.aborted) return text(503, 'this node is shutting down; retry on another', { 'Retry-After': '1' });
        if (this.#inFlight.size >= this.#maxInFlight) {
          this.#metrics.request('error');
          return text(503, `this edge already waits on ${this.#maxInFlight} HLS requests to origins; retry shortly`, { 'Retry-After': '1' });
        }
        result = 'miss';
        pending = this.#fetch(key, origin, r).finally(() => this.#inFlight.delete(key));
        this.#inFlight.set(key, pending);
      }
      stored = await pending;
    }
    this.#metrics.request(stored.edgeError ? 'error' : result);
    return respond(stored, r, req.range, result);
  }

  /** Aborts upstream requests, stops the sweeper and drops the cache. Idempotent. */
  close(): void {
    this.#closing.abort();
    clearInterval(this.#sweep);
    this.#cache.clear();
  }

  async #fetch(key: string, origin: HlsOriginNode, r: EdgeRequest): Promise<Stored> {
    this.#metrics.upstream(r.kind);
    const url = `${origin.url}/hls/${r.upstream}`;
    const what = `origin node ${origin.id} (${url})`;
    const signal = AbortSignal.any([this.#closing.signal, AbortSignal.timeout(this.#timeoutMs)]);
    try {
      const res = await fetch(url, { signal, redirect: 'manual' });
      if (Number(res.headers.get('content-length') ?? 0) > this.#maxObjectBytes) {
        await res.body?.cancel();
        return this.#failure('too_large', 502, `${what} sent more than ${this.#maxObjectBytes} bytes`);
      }
      const body = Buffer.from(await res.arrayBuffer());
      if (body.length > this.#maxObjectBytes) return this.#failure('too_large', 502, `${what} sent more than ${this.#maxObjectBytes} bytes`);
      // Its 503 ("starting", "not in time; reload") is a real answer with Retry-After; other 5xx and 3xx are a broken origin.
      if ((res.status >= 500 && res.status !== 503) || (res.status >= 300 && res.status < 400)) {
        const reason = body.toString('utf8', 0, Math.min(body.length, 200)).split('\n')[0] ?? '';
        return this.#failure('status', 502, `${what} answered ${res.status}${reason ? `: ${reason}` : ''}`);
      }
      const headers: Record<string, string> = {};
      for (const [from, to] of PASSED_HEADERS) {
        const value = res.headers.get(from);
        if (value !== null) headers[to] = value;
      }
      const stored: Stored = { status: res.status, headers, body, fetchedAt: Date.now() };
      if (res.status === 200) this.#cache.set(key, stored, body.length + key.length, this.#ttl(r, headers['Cache-Control'] ?? ''));
      return stored;
    } catch (err) {
      if (this.#closing.signal.aborted) return { ...edgeText(503, 'this node is shutting down; retry on another', { 'Retry-After': '1' }), edgeError: 'closing' };
      if ((err as Error).name === 'TimeoutError') return this.#failure('timeout', 504, `${what} did not answer within ${this.#timeoutMs} ms`);
      const cause = (err as Error & { cause?: { code?: string; message?: string } }).cause;
      return this.#failure('unreachable', 502, `${what} is unreachable (${cause?.code ?? cause?.message ?? (err as Error).message})`);
    }
  }

  #ttl(r: EdgeRequest, cacheControl: string): number {
    if (/no-store|no-cache|private/.test(cacheControl)) return 0;
    const maxAge = /max-age=(\d+)/.exec(cacheControl);
    const maxAgeMs = maxAge ? Number(maxAge[1]) * 1000 : 0;
    return Math.min(maxAgeMs, r.kind === 'media' ? this.#mediaTtlMs : this.#playlistTtlMs);
  }

  #failure(reason: UpstreamErrorReason, status: 502 | 504, message: string): Stored {
    this.#metrics.upstreamError(reason);
    const now = Date.now();
    if (now - this.#lastWarnAt >= WARN_EVERY_MS) {
      this.#lastWarnAt = now;
      logger.warn(`HLS upstream failed (${reason}): ${message}`);
    }
    return { ...edgeText(status, message, { 'Retry-After': '1' }), edgeError: reason };
  }
}

function respond(s: Stored, r: EdgeRequest, range: string | undefined, result: EdgeResult): HlsResponse {
  const headers: Record<string, string> = { ...CORS, ...s.headers, 'X-Cache': result === 'hit' ? 'HIT' : 'MISS' };
  if (result === 'hit') headers['Age'] = String(Math.max(0, Math.floor((Date.now() - s.fetchedAt) / 1000)));
  if (s.status !== 200 || r.kind !== 'media') return { status: s.status, headers, body: s.body };
  headers['Accept-Ranges'] = 'bytes';
  const answer = resolveRange(range, s.body.length);
  switch (answer.type) {
    case 'full':
      return { status: 200, headers, body: s.body };
    case 'partial':
      return {
        status: 206,
        headers: { ...headers, 'Content-Range': `bytes ${answer.start}-${answer.end}/${s.body.length}` },
        body: s.body.subarray(answer.start, answer.end + 1),
      };
    case 'unsatisfiable':
      return { status: 416, headers: { ...headers, 'Content-Range': `bytes */${s.body.length}` }, body: '' };
  }
}

function edgeText(status: number, message: string, extra: Record<string, string> = {}): Omit<Stored, 'edgeError'> {
  return {
    status,
    headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...extra },
    body: Buffer.from(message + '\n'),
    fetchedAt: Date.now(),
  };
}

function text(status: number, message: string, extra: Record<string, string> = {}): HlsResponse {
  const s = edgeText(status, message, extra);
  return { status: s.status, headers: { ...CORS, ...s.headers }, body: s.body };
}
