import assert from 'node:assert/strict';
import { test } from 'node:test';
import { metricSum } from './prom-text.ts';

const TEXT = [
  '# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.',
  '# TYPE process_cpu_seconds_total counter',
  'process_cpu_seconds_total{node="edge-1",role="edge"} 12.5',
  'process_cpu_seconds_total_extra 99',
  'live_viewers{tier="edge",node="edge-1"} 40',
  'live_viewers{tier="signalled",node="edge-1"} 3',
  'media_forwarded_packets_total 1000',
].join('\n');

test('metricSum reads one sample, filters by labels, sums label sets, and ignores longer names', () => {
  assert.equal(metricSum(TEXT, 'process_cpu_seconds_total'), 12.5);
  assert.equal(metricSum(TEXT, 'live_viewers', { tier: 'edge' }), 40);
  assert.equal(metricSum(TEXT, 'live_viewers'), 43);
  assert.equal(metricSum(TEXT, 'media_forwarded_packets_total'), 1000);
  assert.equal(metricSum(TEXT, 'missing'), undefined);
});
