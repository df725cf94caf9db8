/**
 * Send encodings for the publisher's video. Three simulcast layers (rids
 * low/mid/high at 1/4, 1/2 and full size) when the camera gives at least
 * 640x360 in either orientation, else one layer. Bitrate caps are sized for a
 * phone's uplink: the top layer is what gets dropped first when it is short.
 */

export type SimulcastRid = 'low' | 'mid' | 'high';

export interface SendEncoding {
  rid?: SimulcastRid;
  scaleResolutionDownBy: number;
  maxBitrate: number;
  maxFramerate: number;
}

const LAYERS: ReadonlyArray<{ rid: SimulcastRid; scale: number }> = [
  { rid: 'low', scale: 4 },
  { rid: 'mid', scale: 2 },
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

export function canSimulcast(width: number, height: number): boolean {
  return Math.max(width, height) >= 640 && Math.min(width, height) >= 360;
}

export function sendEncodings(width: number, height: number, fps = 30): SendEncoding[] {
  if (!canSimulcast(width, height)) return [{ scaleResolutionDownBy: 1, maxBitrate: layerBitrate(width, height), maxFramerate: fps }];
  return LAYERS.map(({ rid, scale }) => ({
    rid,
    scaleResolutionDownBy: scale,
    maxBitrate: layerBitrate(width / scale, height / scale),
    maxFramerate: fps,
  }));
}
