/**
 * Asks the publisher to resend lost packets of one incoming stream (one SSRC).
 * werift's own NACK handler shares one sequence space across all simulcast
 * layers of a receiver and does not handle sequence wrap-around, so the
 * Producer runs one of these per layer instead.
 * The per-packet path is a subtraction and a compare; timers run only while
 * something is missing.
 */

export interface NackGeneratorOptions {
  /** Sends one NACK listing these sequence numbers. */
  readonly send: (lost: number[]) => void;
  /** Wait before the first NACK, so reordered packets are not reported (ms). */
  readonly reorderDelayMs?: number;
  /**
   * Gap between NACKs for the same packet (ms) until a resend has been timed;
   * then about 1.5 × the measured NACK-to-resend time (the RTT, as seen here), within [minRetryMs, retryIntervalMs].
   */
  readonly retryIntervalMs?: number;
  /** Shortest gap between NACKs for the same packet (ms): libwebrtc ignores a request for a packet it resent less than an RTT + 5 ms ago. */
  readonly minRetryMs?: number;
  /** NACKs per packet before giving up. */
  readonly maxRetries?: number;
  /** A packet missing longer than this is given up (ms); a keyframe request repairs what is left. */
  readonly maxAgeMs?: number;
  /** Gaps larger than this are a stream restart, not loss. */
  readonly maxGap?: number;
  /** Upper bound on tracked missing packets; the oldest are dropped. */
  readonly maxMissing?: number;
}

interface Missing {
  readonly firstMs: number;
  lastSentMs: number;
  sent: number;
}

export class NackGenerator {
  readonly #send: (lost: number[]) => void;
  readonly #reorderDelayMs: number;
  readonly #maxRetryMs: number;
  readonly #minRetryMs: number;
  #retryIntervalMs: number;
  /** Smoothed NACK-to-resend time (ms); 0 until measured. */
  #repairMs = 0;
  readonly #maxRetries: number;
  readonly #maxAgeMs: number;
  readonly #maxGap: number;
  readonly #maxMissing: number;
  readonly #missing = new Map<number, Missing>();
  #highest = -1;
  #timer: NodeJS.Timeout | undefined;
  /** When the pending timer fires (ms since epoch). */
  #timerDueMs = 0;
  #closed = false;
  #nacksSent = 0;

  constructor(options: NackGeneratorOptions) {
    this.#send = options.send;
    this.#reorderDelayMs = options.reorderDelayMs ?? 10;
    this.#maxRetryMs = options.retryIntervalMs ?? 100;
    this.#minRetryMs = Math.min(options.minRetryMs ?? 20, this.#maxRetryMs);
    this.#retryIntervalMs = this.#maxRetryMs;
    this.#maxRetries = options.maxRetries ?? 4;
    this.#maxAgeMs = options.maxAgeMs ?? 1000;
    this.#maxGap = options.maxGap ?? 500;
    this.#maxMissing = options.maxMissing ?? 300;
  }

  /** Sequence numbers currently considered lost. */
  get missing(): number[] {
    return [...this.#missing.keys()];
  }

  /** Gap between NACKs for the same packet now (ms). */
  get retryIntervalMs(): number {
    return this.#retryIntervalMs;
  }

  /** By then a packet NACKed as soon as it went missing has been asked for maxRetries times and their resends are due (ms). */
  get repairWindowMs(): number {
    return this.#reorderDelayMs + this.#maxRetries * this.#retryIntervalMs;
  }

  /** NACK packets sent so far. */
  get nacksSent(): number {
    return this.#nacksSent;
  }

  onPacket(seq: number): void {
    if (this.#highest === -1) {
      this.#highest = seq;
      return;
    }
    const diff = (seq - this.#highest) & 0xffff;
    if (diff === 0) return;
    if (diff < 0x8000) {
      if (diff > 1) this.#addGap(diff);
      this.#highest = seq;
      return;
    }
    // Older than the highest: a retransmission or a reordered packet.
    if (this.#missing.size === 0) return;
    const m = this.#missing.get(seq);
    if (!m) return;
    // Only an answer to a single NACK times the round trip unambiguously.
    if (m.sent === 1) this.#timeRepair(Date.now() - m.lastSentMs);
    this.#missing.delete(seq);
  }

  #timeRepair(ms: number): void {
    this.#repairMs = this.#repairMs === 0 ? ms : this.#repairMs + (ms - this.#repairMs) / 8;
    this.#retryIntervalMs = Math.min(this.#maxRetryMs, Math.max(this.#minRetryMs, Math.round(this.#repairMs * 1.5 + 5)));
  }

  /** Stops asking for a packet known not to be coming (padding, which publishers do not resend). */
  forget(seq: number): void {
    this.#missing.delete(seq);
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#missing.clear();
  }

  #addGap(diff: number): void {
    if (diff > this.#maxGap) {
      // A jump this large is a restart of the stream; NACKing it would only flood the publisher.
      this.#missing.clear();
      return;
    }
    const now = Date.now();
    for (let i = 1; i < diff; i++) {
      this.#missing.set((this.#highest + i) & 0xffff, { firstMs: now, lastSentMs: 0, sent: 0 });
    }
    while (this.#missing.size > this.#maxMissing) {
      const oldest = this.#missing.keys().next().value as number;
      this.#missing.delete(oldest);
    }
    this.#schedule(this.#reorderDelayMs);
  }

  #schedule(delayMs: number): void {
    if (this.#closed) return;
    const dueMs = Date.now() + delayMs;
    if (this.#timer) {
      // A retry timer set for later must not hold back the first NACK of a new gap.
      if (this.#timerDueMs <= dueMs) return;
      clearTimeout(this.#timer);
    }
    this.#timerDueMs = dueMs;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#tick();
    }, delayMs);
    this.#timer.unref?.();
  }

  #tick(): void {
    if (this.#closed) return;
    const now = Date.now();
    // First requests go first: libwebrtc drops the rest of a NACK at the first packet it resent less than an RTT ago.
    const due: number[] = [];
    let firsts = 0;
    for (const [seq, m] of this.#missing) {
      if (m.sent >= this.#maxRetries || now - m.firstMs > this.#maxAgeMs) {
        this.#missing.delete(seq);
        continue;
      }
      if (m.sent === 0) {
        due.splice(firsts++, 0, seq);
      } else if (now - m.lastSentMs >= this.#retryIntervalMs) {
        due.push(seq);
      } else {
        continue;
      }
      m.sent++;
      m.lastSentMs = now;
    }
    if (due.length > 0) {
      this.#nacksSent++;
      this.#send(due);
    }
    if (this.#missing.size > 0) this.#schedule(Math.max(10, Math.floor(this.#retryIntervalMs / 2)));
  }
}
