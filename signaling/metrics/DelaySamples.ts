/**
 * Glass-to-glass delays reported by watch pages over a sliding time window,
 * summarised as p50/p95 for the cluster heartbeat (and so the dashboard).
 * Bounded: past MAX_SAMPLES the oldest go first.
 */
const MAX_SAMPLES = 5000;

export class DelaySamples {
  readonly #windowMs: number;
  readonly #samples: Array<{ at: number; ms: number }> = [];

  constructor(windowMs: number) {
    this.#windowMs = windowMs;
  }

  add(delaysMs: readonly number[]): void {
    const at = Date.now();
    for (const ms of delaysMs) this.#samples.push({ at, ms });
    if (this.#samples.length > MAX_SAMPLES) this.#samples.splice(0, this.#samples.length - MAX_SAMPLES);
  }

  summary(): { p50: number | null; p95: number | null; samples: number } {
    const since = Date.now() - this.#windowMs;
    while (this.#samples.length > 0 && this.#samples[0]!.at < since) this.#samples.shift();
    const sorted = this.#samples.map((s) => s.ms).sort((a, b) => a - b);
    const pick = (q: number): number | null => (sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
    return { p50: pick(0.5), p95: pick(0.95), samples: sorted.length };
  }
}
