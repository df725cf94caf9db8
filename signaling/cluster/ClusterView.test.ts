/** ClusterView: eviction, return of an evicted node, placements counted between refreshes, staleness. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ClusterView } from './ClusterView.ts';
import type { NodeRecord } from './node-record.ts';

function record(id: string, startedAt = 1): NodeRecord {
  return {
    id,
    role: 'edge',
    url: 'http://127.0.0.1:1',
    parent: null,
    capacity: 10,
    load: { viewers: 2, cpu: 0, egressBps: 0, pipesOut: 0, pipesIn: 0 },
    streams: {},
    entries: {},
    delay: { p50: null, p95: null, samples: 0 },
    startedAt,
    heartbeatAt: 0,
  };
}

describe('ClusterView', () => {
  test('an evicted node stays out until the registry has shown it gone and back', () => {
    const view = new ClusterView(10_000);
    view.update([record('a'), record('b')]);
    view.evict('b');
    assert.deepEqual(view.nodes().map((n) => n.id), ['a']);
    view.update([record('a'), record('b')]); // its last record has not expired yet: still out
    assert.deepEqual(view.nodes().map((n) => n.id), ['a']);
    view.update([record('a')]); // expired or removed
    view.update([record('a'), record('b')]); // beating again
    assert.deepEqual(view.nodes().map((n) => n.id), ['a', 'b']);
  });

  test('a restarted node (new start time) is welcome back at once', () => {
    const view = new ClusterView(10_000);
    view.update([record('b', 1)]);
    view.evict('b');
    view.update([record('b', 2)]);
    assert.deepEqual(view.nodes().map((n) => n.id), ['b']);
  });

  test('viewers placed since the last refresh count as load until the next one', () => {
    const view = new ClusterView(10_000);
    view.update([record('a')]);
    view.notePlaced('a');
    view.notePlaced('a');
    assert.equal(view.get('a')?.load.viewers, 4);
    view.update([record('a')]);
    assert.equal(view.get('a')?.load.viewers, 2);
  });

  test('a view not refreshed within its staleness bound is unhealthy', async () => {
    const view = new ClusterView(50);
    assert.equal(view.healthy, false, 'never refreshed');
    view.update([]);
    assert.equal(view.healthy, true);
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(view.healthy, false);
  });
});
