/**
 * Renumbers one incoming video stream (one layer) so what the SFU forwards
 * carries no padding and no holes that nothing will fill.
 *
 * Without RTX, Chromium sends its bandwidth probes as padding-only packets on
 * the media SSRC, numbered in the media sequence, often hundreds a second.
 * libwebrtc viewers cope badly with them under loss: decoding H.264 they hold
 * back every delta frame after a missing number until the next keyframe
 * (asked for only after ~3 s), and they forget padding older than 100
 * numbers, so a media packet resent after a run of padding no longer connects.
 * So padding is taken out of the numbering, and viewers see media only.
 *
 * A number lost upstream is padding for sure, and gets no slot, when libwebrtc
 * could only have sent padding there: it sends padding only after a frame's
 * last packet, stamped with that frame's timestamp. So after a packet that
 * ended a frame (or was padding), a gap is padding if the next packet is
 * padding with the same timestamp, or opens the very next frame (less than 1.5
 * frame intervals later: a whole lost frame would show as two). Any other lost
 * number gets a slot, is NACKed, and goes out in its slot when resent. A slot
 * nothing came for is filled with an empty packet once the resend is overdue
 * (fillPending): never earlier, because libwebrtc skips a real packet that
 * arrives after an empty one with its number.
 *
 * Per packet: a few typed-array reads and writes, no allocation.
 */
import { isFrameStart, type KeyframeCodec } from './keyframe-detect.ts';

/** Incoming sequence numbers remembered (power of two). */
const WINDOW = 1024;
/** Gaps larger than this are a restart of the stream: numbering continues without slots. */
const MAX_GAP = 500;
/** Slots waited for at once; beyond this the oldest is filled early. */
const MAX_PENDING = 256;
/** Frame-interval tolerance: the next frame, not the one after it. */
const NEXT_FRAME_FACTOR = 1.5;

const NONE = 0;
/** A slot reserved for a number lost upstream, nothing sent yet. */
const PENDING = 1;
/** A packet went out in this slot. */
const SENT = 2;
/** An empty packet went out in place of a lost one. */
const FILLED = 3;
/** Padding, taken out of the numbering. */
const DROPPED = 4;

/** onPacket's answer for a packet not to forward. */
export const DROP = -1;

export class SeqCompactor {
  /** Sends an empty packet numbered `outSeq` (a slot nothing came for). */
  readonly #fill: (outSeq: number) => void;
  readonly #codec: KeyframeCodec;
  readonly #inSeq = new Int32Array(WINDOW).fill(-1);
  readonly #outSeq = new Uint16Array(WINDOW);
  readonly #state = new Uint8Array(WINDOW);
  readonly #pendingIn = new Int32Array(MAX_PENDING);
  readonly #pendingSince = new Float64Array(MAX_PENDING);
  #pendingHead = 0;
  #pendingCount = 0;
  #highest = -1;
  #nextOut = 0;
  #lastTs = 0;
  /** The packet at #highest ended a frame or was padding: padding may follow it. */
  #paddingMayFollow = false;
  /** RTP ticks between the last two pairs of frames that followed each other without a gap (0: unknown). */
  #frameTicks = 0;
  #prevFrameTicks = 0;
  #dropped = 0;
  #filled = 0;

  constructor(codec: KeyframeCodec, fill: (outSeq: number) => void) {
    this.#codec = codec;
    this.#fill = fill;
  }

  /** Slots waited for now. */
  get pending(): number {
    return this.#pendingCount;
  }

  /** When the oldest slot waited for was reserved; undefined when none is. */
  get oldestPendingMs(): number | undefined {
    return this.#pendingCount > 0 ? this.#pendingSince[this.#pendingHead] : undefined;
  }

  /** Numbers taken out as padding (received, or lost and judged padding), and slots filled empty. */
  get stats(): { dropped: number; filled: number } {
    return { dropped: this.#dropped, filled: this.#filled };
  }

  /** Forgets the stream (new SSRC): the next packet starts the numbering again at its own number. */
  reset(): void {
    this.#inSeq.fill(-1);
    this.#state.fill(NONE);
    this.#pendingHead = 0;
    this.#pendingCount = 0;
    this.#highest = -1;
    this.#frameTicks = 0;
    this.#prevFrameTicks = 0;
  }

  /**
   * The outgoing number for a packet (0..65535), or DROP: padding (unless it
   * fills a slot, then it goes out empty), a duplicate, or too old. `onPaddingLost` is told each lost number judged padding (no NACK needed).
   */
  onPacket(seq: number, payload: Uint8Array, timestamp: number, marker: boolean, nowMs: number, onPaddingLost?: (seq: number) => void): number {
    const padding = payload.length === 0;
    if (this.#highest === -1) {
      this.#nextOut = seq;
      return this.#advance(seq, padding, timestamp, marker);
    }
    const diff = (seq - this.#highest) & 0xffff;
    if (diff === 0) return DROP;
    if (diff < 0x8000) {
      const ticks = (timestamp - this.#lastTs) | 0;
      if (diff === 1 && !padding && ticks > 0 && this.#paddingMayFollow) {
        this.#prevFrameTicks = this.#frameTicks;
        this.#frameTicks = ticks;
      }
      if (diff > 1 && diff <= MAX_GAP) {
        const surelyPadding = this.#paddingMayFollow && (padding ? ticks === 0 : this.#opensNextFrame(payload, ticks));
        for (let i = 1; i < diff; i++) {
          const lost = (this.#highest + i) & 0xffff;
          if (surelyPadding) {
            this.#set(lost, 0, DROPPED);
            this.#dropped++;
            onPaddingLost?.(lost);
          } else {
            this.#set(lost, this.#nextOut, PENDING);
            this.#nextOut = (this.#nextOut + 1) & 0xffff;
            this.#addPending(lost, nowMs);
          }
        }
      }
      return this.#advance(seq, padding, timestamp, marker);
    }
    // Older than the highest: a resend or a reordered packet goes out in its slot; a duplicate is dropped.
    // A late empty one (reordered padding, or an upstream SFU's filler) fills its slot, and media may still follow it.
    const slot = seq & (WINDOW - 1);
    if (this.#inSeq[slot] !== seq) return DROP;
    const state = this.#state[slot]!;
    if (padding) {
      if (state !== PENDING) return DROP;
      this.#state[slot] = FILLED;
      return this.#outSeq[slot]!;
    }
    if (state !== PENDING && state !== FILLED) return DROP;
    this.#state[slot] = SENT;
    return this.#outSeq[slot]!;
  }

  /** Fills each slot waited for since `olderThanMs` or before; returns how many are still waited for. */
  fillPending(olderThanMs: number): number {
    while (this.#pendingCount > 0 && this.#pendingSince[this.#pendingHead]! <= olderThanMs) this.#popAndFill();
    return this.#pendingCount;
  }

  #opensNextFrame(payload: Uint8Array, ticks: number): boolean {
    const interval = this.#prevFrameTicks > 0 ? Math.min(this.#frameTicks, this.#prevFrameTicks) : 0;
    return interval > 0 && ticks > 0 && ticks < interval * NEXT_FRAME_FACTOR && isFrameStart(this.#codec, payload);
  }

  #advance(seq: number, padding: boolean, timestamp: number, marker: boolean): number {
    this.#highest = seq;
    this.#lastTs = timestamp;
    this.#paddingMayFollow = padding || marker;
    if (padding) {
      this.#set(seq, 0, DROPPED);
      this.#dropped++;
      return DROP;
    }
    const out = this.#nextOut;
    this.#set(seq, out, SENT);
    this.#nextOut = (out + 1) & 0xffff;
    return out;
  }

  #set(seq: number, out: number, state: number): void {
    const slot = seq & (WINDOW - 1);
    this.#inSeq[slot] = seq;
    this.#outSeq[slot] = out;
    this.#state[slot] = state;
  }

  #addPending(seq: number, nowMs: number): void {
    // Far more lost than a repair keeps up with: fill the oldest now rather than forget it.
    if (this.#pendingCount === MAX_PENDING) this.#popAndFill();
    const at = (this.#pendingHead + this.#pendingCount) % MAX_PENDING;
    this.#pendingIn[at] = seq;
    this.#pendingSince[at] = nowMs;
    this.#pendingCount++;
  }

  #popAndFill(): void {
    const seq = this.#pendingIn[this.#pendingHead]!;
    this.#pendingHead = (this.#pendingHead + 1) % MAX_PENDING;
    this.#pendingCount--;
    const slot = seq & (WINDOW - 1);
    if (this.#inSeq[slot] !== seq || this.#state[slot] !== PENDING) return;
    this.#state[slot] = FILLED;
    this.#filled++;
    this.#fill(this.#outSeq[slot]!);
  }
}
