/**
 * Draws the frame clock on a canvas and captures it as a video track: the
 * sender's Date.now() as a block code (see clock-layout.ts) plus moving
 * content so the encoder sees motion, a readable time and a frame counter.
 * Timers are throttled in hidden tabs; keep the publishing page visible.
 */
import { encodeClockBits, CODE_BITS } from './clock-code.ts';
import { bitPosition, blockRect, calibrationBit, CLOCK_COLUMNS, CLOCK_HEIGHT, CLOCK_WIDTH, CODE_PANEL, type Rect } from './clock-layout.ts';

export interface ClockSourceOptions {
  width?: number;
  height?: number;
  fps?: number;
  /** Wall clock to encode; the reader must use the same one. */
  now?: () => number;
}

export class ClockSource {
  readonly canvas: HTMLCanvasElement;
  readonly fps: number;
  readonly #ctx: CanvasRenderingContext2D;
  readonly #now: () => number;
  #timer: ReturnType<typeof setInterval> | undefined;
  #stream: MediaStream | undefined;
  #frame = 0;

  constructor(options: ClockSourceOptions = {}) {
    this.fps = options.fps ?? 30;
    this.#now = options.now ?? Date.now;
    this.canvas = document.createElement('canvas');
    this.canvas.width = options.width ?? CLOCK_WIDTH;
    this.canvas.height = options.height ?? CLOCK_HEIGHT;
    const ctx = this.canvas.getContext('2d', { alpha: false });
    if (!ctx) throw new Error('this browser cannot draw on a 2d canvas, so the frame clock is unavailable');
    this.#ctx = ctx;
    this.drawFrame();
  }

  /** Starts drawing and returns the captured stream (one video track). */
  start(): MediaStream {
    if (!this.#stream) this.#stream = this.canvas.captureStream(this.fps);
    if (this.#timer === undefined) this.#timer = setInterval(() => this.drawFrame(), 1000 / this.fps);
    return this.#stream;
  }

  get stream(): MediaStream | undefined {
    return this.#stream;
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#stream?.getTracks().forEach((t) => t.stop());
    this.#stream = undefined;
  }

  /** Paints one frame carrying `now`; called by the timer, public so tests can paint exact times. */
  drawFrame(now = this.#now()): void {
    const ctx = this.#ctx;
    ctx.setTransform(this.canvas.width / CLOCK_WIDTH, 0, 0, this.canvas.height / CLOCK_HEIGHT, 0, 0);
    ctx.fillStyle = '#202020';
    ctx.fillRect(0, 0, CLOCK_WIDTH, CLOCK_HEIGHT);
    this.#drawCode(now);
    this.#drawMotion(now);
    this.#frame++;
  }

  #fill(rect: Rect, color: string): void {
    this.#ctx.fillStyle = color;
    this.#ctx.fillRect(rect.x * CLOCK_WIDTH, rect.y * CLOCK_HEIGHT, rect.w * CLOCK_WIDTH, rect.h * CLOCK_HEIGHT);
  }

  #drawCode(now: number): void {
    this.#fill(CODE_PANEL, '#808080');
    for (let col = 0; col < CLOCK_COLUMNS; col++) this.#fill(blockRect(0, col), calibrationBit(col) ? '#fff' : '#000');
    const bits = encodeClockBits(now);
    for (let i = 0; i < CODE_BITS; i++) {
      const { row, col } = bitPosition(i);
      this.#fill(blockRect(row, col), bits[i] ? '#fff' : '#000');
    }
  }

  #drawMotion(now: number): void {
    const ctx = this.#ctx;
    const top = CODE_PANEL.h * CLOCK_HEIGHT;
    // A bar sweeping left to right every 2 s and a hue that cycles: steady motion for the encoder.
    const phase = (now % 2000) / 2000;
    ctx.fillStyle = `hsl(${Math.round(phase * 360)} 80% 50%)`;
    ctx.fillRect(phase * (CLOCK_WIDTH - 60), CLOCK_HEIGHT - 44, 60, 36);
    ctx.fillStyle = '#fff';
    ctx.font = 'bold 56px monospace';
    ctx.textBaseline = 'top';
    ctx.fillText(new Date(now).toISOString().slice(11, 23), 24, top + 24);
    ctx.font = '24px monospace';
    ctx.fillText(`frame ${this.#frame}  ${now}`, 24, top + 96);
  }
}
