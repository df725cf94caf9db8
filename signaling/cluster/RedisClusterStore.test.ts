/**
 * The registry on a real redis-server started here on a random port: record
 * expiry, heartbeat, and what happens while Redis is away and when it returns.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setLogLevel } from '../logger.ts';
import { ClusterView } from './ClusterView.ts';
import { NodeHeartbeat } from './NodeHeartbeat.ts';
import type { NodeRecord } from './node-record.ts';
import { freePort } from './process/LocalCluster.ts';
import { RedisServer } from './process/RedisServer.ts';
import { RedisClusterStore } from './RedisClusterStore.ts';

function record(id: string): NodeRecord {
  return {
    id,
    role: 'edge',
    url: 'http://127.0.0.1:1',
    parent: null,
    capacity: 10,
    load: { viewers: 0, cpu: 0, egressBps: 0, pipesOut: 0, pipesIn: 0 },
    streams: {},
    entries: {},
    delay: { p50: null, p95: null, samples: 0 },
    startedAt: 1,
    heartbeatAt: Date.now(),
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('RedisClusterStore with a real redis-server', { timeout: 60_000 }, () => {
  let redis: RedisServer;
  let store: RedisClusterStore;
  let port: number;

  before(async () => {
    setLogLevel('error');
    port = await freePort();
    redis = await RedisServer.start({ port, maxLifetimeSeconds: 120 });
    store = new RedisClusterStore({ url: redis.url, prefix: `test-${port}` });
    await store.ready(5000);
  });

  after(async () => {
    await store?.close();
    await redis?.stop();
  });

  test('a record expires after its TTL unless refreshed; removeNode drops it at once', async () => {
    await store.putNode(record('short'), 300);
    await store.putNode(record('long'), 5000);
    assert.deepEqual((await store.listNodes()).map((n) => n.id).sort(), ['long', 'short']);
    await sleep(450);
    assert.deepEqual((await store.listNodes()).map((n) => n.id), ['long']);
    await store.removeNode('long');
    assert.deepEqual(await store.listNodes(), []);
  });

  test('a heartbeat keeps its node listed; a stopped one leaves the registry at once', async () => {
    const view = new ClusterView(2000);
    const beat = new NodeHeartbeat({ store, view, intervalMs: 100, ttlMs: 300, record: () => record('beating') });
    await beat.start();
    await sleep(600); // twice the TTL: only refreshing keeps it there
    assert.deepEqual(view.nodes().map((n) => n.id), ['beating']);
    await beat.stop();
    assert.deepEqual(await store.listNodes(), []);
  });

  test('while Redis is away the view goes stale (placement refuses); when it returns the node re-registers by itself', async () => {
    const view = new ClusterView(400);
    const beat = new NodeHeartbeat({ store, view, intervalMs: 100, ttlMs: 300, record: () => record('survivor') });
    await beat.start();
    try {
      assert.equal(view.healthy, true);
      await redis.stop();
      const failedAt = Date.now();
      await beat.beat(); // fails fast: no offline queue
      assert.ok(Date.now() - failedAt < 2500, 'a beat against a dead Redis does not hang');
      await sleep(500);
      assert.equal(view.healthy, false);

      redis = await RedisServer.start({ port, maxLifetimeSeconds: 120 });
      const deadline = Date.now() + 8000;
      while (!view.healthy && Date.now() < deadline) await sleep(100);
      assert.equal(view.healthy, true, 'recovered after Redis came back');
      assert.deepEqual((await store.listNodes()).map((n) => n.id), ['survivor']);
    } finally {
      await beat.stop();
    }
  });
});
