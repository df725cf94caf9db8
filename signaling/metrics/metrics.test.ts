/**
 * /metrics, /api/viewer-stats and the /dashboard page on the one-box
 * platform, with a real Chromium publisher (WHIP) and a werift viewer (WHEP).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../../loadtest/browser/launch-chromium.ts';
import { publishFakeCamera, type WhipPublication } from '../../loadtest/browser/whip-publisher.ts';
import { createStream } from '../../loadtest/http/create-stream.ts';
import { LightViewer } from '../../loadtest/light-viewer/LightViewer.ts';
import { buildWebClient } from '../../web-client/build.ts';
import type { Platform } from '../platform.ts';
import { startTestPlatform } from '../testing/start-test-platform.ts';

interface Ctx {
  platform: Platform;
  browser: Browser;
  publication: WhipPublication;
  viewer: LightViewer;
}

/** The value of one sample line (`name{labels} value`), summed over label sets when several match. */
function sample(text: string, name: string, labels = ''): number {
  let sum = 0;
  let found = false;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || line.startsWith('#')) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== '{' && rest[0] !== ' ') continue;
    if (labels && !rest.includes(labels)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    found = true;
  }
  assert.ok(found, `no sample ${name}${labels ? ` with ${labels}` : ''} in /metrics`);
  return sum;
}

describe('metrics and dashboard on the one-box platform', { timeout: 90_000 }, () => {
  const ctx = {} as Ctx;

  before(async () => {
    await buildWebClient({ quiet: true });
    ctx.platform = await startTestPlatform();
    ctx.browser = await launchChromium();
  });

  after(async () => {
    await ctx.viewer?.close();
    await ctx.publication?.stop().catch(() => undefined);
    await ctx.browser?.close();
    await ctx.platform?.close();
  });

  async function scrape(): Promise<string> {
    const res = await fetch(`${ctx.platform.url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    return res.text();
  }

  test('GET /metrics counts publishers, viewers and forwarded packets, beside process metrics', async () => {
    const stream = await createStream(ctx.platform.url, 'metrics');
    ctx.publication = await publishFakeCamera(await ctx.browser.newPage(), { whipUrl: stream.whipUrl, streamKey: stream.streamKey });
    ctx.viewer = new LightViewer({ whepUrl: stream.whepUrl });
    await ctx.viewer.connect();
    const first = await scrape();
    await new Promise((r) => setTimeout(r, 1500));
    const second = await scrape();

    assert.equal(sample(second, 'live_publishers'), 1);
    assert.equal(sample(second, 'live_viewers', 'tier="standalone"'), 1);
    assert.equal(sample(second, 'live_viewers', 'tier="signalled"'), 1);
    assert.ok(sample(second, 'media_forwarded_packets_total') > sample(first, 'media_forwarded_packets_total'), 'packets keep being counted');
    assert.ok(sample(second, 'media_forwarded_bytes_total') > 0);
    assert.ok(sample(second, 'media_keyframe_requests_total') >= 1, 'the viewer asked for a keyframe');
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'cluster_pipes_out', 'media_nacks_sent_total', 'media_plis_sent_total', 'chat_deliveries_total']) {
      assert.match(second, new RegExp(`^${name}`, 'm'), `missing ${name}`);
    }
  });

  test('delays reported by watch pages land in the histogram; malformed reports are refused', async () => {
    const post = (body: unknown) =>
      fetch(`${ctx.platform.url}/api/viewer-stats`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const before = sample(await scrape(), 'viewer_glass_to_glass_delay_seconds_count');
    assert.equal((await post({ streamId: 'abcd', delays: [45, 60, 80], firstFrameMs: 300 })).status, 204);
    assert.equal((await post({ streamId: 'abcd', delays: Array(301).fill(50) })).status, 400);
    assert.equal((await post({ streamId: 'abcd', delays: [-5] })).status, 400);
    const after = await scrape();
    assert.equal(sample(after, 'viewer_glass_to_glass_delay_seconds_count') - before, 3);
    assert.equal(sample(after, 'viewer_first_frame_seconds_count'), 1);
  });

  test('/dashboard reads /api/cluster and draws its charts', async () => {
    const page = await ctx.browser.newPage();
    try {
      await page.goto(`${ctx.platform.url}/dashboard`);
      await page.waitForFunction(() => ((window as unknown as { __dashboard?: { polls: number } }).__dashboard?.polls ?? 0) >= 2, undefined, { timeout: 10_000 });
      const state = await page.evaluate(() => {
        const d = (window as unknown as { __dashboard: { last: { nodes: Array<{ load: { viewers: number } }> } } }).__dashboard;
        const canvas = document.getElementById('chart-viewers') as HTMLCanvasElement;
        const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        let painted = 0;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) painted++;
        return { nodes: d.last.nodes.length, viewers: d.last.nodes[0]!.load.viewers, painted, rows: document.querySelectorAll('#dash-nodes tr').length };
      });
      assert.equal(state.nodes, 1);
      assert.equal(state.viewers, 1);
      assert.equal(state.rows, 1);
      assert.ok(state.painted > 100, 'the viewers chart has something drawn');
    } finally {
      await page.close();
    }
  });
});
