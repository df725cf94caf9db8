/**
 * A cascade of three SFUs in one process, joined by real UDP pipes:
 * Chromium publishes to the origin; the origin pipes to edge A, edge A pipes
 * to edge B (two hops). Chromium viewers on both edges must decode frames.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../../loadtest/browser/launch-chromium.ts';
import { setLogLevel } from '../../signaling/logger.ts';
import type { Router } from '../Router.ts';
import { Sfu } from '../Sfu.ts';
import { applyAnswer, createPublisherOffer, createViewerOffer, openPage, waitForConnectionState, waitForPicture } from '../testing/browser-peers.ts';
import { PipeReceiver } from './PipeReceiver.ts';
import { PipeSender } from './PipeSender.ts';
import { PipeTransport } from './PipeTransport.ts';

interface Ctx {
  browser: Browser;
  contexts: BrowserContext[];
  sfus: Sfu[];
  pipes: Array<PipeSender | PipeReceiver>;
}

/** What the control plane does over HTTP between nodes, done in-process. */
async function pipe(source: Router, target: Router, ctx: Ctx): Promise<{ sender: PipeSender; receiver: PipeReceiver }> {
  const options = { listenIp: '127.0.0.1', announcedIp: '127.0.0.1', label: source.id };
  const up = await PipeTransport.create(options);
  const down = await PipeTransport.create(options);
  up.connect(down.localTuple);
  down.connect(up.localTuple);
  const sender = new PipeSender(source, up);
  const receiver = new PipeReceiver({ transport: down, description: sender.description, keyframeThrottleMs: 200 });
  target.adoptPipe(receiver, receiver.producers);
  ctx.pipes.push(sender, receiver);
  return { sender, receiver };
}

describe('SFU cascade over pipes with real Chromium', { timeout: 120_000 }, () => {
  const ctx = { contexts: [], sfus: [], pipes: [] } as unknown as Ctx;

  before(async () => {
    setLogLevel('warn');
    ctx.browser = await launchChromium();
  });

  after(async () => {
    for (const p of ctx.pipes) p.close();
    for (const sfu of ctx.sfus) sfu.close();
    await Promise.all(ctx.contexts.map((c) => c.close()));
    await ctx.browser?.close();
  });

  async function newPage(): Promise<Page> {
    const context = await ctx.browser.newContext();
    ctx.contexts.push(context);
    return openPage(context);
  }

  function newSfu(minPort: number): Sfu {
    const sfu = new Sfu({ listenIp: '127.0.0.1', minPort, maxPort: minPort + 99, keyframeThrottleMs: 200 });
    ctx.sfus.push(sfu);
    return sfu;
  }

  async function watch(router: Router): Promise<Page> {
    const page = await newPage();
    const { answerSdp } = await router.connectViewer(await createViewerOffer(page));
    await applyAnswer(page, answerSdp);
    return page;
  }

  test('viewers one and two hops from the origin decode frames; closing the origin pipe ends the relay', async () => {
    const origin = newSfu(46100).createRouter('cascade');
    const edgeA = newSfu(46200).createRouter('cascade');
    const edgeB = newSfu(46300).createRouter('cascade');

    const publisher = await newPage();
    const { answerSdp } = await origin.connectPublisher(await createPublisherOffer(publisher));
    await applyAnswer(publisher, answerSdp);
    assert.equal(await waitForConnectionState(publisher, ['connected', 'failed'], 5000), 'connected');

    const first = await pipe(origin, edgeA, ctx);
    const second = await pipe(edgeA, edgeB, ctx);
    assert.deepEqual(edgeB.producers.map((p) => p.kind).sort(), ['audio', 'video']);

    const [viewerA, viewerB] = await Promise.all([watch(edgeA), watch(edgeB)]);
    const [a, b] = await Promise.all([waitForPicture(viewerA, 8000), waitForPicture(viewerB, 8000)]);
    assert.ok(a.frames > 0 && a.width > 0, `one hop: no picture (${JSON.stringify(a)})`);
    assert.ok(b.frames > 0 && b.width > 0, `two hops: no picture (${JSON.stringify(b)})`);
    assert.ok(first.sender.stats.packets > 0 && second.sender.stats.packets > 0);

    // The origin's end goes away: each hop's pipe closes and the edges lose their source.
    let edgeBLost = false;
    edgeB.once('publisherclose', () => (edgeBLost = true));
    first.sender.close('origin stopped');
    const deadline = Date.now() + 3000;
    while (!edgeBLost && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(edgeA.pipe, undefined);
    assert.equal(edgeBLost, true, 'the second hop learned that its source closed');
  });
});
