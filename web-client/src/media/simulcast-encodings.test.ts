import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { canSimulcast, layerBitrate, sendEncodings } from './simulcast-encodings.ts';

describe('sendEncodings', () => {
  test('gives three rid layers low/mid/high at 1/4, 1/2 and full size for a 640x360 camera', () => {
    const enc = sendEncodings(640, 360);
    assert.deepEqual(enc.map((e) => [e.rid, e.scaleResolutionDownBy]), [['low', 4], ['mid', 2], ['high', 1]]);
    assert.deepEqual(enc.map((e) => e.maxBitrate), [120_000, 250_000, 600_000]);
  });

  test('caps a 720p camera near 2.4 Mbps in total, growing with each layer', () => {
    const enc = sendEncodings(1280, 720);
    const rates = enc.map((e) => e.maxBitrate);
    assert.deepEqual(rates, [...rates].sort((a, b) => a - b));
    assert.equal(rates.reduce((a, b) => a + b, 0), 250_000 + 600_000 + 1_500_000);
  });

  test('treats a portrait phone camera like a landscape one', () => {
    assert.deepEqual(sendEncodings(720, 1280), sendEncodings(1280, 720));
  });

  test('sends one layer without rid below 640x360', () => {
    assert.equal(canSimulcast(480, 360), false);
    assert.deepEqual(sendEncodings(480, 360), [{ scaleResolutionDownBy: 1, maxBitrate: layerBitrate(480, 360), maxFramerate: 30 }]);
  });
});
