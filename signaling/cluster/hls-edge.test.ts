/**
 * LL-HLS through an edge, as real processes: Redis + an origin (HLS on, the bridge
 * transcoding the publisher's stream) + one edge. Chromium publishes its fake camera
 * (320x240 H.264, so the ladder is a copied rung plus AAC: little CPU) over WHIP to
 * the origin; every HLS request below goes to the edge, which fetches from the origin.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { parseMasterPlaylist, parseMediaPlaylist, type ParsedMaster, type ParsedMediaPlaylist } from '../../hls-bridge/testing/playlist-checker.ts';
import { launchChromium } from '../../loadtest/browser/launch-chromium.ts';
import { installNameShim } from '../../loadtest/browser/prepare-page.ts';
import { publishFakeCamera, type WhipPublication } from '../../loadtest/browser/whip-publisher.ts';
import { metricSum } from '../../loadtest/metrics/prom-text.ts';
import { buildWebClient } from '../../web-client/build.ts';
import type { LocalCluster } from './process/LocalCluster.ts';
import { startTestCluster, type TestCluster } from './process/start-test-cluster.ts';
import { IsolatedPages } from '../testing/IsolatedPages.ts';

interface Ctx {
  cluster: LocalCluster;
  browser: Browser;
  pages: IsolatedPages;
  testCluster: TestCluster;
  streamId: string;
  publisher: WhipPublication;
  origin: string;
  edge: string;
}

const ctx = {} as unknown as Ctx;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function getText(base: string, pathAndQuery: string): Promise<{ status: number; text: string; headers: Headers }> {
  const res = await fetch(base + pathAndQuery, { signal: AbortSignal.timeout(15_000) });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

async function getBytes(base: string, pathAndQuery: string): Promise<Buffer> {
  const res = await fetch(base + pathAndQuery, { signal: AbortSignal.timeout(15_000) });
  assert.equal(res.status, 200, `GET ${base}${pathAndQuery}: ${res.status} ${res.status === 200 ? '' : await res.text()}`);
  return Buffer.from(await res.arrayBuffer());
}

const hlsPath = (rest: string): string => `/hls/${ctx.streamId}/${rest}`;

async function mediaPlaylist(base: string, rendition: string, query = ''): Promise<{ text: string; playlist: ParsedMediaPlaylist }> {
  const res = await getText(base, hlsPath(`${rendition}/index.m3u8${query}`));
  assert.equal(res.status, 200, `${base} ${rendition}${query}: ${res.text}`);
  return { text: res.text, playlist: parseMediaPlaylist(res.text) };
}

/** What a player picks renditions by: URI, resolution, codecs (bandwidth is re-measured as segments come). */
function renditions(master: ParsedMaster): string[] {
  return [
    ...master.variants.map((v) => `${v.uri} ${v.attributes.RESOLUTION ?? 'audio'} ${v.attributes.CODECS}`),
    ...master.media.map((m) => `${m.TYPE} ${m.URI}`),
  ];
}

async function edgeMetric(name: string, labels: Record<string, string> = {}): Promise<number> {
  return metricSum((await getText(ctx.edge, '/metrics')).text, name, labels) ?? 0;
}

describe('LL-HLS through an edge (Redis + origin + edge as processes)', { timeout: 180_000 }, () => {
  before(async () => {
    const [started] = await Promise.all([
      startTestCluster({
        label: 'hls-edge',
        nodes: [
          { id: 'origin', role: 'origin' },
          { id: 'edge-a', role: 'edge' },
        ],
        maxLifetimeSeconds: 240,
        env: { HLS: '1' },
      }),
      buildWebClient({ quiet: true }),
    ]);
    ctx.testCluster = started;
    const cluster = started.cluster;
    ctx.cluster = cluster;
    ctx.origin = cluster.node('origin').url;
    ctx.edge = cluster.node('edge-a').url;
    ctx.browser = await launchChromium();
    ctx.pages = new IsolatedPages(ctx.browser);
    const res = await fetch(`${ctx.origin}/api/streams`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: 'HLS via edge' }) });
    assert.equal(res.status, 201);
    const created = (await res.json()) as { id: string; streamKey: string; whip: string };
    ctx.streamId = created.id;
    ctx.publisher = await publishFakeCamera(await newPage(), {
      whipUrl: ctx.origin + created.whip,
      streamKey: created.streamKey,
      video: { width: 320, height: 240, frameRate: 15 },
      videoCodec: 'H264',
    });
  });

  after(async () => {
    await ctx.publisher?.stop().catch(() => undefined);
    await ctx.pages?.closeAll();
    await ctx.browser?.close();
    await ctx.testCluster?.dispose();
  });

  const newPage = (): Promise<Page> => ctx.pages.newPage();

  test("the edge serves the stream's master and media playlists with the origin's renditions", async () => {
    const deadline = Date.now() + 20_000;
    let edgeMaster: { status: number; text: string; headers: Headers };
    for (;;) {
      edgeMaster = await getText(ctx.edge, hlsPath('master.m3u8'));
      if (edgeMaster.status === 200) break;
      assert.ok(Date.now() < deadline, `edge master not served within 20 s (last: ${edgeMaster.status} ${edgeMaster.text})`);
      await sleep(250);
    }
    assert.equal(edgeMaster.headers.get('content-type'), 'application/vnd.apple.mpegurl');
    assert.match(edgeMaster.headers.get('cache-control') ?? '', /max-age=/);
    const originMaster = await getText(ctx.origin, hlsPath('master.m3u8'));
    assert.equal(originMaster.status, 200);
    const fromEdge = parseMasterPlaylist(edgeMaster.text);
    assert.ok(fromEdge.variants.some((v) => v.attributes.RESOLUTION === '320x240'), edgeMaster.text);
    assert.deepEqual(renditions(fromEdge), renditions(parseMasterPlaylist(originMaster.text)));

    const video = fromEdge.variants.find((v) => v.attributes.RESOLUTION)!.uri.split('/')[0]!;
    for (const rendition of [video, 'audio']) {
      const viaEdge = (await mediaPlaylist(ctx.edge, rendition)).playlist;
      const direct = (await mediaPlaylist(ctx.origin, rendition)).playlist;
      assert.equal(viaEdge.targetDuration, direct.targetDuration);
      assert.equal(viaEdge.partTarget, direct.partTarget);
      assert.ok(viaEdge.segments.some((s) => s.parts.length > 0), `${rendition} via the edge lists parts`);
      // The same media: a part the edge lists is byte for byte the origin's.
      const part = viaEdge.segments.flatMap((s) => s.parts).at(-1)!;
      assert.deepEqual(await getBytes(ctx.edge, hlsPath(`${rendition}/${part.uri}`)), await getBytes(ctx.origin, hlsPath(`${rendition}/${part.uri}`)));
      const map = viaEdge.segments.find((s) => s.map)?.map;
      assert.ok(map, `${rendition} has an EXT-X-MAP`);
      const init = await fetch(ctx.edge + hlsPath(`${rendition}/${map}`));
      assert.equal(init.status, 200);
      assert.match(init.headers.get('cache-control') ?? '', /immutable/);
      assert.equal(init.headers.get('content-type'), rendition === 'audio' ? 'audio/mp4' : 'video/mp4');
      await init.arrayBuffer();
    }
  });

  test('a blocking request for the next part on the edge returns once that part exists', async () => {
    const rendition = await firstVideoRendition();
    // The origin's newest state: the edge has never been asked for this part.
    const { playlist } = await mediaPlaylist(ctx.origin, rendition);
    const [msn, part] = hintOf(playlist);
    const partUri = `part-${msn}.${part}.m4s`;
    assert.ok(!playlist.segments.some((s) => s.parts.some((p) => p.uri === partUri)), 'the hinted part is not listed yet');
    const held = await mediaPlaylist(ctx.edge, rendition, `?_HLS_msn=${msn}&_HLS_part=${part}`);
    // The hinted part may close its segment instead (then it never exists as a part; the segment does).
    const listed = held.playlist.segments.some((s) => s.parts.some((p) => p.uri === partUri) || (s.msn === msn && s.uri));
    assert.ok(listed, `the edge's answer lists ${partUri}\n${held.text}`);
    // And the newly hinted part, asked for early, is held at the origin and served through the edge.
    assert.ok((await getBytes(ctx.edge, hlsPath(`${rendition}/${held.playlist.preloadHint!}`))).length > 0);
  });

  test('twenty viewers blocking on the same next part through the edge cause one upstream request', async () => {
    const rendition = await firstVideoRendition();
    const { playlist } = await mediaPlaylist(ctx.origin, rendition);
    const [msn, part] = hintOf(playlist);
    const before = await edgeMetric('hls_edge_upstream_requests_total', { kind: 'playlist' });
    // The other nineteen waited on that request, or (if it was answered before they arrived) found its answer in the cache.
    const sharedBefore = (await edgeMetric('hls_edge_requests_total', { result: 'coalesced' })) + (await edgeMetric('hls_edge_requests_total', { result: 'hit' }));
    const answers = await Promise.all(Array.from({ length: 20 }, () => mediaPlaylist(ctx.edge, rendition, `?_HLS_msn=${msn}&_HLS_part=${part}`)));
    for (const a of answers) {
      assert.ok(a.playlist.segments.some((s) => s.parts.some((p) => p.uri === `part-${msn}.${part}.m4s`) || (s.msn === msn && s.uri)), a.text);
      assert.equal(a.text, answers[0]!.text, 'every viewer got the one upstream answer');
    }
    assert.equal((await edgeMetric('hls_edge_upstream_requests_total', { kind: 'playlist' })) - before, 1);
    const shared = (await edgeMetric('hls_edge_requests_total', { result: 'coalesced' })) + (await edgeMetric('hls_edge_requests_total', { result: 'hit' }));
    assert.equal(shared - sharedBefore, 19);
  });

  test('bad paths are refused by the edge', async () => {
    const before = await edgeMetric('hls_edge_upstream_requests_total');
    assert.equal(await rawGet(hlsPath('480p/../../../package.json')), 400);
    assert.equal(await rawGet(hlsPath('480p/%2e%2e/master.m3u8')), 400);
    assert.equal(await rawGet(hlsPath('480p/index.m3u8?_HLS_part=1')), 400);
    assert.equal(await rawGet(hlsPath('480p/secret.txt')), 404);
    assert.equal(await rawGet('/hls/no-such-stream/master.m3u8'), 404);
    assert.equal(await edgeMetric('hls_edge_upstream_requests_total'), before);
  });

  test('a watch page entering through the edge with ?tier=hls plays', async (t) => {
    const proxiedBefore = await edgeMetric('hls_edge_requests_total');
    const page = await newPage();
    await page.goto(`${ctx.edge}/watch/${encodeURIComponent(ctx.streamId)}?tier=hls`);
    await installNameShim(page);
    const console: string[] = [];
    page.on('console', (m) => console.push(`${m.type()}: ${m.text()}`.slice(0, 300)));
    page.on('requestfailed', (r) => console.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
    page.on('response', (r) => {
      if (r.url().includes('/hls/') && r.status() >= 400) console.push(`HTTP ${r.status()} ${r.url()}`);
    });
    const read = (): Promise<{ tier: string; frames: number; time: number; readyState: number; note: string }> =>
      page.evaluate(() => {
        const w = (window as unknown as { __watch: Record<string, unknown> }).__watch;
        const video = document.getElementById('video') as HTMLVideoElement;
        return { tier: String(w.tier), frames: Number(w.framesPresented), time: video.currentTime, readyState: video.readyState, note: document.getElementById('tier-note')?.textContent ?? '' };
      });
    // Generous: on a loaded 2-core box hls.js may take a while to buffer its first parts.
    const deadline = Date.now() + 30_000;
    let first = await read();
    while (first.frames < 1) {
      if (Date.now() > deadline) {
        const edgeLines = (await getText(ctx.edge, '/metrics')).text.split('\n').filter((l) => l.startsWith('hls_edge_'));
        assert.fail(`no frame within 30 s: ${JSON.stringify(first)}\npage:\n${console.slice(-20).join('\n')}\nedge:\n${edgeLines.join('\n')}`);
      }
      await sleep(200);
      first = await read();
    }
    await sleep(4000);
    const later = await read();
    assert.equal(later.tier, 'hls');
    // 15 fps source: ~60 frames in 4 s; half of that proves steady playback on a busy box.
    assert.ok(later.frames - first.frames >= 30, `${later.frames - first.frames} frames in 4 s`);
    assert.ok(later.time > first.time + 2, `played ${later.time - first.time} s in 4 s`);
    const proxied = (await edgeMetric('hls_edge_requests_total')) - proxiedBefore;
    assert.ok(proxied >= 10, `the page's playlists and parts came through the edge cache (${proxied} requests)`);
    if (console.length) t.diagnostic(`page messages:\n${console.slice(-10).join('\n')}`);
  });
});

/** A raw GET that the client does not normalise (fetch resolves `..` and `%2e%2e` before sending). */
function rawGet(rawPath: string): Promise<number> {
  const url = new URL(ctx.edge);
  return new Promise((resolve, reject) => {
    http.get({ host: url.hostname, port: url.port, path: rawPath }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
}

async function firstVideoRendition(): Promise<string> {
  const master = parseMasterPlaylist((await getText(ctx.edge, hlsPath('master.m3u8'))).text);
  return master.variants.find((v) => v.attributes.RESOLUTION)!.uri.split('/')[0]!;
}

function hintOf(playlist: ParsedMediaPlaylist): [number, number] {
  const hint = /^part-(\d+)\.(\d+)\.m4s$/.exec(playlist.preloadHint ?? '');
  assert.ok(hint, `preload hint ${playlist.preloadHint}`);
  return [Number(hint[1]), Number(hint[2])];
}
