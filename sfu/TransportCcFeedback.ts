/**
 * Transport-wide congestion control feedback for one publisher connection:
 * the Producers (audio and video share one transport sequence space) report
 * each packet's transport sequence number and arrival time, and every
 * FEEDBACK_INTERVAL_MS the packets received since the last feedback go back
 * to the publisher, whose send-side estimator (GCC) turns queueing delay and
 * loss into its available bitrate. werift's own feedback kept Chromium's
 * estimate near 300 kbps (pitfall 7), so it is switched off on this leg.
 * Per packet: an unwrap, a compare and one store into a ring; no allocation.
 */
import { createLogger } from '../signaling/logger.ts';
import { writeTransportCcFeedback } from './transport-cc-packet.ts';

const logger = createLogger('sfu:TransportCcFeedback');

export interface TransportCcFeedbackOptions {
  /** Sends one serialized RTCP packet to the publisher (dropped silently while the connection is not up). */
  readonly send: (packet: Buffer) => void;
  /** SSRC our feedback is sent from. */
  readonly senderSsrc: number;
  readonly intervalMs?: number;
}

/** libwebrtc's receivers send feedback every 50–250 ms by bitrate; 50 ms lets the estimate react within a few round trips. */
export const FEEDBACK_INTERVAL_MS = 50;
/** Packets remembered between feedbacks (a power of two); 50 ms at 80,000 packets/s. */
const RING_SIZE = 4096;
const RING_MASK = RING_SIZE - 1;
/** At most this many sequence numbers per RTCP packet (well under the MTU even with two-byte deltas). */
const MAX_PER_FEEDBACK = 400;

export class TransportCcFeedback {
  readonly #send: (packet: Buffer) => void;
  readonly #senderSsrc: number;
  readonly #intervalMs: number;
  /** Arrival time (ms) by unwrapped sequence number & RING_MASK; -1 = not received. */
  readonly #arrivals = new Float64Array(RING_SIZE).fill(-1);
  readonly #scratch = new Float64Array(MAX_PER_FEEDBACK);
  /** First unwrapped sequence number not yet reported; NaN before the first packet. */
  #start = Number.NaN;
  /** Highest unwrapped sequence number received. */
  #highest = Number.NaN;
  #mediaSsrc = 0;
  #feedbackCount = 0;
  #packetsSent = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: TransportCcFeedbackOptions) {
    this.#send = options.send;
    this.#senderSsrc = options.senderSsrc;
    this.#intervalMs = options.intervalMs ?? FEEDBACK_INTERVAL_MS;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Feedback packets sent so far. */
  get feedbackSent(): number {
    return this.#packetsSent;
  }

  /** Records one received packet; arrivalMs from a monotonic clock (performance.now()). The timer starts with the first packet. */
  onPacket(sequence: number, arrivalMs: number, ssrc: number): void {
    if (this.#closed) return;
    let unwrapped: number;
    if (Number.isNaN(this.#highest)) {
      unwrapped = sequence;
      this.#start = sequence;
      this.#highest = sequence;
      this.#mediaSsrc = ssrc;
      this.#startTimer();
    } else {
      let diff = (sequence - this.#highest) & 0xffff;
      if (diff >= 0x8000) diff -= 0x10000;
      unwrapped = this.#highest + diff;
      // Already reported (as lost, or a duplicate): the estimator has moved on.
      if (unwrapped < this.#start) return;
      if (unwrapped - this.#start >= RING_SIZE) this.#restartAt(unwrapped);
    }
    this.#arrivals[unwrapped & RING_MASK] = arrivalMs;
    if (unwrapped > this.#highest) this.#highest = unwrapped;
  }

  /** Sends feedback for everything received since the last one (the timer calls this). */
  flush(): void {
    if (this.#closed) return;
    while (this.#start <= this.#highest) {
      const count = Math.min(MAX_PER_FEEDBACK, this.#highest - this.#start + 1);
      for (let i = 0; i < count; i++) this.#scratch[i] = this.#arrivals[(this.#start + i) & RING_MASK]!;
      const result = writeTransportCcFeedback({
        senderSsrc: this.#senderSsrc,
        mediaSsrc: this.#mediaSsrc,
        baseSequence: this.#start & 0xffff,
        arrivalsMs: this.#scratch,
        count,
        feedbackCount: this.#feedbackCount,
      });
      // Nothing received in this slice (a long burst of loss): skip it, the next slice reports what arrived.
      const covered = result?.covered ?? count;
      if (result) {
        this.#feedbackCount = (this.#feedbackCount + 1) & 0xff;
        this.#packetsSent++;
        this.#send(result.packet);
      }
      for (let i = 0; i < covered; i++) this.#arrivals[(this.#start + i) & RING_MASK] = -1;
      this.#start += covered;
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #startTimer(): void {
    this.#timer = setInterval(() => {
      try {
        this.flush();
      } catch (err) {
        logger.error('flush() failed', err);
      }
    }, this.#intervalMs);
    this.#timer.unref();
  }

  /** A jump past the ring (a restarted sender): forget the unreported window rather than report thousands of losses. */
  #restartAt(unwrapped: number): void {
    this.#arrivals.fill(-1);
    this.#start = unwrapped;
    this.#highest = unwrapped;
  }
}
