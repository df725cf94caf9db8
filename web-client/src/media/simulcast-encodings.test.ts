import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { layerBitrate, sendEncodings, simulcastLayerCount } from './simulcast-encodings.ts';

const shape = (w: number, h: number) => sendEncodings(w, h).map((e) => [e.rid, e.scaleResolutionDownBy]);

describe('sendEncodings', () => {
  test('gives three rid layers low/mid/high at 1/4, 1/2 and full size from 960x540 up', () => {
    assert.deepEqual(shape(960, 540), [['low', 4], ['mid', 2], ['high', 1]]);
    assert.deepEqual(shape(1280, 720), [['low', 4], ['mid', 2], ['high', 1]]);
  });

  test('gives two layers low/high for a 640x360 or 640x480 source, whose top layer Chromium would otherwise drop', () => {
    assert.deepEqual(shape(640, 360), [['low', 2], ['high', 1]]);
    assert.deepEqual(shape(640, 480), [['low', 2], ['high', 1]]);
    assert.deepEqual(sendEncodings(640, 360).map((e) => e.maxBitrate), [250_000, 600_000]);
  });

  test('caps a 720p camera at 2.35 Mbps in total, growing with each layer', () => {
    const rates = sendEncodings(1280, 720).map((e) => e.maxBitrate);
    assert.deepEqual(rates, [250_000, 600_000, 1_500_000]);
  });

  test('treats a portrait phone camera like a landscape one', () => {
    assert.deepEqual(sendEncodings(720, 1280), sendEncodings(1280, 720));
    assert.equal(simulcastLayerCount(360, 640), 2);
  });

  test('sends one layer without rid below 480x270', () => {
    assert.deepEqual(sendEncodings(320, 240), [{ scaleResolutionDownBy: 1, maxBitrate: layerBitrate(320, 240), maxFramerate: 30 }]);
  });
});
