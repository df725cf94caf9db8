/** The placement rules on hand-made registry records (no processes). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { NodeRecord } from './node-record.ts';
import { chooseUpstream, chooseViewerNode } from './placement.ts';

function node(id: string, role: 'origin' | 'edge', opts: { viewers?: number; capacity?: number; cpu?: number; streams?: NodeRecord['streams']; parent?: string } = {}): NodeRecord {
  return {
    id,
    role,
    url: `http://127.0.0.1:1/${id}`,
    parent: opts.parent ?? null,
    capacity: opts.capacity ?? 100,
    load: { viewers: opts.viewers ?? 0, cpu: opts.cpu ?? 0, egressBps: 0, pipesOut: 0, pipesIn: 0 },
    streams: opts.streams ?? {},
    entries: {},
    delay: { p50: null, p95: null, samples: 0 },
    startedAt: 0,
    heartbeatAt: 0,
  };
}

const S = 'stream1';
const origin = node('origin', 'origin', { streams: { [S]: { viewers: 0, origin: true } } });

describe('chooseViewerNode', () => {
  test('prefers the least-loaded edge that already carries the stream over an emptier edge without it', () => {
    const nodes = [origin, node('a', 'edge', { viewers: 50, streams: { [S]: { viewers: 50, origin: false } } }), node('b', 'edge', { viewers: 40, streams: { [S]: { viewers: 40, origin: false } } }), node('c', 'edge')];
    assert.equal(chooseViewerNode({ streamId: S, nodes })?.id, 'b');
  });

  test('a carrying edge without room is skipped: a new edge is chosen, the least loaded', () => {
    const nodes = [origin, node('a', 'edge', { viewers: 100, streams: { [S]: { viewers: 100, origin: false } } }), node('b', 'edge', { viewers: 30 }), node('c', 'edge', { viewers: 10 })];
    assert.equal(chooseViewerNode({ streamId: S, nodes })?.id, 'c');
  });

  test('load is viewers over capacity, then CPU, then id', () => {
    const nodes = [origin, node('big', 'edge', { viewers: 50, capacity: 1000 }), node('small', 'edge', { viewers: 10, capacity: 20 })];
    assert.equal(chooseViewerNode({ streamId: S, nodes })?.id, 'big');
    const tied = [origin, node('y', 'edge', { cpu: 0.5 }), node('x', 'edge', { cpu: 0.9 }), node('z', 'edge', { cpu: 0.5 })];
    assert.equal(chooseViewerNode({ streamId: S, nodes: tied })?.id, 'y');
  });

  test('the origin serves viewers only when the cluster has no edges', () => {
    assert.equal(chooseViewerNode({ streamId: S, nodes: [origin] })?.id, 'origin');
    assert.equal(chooseViewerNode({ streamId: S, nodes: [origin, node('a', 'edge', { viewers: 100 })] }), undefined, 'full edges do not spill onto the origin');
  });

  test('everything full: nowhere (the caller sends the viewer to HLS)', () => {
    const nodes = [node('origin', 'origin', { viewers: 100, streams: { [S]: { viewers: 100, origin: true } } })];
    assert.equal(chooseViewerNode({ streamId: S, nodes }), undefined);
  });

  test('a hint names a node that can take the viewer; a full, unknown or foreign-origin hint is ignored', () => {
    const nodes = [origin, node('a', 'edge', { streams: { [S]: { viewers: 0, origin: false } } }), node('b', 'edge', { viewers: 100 }), node('other-origin', 'origin')];
    assert.equal(chooseViewerNode({ streamId: S, nodes, hint: 'origin' })?.id, 'origin', 'the stream origin may be named (0-hop measurements)');
    assert.equal(chooseViewerNode({ streamId: S, nodes, hint: 'b' })?.id, 'a');
    assert.equal(chooseViewerNode({ streamId: S, nodes, hint: 'gone' })?.id, 'a');
    assert.equal(chooseViewerNode({ streamId: S, nodes, hint: 'other-origin' })?.id, 'a');
  });
});

describe('chooseUpstream', () => {
  const a = node('a', 'edge');
  test('an edge pulls from its parent when the parent is alive, else from the stream origin', () => {
    assert.equal(chooseUpstream({ id: 'b', parent: 'a' }, S, [origin, a])?.id, 'a');
    assert.equal(chooseUpstream({ id: 'b', parent: 'a' }, S, [origin])?.id, 'origin');
    assert.equal(chooseUpstream({ id: 'b', parent: null }, S, [origin, a])?.id, 'origin');
  });

  test('no node publishes the stream: no upstream', () => {
    assert.equal(chooseUpstream({ id: 'b', parent: null }, 'other', [origin, a]), undefined);
  });
});
