/**
 * Where the frame-clock code sits in a picture, in fractions of the frame's
 * width and height, so the same numbers work at 640x360 and at 160x90.
 * Row 0 is a calibration row of alternating black/white blocks (black first):
 * it gives the reader its black and white levels and proves a code is present.
 * Rows 1-2 carry the 40 code bits, 20 per row, most significant first.
 */

export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

/** Reference size the clock is drawn at; layout numbers below are in its pixels. */
export const CLOCK_WIDTH = 640;
export const CLOCK_HEIGHT = 360;

export const CLOCK_COLUMNS = 20;
export const CLOCK_ROWS = 3;
const X0 = 20;
const Y0 = 16;
const BLOCK_W = 30; // 7.5 px at 160x90: still several pixels after downscaling
const BLOCK_H = 48;
/** Readers average the inner part only: edges blur when the picture is scaled or compressed. */
const SAMPLE_FRACTION = 0.5;

/** The gray quiet zone behind the code (top of the frame). */
export const CODE_PANEL: Rect = { x: 0, y: 0, w: 1, h: (Y0 * 2 + BLOCK_H * CLOCK_ROWS) / CLOCK_HEIGHT };

export function blockRect(row: number, col: number): Rect {
  return {
    x: (X0 + col * BLOCK_W) / CLOCK_WIDTH,
    y: (Y0 + row * BLOCK_H) / CLOCK_HEIGHT,
    w: BLOCK_W / CLOCK_WIDTH,
    h: BLOCK_H / CLOCK_HEIGHT,
  };
}

export function sampleRect(row: number, col: number): Rect {
  const b = blockRect(row, col);
  const mx = (b.w * (1 - SAMPLE_FRACTION)) / 2;
  const my = (b.h * (1 - SAMPLE_FRACTION)) / 2;
  return { x: b.x + mx, y: b.y + my, w: b.w * SAMPLE_FRACTION, h: b.h * SAMPLE_FRACTION };
}

/** Calibration row value at `col`: 0 = black, 1 = white. */
export function calibrationBit(col: number): number {
  return col % 2;
}

/** Row and column of code bit `index` (0 = most significant time bit). */
export function bitPosition(index: number): { row: number; col: number } {
  return { row: 1 + Math.floor(index / CLOCK_COLUMNS), col: index % CLOCK_COLUMNS };
}
