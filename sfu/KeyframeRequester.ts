/**
 * Relays keyframe requests (PLI/FIR from viewers, joins, layer switches) to the
 * publisher at most once per throttle window for one incoming stream (SSRC).
 * The first request goes out at once; requests inside the window collapse into
 * one trailing request at its end, so a viewer that asked just after a keyframe
 * left still gets one, and 100 joining viewers cause a handful of PLIs, not 100.
 */

export interface KeyframeRequesterOptions {
  /** Minimum gap between two requests sent upstream (ms). 0 sends every request. */
  readonly throttleMs: number;
  /** Sends one request upstream (a PLI for this SSRC); false when it could not (SSRC not known yet). */
  readonly send: () => boolean;
}

export class KeyframeRequester {
  readonly #throttleMs: number;
  readonly #send: () => boolean;
  #lastSentAt = Number.NEGATIVE_INFINITY;
  #timer: NodeJS.Timeout | undefined;
  #requested = 0;
  #sent = 0;
  #closed = false;

  constructor(options: KeyframeRequesterOptions) {
    if (!(options.throttleMs >= 0)) throw new TypeError('KeyframeRequester: throttleMs must be >= 0');
    this.#throttleMs = options.throttleMs;
    this.#send = options.send;
  }

  /** Requests received so far (for stats and tests). */
  get requestCount(): number {
    return this.#requested;
  }

  /** Requests sent upstream so far. */
  get sentCount(): number {
    return this.#sent;
  }

  /** True while a trailing request is scheduled. */
  get pending(): boolean {
    return this.#timer !== undefined;
  }

  request(): void {
    if (this.#closed) return;
    this.#requested++;
    const now = Date.now();
    const wait = this.#lastSentAt + this.#throttleMs - now;
    if (wait <= 0) {
      this.#fire(now);
      return;
    }
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (!this.#closed) this.#fire(Date.now());
    }, wait);
    this.#timer.unref?.();
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #fire(now: number): void {
    // A request that could not go out does not start a throttle window.
    if (!this.#send()) return;
    this.#lastSentAt = now;
    this.#sent++;
  }
}
