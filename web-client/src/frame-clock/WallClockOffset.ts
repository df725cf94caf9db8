/**
 * Maps performance.now() timestamps onto Date.now()'s wall clock with
 * sub-millisecond precision. Date.now() is truncated to whole ms, so each
 * reading of (Date.now() - performance.now()) is up to 1 ms below the true
 * offset; the running maximum converges on it. A reading far below the
 * maximum means the wall clock was set back, so the estimate restarts.
 */

/** A wall-clock step larger than this (ms) restarts the estimate. */
const RESET_BELOW_MS = 20;

export class WallClockOffset {
  readonly #wallNow: () => number;
  readonly #monoNow: () => number;
  #offset = -Infinity;

  constructor(wallNow: () => number = Date.now, monoNow: () => number = () => performance.now()) {
    this.#wallNow = wallNow;
    this.#monoNow = monoNow;
  }

  /** Takes a fresh reading and returns the current offset estimate (wall = mono + offset). */
  update(): number {
    const reading = this.#wallNow() - this.#monoNow();
    if (reading > this.#offset || reading < this.#offset - RESET_BELOW_MS) this.#offset = reading;
    return this.#offset;
  }

  /** Wall-clock ms of a performance.now()-timeline timestamp. */
  toWall(monoMs: number): number {
    return monoMs + this.update();
  }
}
