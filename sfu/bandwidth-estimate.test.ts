import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { currentEstimate, INITIAL_VIEWER_ESTIMATE, REMB_WARMUP_MS, withReceiverReport, withRemb, type ViewerEstimate } from './bandwidth-estimate.ts';

describe('viewer bandwidth estimate', () => {
  test('is unknown until the viewer reports anything', () => {
    assert.equal(currentEstimate(INITIAL_VIEWER_ESTIMATE, 0, 0), undefined);
  });

  test('grows while receiver reports show no loss, and falls under heavy loss', () => {
    let e: ViewerEstimate = withReceiverReport(INITIAL_VIEWER_ESTIMATE, 0, 500_000);
    const first = currentEstimate(e, 0, 500_000)!;
    e = withReceiverReport(e, 0, 500_000);
    assert.ok(currentEstimate(e, 0, 500_000)! > first);
    const before = currentEstimate(e, 0, 500_000)!;
    e = withReceiverReport(e, 0.3, 500_000);
    assert.ok(Math.abs(currentEstimate(e, 0, 500_000)! - before * 0.85) < 1);
  });

  test('growth without loss stops at a ceiling tied to what is sent', () => {
    let e = INITIAL_VIEWER_ESTIMATE;
    for (let i = 0; i < 200; i++) e = withReceiverReport(e, 0, 100_000);
    assert.equal(currentEstimate(e, 0, 100_000), 4_000_000);
  });

  test('a REMB below the send rate caps the estimate, but only after the warm-up', () => {
    let e = withReceiverReport(INITIAL_VIEWER_ESTIMATE, 0, 1_000_000);
    e = withRemb(e, 300_000, 0);
    assert.ok(currentEstimate(e, 1000, 1_000_000)! > 1_000_000, 'ignored while the browser estimate settles');
    e = withRemb(e, 300_000, REMB_WARMUP_MS);
    assert.equal(currentEstimate(e, REMB_WARMUP_MS, 1_000_000), 300_000);
  });

  test('a REMB above the send rate does not limit upgrades', () => {
    let e = withReceiverReport(INITIAL_VIEWER_ESTIMATE, 0, 200_000);
    e = withRemb(e, 250_000, 0);
    e = withRemb(e, 250_000, REMB_WARMUP_MS);
    assert.ok(currentEstimate(e, REMB_WARMUP_MS, 200_000)! > 1_000_000);
  });

  test('a stale REMB is ignored', () => {
    let e = withReceiverReport(INITIAL_VIEWER_ESTIMATE, 0, 1_000_000);
    e = withRemb(e, 300_000, 0);
    e = withRemb(e, 300_000, REMB_WARMUP_MS);
    assert.ok(currentEstimate(e, REMB_WARMUP_MS + 60_000, 1_000_000)! > 1_000_000);
  });
});
