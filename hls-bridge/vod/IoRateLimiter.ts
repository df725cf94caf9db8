/**
 * A token bucket on bytes read by background VOD jobs, so a long stitch cannot starve
 * the live streams' disk. Unlimited when the rate is 0. Shared by every feed of a job.
 */
export class IoRateLimiter {
  readonly bytesPerSec: number;
  #available: number;
  #last = performance.now();

  /** @param bytesPerSec 0 = unlimited. */
  constructor(bytesPerSec: number) {
    if (!(bytesPerSec >= 0)) throw new RangeError(`IoRateLimiter rate must be ≥ 0 bytes/s, got ${bytesPerSec}`);
    this.bytesPerSec = bytesPerSec;
    // A quarter second of burst keeps reads chunky without overshooting the rate.
    this.#available = bytesPerSec / 4;
  }

  /** Resolves once `bytes` may be read; aborts with the signal. */
  async take(bytes: number, signal?: AbortSignal): Promise<void> {
    if (this.bytesPerSec === 0) return;
    this.#refill();
    this.#available -= bytes;
    if (this.#available >= 0) return;
    const waitMs = (-this.#available / this.bytesPerSec) * 1000;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(done, waitMs);
      function done(): void {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }
      function onAbort(): void {
        clearTimeout(timer);
        reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
      }
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  #refill(): void {
    const now = performance.now();
    this.#available = Math.min(this.bytesPerSec / 4, this.#available + ((now - this.#last) / 1000) * this.bytesPerSec);
    this.#last = now;
  }
}
