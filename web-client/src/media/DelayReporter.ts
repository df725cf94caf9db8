/**
 * Sends the glass-to-glass delays this page measured to the server every few
 * seconds (`POST /api/viewer-stats`), so node metrics and the cluster
 * dashboard show what viewers really see. Best effort: a failed report is dropped.
 */
const REPORT_EVERY_MS = 5000;
/** The server accepts at most this many delays per report. */
const MAX_PER_REPORT = 300;

export class DelayReporter {
  readonly #streamId: string;
  #pending: number[] = [];
  #firstFrameMs: number | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(streamId: string) {
    this.#streamId = streamId;
  }

  start(): void {
    this.#timer ??= setInterval(() => this.#flush(), REPORT_EVERY_MS);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  delay(ms: number): void {
    if (this.#pending.length < MAX_PER_REPORT) this.#pending.push(ms);
  }

  firstFrame(ms: number): void {
    this.#firstFrameMs = ms;
  }

  #flush(): void {
    if (this.#pending.length === 0 && this.#firstFrameMs === undefined) return;
    const body = JSON.stringify({ streamId: this.#streamId, delays: this.#pending, ...(this.#firstFrameMs !== undefined ? { firstFrameMs: this.#firstFrameMs } : {}) });
    this.#pending = [];
    this.#firstFrameMs = undefined;
    void fetch('/api/viewer-stats', { method: 'POST', headers: { 'content-type': 'application/json' }, body, keepalive: true }).catch(() => undefined);
  }
}
