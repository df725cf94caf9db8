import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatAgo, formatElapsed, formatViewers } from './format-time.ts';

describe('format-time', () => {
  test('formatElapsed shows m:ss, and h:mm:ss past an hour', () => {
    assert.equal(formatElapsed(0), '0:00');
    assert.equal(formatElapsed(65_400), '1:05');
    assert.equal(formatElapsed(3_725_000), '1:02:05');
    assert.equal(formatElapsed(-5), '0:00');
  });

  test('formatAgo rounds to minutes and hours', () => {
    const now = Date.parse('2025-01-01T12:00:00Z');
    assert.equal(formatAgo('2025-01-01T11:59:30Z', now), 'just now');
    assert.equal(formatAgo('2025-01-01T11:55:00Z', now), '5 min ago');
    assert.equal(formatAgo('2025-01-01T09:10:00Z', now), '2 h ago');
    assert.equal(formatAgo('not a date', now), 'just now');
  });

  test('formatViewers abbreviates thousands and handles the singular', () => {
    assert.equal(formatViewers(1), '1 viewer');
    assert.equal(formatViewers(0), '0 viewers');
    assert.equal(formatViewers(1234), '1.2K viewers');
    assert.equal(formatViewers(25_600), '26K viewers');
  });
});
