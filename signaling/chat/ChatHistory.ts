/**
 * The recent events of one room, bounded, in seq order: what a joining client gets as history
 * and what a reconnecting client resumes from. `floorSeq` marks where completeness starts:
 * every event with a seq above it is held here, so a resume from below it is told what it missed.
 */
import type { ChatEvent } from '../protocol/messages.ts';

export interface ResumeSlice {
  readonly events: ChatEvent[];
  /** Seqs the client asked for that are no longer held. */
  readonly missed: { readonly fromSeq: number; readonly toSeq: number } | null;
}

export class ChatHistory {
  readonly capacity: number;
  readonly #ring: (ChatEvent | undefined)[];
  #start = 0;
  #size = 0;
  #floorSeq: number;

  /** @param floorSeq events at or below this seq exist elsewhere (the log) but not here. */
  constructor(capacity: number, floorSeq = 0) {
    if (!(capacity >= 1)) throw new RangeError(`ChatHistory capacity must be at least 1, got ${capacity}`);
    this.capacity = capacity;
    this.#ring = new Array<ChatEvent | undefined>(capacity);
    this.#floorSeq = floorSeq;
  }

  get size(): number {
    return this.#size;
  }

  get floorSeq(): number {
    return this.#floorSeq;
  }

  /** Seq of the newest event held, or the floor when empty. */
  get lastSeq(): number {
    return this.#size === 0 ? this.#floorSeq : this.#at(this.#size - 1).seq;
  }

  /** Appends an event; its seq must be above every held one. Evicts the oldest when full. */
  push(event: ChatEvent): void {
    if (event.seq <= this.lastSeq) throw new RangeError(`ChatHistory.push: seq ${event.seq} is not above ${this.lastSeq}`);
    if (this.#size === this.capacity) {
      this.#floorSeq = this.#at(0).seq;
      this.#ring[this.#start] = event;
      this.#start = (this.#start + 1) % this.capacity;
      return;
    }
    this.#ring[(this.#start + this.#size) % this.capacity] = event;
    this.#size++;
  }

  /**
   * Forgets every held event and moves the floor to `floorSeq` (at or above the newest held):
   * for a copy of a room that missed a range, so resumes from before it are told so.
   */
  restartAt(floorSeq: number): void {
    if (floorSeq < this.lastSeq) throw new RangeError(`ChatHistory.restartAt: ${floorSeq} is below the newest held seq ${this.lastSeq}`);
    this.#ring.fill(undefined);
    this.#start = 0;
    this.#size = 0;
    this.#floorSeq = floorSeq;
  }

  /** Every held event after `seq`, and the range before them that is no longer held. */
  after(seq: number): ResumeSlice {
    const missed = seq < this.#floorSeq ? { fromSeq: seq + 1, toSeq: this.#floorSeq } : null;
    const from = this.#indexAbove(seq);
    const events: ChatEvent[] = [];
    for (let i = from; i < this.#size; i++) events.push(this.#at(i));
    return { events, missed };
  }

  /** The newest `count` events, oldest first. */
  latest(count: number): ChatEvent[] {
    const events: ChatEvent[] = [];
    for (let i = Math.max(0, this.#size - count); i < this.#size; i++) events.push(this.#at(i));
    return events;
  }

  find(seq: number): ChatEvent | undefined {
    const i = this.#indexAbove(seq - 1);
    const event = i < this.#size ? this.#at(i) : undefined;
    return event?.seq === seq ? event : undefined;
  }

  /** Swaps a held event for an edited copy with the same seq (e.g. a deleted message); false when not held. */
  replace(event: ChatEvent): boolean {
    const i = this.#indexAbove(event.seq - 1);
    if (i >= this.#size || this.#at(i).seq !== event.seq) return false;
    this.#ring[(this.#start + i) % this.capacity] = event;
    return true;
  }

  #at(i: number): ChatEvent {
    return this.#ring[(this.#start + i) % this.capacity]!;
  }

  /** Index of the first held event with a seq above `seq` (binary search; seqs may have gaps). */
  #indexAbove(seq: number): number {
    let lo = 0;
    let hi = this.#size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#at(mid).seq <= seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
