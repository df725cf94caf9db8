/**
 * SignalingClient in Chromium against the real platform's /ws: replies matched
 * by reqId, error frames as SignalingError, stream updates, and reconnecting
 * and re-following after the connection is cut (through a TCP relay).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../../../loadtest/browser/launch-chromium.ts';
import { startTestPlatform } from '../../../signaling/testing/start-test-platform.ts';
import type { Platform } from '../../../signaling/platform.ts';
import { bundleForBrowser } from '../testing/bundle-for-browser.ts';
import { TcpRelay } from '../testing/TcpRelay.ts';
import type { HarnessEvent } from './testing/signaling-harness.ts';

const ctx: { platform?: Platform; relay?: TcpRelay; browser?: Browser; page?: Page; script?: string } = {};

type HarnessWindow = { signalingHarness: { create(url: string): any; events: HarnessEvent[] }; client: any };

async function events(page: Page): Promise<HarnessEvent[]> {
  return page.evaluate(() => (window as unknown as HarnessWindow).signalingHarness.events.slice());
}

async function waitForEvent(page: Page, match: (e: HarnessEvent) => boolean, timeoutMs: number): Promise<HarnessEvent> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = (await events(page)).find(match);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`event not seen within ${timeoutMs} ms; got ${JSON.stringify(await events(page))}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('SignalingClient', () => {
  before(async () => {
    ctx.script = await bundleForBrowser(fileURLToPath(new URL('./testing/signaling-harness.ts', import.meta.url)));
    ctx.platform = await startTestPlatform();
    ctx.browser = await launchChromium();
    ctx.page = await ctx.browser.newPage();
    await ctx.page.goto(`${ctx.platform.url}/api/streams`); // same origin as /ws
    await ctx.page.addScriptTag({ content: ctx.script });
    ctx.relay = await TcpRelay.start(ctx.platform.port);
    const wsUrl = `ws://127.0.0.1:${ctx.relay.port}/ws`;
    await ctx.page.evaluate((url) => {
      const w = window as unknown as HarnessWindow;
      w.client = w.signalingHarness.create(url);
    }, wsUrl);
  });

  after(async () => {
    await ctx.browser?.close();
    await ctx.relay?.close();
    await ctx.platform?.close();
  });

  test('request() resolves with the reply carrying its reqId (ping → pong)', async () => {
    const pong = await ctx.page!.evaluate(() => (window as unknown as HarnessWindow).client.request({ type: 'ping', t: 42 }));
    assert.equal(pong.type, 'pong');
    assert.equal(pong.t, 42);
    assert.equal(typeof pong.serverTime, 'number');
  });

  test('request() rejects with the server error status for an unknown stream', async () => {
    const err = await ctx.page!.evaluate(() =>
      (window as unknown as HarnessWindow).client.follow('nosuchstream').then(
        () => null,
        (e: { name: string; status: number; code: string }) => ({ name: e.name, status: e.status, code: e.code }),
      ),
    );
    assert.deepEqual(err, { name: 'SignalingError', status: 404, code: 'not_found' });
  });

  test('follow() delivers the stream state as a stream event', async () => {
    const res = await fetch(`${ctx.platform!.url}/api/streams`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: 'followed' }) });
    const { id } = (await res.json()) as { id: string };
    await ctx.page!.evaluate((streamId) => (window as unknown as HarnessWindow).client.follow(streamId), id);
    const update = await waitForEvent(ctx.page!, (e) => e.event === 'stream' && (e.detail as { id: string }).id === id, 3000);
    assert.deepEqual({ ...(update.detail as object), startedAt: null }, { id, title: 'followed', state: 'idle', viewers: 0, startedAt: null, endedAt: null });
  });

  test('request() fails with a timeout error when the server cannot be reached', async () => {
    const err = await ctx.page!.evaluate(() => {
      const unreachable = (window as unknown as HarnessWindow).signalingHarness.create('ws://127.0.0.1:1/ws');
      return unreachable.request({ type: 'ping', t: 1 }).then(
        () => null,
        (e: { name: string; status: number; code: string }) => {
          unreachable.close();
          return { name: e.name, status: e.status, code: e.code };
        },
      );
    });
    assert.deepEqual(err, { name: 'SignalingError', status: 0, code: 'timeout' });
  });

  test('reconnects after the connection is cut and follows its streams again', async () => {
    const res = await fetch(`${ctx.platform!.url}/api/streams`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: 'survivor' }) });
    const { id } = (await res.json()) as { id: string };
    await ctx.page!.evaluate((streamId) => (window as unknown as HarnessWindow).client.follow(streamId), id);
    await ctx.page!.evaluate(() => (window as unknown as HarnessWindow).signalingHarness.events.splice(0));
    ctx.relay!.cut();
    await waitForEvent(ctx.page!, (e) => e.event === 'open' && (e.detail as { reconnected: boolean }).reconnected, 10_000);
    // Nobody asked again: the client re-followed on its own, so the server sent the state anew.
    await waitForEvent(ctx.page!, (e) => e.event === 'stream' && (e.detail as { id: string }).id === id, 3000);
    const pong = await ctx.page!.evaluate(() => (window as unknown as HarnessWindow).client.request({ type: 'ping', t: 7 }));
    assert.equal(pong.t, 7);
  });

});
