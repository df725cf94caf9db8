/**
 * The cluster as real processes: Redis (started here on a random port) plus
 * an origin and two edges, edge-b a tier-2 edge pulling through edge-a.
 * Real Chromium publishes the frame clock to the origin and watches through
 * the origin's pages, placed on each edge; then an edge is SIGKILLed, a node
 * is frozen so it stops heartbeating, and the node-to-node API is called
 * without the cluster secret.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { goLiveWithClock, waitForFirstFrame } from '../../loadtest/browser/clock-pages.ts';
import { installNameShim } from '../../loadtest/browser/prepare-page.ts';
import { launchChromium } from '../../loadtest/browser/launch-chromium.ts';
import { publishFakeCamera, type WhipPublication } from '../../loadtest/browser/whip-publisher.ts';
import { LightViewer } from '../../loadtest/light-viewer/LightViewer.ts';
import { createViewerOffer, openPage } from '../../sfu/testing/browser-peers.ts';
import { buildWebClient } from '../../web-client/build.ts';
import type { LocalCluster } from './process/LocalCluster.ts';
import { startTestCluster, type TestCluster } from './process/start-test-cluster.ts';
import { pollUntil } from '../testing/poll-until.ts';
import { IsolatedPages } from '../testing/IsolatedPages.ts';

interface Ctx {
  cluster: LocalCluster;
  browser: Browser;
  pages: IsolatedPages;
  testCluster: TestCluster;
  streamId: string;
  viewers: Record<string, Page>;
}

interface ClusterOverview {
  nodes: Array<{ id: string; load: { viewers: number; pipesIn: number; pipesOut: number }; streams: Record<string, { viewers: number; origin: boolean }> }>;
}

const RECOVERY_LIMIT_MS = 3000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function overview(url: string): Promise<ClusterOverview> {
  const res = await fetch(`${url}/api/cluster`);
  assert.equal(res.status, 200);
  return (await res.json()) as ClusterOverview;
}

const until = pollUntil;

/** The UDP port in the answer's ICE candidate: which node serves the media. */
function candidatePort(sdp: string): number {
  const m = /^a=candidate:\S+ \d+ udp \d+ [\d.]+ (\d+) typ host/im.exec(sdp);
  assert.ok(m, `no host candidate in the answer:\n${sdp}`);
  return Number(m[1]);
}

describe('cascaded SFU cluster (Redis + origin + two edges as processes)', { timeout: 180_000 }, () => {
  const ctx = { viewers: {} } as unknown as Ctx;

  before(async () => {
    const [started] = await Promise.all([
      startTestCluster({
        label: 'cluster',
        nodes: [
          { id: 'origin', role: 'origin' },
          { id: 'edge-a', role: 'edge' },
          { id: 'edge-b', role: 'edge', parent: 'edge-a' },
        ],
        env: { HLS: '0' },
      }),
      buildWebClient({ quiet: true }),
    ]);
    ctx.testCluster = started;
    const cluster = started.cluster;
    ctx.cluster = cluster;
    ctx.browser = await launchChromium();
    ctx.pages = new IsolatedPages(ctx.browser);
  });

  after(async () => {
    await ctx.pages?.closeAll();
    await ctx.browser?.close();
    await ctx.testCluster?.dispose();
  });

  const newPage = (): Promise<Page> => ctx.pages.newPage();

  test('viewers placed on both edges decode frames, edge-b two hops from the origin through edge-a', async () => {
    const origin = ctx.cluster.node('origin').url;
    const live = await goLiveWithClock(await newPage(), origin, 30_000);
    ctx.streamId = live.streamId;

    for (const node of ['edge-a', 'edge-b']) {
      const page = await newPage();
      // The page and its socket are on the origin; ?node= makes placement put the media on that edge.
      await page.goto(`${origin}/watch/${encodeURIComponent(live.streamId)}?node=${node}`);
      ctx.viewers[node] = page;
    }
    const [a, b] = await Promise.all([waitForFirstFrame(ctx.viewers['edge-a']!, 15_000), waitForFirstFrame(ctx.viewers['edge-b']!, 15_000)]);
    assert.ok(a.framesPresented > 0 && a.videoWidth > 0);
    assert.ok(b.framesPresented > 0 && b.videoWidth > 0);

    const view = await until(
      () => overview(origin),
      // Each node's record is its last heartbeat: wait until every node has beaten since the chain formed.
      (v) => {
        const n = Object.fromEntries(v.nodes.map((x) => [x.id, x]));
        return n['edge-b']?.streams[live.streamId]?.viewers === 1 && n['edge-a']?.streams[live.streamId]?.viewers === 1 && n['edge-a']?.load.pipesOut === 1 && n['origin']?.load.pipesOut === 1;
      },
      5000,
      'the registry to show the viewers and the 2-hop chain',
    );
    const byId = Object.fromEntries(view.nodes.map((n) => [n.id, n]));
    assert.equal(byId['origin']!.streams[live.streamId]?.origin, true);
    assert.equal(byId['edge-a']!.streams[live.streamId]?.viewers, 1);
    assert.equal(byId['edge-b']!.streams[live.streamId]?.viewers, 1);
    // One pipe out of the origin (to edge-a), one from edge-a to edge-b: the 2-hop chain.
    assert.equal(byId['origin']!.load.pipesOut, 1);
    assert.equal(byId['edge-a']!.load.pipesOut, 1);
    assert.equal(byId['edge-b']!.load.pipesIn, 1);

    const metrics = await (await fetch(`${ctx.cluster.node('edge-a').url}/metrics`)).text();
    for (const name of ['media_forwarded_packets_total', 'cluster_pipes_out', 'media_plis_sent_total', 'nodejs_eventloop_lag_seconds', 'process_cpu_seconds_total', 'live_viewers']) {
      assert.match(metrics, new RegExp(`^${name}`, 'm'), `edge-a /metrics lacks ${name}`);
    }
  });

  test("the origin's publisher drops and comes back: viewers on both edges see 'reconnecting' and resume on the same session", async () => {
    const origin = ctx.cluster.node('origin').url;
    const created = (await (await fetch(`${origin}/api/streams`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: 'reconnecting publisher' }) })).json()) as { id: string; streamKey: string; whip: string };
    const publishOnce = async (): Promise<WhipPublication> =>
      publishFakeCamera(await newPage(), { whipUrl: origin + created.whip, streamKey: created.streamKey, video: { width: 320, height: 240, frameRate: 15 }, videoCodec: 'H264' });
    const first = await publishOnce();
    const pages: Record<string, Page> = {};
    for (const node of ['edge-a', 'edge-b']) {
      pages[node] = await newPage();
      await pages[node].goto(`${origin}/watch/${encodeURIComponent(created.id)}?node=${node}`);
    }
    await Promise.all(Object.values(pages).map((p) => waitForFirstFrame(p, 15_000)));
    const watchOf = (page: Page) =>
      page.evaluate(() => {
        const w = (window as unknown as { __watch: { sessionId: string | null; framesPresented: number; state: string } }).__watch;
        return { sessionId: w.sessionId, frames: w.framesPresented, state: w.state };
      });
    const sessions = { a: (await watchOf(pages['edge-a']!)).sessionId, b: (await watchOf(pages['edge-b']!)).sessionId };
    const streamState = async (url: string): Promise<string> => ((await (await fetch(`${url}/api/streams/${created.id}`)).json()) as { state: string }).state;

    // The phone loses its network: no DELETE, the connection just goes silent.
    await first.page.close();
    await until(() => streamState(ctx.cluster.node('edge-a').url), (s) => s === 'reconnecting', 25_000, "edge-a to mirror the stream as 'reconnecting'");
    await until(() => watchOf(pages['edge-b']!), (w) => /reconnecting/i.test(w.state), 5000, "the edge-b viewer's page to say the streamer is reconnecting");
    const stalled = { a: (await watchOf(pages['edge-a']!)).frames, b: (await watchOf(pages['edge-b']!)).frames };

    const second = await publishOnce();
    try {
      for (const [key, node] of [['a', 'edge-a'], ['b', 'edge-b']] as const) {
        const resumed = await until(() => watchOf(pages[node]!), (w) => w.frames > stalled[key] + 30, 15_000, `the ${node} viewer to play the returning publisher`);
        assert.equal(resumed.sessionId, sessions[key], `the ${node} viewer kept its session: the new tracks were swapped in behind it`);
      }
      assert.equal(await streamState(origin), 'live');
    } finally {
      await second.stop();
      await Promise.all(Object.values(pages).map((p) => p.close()));
    }
  });

  test('a viewer may enter through an edge: the stream is mirrored there and placement serves it', async () => {
    const edge = ctx.cluster.node('edge-a').url;
    const listed = await until(
      async () => (await (await fetch(`${edge}/api/streams`)).json()) as Array<{ id: string; state: string }>,
      (list) => list.some((s) => s.id === ctx.streamId && s.state === 'live'),
      5000,
      'edge-a to list the stream',
    );
    assert.ok(listed.length >= 1);
    const viewer = new LightViewer({ whepUrl: `${edge}/whep/${encodeURIComponent(ctx.streamId)}` });
    try {
      await viewer.connect();
      await until(async () => viewer.counters().video.packets, (n) => n > 20, 5000, 'video packets through the edge entry');
      // Counts are cluster-wide: the origin's followers see the two pages that entered there plus this one.
      const origin = ctx.cluster.node('origin').url;
      const viewersOnOrigin = async (): Promise<number> => ((await (await fetch(`${origin}/api/streams/${ctx.streamId}`)).json()) as { viewers: number }).viewers;
      await until(viewersOnOrigin, (n) => n === 3, 5000, 'the origin to count the viewer that entered through edge-a');
    } finally {
      await viewer.close();
    }
  });

  test(`edge SIGKILL: its viewer's page re-places itself and plays again within ${RECOVERY_LIMIT_MS / 1000} s, without a reload`, async (t) => {
    const page = ctx.viewers['edge-b'];
    assert.ok(page, 'the previous test placed a viewer on edge-b');
    await installNameShim(page);
    await page.evaluate(() => {
      const w = window as unknown as { __noReload: boolean; __frameTimes: number[]; __watch: { framesPresented: number } };
      w.__noReload = true;
      w.__frameTimes = [];
      const video = document.getElementById('video') as HTMLVideoElement;
      const onFrame = (): void => {
        w.__frameTimes.push(performance.now());
        video.requestVideoFrameCallback(onFrame);
      };
      video.requestVideoFrameCallback(onFrame);
    });
    const before = (await page.evaluate(() => (window as unknown as { __watch: { sessionId: string } }).__watch.sessionId)) as string;
    const killedAt = (await page.evaluate(() => performance.now())) as number;
    await ctx.cluster.node('edge-b').process.stop('SIGKILL');

    // Recovered: a new session, and frames presented again after the old ones ran out.
    const recovery = await until(
      () =>
        page.evaluate((t0: number) => {
          const w = window as unknown as { __noReload?: boolean; __frameTimes: number[]; __watch: { sessionId: string | null; state: string } };
          const fresh = w.__frameTimes.filter((t) => t > t0 + 400);
          return { noReload: w.__noReload === true, session: w.__watch.sessionId, state: w.__watch.state, thirdFrameAt: fresh[2] ?? null };
        }, killedAt),
      (r) => r.thirdFrameAt !== null && r.session !== null && r.session !== before,
      RECOVERY_LIMIT_MS + 3000,
      'the viewer to play again',
    );
    const recoveredInMs = recovery.thirdFrameAt! - killedAt;
    t.diagnostic(`playing again ${Math.round(recoveredInMs)} ms after the SIGKILL`);
    assert.equal(recovery.noReload, true, 'the page was not reloaded');
    assert.ok(recoveredInMs <= RECOVERY_LIMIT_MS, `playing again after ${Math.round(recoveredInMs)} ms (limit ${RECOVERY_LIMIT_MS})`);

    // It now plays from edge-a, the live edge carrying the stream; the viewer already there never stopped.
    const view = await until(
      () => overview(ctx.cluster.node('origin').url),
      (v) => v.nodes.find((n) => n.id === 'edge-a')?.streams[ctx.streamId]?.viewers === 2,
      5000,
      'edge-a to hold both viewers',
    );
    assert.equal(view.nodes.some((n) => n.id === 'edge-b'), false, 'the dead edge left the registry');
  });

  test('a node that stops heartbeating leaves placement, and returns when it beats again', async () => {
    const origin = ctx.cluster.node('origin').url;
    const edgeC = await ctx.cluster.addNode({ id: 'edge-c', role: 'edge' });
    const page = await openPage(ctx.browser);
    const whep = async (): Promise<string | undefined> => {
      const res = await fetch(`${origin}/whep/${encodeURIComponent(ctx.streamId)}?node=edge-c`, {
        method: 'POST',
        headers: { 'content-type': 'application/sdp' },
        body: await createViewerOffer(page),
      });
      assert.equal(res.status, 201, await res.clone().text());
      const node = ctx.cluster.nodeForRtcPort(candidatePort(await res.text()));
      await fetch(new URL(res.headers.get('location')!, origin), { method: 'DELETE' });
      return node;
    };
    try {
      assert.equal(await whep(), 'edge-c', 'an alive edge-c takes the viewer that asks for it');
      edgeC.process.freeze();
      await until(() => overview(origin), (v) => !v.nodes.some((n) => n.id === 'edge-c'), 4000, 'edge-c to expire');
      assert.equal(await whep(), 'edge-a', 'placement skips the silent node');
      edgeC.process.thaw();
      await until(() => overview(origin), (v) => v.nodes.some((n) => n.id === 'edge-c'), 4000, 'edge-c to return');
    } finally {
      edgeC.process.thaw();
      await page.close();
    }
  });

  test('the node-to-node API refuses requests without the cluster secret (401) or with a wrong one (403)', async () => {
    const edge = ctx.cluster.node('edge-a').url;
    const offer = { sessionId: 'x'.repeat(22), streamId: ctx.streamId, sdp: 'v=0\r\n', layer: 'auto' };
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${edge}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

    const before = await overview(edge);
    assert.equal((await post('/cluster/v1/viewers', offer)).status, 401);
    assert.equal((await post('/cluster/v1/viewers', offer, { 'x-cluster-secret': 'not-the-secret', 'x-cluster-node': 'origin' })).status, 403);
    assert.equal((await post('/cluster/v1/pipes', { streamId: ctx.streamId, tuple: { ip: '127.0.0.1', port: 9 }, via: [] })).status, 401);
    assert.equal((await fetch(`${edge}/cluster/v1/link`, { headers: { 'x-cluster-node': 'intruder' } })).status, 401);
    await sleep(700); // one heartbeat, so the registry would show a pipe or viewer the forged requests made
    const after = await overview(edge);
    const load = (v: ClusterOverview) => v.nodes.find((n) => n.id === 'edge-a')?.load;
    assert.ok(load(after)!.pipesOut <= load(before)!.pipesOut, 'no pipe was opened for the forged requests');
    assert.equal(load(after)!.viewers, load(before)!.viewers, 'no viewer was placed by the forged request');
  });

  test('Redis down: viewers keep playing, new placements get a clear 503; Redis back: placements resume', async () => {
    const origin = ctx.cluster.node('origin').url;
    const page = await openPage(ctx.browser);
    const watcher = ctx.viewers['edge-a']!;
    const frames = (): Promise<number> => watcher.evaluate(() => (window as unknown as { __watch: { framesPresented: number } }).__watch.framesPresented);
    const whep = async (): Promise<Response> => {
      const res = await fetch(`${origin}/whep/${encodeURIComponent(ctx.streamId)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/sdp' },
        body: await createViewerOffer(page),
      });
      if (res.status === 201) await fetch(new URL(res.headers.get('location')!, origin), { method: 'DELETE' });
      return res;
    };
    try {
      await ctx.cluster.stopRedis();
      await sleep(2500); // past the view's staleness bound (TTL + one heartbeat)
      const refused = await whep();
      assert.equal(refused.status, 503);
      assert.match(await refused.text(), /registry \(Redis\) is unreachable/);
      const before = await frames();
      await sleep(2000);
      assert.ok((await frames()) > before + 10, 'the viewer on edge-a kept playing');

      await ctx.cluster.startRedis();
      const back = await until(whep, (r) => r.status === 201, 10_000, 'placement to work again');
      assert.equal(back.status, 201);
    } finally {
      await page.close();
    }
  });
});
