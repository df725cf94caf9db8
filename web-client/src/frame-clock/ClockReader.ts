/**
 * Decodes the frame clock from every frame a <video> presents and reports
 * glass-to-glass delay: the frame's expected display time (mapped to
 * Date.now()) minus the sender's encoded Date.now(). Both ends must share
 * the wall clock (two pages in one browser do).
 */
import { restoreClockTime } from './clock-code.ts';
import { codeBandBottom, readClockCode, type ClockReadResult } from './clock-image.ts';
import { WallClockOffset } from './WallClockOffset.ts';

export interface ClockSample {
  /** Display time minus sender time, ms. */
  delayMs: number;
  /** Sender wall-clock time carried by the frame. */
  senderTime: number;
  width: number;
  height: number;
}

export interface ClockReaderOptions {
  onSample?: (sample: ClockSample) => void;
  /** Every presented frame, code or not (frame counters, first-frame timing). */
  onFrame?: (metadata: VideoFrameCallbackMetadata) => void;
  /** Width frames are sampled at; blocks stay several pixels wide at this size. */
  sampleWidth?: number;
  now?: () => number;
}

/** After this many frames without a code, decode only every IDLE_STRIDE-th frame to save CPU. */
const IDLE_AFTER = 60;
const IDLE_STRIDE = 10;

export class ClockReader {
  readonly #video: HTMLVideoElement;
  readonly #onSample: ((sample: ClockSample) => void) | undefined;
  readonly #onFrame: ((metadata: VideoFrameCallbackMetadata) => void) | undefined;
  readonly #sampleWidth: number;
  readonly #clock: WallClockOffset;
  readonly #canvas: HTMLCanvasElement;
  readonly #ctx: CanvasRenderingContext2D;
  #handle: number | undefined;
  #missesInARow = 0;
  framesPresented = 0;
  framesDecoded = 0;
  lastFailure: Exclude<ClockReadResult, { ok: true }>['reason'] | null = null;

  constructor(video: HTMLVideoElement, options: ClockReaderOptions = {}) {
    if (typeof video.requestVideoFrameCallback !== 'function') {
      throw new Error('this browser lacks requestVideoFrameCallback; the frame clock needs Chromium 83+, Safari 15.4+ or Firefox 132+');
    }
    this.#video = video;
    this.#onSample = options.onSample;
    this.#onFrame = options.onFrame;
    this.#sampleWidth = options.sampleWidth ?? 320;
    this.#clock = new WallClockOffset(options.now ?? Date.now);
    this.#canvas = document.createElement('canvas');
    const ctx = this.#canvas.getContext('2d', { willReadFrequently: true, alpha: false });
    if (!ctx) throw new Error('this browser cannot read canvas pixels, so the frame clock is unavailable');
    this.#ctx = ctx;
  }

  start(): void {
    if (this.#handle === undefined) this.#handle = this.#video.requestVideoFrameCallback(this.#onPresented);
  }

  stop(): void {
    if (this.#handle !== undefined) this.#video.cancelVideoFrameCallback(this.#handle);
    this.#handle = undefined;
  }

  readonly #onPresented = (_now: DOMHighResTimeStamp, metadata: VideoFrameCallbackMetadata): void => {
    this.#handle = this.#video.requestVideoFrameCallback(this.#onPresented);
    this.framesPresented++;
    this.#onFrame?.(metadata);
    if (this.#missesInARow >= IDLE_AFTER && this.framesPresented % IDLE_STRIDE !== 0) return;
    // expectedDisplayTime is on the performance.now() timeline; shift it onto Date.now()'s.
    const displayWall = this.#clock.toWall(metadata.expectedDisplayTime);
    const sample = this.#read(metadata.width, metadata.height, displayWall);
    if (sample) {
      this.#missesInARow = 0;
      this.framesDecoded++;
      this.#onSample?.(sample);
    } else {
      this.#missesInARow++;
    }
  };

  #read(width: number, height: number, displayWall: number): ClockSample | null {
    if (width === 0 || height === 0) return null;
    const w = Math.min(width, this.#sampleWidth);
    const h = Math.round((height * w) / width);
    const bandRows = Math.min(h, Math.ceil(codeBandBottom() * h) + 1);
    if (this.#canvas.width !== w || this.#canvas.height !== bandRows) {
      this.#canvas.width = w;
      this.#canvas.height = bandRows;
    }
    // Only the top band holds the code: scale the matching source rows into the small canvas.
    const srcRows = (bandRows / h) * this.#video.videoHeight;
    this.#ctx.drawImage(this.#video, 0, 0, this.#video.videoWidth, srcRows, 0, 0, w, bandRows);
    const result = readClockCode(this.#ctx.getImageData(0, 0, w, bandRows), h);
    if (!result.ok) {
      this.lastFailure = result.reason;
      return null;
    }
    const senderTime = restoreClockTime(result.time32, displayWall);
    return { delayMs: displayWall - senderTime, senderTime, width, height };
  }
}
