/**
 * Send encodings for the publisher's video, as simulcast rid layers. Three
 * layers (low/mid/high at 1/4, 1/2 and full size) from 960x540 up; two
 * (low/high at 1/2 and full size) from 480x270 up, e.g. a 640x360 or 640x480
 * camera; one below. Measured on Chromium: it caps the layer count by input
 * size (3 from 960x540, 2 from 480x270) and drops the *top* layers past the
 * cap, so asking a 640x360 source for three layers would silently never send
 * full resolution. Bitrate caps are sized for a phone's uplink.
 */

export type SimulcastRid = 'low' | 'mid' | 'high';

export interface SendEncoding {
  rid?: SimulcastRid;
  scaleResolutionDownBy: number;
  maxBitrate: number;
  maxFramerate: number;
}

const THREE: ReadonlyArray<{ rid: SimulcastRid; scale: number }> = [
  { rid: 'low', scale: 4 },
  { rid: 'mid', scale: 2 },
  { rid: 'high', scale: 1 },
];
const TWO: ReadonlyArray<{ rid: SimulcastRid; scale: number }> = [
  { rid: 'low', scale: 2 },
  { rid: 'high', scale: 1 },
];

/** Bitrate cap for one layer of `width`x`height` at 30 fps (bps). */
export function layerBitrate(width: number, height: number): number {
  const pixels = width * height;
  if (pixels >= 1920 * 1080 * 0.9) return 2_500_000;
  if (pixels >= 1280 * 720 * 0.9) return 1_500_000;
  if (pixels >= 960 * 540 * 0.9) return 1_000_000;
  if (pixels >= 640 * 360 * 0.9) return 600_000;
  if (pixels >= 320 * 180 * 0.9) return 250_000;
  return 120_000;
}

/** How many simulcast layers a source of this size gets (Chromium's own limits). */
export function simulcastLayerCount(width: number, height: number): 1 | 2 | 3 {
  const pixels = width * height;
  if (pixels >= 960 * 540) return 3;
  if (pixels >= 480 * 270) return 2;
  return 1;
}

export function sendEncodings(width: number, height: number, fps = 30): SendEncoding[] {
  const count = simulcastLayerCount(width, height);
  if (count === 1) return [{ scaleResolutionDownBy: 1, maxBitrate: layerBitrate(width, height), maxFramerate: fps }];
  return (count === 3 ? THREE : TWO).map(({ rid, scale }) => ({
    rid,
    scaleResolutionDownBy: scale,
    maxBitrate: layerBitrate(width / scale, height / scale),
    maxFramerate: fps,
  }));
}
