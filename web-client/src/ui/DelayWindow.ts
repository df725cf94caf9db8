/** The last N delay samples with percentiles, for the watch page's overlay and test hook. */
export class DelayWindow {
  readonly values: number[] = [];
  readonly #capacity: number;

  constructor(capacity = 600) {
    this.#capacity = capacity;
  }

  push(value: number): void {
    this.values.push(value);
    if (this.values.length > this.#capacity) this.values.splice(0, this.values.length - this.#capacity);
  }

  get last(): number | null {
    return this.values.at(-1) ?? null;
  }

  /** Nearest-rank percentile (p in 0..100); null when empty. */
  percentile(p: number): number | null {
    if (this.values.length === 0) return null;
    const sorted = [...this.values].sort((a, b) => a - b);
    const rank = Math.ceil((Math.min(100, Math.max(0, p)) / 100) * sorted.length);
    return sorted[Math.max(0, rank - 1)] ?? null;
  }
}
