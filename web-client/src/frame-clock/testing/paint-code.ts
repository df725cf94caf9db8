/**
 * Test-only rasterizer: paints the clock code into an RGBA buffer the way
 * ClockSource draws it on a canvas, and box-downscales buffers, so node tests
 * can exercise the reader without a browser.
 */
import { encodeClockBits, CODE_BITS } from '../clock-code.ts';
import { bitPosition, blockRect, calibrationBit, CLOCK_COLUMNS, CODE_PANEL, type Rect } from '../clock-layout.ts';
import type { RgbaImage } from '../clock-image.ts';

export interface TestImage extends RgbaImage {
  readonly data: Uint8ClampedArray;
}

function fill(img: TestImage, r: Rect, value: number): void {
  const x0 = Math.round(r.x * img.width);
  const x1 = Math.round((r.x + r.w) * img.width);
  const y0 = Math.round(r.y * img.height);
  const y1 = Math.round((r.y + r.h) * img.height);
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const i = (y * img.width + x) * 4;
      img.data[i] = img.data[i + 1] = img.data[i + 2] = value;
      img.data[i + 3] = 255;
    }
  }
}

export function blankImage(width: number, height: number, value = 40): TestImage {
  const img = { data: new Uint8ClampedArray(width * height * 4), width, height };
  fill(img, { x: 0, y: 0, w: 1, h: 1 }, value);
  return img;
}

export function paintClock(timeMs: number, width = 640, height = 360): TestImage {
  const img = blankImage(width, height);
  fill(img, CODE_PANEL, 128);
  for (let col = 0; col < CLOCK_COLUMNS; col++) fill(img, blockRect(0, col), calibrationBit(col) ? 255 : 0);
  const bits = encodeClockBits(timeMs);
  for (let i = 0; i < CODE_BITS; i++) {
    const { row, col } = bitPosition(i);
    fill(img, blockRect(row, col), bits[i] ? 255 : 0);
  }
  return img;
}

/** Area-average downscale by an integer factor (what a good scaler does). */
export function downscale(src: TestImage, factor: number): TestImage {
  const width = Math.floor(src.width / factor);
  const height = Math.floor(src.height / factor);
  const out = { data: new Uint8ClampedArray(width * height * 4), width, height };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 4; c++) {
        let sum = 0;
        for (let dy = 0; dy < factor; dy++) {
          for (let dx = 0; dx < factor; dx++) sum += src.data[((y * factor + dy) * src.width + x * factor + dx) * 4 + c] ?? 0;
        }
        out.data[(y * width + x) * 4 + c] = sum / (factor * factor);
      }
    }
  }
  return out;
}

/** Adds deterministic pseudo-random noise of +-amplitude to every color channel. */
export function addNoise(img: TestImage, amplitude: number, seed = 1): TestImage {
  let s = seed >>> 0;
  const data = new Uint8ClampedArray(img.data);
  for (let i = 0; i < data.length; i++) {
    if (i % 4 === 3) continue;
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = (data[i] ?? 0) + ((s / 2 ** 32) * 2 - 1) * amplitude;
  }
  return { data, width: img.width, height: img.height };
}
