/**
 * HlsEdgeCache against a real HLS origin over HTTP (hls-bridge's HlsOrigin on a
 * node:http server, fed synthetic parts: no ffmpeg). The server's request log
 * shows exactly what reached the origin.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { HlsOrigin } from '../../hls-bridge/index.ts';
import type { MediaPlaylist } from '../../hls-bridge/live/MediaPlaylist.ts';
import { parseMediaPlaylist } from '../../hls-bridge/testing/playlist-checker.ts';
import { addPart, addSegments, newPlaylist } from '../../hls-bridge/testing/playlist-feed.ts';
import { serveOrigin } from '../../hls-bridge/testing/serve-origin.ts';
import { StaticOriginStream } from '../../hls-bridge/testing/StaticOriginStream.ts';
import { metricSum } from '../../loadtest/metrics/prom-text.ts';
import { HlsEdgeCache, type HlsEdgeCacheOptions } from './HlsEdgeCache.ts';

interface Ctx {
  video: MediaPlaylist;
  origin: { url: string; server: Server; close: () => Promise<void> };
  /** Every request URL the origin received. */
  seen: string[];
  edge: HlsEdgeCache;
  registry: Registry;
}

const ctx = {} as Ctx;
const body = (r: { body: Buffer | string }): string => String(r.body);

function edgeFor(url: string, options: Partial<HlsEdgeCacheOptions> = {}): HlsEdgeCache {
  ctx.edge?.close();
  ctx.registry = new Registry();
  ctx.edge = new HlsEdgeCache({ locate: (id) => (id === 's1' ? { id: 'origin-1', url, startedAt: 1 } : undefined), registry: ctx.registry, ...options });
  return ctx.edge;
}

const get = (path: string, query = '', range?: string): ReturnType<HlsEdgeCache['handle']> => ctx.edge.handle({ path, query, method: 'GET', range });

describe('HlsEdgeCache in front of a real HLS origin', () => {
  beforeEach(async () => {
    ctx.video = newPlaylist('720p');
    ctx.video.setInit({ generation: 1, data: Buffer.from('init'), codec: 'avc1.64001f', timescale: 90000 });
    addSegments(ctx.video, 3);
    addPart(ctx.video, true);
    const origin = new HlsOrigin({ masterWaitMs: 50, maxHoldMs: 3000 });
    origin.attach('s1', new StaticOriginStream([ctx.video]));
    ctx.origin = await serveOrigin(origin);
    ctx.seen = [];
    ctx.origin.server.on('request', (req: { url?: string }) => ctx.seen.push(req.url ?? ''));
    edgeFor(ctx.origin.url);
  });

  afterEach(async () => {
    ctx.edge.close();
    await ctx.origin.close();
  });

  test('passes playlists and media through with their Content-Type and Cache-Control, and serves repeats from memory', async () => {
    const master = await get('s1/master.m3u8');
    assert.equal(master.status, 200);
    assert.equal(master.headers['Content-Type'], 'application/vnd.apple.mpegurl');
    assert.equal(master.headers['Cache-Control'], 'public, max-age=2');
    assert.match(body(master), /720p\/index\.m3u8/);
    const part = await get('s1/720p/part-1.2.m4s');
    assert.equal(part.status, 200);
    assert.equal(body(part), 'm1p2');
    assert.equal(part.headers['Content-Type'], 'video/mp4');
    assert.equal(part.headers['Cache-Control'], 'public, max-age=31536000, immutable');
    assert.equal(part.headers['Access-Control-Allow-Origin'], '*');
    assert.equal(part.headers['X-Cache'], 'MISS');
    const again = await get('s1/720p/part-1.2.m4s');
    assert.equal(again.headers['X-Cache'], 'HIT');
    assert.equal(body(again), 'm1p2');
    assert.equal(again.headers['Age'], '0');
    assert.deepEqual(ctx.seen, ['/hls/s1/master.m3u8', '/hls/s1/720p/part-1.2.m4s']);
    assert.equal(metricSum(await ctx.registry.metrics(), 'hls_edge_requests_total', { result: 'hit' }), 1);
  });

  test('twenty viewers waiting for the same next part cause one blocking request upstream, answered once the part exists', async () => {
    const waiting = Array.from({ length: 20 }, () => get('s1/720p/index.m3u8', '_HLS_msn=3&_HLS_part=1'));
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(ctx.seen, ['/hls/s1/720p/index.m3u8?_HLS_msn=3&_HLS_part=1']);
    addPart(ctx.video);
    const answers = await Promise.all(waiting);
    for (const a of answers) {
      assert.equal(a.status, 200);
      assert.equal(parseMediaPlaylist(body(a)).segments.at(-1)!.parts.at(-1)!.uri, 'part-3.1.m4s');
    }
    assert.equal(ctx.seen.length, 1);
    assert.equal(ctx.edge.upstreamRequests, 1);
    const text = await ctx.registry.metrics();
    assert.equal(metricSum(text, 'hls_edge_upstream_requests_total', { kind: 'playlist' }), 1);
    assert.equal(metricSum(text, 'hls_edge_requests_total', { result: 'coalesced' }), 19);
  });

  test('bad paths and directives are answered at the edge and never reach the origin', async () => {
    const cases: Array<[string, string, number]> = [
      ['s1/../secret/master.m3u8', '', 400],
      ['s1/720p/%2e%2e', '', 400],
      ['s1/720p\\index.m3u8', '', 400],
      ['s1/720p/index.m3u8.bak', '', 404],
      ['s1/720p/seg-1.m4s/x', '', 404],
      ['bad id/master.m3u8', '', 404],
      ['s1/720p/index.m3u8', '_HLS_part=1', 400],
      ['s1/720p/index.m3u8', '_HLS_msn=-1', 400],
      ['s1/720p/index.m3u8', '_HLS_skip=maybe', 400],
      ['other/master.m3u8', '', 404],
    ];
    for (const [path, query, status] of cases) assert.equal((await get(path, query)).status, status, `${path}?${query}`);
    assert.equal((await ctx.edge.handle({ path: 's1/master.m3u8', query: '', method: 'POST' })).status, 405);
    assert.deepEqual(ctx.seen, []);
    // Unknown query parameters are dropped: only canonical directives go upstream.
    await get('s1/720p/index.m3u8', 'foo=bar&_HLS_skip=YES&x=%00');
    assert.deepEqual(ctx.seen, ['/hls/s1/720p/index.m3u8?_HLS_skip=YES']);
  });

  test('byte ranges are served from the cached body: 206 with Content-Range, 416 past the end', async () => {
    const partial = await get('s1/720p/seg-0.m4s', '', 'bytes=4-7');
    assert.equal(partial.status, 206);
    assert.equal(body(partial), 'm0p1');
    assert.equal(partial.headers['Content-Range'], 'bytes 4-7/24');
    assert.equal(partial.headers['Accept-Ranges'], 'bytes');
    assert.equal(body(await get('s1/720p/seg-0.m4s', '', 'bytes=-4')), 'm0p5');
    const beyond = await get('s1/720p/seg-0.m4s', '', 'bytes=100-');
    assert.equal(beyond.status, 416);
    assert.equal(beyond.headers['Content-Range'], 'bytes */24');
    // Several ranges: the whole body, as the RFC allows.
    assert.equal((await get('s1/720p/seg-0.m4s', '', 'bytes=0-1,4-5')).status, 200);
    assert.deepEqual(ctx.seen, ['/hls/s1/720p/seg-0.m4s']);
  });

  test('playlists are reused only briefly; media stays until the byte bound pushes the least recently used out', async () => {
    edgeFor(ctx.origin.url, { playlistTtlMs: 100, maxBytes: 2000 });
    await get('s1/720p/index.m3u8');
    await get('s1/720p/index.m3u8');
    assert.equal(ctx.seen.length, 1);
    await new Promise((r) => setTimeout(r, 150));
    await get('s1/720p/index.m3u8');
    assert.equal(ctx.seen.length, 2, 'the playlist was fetched again after its TTL');

    ctx.seen.length = 0;
    // 24-byte segments plus their keys: far more than 2000 bytes in all.
    for (let round = 0; round < 2; round++) for (let i = 0; i < 3; i++) for (let p = 0; p < 6; p++) await get(`s1/720p/part-${i}.${p}.m4s`);
    const bytes = metricSum(await ctx.registry.metrics(), 'hls_edge_cache_bytes')!;
    assert.ok(bytes > 0 && bytes <= 2000, `cache holds ${bytes} bytes`);
    assert.equal(ctx.seen.length, 18, 'within the bound, the second round came from memory');
    edgeFor(ctx.origin.url, { maxBytes: 100 });
    ctx.seen.length = 0;
    for (let round = 0; round < 2; round++) for (let p = 0; p < 6; p++) await get(`s1/720p/part-0.${p}.m4s`);
    assert.ok(metricSum(await ctx.registry.metrics(), 'hls_edge_cache_bytes')! <= 100);
    assert.equal(ctx.seen.length, 12, 'past the bound, the oldest parts were evicted and fetched again');
  });

  test('an unreachable origin gives 502 and a silent one 504, each with the reason', async () => {
    const deadUrl = ctx.origin.url;
    await ctx.origin.close();
    edgeFor(deadUrl);
    const refused = await get('s1/master.m3u8');
    assert.equal(refused.status, 502);
    assert.match(body(refused), /origin node origin-1 .* is unreachable \(ECONNREFUSED\)/);

    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      edgeFor(`http://127.0.0.1:${(silent.address() as AddressInfo).port}`, { upstreamTimeoutMs: 200 });
      const timedOut = await get('s1/720p/part-0.0.m4s');
      assert.equal(timedOut.status, 504);
      assert.match(body(timedOut), /did not answer within 200 ms/);
      assert.equal(timedOut.headers['Cache-Control'], 'no-store');
      assert.equal(metricSum(await ctx.registry.metrics(), 'hls_edge_upstream_errors_total', { reason: 'timeout' }), 1);
    } finally {
      silent.closeAllConnections();
      await new Promise((r) => silent.close(r));
      // afterEach closes the origin again: give it a live one.
      ctx.origin = await serveOrigin(new HlsOrigin());
    }
  });

  test("the origin's own 404 passes through and is not cached", async () => {
    const missing = await get('s1/720p/part-0.9.m4s');
    assert.equal(missing.status, 404);
    assert.match(body(missing), /no such part/);
    const again = await get('s1/720p/part-0.9.m4s');
    assert.equal(again.headers['X-Cache'], 'MISS', 'errors are not cached');
    assert.equal(ctx.seen.length, 2);
  });
});
