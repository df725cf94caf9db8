/**
 * Reads the frame-clock code out of RGBA pixels (a canvas ImageData or a test
 * buffer): average each block's inner area, threshold halfway between the
 * calibration row's black and white levels, then verify the check value.
 */
import { decodeClockBits, CODE_BITS } from './clock-code.ts';
import { bitPosition, calibrationBit, CLOCK_COLUMNS, sampleRect, type Rect } from './clock-layout.ts';

export interface RgbaImage {
  readonly data: ArrayLike<number>;
  readonly width: number;
  /** Rows present in `data`; may be fewer than the frame's when only the code band was read. */
  readonly height: number;
}

export type ClockReadResult =
  | { ok: true; time32: number }
  | { ok: false; reason: 'too-small' | 'no-contrast' | 'no-calibration' | 'bad-check' };

/** Below this white-minus-black luma gap the picture holds no code (or is too washed out to trust). */
const MIN_CONTRAST = 48;

/** Mean luma of a normalized rect of a frame `frameHeight` rows tall, sampled from `image`. */
export function meanLuma(image: RgbaImage, frameHeight: number, rect: Rect): number {
  const x0 = Math.round(rect.x * image.width);
  const x1 = Math.max(x0 + 1, Math.round((rect.x + rect.w) * image.width));
  const y0 = Math.round(rect.y * frameHeight);
  const y1 = Math.max(y0 + 1, Math.round((rect.y + rect.h) * frameHeight));
  let sum = 0;
  let n = 0;
  for (let y = y0; y < y1 && y < image.height; y++) {
    for (let x = x0; x < x1 && x < image.width; x++) {
      const i = (y * image.width + x) * 4;
      // Integer luma approximation (BT.601 weights ~ 1:2:1 is close enough for black/white).
      sum += ((image.data[i] ?? 0) + 2 * (image.data[i + 1] ?? 0) + (image.data[i + 2] ?? 0)) / 4;
      n++;
    }
  }
  return n === 0 ? NaN : sum / n;
}

/** Bottom edge (fraction of frame height) of the rows a reader must fetch. */
export function codeBandBottom(): number {
  const last = sampleRect(2, 0);
  return last.y + last.h;
}

export function readClockCode(image: RgbaImage, frameHeight: number): ClockReadResult {
  if (image.width < CLOCK_COLUMNS * 4 || image.height < Math.ceil(codeBandBottom() * frameHeight)) return { ok: false, reason: 'too-small' };
  const calib: number[] = [];
  let black = 0;
  let white = 0;
  for (let col = 0; col < CLOCK_COLUMNS; col++) {
    const v = meanLuma(image, frameHeight, sampleRect(0, col));
    calib.push(v);
    if (calibrationBit(col)) white += v;
    else black += v;
  }
  black /= CLOCK_COLUMNS / 2;
  white /= CLOCK_COLUMNS / 2;
  if (!(white - black >= MIN_CONTRAST)) return { ok: false, reason: 'no-contrast' };
  const threshold = (black + white) / 2;
  for (let col = 0; col < CLOCK_COLUMNS; col++) {
    if (((calib[col] ?? 0) > threshold ? 1 : 0) !== calibrationBit(col)) return { ok: false, reason: 'no-calibration' };
  }
  const bits: number[] = [];
  for (let i = 0; i < CODE_BITS; i++) {
    const { row, col } = bitPosition(i);
    bits.push(meanLuma(image, frameHeight, sampleRect(row, col)) > threshold ? 1 : 0);
  }
  const time32 = decodeClockBits(bits);
  return time32 === null ? { ok: false, reason: 'bad-check' } : { ok: true, time32 };
}
