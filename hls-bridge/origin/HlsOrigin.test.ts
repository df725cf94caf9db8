import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { parseMediaPlaylist } from '../testing/playlist-checker.ts';
import { addPart, addSegments, newPlaylist } from '../testing/playlist-feed.ts';
import { StaticOriginStream } from '../testing/StaticOriginStream.ts';
import type { MediaPlaylist } from '../live/MediaPlaylist.ts';
import { HlsOrigin } from './HlsOrigin.ts';

interface Ctx {
  origin: HlsOrigin;
  stream: StaticOriginStream;
  video: MediaPlaylist;
}

const tick = (ms = 20): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('HlsOrigin', () => {
  const ctx = {} as Ctx;
  beforeEach(() => {
    ctx.video = newPlaylist('720p');
    ctx.video.setInit({ generation: 1, data: Buffer.from('init'), codec: 'avc1.64001f', timescale: 90000 });
    addSegments(ctx.video, 3);
    addPart(ctx.video, true);
    ctx.stream = new StaticOriginStream([ctx.video]);
    ctx.origin = new HlsOrigin({ masterWaitMs: 50, maxHoldMs: 300 });
    ctx.origin.attach('s1', ctx.stream);
  });

  test('serves the master and media playlists with playlist MIME type, short caching and open CORS', async () => {
    const master = await ctx.origin.handle({ path: 's1/master.m3u8' });
    assert.equal(master.status, 200);
    assert.equal(master.headers['Content-Type'], 'application/vnd.apple.mpegurl');
    const media = await ctx.origin.handle({ path: '/s1/720p/index.m3u8' });
    assert.equal(media.status, 200);
    assert.equal(media.headers['Cache-Control'], 'public, max-age=1');
    assert.equal(media.headers['Access-Control-Allow-Origin'], '*');
    assert.equal(parseMediaPlaylist(String(media.body)).preloadHint, 'part-3.1.m4s');
  });

  test('serves parts, segments and init segments as immutable video/mp4', async () => {
    for (const path of ['s1/720p/part-3.0.m4s', 's1/720p/seg-1.m4s', 's1/720p/init-1.mp4']) {
      const res = await ctx.origin.handle({ path });
      assert.equal(res.status, 200, path);
      assert.equal(res.headers['Content-Type'], 'video/mp4');
      assert.equal(res.headers['Cache-Control'], 'public, max-age=31536000, immutable');
    }
    assert.equal(String((await ctx.origin.handle({ path: 's1/720p/part-1.2.m4s' })).body), 'm1p2');
    assert.equal(String((await ctx.origin.handle({ path: 's1/720p/seg-0.m4s' })).body), 'm0p0m0p1m0p2m0p3m0p4m0p5');
  });

  test('holds a blocking reload until the requested part exists', async () => {
    let settled = false;
    const pending = ctx.origin.handle({ path: 's1/720p/index.m3u8', query: '_HLS_msn=3&_HLS_part=1' }).then((r) => {
      settled = true;
      return r;
    });
    await tick(50);
    assert.equal(settled, false, 'answered before the part existed');
    addPart(ctx.video);
    const res = await pending;
    assert.equal(res.status, 200);
    assert.equal(res.headers['Cache-Control'], 'public, max-age=4');
    const parsed = parseMediaPlaylist(String(res.body));
    assert.equal(parsed.segments.at(-1)!.parts.at(-1)!.uri, 'part-3.1.m4s');
  });

  test('answers 503 when the blocking wait runs out, and releases the request when the client goes away', async () => {
    const timedOut = await ctx.origin.handle({ path: 's1/720p/index.m3u8', query: '_HLS_msn=3&_HLS_part=2' });
    assert.equal(timedOut.status, 503);
    assert.equal(timedOut.headers['Cache-Control'], 'no-store');
    const abort = new AbortController();
    const pending = ctx.origin.handle({ path: 's1/720p/index.m3u8', query: '_HLS_msn=3&_HLS_part=2', signal: abort.signal });
    abort.abort();
    assert.equal((await pending).status, 503);
  });

  test('refuses nonsense or too-far-ahead delivery directives with 400', async () => {
    for (const query of ['_HLS_msn=banana', '_HLS_part=1', '_HLS_msn=-4', '_HLS_msn=99', '_HLS_msn=5&_HLS_part=0', '_HLS_skip=maybe']) {
      const res = await ctx.origin.handle({ path: 's1/720p/index.m3u8', query });
      assert.equal(res.status, 400, query);
    }
  });

  test('answers a delta update with EXT-X-SKIP', async () => {
    addSegments(ctx.video, 8);
    const res = await ctx.origin.handle({ path: 's1/720p/index.m3u8', query: new URLSearchParams({ _HLS_skip: 'YES' }) });
    assert.ok(parseMediaPlaylist(String(res.body)).skipped > 0);
  });

  test('holds the preload-hinted part until it is cut, and 404s it if its segment ends first', async () => {
    const pending = ctx.origin.handle({ path: 's1/720p/part-3.1.m4s' });
    await tick();
    addPart(ctx.video);
    const res = await pending;
    assert.equal(res.status, 200);
    assert.equal(String(res.body), 'm3p1');
    const never = ctx.origin.handle({ path: 's1/720p/part-3.2.m4s' });
    await tick();
    ctx.video.endSegment();
    assert.equal((await never).status, 404);
    assert.equal((await ctx.origin.handle({ path: 's1/720p/part-9.0.m4s' })).status, 404, 'far-future parts are not held');
  });

  test('serves segments that left the live window from the archive', async () => {
    const small = newPlaylist('360p', 3);
    addSegments(small, 5);
    ctx.stream.playlists.set('360p', small);
    ctx.stream.archive.set('360p/seg-0.m4s', Buffer.from('from disk'));
    const res = await ctx.origin.handle({ path: 's1/360p/seg-0.m4s' });
    assert.equal(res.status, 200);
    assert.equal(String(res.body), 'from disk');
    assert.equal((await ctx.origin.handle({ path: 's1/360p/seg-1.m4s' })).status, 404);
  });

  test('404s unknown streams, renditions and files; 400s traversal attempts; never reads outside the stream', async () => {
    assert.equal((await ctx.origin.handle({ path: 'nope/master.m3u8' })).status, 404);
    assert.equal((await ctx.origin.handle({ path: 's1/1080p/index.m3u8' })).status, 404);
    assert.equal((await ctx.origin.handle({ path: 's1/720p/seg-77.m4s' })).status, 404);
    const attacks = [
      's1/720p/../../../etc/passwd',
      's1/../s2/master.m3u8',
      's1/720p/seg-1.m4s/../../x',
      's1/720p/%2e%2e%2fsecret',
      's1/720p/..%5c..%5cboot.ini',
      's1/720p/seg-1.m4s\0.txt',
      's1/720p/seg-../1.m4s',
      '../s1/master.m3u8',
      's1/720p/init-1.mp4.bak',
      's1/720p//seg-1.m4s',
    ];
    for (const path of attacks) {
      const res = await ctx.origin.handle({ path });
      assert.ok(res.status === 400 || res.status === 404, `${path} → ${res.status}`);
    }
    assert.deepEqual(ctx.stream.archiveReads, ['720p/seg-77.m4s']);
  });

  test('master waits for a starting stream, then answers 503 with Retry-After', async () => {
    ctx.stream.ready = false;
    const res = await ctx.origin.handle({ path: 's1/master.m3u8' });
    assert.equal(res.status, 503);
    assert.equal(res.headers['Retry-After'], '1');
  });

  test('answers OPTIONS and HEAD for CORS and CDNs, and refuses other methods', async () => {
    const options = await ctx.origin.handle({ path: 's1/master.m3u8', method: 'OPTIONS' });
    assert.equal(options.status, 204);
    assert.match(options.headers['Access-Control-Allow-Methods']!, /GET/);
    const head = await ctx.origin.handle({ path: 's1/720p/seg-0.m4s', method: 'HEAD' });
    assert.deepEqual([head.status, head.body], [200, '']);
    assert.equal((await ctx.origin.handle({ path: 's1/master.m3u8', method: 'POST' })).status, 405);
  });
});
